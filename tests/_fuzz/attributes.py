"""The fuzzer's uses of everything else on an object: properties, conversions, str/repr,
``ops_supported``, copies, pickling, context managers.
"""

import copy
import os
import pickle

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from atomics import OpType
from atomics.exc import UnsupportedWidthException

from _fuzz.arguments import HostileError, RaisingBool
from _fuzz.run import COUNTS, MAX_TARGETS, RAISED, RELEASED, WIDTHS
from _fuzz.targets import Backing, Cell, Target
from _model import BYTES_OPS, FLOAT_OPS, INTEGRAL_OPS, same


class Attributes:
    """Everything on atomics and views that is not an operation."""

    # -- everything else on the objects ----------------------------------------------

    @precondition(lambda self: self.targets)
    @rule(i=st.integers(0, 10**6), what=st.sampled_from(
        ["width", "readonly", "ops_supported", "signed", "_address", "shared_name", "str", "repr", "int",
         "float", "bytes", "copy", "deepcopy", "pickle", "reinit", "ctx-reinit"]))
    def attribute(self, i, what):
        t = self.targets[i % len(self.targets)]
        COUNTS["calls"] += 1
        obj = t.obj
        dead = not t.alive
        uninit = t.backing.kind == "uninit"
        desc = f"{t!r} {what}"

        def raises(exc, fn):
            try:
                fn()
            except exc as e:
                RAISED[type(e).__name__] += 1
                COUNTS["raised"] += 1
                return str(e)
            raise AssertionError(f"{desc}: did not raise {exc.__name__}")

        if what in ("width", "readonly", "ops_supported", "_address", "signed"):
            if what == "signed" and t.family != "int":
                raises(AttributeError, lambda: obj.signed)
            elif dead:
                assert raises(ValueError, lambda: getattr(obj, what)) == RELEASED, desc
            else:
                got = getattr(obj, what)
                if what == "width":
                    assert got == t.width and type(got) is int, desc
                elif what == "readonly":
                    assert got is t.readonly, desc
                elif what == "signed":
                    assert got is t.signed_obj or got == t.signed_obj, desc
                elif what == "_address":
                    assert got % t.width == 0, desc
                    want = t.address if t.address is not None else t.backing.address
                    if want is not None:
                        assert got == want, desc
                else:
                    assert all(type(op) is OpType for op in got), desc
                    assert [op.value for op in got] == sorted(op.value for op in got), desc
                    if t.readonly:
                        want = [OpType.LOAD] if t.family == "float" else [OpType.LOAD, OpType.BIT_TEST]
                    elif t.family == "float":
                        want = FLOAT_OPS
                    else:
                        want = INTEGRAL_OPS if t.integral else BYTES_OPS
                    assert got == want, f"{desc}: {got}"
        elif what == "shared_name":
            if uninit:
                raises(ValueError, lambda: obj.shared_name)
            else:
                name = obj.shared_name
                if t.backing.kind == "segment":
                    assert name == t.backing.file.name
                    assert obj.shared_offset in t.backing.file.cells
                else:
                    assert name is None and obj.shared_offset is None
        elif what == "str":
            if dead:
                raises(ValueError, lambda: str(obj))
            else:
                got = str(obj)
                name = type(obj).__name__
                ro = "True" if t.readonly else "False"
                if t.family == "int":
                    want = f"{name}(value={t.value()}, width={t.width}, readonly={ro}, signed={t.signed_obj})"
                elif t.family in ("bytes", "float"):
                    want = f"{name}(value={t.value()}, width={t.width}, readonly={ro})"
                else:
                    want = f"{name}(width={t.width}, readonly={ro})"
                assert got == want, f"{desc}: {got!r} != {want!r}"
        elif what == "repr":
            assert isinstance(repr(obj), str)
        elif what == "int":
            if t.family != "int":
                raises(TypeError, lambda: int(obj))
            elif dead:
                raises(ValueError, lambda: int(obj))
            else:
                assert int(obj) == t.value(), desc
        elif what == "float":
            if t.family != "float":
                raises(TypeError, lambda: float(obj))
            elif dead:
                raises(ValueError, lambda: float(obj))
            else:
                assert same(float(obj), t.value()), desc
        elif what == "bytes":
            if t.family != "bytes":
                raises(TypeError, lambda: bytes(obj))
            elif dead:
                raises(ValueError, lambda: bytes(obj))
            else:
                assert bytes(obj) == t.value(), desc
        elif what == "copy":
            if uninit:
                raises(ValueError, lambda: copy.copy(obj))
            else:
                c = copy.copy(obj)
                assert type(c) is type(obj) and c is not obj
                if len(self.targets) < MAX_TARGETS:
                    self.add(Target(c, t.backing, t.cell, t.width, t.family, t.signed, t.signed_obj,
                                    t.readonly, t.integral, t.label + " copy"))
        elif what == "deepcopy":
            raises(TypeError, lambda: copy.deepcopy(obj))
        elif what == "pickle":
            if uninit:
                raises(ValueError, lambda: pickle.dumps(obj))
            elif t.backing.kind != "segment":
                raises(TypeError, lambda: pickle.dumps(obj))
            elif dead:
                raises(ValueError, lambda: pickle.dumps(obj))
            else:
                data = pickle.dumps(obj)
                f = t.backing.file
                if not os.path.exists(f.path()):
                    raises(FileNotFoundError, lambda: pickle.loads(data))
                else:
                    c = pickle.loads(data)
                    assert type(c) is type(obj) and c.shared_name == f.name
                    b = Backing("segment")
                    b.file = f
                    if len(self.targets) < MAX_TARGETS:
                        self.add(Target(c, b, t.cell, t.width, t.family, t.signed, t.signed_obj,
                                        False, t.integral, t.label + " unpickled"))
        elif what == "reinit":
            if uninit and self.rng.random() < 0.5:
                # a never-initialised object can be given memory, once
                w = self.rng.choice([4, 8] if t.family == "float" else WIDTHS)
                obj._init_owned(w, 1, 0)
                t.backing = Backing("owned")
                self.backings.append(t.backing)
                # the class's family base fixes the family; ANY's classes take is_integral
                integral = t.family in ("int", "none")
                t.width, t.cell, t.signed, t.signed_obj, t.integral = w, Cell(w), False, 0, integral
                t.label += " initialised"
                raises(ValueError, lambda: obj._init_owned(w, 1, 0))
            elif uninit:
                raises(TypeError, lambda: obj._init_owned("8", 1, 0))
                if t.family == "none":  # only ANY's classes ask is_integral
                    raises(HostileError, lambda: obj._init_owned(8, RaisingBool(), 0))
                if t.family in ("int", "none"):  # only integers ask is_signed
                    raises(HostileError, lambda: obj._init_owned(8, 1, RaisingBool()))
                raises(UnsupportedWidthException, lambda: obj._init_owned(3, 1, 0))
                if t.family == "float":
                    raises(UnsupportedWidthException, lambda: obj._init_owned(2, 1, 0))
            else:
                raises(ValueError, lambda: obj._init_owned(8, 1, 1))
                raises(ValueError, lambda: obj._init_owned("junk", None, None))
                if hasattr(type(obj), "_init_view"):
                    raises(ValueError, lambda: obj._init_view(None))
                if type(obj).__init__ is not object.__init__:
                    raises((ValueError, TypeError), lambda: obj.__init__(width=t.width))
        elif what == "ctx-reinit" and t.backing.kind == "view" and t.backing.ctx is not None:
            ctx = t.backing.ctx
            raises(ValueError, lambda: ctx._init(bytearray(8), True, True))
        self.check_backing(t.backing)
