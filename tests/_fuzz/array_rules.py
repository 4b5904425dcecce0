"""The fuzzer's arrays of atomics: building and dropping them, and dispatching calls on them.
"""

import copy
import mmap
import os
import pickle
import random
import struct
import sys
import tempfile

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

import atomics
from atomics.shared import SharedSegment, attach_array

from _fuzz.arguments import Raised
from _fuzz.array_arguments import (ARRAY_ATYPES, ARRAY_CLASS, ARRAY_CLASSES, ARRAY_MISC, KIND_ATYPE,
                                   MAX_ARRAYS, ArrayTarget, array_family_of_class)
from _fuzz.run import BURST, COUNTS, MAX_TARGETS, RELEASED, WIDTHS, width_exists
from _fuzz.targets import ANY_POOL, Backing, Cell, Target, address_of, atype_facts
from _model import float_arith, float_to_bits, mask_of, same

try:
    import numpy as np
except ImportError:  # pragma: no cover - numpy is optional
    np = None


class ArrayRules:
    """Arrays of atomics: their lifecycle and the calls made on them."""

    # -- arrays ------------------------------------------------------------------------

    def add_array(self, at):
        self.arrays.append(at)
        if at.backing not in self.backings:
            self.backings.append(at.backing)
        COUNTS["array targets"] += 1
        return at

    def make_array_buffer(self, rng, w, n, base_kind, fam, signed):
        """A buffer for arrayview: (object to pass, width argument, Backing, offset of the
        region in the buffer, address of the region or None)."""
        nbytes = n * w
        keep = []
        base = base_address = None
        width_arg = w
        if base_kind in ("numpy", "numpy-readonly", "numpy-typed") and np is None:
            base_kind = "bytearray"
        if base_kind == "numpy-typed" and (fam == "bytes" or w == 16):
            base_kind = "numpy"
        if base_kind in ("bytearray-whole", "mmap-whole") and not nbytes:
            base_kind = "bytearray"
        if base_kind in ("bytearray", "toreadonly", "bytes", "numpy", "numpy-readonly"):
            total = nbytes + 2 * 16 + rng.randint(1, 40)
            if base_kind == "bytes":
                base = rng.randbytes(total)
            elif base_kind.startswith("numpy"):
                base = np.frombuffer(rng.randbytes(total), dtype=np.uint8).copy()
            else:
                base = bytearray(rng.randbytes(total))
            base_address = address_of(base)
            off = rng.choice([o for o in range(1, total - nbytes) if (base_address + o) % max(w, 1) == 0])
            if base_kind.startswith("numpy"):
                passed = base[off:off + nbytes]
                if base_kind == "numpy-readonly":
                    passed.flags.writeable = False
                reader = base.tobytes
            elif base_kind == "bytes":
                passed = memoryview(base)[off:off + nbytes]
                reader = lambda: bytes(bytearray(base))  # noqa: E731
            else:
                mv = memoryview(base)
                passed = (mv.toreadonly() if base_kind == "toreadonly" else mv)[off:off + nbytes]
                reader = lambda: bytes(base)  # noqa: E731
            readonly = base_kind in ("toreadonly", "bytes", "numpy-readonly")
            region_address = base_address + off
        elif base_kind == "numpy-typed":
            dtype = np.dtype(f"f{w}" if fam == "float" else f"{'i' if signed else 'u'}{w}")
            base = np.frombuffer(rng.randbytes((n + 2) * w), dtype=np.uint8).copy()
            base_address = base.ctypes.data
            if base_address % w:
                return self.make_array_buffer(rng, w, n, "numpy", fam, signed)
            passed = base.view(dtype)[1:n + 1]
            off, reader, readonly, width_arg = w, base.tobytes, False, None
            region_address = base_address + w
        elif base_kind == "bytearray-whole":
            base = bytearray(rng.randbytes(nbytes))
            base_address = address_of(base)
            if base_address % w:
                return self.make_array_buffer(rng, w, n, "bytearray", fam, signed)
            passed, off, reader, readonly, region_address = base, 0, (lambda: bytes(base)), False, base_address
        elif base_kind == "mmap-whole":
            base = mmap.mmap(-1, nbytes)
            base.write(rng.randbytes(nbytes))
            base_address = address_of(base)
            passed, off, reader, readonly, region_address = base, 0, (lambda: base[:]), False, base_address
        elif base_kind in ("mmap-access-read", "mmap-prot-read"):
            f = tempfile.TemporaryFile()
            content = rng.randbytes(4096)
            f.write(content)
            f.flush()
            if base_kind == "mmap-access-read":
                m = mmap.mmap(f.fileno(), 4096, access=mmap.ACCESS_READ)
            else:
                m = mmap.mmap(f.fileno(), 4096, prot=mmap.PROT_READ)
            off = 16 * rng.randint(0, (4096 - nbytes) // 16)
            keep += [f, m]
            passed, reader, readonly, region_address = memoryview(m)[off:off + nbytes], (lambda: m[:]), True, None
        else:  # "mmap": a region of a larger anonymous mapping
            base = mmap.mmap(-1, 4096)
            base.write(rng.randbytes(4096))
            base_address = address_of(base)
            off = 16 * rng.randint(1, (4096 - nbytes) // 16 - 1)
            passed, reader, readonly = memoryview(base)[off:off + nbytes], (lambda: base[:]), False
            region_address = base_address + off
        if base is not None:
            keep.append(base)
        b = Backing("view", readonly)
        b.passed, b.reader, b.snapshot, b.keep = passed, reader, reader(), keep
        if not isinstance(base, bytes):  # (no writable way to a bytes object)
            b.base, b.base_address = base, base_address
        return passed, width_arg, b, off, region_address

    @rule(kind=st.sampled_from(["private", "shared", "segment", "view", "view", "view", "readonly-view", "copy",
                                "attach", "uninit", "element"]),
          seed=st.integers(0, 2**32 - 1))
    def new_array(self, kind, seed):
        rng = random.Random(seed)
        COUNTS["calls"] += 1
        COUNTS["array calls"] += 1
        if kind in ("copy", "element"):
            live = [a for a in self.arrays if a.backing.kind != "uninit"]
            if not live:
                return
            at = rng.choice(live)
            if kind == "copy":
                if len(self.arrays) < MAX_ARRAYS:
                    c = copy.copy(at.obj)
                    assert type(c) is type(at.obj) and c is not at.obj
                    self.add_array(ArrayTarget(c, at.backing, at.cells, at.width, at.family, at.signed, at.signed_obj,
                                               at.readonly, at.label + " copy", at.address, at.offset))
            else:
                self.array_misc(at, rng, "element")
            return
        if len(self.arrays) >= MAX_ARRAYS:
            self.drop_array(rng.randrange(len(self.arrays)))
        label, atype, kwargs = rng.choice(ARRAY_ATYPES)
        fam, signed, sobj, _, seg_kind = atype_facts(atype, kwargs)
        w = rng.choice([4, 8] if fam == "float" else WIDTHS)
        n = rng.choice([1, 1, 2, 3, 4, 5, 8, 12])
        cls = ARRAY_CLASS[label]
        if kind == "private":
            n = rng.choice([0, n, n])
            obj = atomics.array(n, w, atype, **kwargs)
            cells = [Cell(w) for _ in range(n)]
            at = ArrayTarget(obj, Backing("owned"), cells, w, fam, signed, sobj, False, f"array({label})")
        elif kind == "shared":
            obj = atomics.array(n, w, atype, shared=True, **kwargs)
            f = self.new_file(obj.shared_name, n * w, w, seg_kind)
            cells = [Cell(w) for _ in range(n)]
            for i, c in enumerate(cells):
                f.cells[i * w] = c
            b = Backing("segment")
            b.file, b.owner = f, True
            at = ArrayTarget(obj, b, cells, w, fam, signed, sobj, False, f"array({label}, shared)", offset=0)
        elif kind == "segment":
            off = w * rng.randint(0, 4) + rng.choice([0, 64])
            size = off + n * w + rng.randint(0, 40)
            seg = SharedSegment.create(size)
            f = self.new_file(seg.name, size, 0, 0)
            b = Backing("segment")
            b.seg, b.file, b.owner = seg, f, True
            obj = seg.array(off, n, w, atype, **kwargs)
            assert obj.shared_name == seg.name and obj.shared_offset == off
            cells = [Cell(w) for _ in range(n)]
            for i, c in enumerate(cells):
                f.cells[off + i * w] = c
            at = ArrayTarget(obj, b, cells, w, fam, signed, sobj, False, f"seg.array({label})@{off}", offset=off)
            if off >= 8 and len(self.targets) < MAX_TARGETS:  # a single atomic before it in the same segment
                single = seg.atomic(0, 8, atomics.UINT)
                cell = f.cells[0] = Cell(8)
                self.add(Target(single, b, cell, 8, "int", False, False, False, True, "segment(UINT)@0"))
            if rng.random() < 0.4 and len(self.arrays) + 2 <= MAX_ARRAYS:
                # and an unpickled copy (the segment mapped again)
                copy_b = Backing("segment")
                copy_b.file = f
                self.add_array(ArrayTarget(pickle.loads(pickle.dumps(obj)), copy_b, cells, w, fam, signed, sobj,
                                           False, at.label + " unpickled", offset=off))
        elif kind in ("view", "readonly-view"):
            if kind == "view":
                base_kind = rng.choice(["bytearray", "bytearray", "bytearray-whole", "numpy", "numpy-typed", "mmap",
                                        "mmap-whole"])
            else:
                base_kind = rng.choice(["bytes", "toreadonly", "numpy-readonly", "mmap-access-read", "mmap-prot-read"])
                if not width_exists(w, True, fam):
                    return
            if base_kind in ("bytearray", "numpy") and rng.random() < 0.1:
                n = 0
            passed, width_arg, b, off, address = self.make_array_buffer(rng, w, n, base_kind, fam, signed)
            if width_arg is None and rng.random() < 0.5:
                obj = atomics.arrayview(passed, atype, **kwargs)
            else:
                obj = atomics.arrayview(passed, atype, width=width_arg, **kwargs)
            b.array = obj
            cells = [Cell(w, int.from_bytes(b.snapshot[off + i * w:off + (i + 1) * w], sys.byteorder)) for i in range(n)]
            b.regions = [(off + i * w, c) for i, c in enumerate(cells)]
            at = ArrayTarget(obj, b, cells, w, fam, signed, sobj, b.readonly, f"arrayview({label}, {base_kind})",
                             address)
            assert obj.readonly is b.readonly and obj.released is False
            if address is not None and n:
                assert obj._address == address
        elif kind == "attach":
            typed = [f for f in self.files.values() if struct.unpack_from("=I", f.header, 28)[0] in KIND_ATYPE
                     and os.path.exists(f.path())]
            if not typed:
                return
            f = rng.choice(typed)
            hw, hk = struct.unpack_from("=II", f.header, 24)
            label, atype = KIND_ATYPE[hk]
            cls = ARRAY_CLASS[label]
            fam, signed, sobj, _, _ = atype_facts(atype, {})
            obj = attach_array(f.name, *rng.choice([(), (hw,), (hw, atype), (None, atype)]))
            b = Backing("segment")
            b.file = f
            cells = [f.cells[o] for o in range(0, f.size, hw)]
            w, n = hw, len(cells)
            at = ArrayTarget(obj, b, cells, w, fam, signed, sobj, False, f"attach_array({label})", offset=0)
        else:  # uninit: made with cls.__new__ and never given memory
            cls = rng.choice(ARRAY_CLASSES)
            fam = array_family_of_class(cls)
            w = rng.choice([4, 8] if fam == "float" else WIDTHS)
            obj = cls.__new__(cls)
            at = ArrayTarget(obj, Backing("uninit"), [], w, fam, False, False, False, f"uninit {cls.__name__}")
            self.add_array(at)
            return
        assert type(obj) is cls, (type(obj), cls)
        assert len(obj) == n and obj.width == w and obj.nbytes == n * w
        self.add_array(at)

    def nested_array_call(self, at):
        """An operation on array `at` made from inside an argument conversion of a call on it."""
        if at.n == 0 or at.readonly or at.backing.kind == "uninit":
            method, args = "load_all", ()
        elif at.family == "int":
            method, args = "add_at", ([0, -1],)
        elif at.family == "float":
            method, args = "fetch_add", (0, 1.0)
        else:
            method, args = "xor_at", ([-1], bytes(range(1, at.width + 1)))
        alive = at.alive
        try:
            out = getattr(at.obj, method)(*args)
        except Exception as e:  # noqa: BLE001 - checked when the effects are replayed
            out = Raised(e)
        return at, method, args, alive, out

    def replay_nested_array(self, payload, call_desc):
        at, method, args, alive, out = payload
        COUNTS["nested calls"] += 1
        if not alive:
            assert isinstance(out, Raised) and out.cls is ValueError and out.message == RELEASED, \
                f"{call_desc}: nested {method} -> {out!r}"
            return
        assert not isinstance(out, Raised), f"{call_desc}: nested {method} on {at!r} -> {out!r}"
        if method == "load_all":
            assert len(out) == at.n and all(same(g, v) for g, v in zip(out, at.values())), \
                f"{call_desc}: nested load_all -> {out!r}, model {at.values()!r}"
        elif method == "add_at":
            assert out is None
            for i in (0, at.n - 1):
                at.cells[i].u = (at.cells[i].u + 1) & mask_of(at.width)
        elif method == "fetch_add":
            t = at.element_target(0)
            assert same(out, t.value()), f"{call_desc}: nested fetch_add -> {out!r}, model {t.value()!r}"
            self.set_cell(t, float_arith("fetch_add", t.cell.u, float_to_bits(1.0, at.width), at.width))
        else:
            assert out is None
            at.cells[-1].u ^= int.from_bytes(args[1], sys.byteorder)

    def mark_released(self, b):
        if not b.released:
            b.released = True
            COUNTS["releases"] += 1

    def drop_array(self, i):
        at = self.arrays.pop(i % len(self.arrays))
        b = at.backing
        del at
        self.let_go(b)

    @precondition(lambda self: self.arrays)
    @rule(i=st.integers(0, 10**6))
    def drop_an_array(self, i):
        self.drop_array(i)

    def check_array_now(self, at):
        """The whole array against the model (and the bytes around it), after a call."""
        if at.alive:
            raw = at.obj.load_all(out=bytearray(at.nbytes))
            if bytes(raw) != at.raw():
                diff = [i for i in range(at.n) if raw[i * at.width:(i + 1) * at.width] != at.cells[i].raw()]
                raise AssertionError(f"{at!r}: elements {diff[:8]} differ from the model")
        self.check_backing(at.backing)

    def array_bits(self, at):
        raw = at.obj.load_all(out=bytearray(at.nbytes))
        return [int.from_bytes(raw[i * at.width:(i + 1) * at.width], sys.byteorder) for i in range(at.n)]

    @precondition(lambda self: self.arrays)
    @rule(i=st.integers(0, 10**6), seed=st.integers(0, 2**32 - 1))
    def array_call(self, i, seed):
        self.random_array_call(self.arrays[i % len(self.arrays)], random.Random(seed))

    @precondition(lambda self: self.arrays)
    @rule(seed=st.integers(0, 2**32 - 1))
    def array_burst(self, seed):
        rng = random.Random(seed)
        for _ in range(BURST):
            if not self.arrays:
                return
            alive = [a for a in self.arrays if a.alive]
            self.random_array_call(rng.choice(alive if alive and rng.random() < 0.85 else self.arrays), rng)

    def random_array_call(self, at, rng):
        r = rng.random()
        if r < 0.45:
            self.random_element_call(at, rng)
        elif r < 0.88:
            self.random_bulk_call(at, rng)
        else:
            self.array_misc(at, rng, rng.choice(ARRAY_MISC))
        if at in self.arrays:
            self.check_array_now(at)

    def compose_call(self, names, required, draw, rng, hostility):
        """Positional and keyword arguments for parameters `names` (the first `required`
        needed), `draw(i)` giving a value for parameter i; with hostility, now and then one
        too many, one missing, an unknown keyword or one given twice."""
        r = rng.random() if hostility else 1.0
        if r < 0.03:
            n_pos = len(names) + 1
        elif r < 0.06 and required:
            n_pos = required - 1
        else:
            n_pos = rng.randint(required, len(names))
        pos = [draw(i) if i < len(names) else rng.choice(ANY_POOL)() for i in range(n_pos)]
        kw = {}
        drop_required = hostility and rng.random() < 0.03
        for i in range(n_pos, len(names)):
            if (i < required and not drop_required) or rng.random() < 0.4:
                kw[names[i]] = draw(i)
        r = rng.random() if hostility else 1.0
        if r < 0.02:
            kw[rng.choice(["orderr", "x", "value2", "idx", "index", "indices", "values"])] = rng.choice(ANY_POOL)()
        elif r < 0.03 and pos:
            kw[names[0]] = pos[0]
        return pos, kw

    def draw_from(self, pools, rng, hostility):
        valid, hostile = pools
        return rng.choice(hostile if rng.random() < hostility else valid)()
