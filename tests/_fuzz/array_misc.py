"""The fuzzer's uses of everything else on arrays: indexing, iteration, attributes, copies,
``release()`` and ``with``, and ``element(i)`` objects.
"""

import copy
import operator
import os
import pickle

from atomics import OpType
from atomics.exc import UnsupportedWidthException

from _fuzz.arguments import EFFECTS, HostileError, RaisingBool
from _fuzz.array_arguments import ELEMENT_CLASS, MAX_ARRAYS, ArrayTarget, conv_element_index
from _fuzz.array_pools import element_index_pool
from _fuzz.run import COUNTS, MAX_TARGETS, RAISED, RELEASED, short
from _fuzz.targets import Backing, Cell, Target
from _model import BYTES_OPS, FLOAT_OPS, INTEGRAL_OPS, decode, same


class ArrayMisc:
    """Everything on arrays that is not an operation."""

    def array_misc(self, at, rng, what):
        """Everything else on an array: a[i], a[i] = v, del a[i], len, iteration, element(i),
        the attributes, copy, pickle, re-initialisation, `with` and release()."""
        if what in ("getitem", "setitem"):
            self.random_element_call(at, rng, what)
            return
        COUNTS["calls"] += 1
        COUNTS["array calls"] += 1
        obj, b = at.obj, at.backing
        uninit, dead = b.kind == "uninit", not at.alive
        desc = f"{at!r} {what}"

        def raises(exc, fn, message=None):
            try:
                fn()
            except exc as e:
                RAISED[type(e).__name__] += 1
                COUNTS["raised"] += 1
                if message is not None:
                    assert str(e) == message, f"{desc}: {e}"
                return
            raise AssertionError(f"{desc}: did not raise {exc}")

        if what == "delitem":
            raises(TypeError, lambda: operator.delitem(obj, self.draw_from(element_index_pool(self, at, rng), rng, 0.5)))
        elif what == "len":
            if dead:
                raises(ValueError, lambda: len(obj), RELEASED)
            else:
                assert len(obj) == at.n, desc
        elif what == "iter":
            if dead:
                raises(ValueError, lambda: list(obj), RELEASED)
            elif b.kind == "view" and at.n and rng.random() < 0.3:
                # released in the middle of the iteration: the next element raises
                k = rng.randrange(at.n)
                it = iter(obj)
                got = [next(it) for _ in range(k)]
                assert all(same(g, v) for g, v in zip(got, at.values())), f"{desc}: {got!r}"
                self.release_backing(b)
                raises(ValueError, lambda: next(it), RELEASED)
                del it
                self.check_pin(b)
            else:
                got = list(obj)
                assert len(got) == at.n and all(same(g, v) for g, v in zip(got, at.values())), f"{desc}: {got!r}"
        elif what == "element":
            self.element_call(at, rng)
        elif what in ("width", "nbytes", "readonly", "ops_supported", "_address"):
            if dead:
                raises(ValueError, lambda: getattr(obj, what), RELEASED)
            else:
                got = getattr(obj, what)
                if what == "width":
                    assert got == at.width and type(got) is int, desc
                elif what == "nbytes":
                    assert got == at.nbytes and type(got) is int, desc
                elif what == "readonly":
                    assert got is at.readonly, desc
                elif what == "_address":
                    assert type(got) is int and (not at.n or got % at.width == 0), desc
                    if at.address is not None and at.n:
                        assert got == at.address, desc
                else:
                    if at.readonly:
                        want = [OpType.LOAD] if at.family == "float" else [OpType.LOAD, OpType.BIT_TEST]
                    else:
                        want = {"int": INTEGRAL_OPS, "bytes": BYTES_OPS, "float": FLOAT_OPS}[at.family]
                    assert got == want, f"{desc}: {got}"
        elif what == "released":
            if uninit:
                raises(ValueError, lambda: obj.released, RELEASED)
            else:
                assert obj.released is b.released, desc
        elif what == "signed":
            if at.family != "int":
                raises(AttributeError, lambda: obj.signed)
            elif dead:
                raises(ValueError, lambda: obj.signed, RELEASED)
            else:
                got = obj.signed
                assert got is at.signed_obj or (got == at.signed_obj and type(got) is type(at.signed_obj)), desc
        elif what == "shared":
            if uninit:
                raises(ValueError, lambda: obj.shared_name, RELEASED)
            elif b.kind == "segment":
                assert obj.shared_name == b.file.name and obj.shared_offset == at.offset, desc
            else:
                assert obj.shared_name is None and obj.shared_offset is None, desc
        elif what == "repr":
            name = type(obj).__name__
            if uninit:
                raises(ValueError, lambda: repr(obj), RELEASED)
            elif dead:
                assert repr(obj) == f"<released {name}>", desc
            else:
                want = f"{name}(len={at.n}, width={at.width}, readonly={at.readonly})"
                assert repr(obj) == want, f"{desc}: {repr(obj)!r} != {want!r}"
        elif what == "copy":
            if uninit:
                raises(ValueError, lambda: copy.copy(obj), RELEASED)
            else:
                c = copy.copy(obj)
                assert type(c) is type(obj) and c is not obj, desc
                if len(self.arrays) < MAX_ARRAYS:
                    self.add_array(ArrayTarget(c, b, at.cells, at.width, at.family, at.signed, at.signed_obj,
                                               at.readonly, at.label + " copy", at.address, at.offset))
        elif what == "deepcopy":
            raises(TypeError, lambda: copy.deepcopy(obj))
        elif what == "pickle":
            if uninit or dead:
                raises(ValueError, lambda: pickle.dumps(obj), RELEASED)
            elif b.kind != "segment":
                raises(TypeError, lambda: pickle.dumps(obj))
            else:
                data = pickle.dumps(obj, rng.randint(2, pickle.HIGHEST_PROTOCOL))
                f = b.file
                if not os.path.exists(f.path()):
                    raises(FileNotFoundError, lambda: pickle.loads(data))
                else:
                    c = pickle.loads(data)
                    assert type(c) is type(obj) and c.shared_name == f.name and c.shared_offset == at.offset, desc
                    assert len(c) == at.n and c.width == at.width, desc
                    copy_b = Backing("segment")
                    copy_b.file = f
                    if len(self.arrays) < MAX_ARRAYS:
                        self.add_array(ArrayTarget(c, copy_b, at.cells, at.width, at.family, at.signed, at.signed_obj,
                                                   False, at.label + " unpickled", offset=at.offset))
        elif what == "reinit":
            w, fam = at.width, at.family
            if uninit and rng.random() < 0.5:
                # a never-initialised array can be given memory, once
                n = rng.choice([0, 1, 3, 5])
                obj._init_owned(n, w, False)
                at.backing = Backing("owned")
                self.backings.append(at.backing)
                at.cells[:] = [Cell(w) for _ in range(n)]
                at.signed, at.signed_obj = False, False
                at.label += " initialised"
                raises(ValueError, lambda: obj._init_owned(1, w, True))
            elif uninit:
                raises(TypeError, lambda: obj._init_owned("2", w, True))
                raises(ValueError, lambda: obj._init_owned(-1, w, True))
                raises(UnsupportedWidthException, lambda: obj._init_owned(2, 3, True))
                raises(TypeError, lambda: obj._init_owned(2, "8", True))
                raises(HostileError, lambda: obj._init_owned(2, w, RaisingBool()))
                if fam == "float":
                    raises(UnsupportedWidthException, lambda: obj._init_owned(2, 2, True))
                raises(MemoryError, lambda: obj._init_owned(1 << 62, w, True))
                buf = bytearray(8)
                raises(UnsupportedWidthException, lambda: obj._init_view(buf, 3, True))
                buf.append(0)  # a refused view pins nothing
            else:
                raises(ValueError, lambda: obj._init_owned(1, 8, True))
                buf = bytearray(16)
                raises(ValueError, lambda: obj._init_view(buf, 8, True))
                buf.append(0)  # a refused view pins nothing
                raises((ValueError, TypeError), lambda: obj.__init__(length=1, width=8))
        elif what == "with":
            if uninit:
                assert obj.__enter__() is obj, desc
                raises(ValueError, lambda: obj.__exit__(None, None, None), RELEASED)
            else:
                with obj as entered:
                    assert entered is obj, desc
                    if at.alive:
                        assert len(obj) == at.n
                if b.kind == "view":
                    self.mark_released(b)
                    self.check_pin(b)
                assert obj.released is b.released, desc
        else:  # release
            if uninit:
                raises(ValueError, obj.release, RELEASED)
            else:
                obj.release()
                obj.release()  # idempotent
                if b.kind == "view":
                    self.mark_released(b)
                    self.check_pin(b)
                assert obj.released is b.released, desc
                if at.alive and at.n:
                    assert same(obj[0], at.values()[0]), desc  # arrays over their own memory: still there
        self.check_backing(b)

    def element_call(self, at, rng):
        """a.element(i): the atomic at i, an object of its own over the same memory."""
        hostility = 0.0 if rng.random() < 0.5 else 0.5
        idx = self.draw_from(element_index_pool(self, at, rng), rng, hostility)
        i, err = conv_element_index(idx, at.n)
        allowed = set()
        if at.backing.kind == "uninit" or not at.alive:
            allowed.add(ValueError)
        if err is not None:
            allowed.add(err)
        desc = f"{at!r}.element({short(idx)})"
        EFFECTS.clear()
        try:
            e = at.obj.element(idx)
            error = None
        except Exception as exc:  # noqa: BLE001 - judged below
            e, error = None, exc
        effects = list(EFFECTS)
        EFFECTS.clear()
        released_now = False
        for kind, payload in effects:
            if kind == "release":
                released_now = released_now or payload is at.backing
            else:
                self.replay_nested(payload, desc)
        if released_now:
            COUNTS["array released mid-call"] += 1
        if error is not None:
            RAISED[type(error).__name__] += 1
            COUNTS["raised"] += 1
            if released_now:
                allowed.add(ValueError)
            assert allowed and isinstance(error, tuple(allowed)), f"{desc} raised {error!r}; expected {allowed}"
            del error
            return
        assert not allowed, f"{desc} returned {e!r}; expected {allowed}"
        COUNTS["succeeded"] += 1
        COUNTS["element objects"] += 1
        assert type(e) is ELEMENT_CLASS[type(at.obj)], f"{desc}: {type(e)}"
        cell = at.cells[i]
        if released_now:
            # the memory went during the call: the element is released with the array
            try:
                e.load()
            except ValueError as exc:
                assert str(exc) == RELEASED, desc
            else:
                raise AssertionError(f"{desc}: the element of memory released during the call loads")
        else:
            assert same(e.load(), decode(cell.u, at.width, at.family, at.signed)), desc
            assert e.width == at.width and e.readonly is at.readonly, desc
        if at.backing.kind == "segment":
            assert e.shared_name == at.backing.file.name and e.shared_offset == at.offset + i * at.width, desc
        if len(self.targets) < MAX_TARGETS:
            t = Target(e, at.backing, cell, at.width, at.family, at.signed, at.signed_obj, at.readonly,
                       at.family == "int", f"{at.label}.element({i})")
            if at.address is not None:
                t.address = at.address + i * at.width
            self.add(t)
