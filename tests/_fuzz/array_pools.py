"""Arrays of atomics in the fuzzer: binding arguments, what ``load_all(out=...)`` accepts, and the
pools of valid and hostile element indices, indices and values.
"""

import array
import ctypes
import decimal
import fractions
import math
import struct
import sys

from atomics import MemoryOrder as MO

from _fuzz.arguments import (BytesSub, HugeIndex, IntSub, NonIntIndex, RaisingIndex, ReentrantIndex,
                             ReleasingIndex)
from _fuzz.array_arguments import PYTHON_BUFFERS, PlainIndex, ReleasingExporter, SeqArg
from _fuzz.run import items_usable
from _model import bits_to_float, bounds

try:
    import numpy as np
except ImportError:  # pragma: no cover - numpy is optional
    np = None


def bind_args(names, required, pos, kw):
    """The arguments of a call bound to `names` (the first `required` needed), or None when
    binding fails (a TypeError)."""
    if len(pos) > len(names):
        return None
    bound = dict(zip(names, pos))
    for k in kw:
        if k not in names or k in bound:
            return None
        bound[k] = kw[k]
    if any(n not in bound for n in names[:required]):
        return None
    return bound


def array_type_code(at):
    """The `array` type code of load_all()'s new array, or None for a list (docs/arrays.md)."""
    if at.family == "bytes" or at.width == 16:
        return None
    if at.family == "float":
        return {4: "f", 8: "d"}[at.width]
    code = {1: "b", 2: "h", 4: "i", 8: "q"}[at.width]
    return code if at.signed else code.upper()


def buffer_address(mv):
    """The address of a writable C-contiguous memoryview's first byte."""
    c = (ctypes.c_char * mv.nbytes).from_buffer(mv)
    try:
        return ctypes.addressof(c)
    finally:
        del c


def out_check(out, at):
    """load_all(out=out): (exception type or None, address of out or None)."""
    if isinstance(out, ReleasingExporter):
        if not PYTHON_BUFFERS:
            return TypeError, None
        out = out.content
    try:
        mv = memoryview(out)
    except TypeError:
        return TypeError, None
    except ValueError:  # released
        return ValueError, None
    with mv:
        if not mv.c_contiguous or mv.readonly:
            return TypeError, None
        if not items_usable(mv.format, mv.itemsize, at.family, at.signed, at.width):
            return TypeError, None
        if mv.nbytes != at.nbytes:
            return ValueError, None
        if not mv.nbytes:
            return None, None
        address = buffer_address(mv)
    if at.address is not None and address < at.address + at.nbytes and at.address < address + at.nbytes:
        return ValueError, address
    return None, address


def released_memoryview(n=8):
    mv = memoryview(bytearray(n))
    mv.release()
    return mv


def np_array(values, dtype):
    with np.errstate(over="ignore", invalid="ignore"):
        return np.array(values, dtype=dtype)


def element_index_pool(m, at, rng):
    """(valid, hostile) makers of an element index."""
    n = max(at.n, 1)
    valid = [
        lambda: rng.randrange(n), lambda: rng.randrange(n), lambda: rng.randrange(n), lambda: -rng.randint(1, n),
        lambda: 0, lambda: n - 1, lambda: -n, lambda: IntSub(rng.randrange(n)), lambda: PlainIndex(rng.randrange(n)),
        lambda: True if n > 1 else False, lambda: False,
    ]
    hostile = [
        lambda: n, lambda: -n - 1, lambda: n + 7, lambda: 1 << 31, lambda: 1 << 63, lambda: 1 << 64,
        lambda: -(1 << 64), lambda: 1 << 200, lambda: -(1 << 200), lambda: 1.0, lambda: 0.0, lambda: None,
        lambda: "0", lambda: b"\0", lambda: [0], lambda: (0,), lambda: slice(0, 1), lambda: object(),
        lambda: RaisingIndex(), lambda: NonIntIndex(), lambda: HugeIndex(), lambda: PlainIndex(-n - 1),
        lambda: ReleasingIndex(m, at, rng.randrange(n)), lambda: ReleasingIndex(m, at, rng.randrange(n)),
        lambda: ReentrantIndex(m, at, rng.randrange(n)),
    ]
    if np is not None:
        valid += [lambda: np.int64(rng.randrange(-n, n)), lambda: np.intp(rng.randrange(n)),
                  lambda: np.uint8(rng.randrange(n))]
        hostile += [lambda: np.uint64(1 << 63), lambda: np.int64(n), lambda: np.float64(0.0), lambda: np.bool_(True),
                    lambda: np.array([0])]
    return valid, hostile


def indices_pool(m, at, rng):
    """(valid, hostile) makers of an `indices` argument: each returns (object, how many
    indices it holds)."""
    n = at.n

    def some(k=None):
        k = rng.randint(0, 10) if k is None else k
        return [rng.randrange(-n, n) for _ in range(k)] if n else []

    def form(name):
        def make():
            idx = some()
            nonneg = [i % n for i in idx]
            if name == "tuple":
                return tuple(idx), len(idx)
            if name == "iterator":
                return SeqArg(idx), len(idx)
            if name == "generator":
                return SeqArg(idx).generator(), len(idx)
            if name == "range":
                s = rng.randrange(n) if n else 0
                e = rng.randint(s, n)
                return (range(s, e) if rng.random() < 0.7 else range(e - 1, s - 1, -1)), e - s
            if name == "dict":
                d = dict.fromkeys(idx)
                return d, len(d)
            if name == "bytes":
                return bytes(nonneg), len(idx)
            if name == "bytearray":
                return bytearray(nonneg), len(idx)
            if name in ("q", "h", "b"):
                return array.array(name, idx), len(idx)
            if name == "B":
                return array.array("B", nonneg), len(idx)
            if name == "int-likes":
                return [PlainIndex(i) for i in idx], len(idx)
            if name == "bools":
                return [bool(i % 2) if n > 1 else False for i in nonneg], len(idx)
            if name == "memoryview":
                return memoryview(array.array("q", idx)), len(idx)
            if name == "np.int64s":
                return [np.int64(i) for i in idx], len(idx)
            if name == "np.scalar":
                return np.int64(idx[0] if idx else 0), 1
            if name == "np.2d":
                even = idx[:len(idx) // 2 * 2]
                return np.array(even, dtype=np.intp).reshape(-1, 2), len(even)
            if name == "np.bool":
                return np.array([bool(i % 2) if n > 1 else False for i in nonneg], dtype=np.bool_), len(idx)
            if name.startswith("np."):
                dtype = np.dtype(name[3:])
                return np.array(nonneg if dtype.kind == "u" else idx, dtype=dtype), len(idx)
            return idx, len(idx)
        return make

    names = ["list", "list", "list", "list", "tuple", "iterator", "generator", "range", "dict", "bytes", "bytearray",
             "q", "h", "b", "B", "int-likes", "bools", "memoryview"]
    if np is not None:
        names += ["np.intp", "np.intp", "np.int64", "np.int32", "np.int16", "np.int8", "np.uint8", "np.uint16",
                  "np.uint64", "np.bool", "np.2d", "np.scalar", "np.int64s"]
    valid = [form(name) for name in names]

    def inject(bad):
        def make():
            idx = some(rng.randint(0, 6))
            idx.insert(rng.randint(0, len(idx)), bad())
            return (tuple(idx) if rng.random() < 0.2 else idx), len(idx)
        return make

    def acting(action):
        def make():
            idx = some(rng.randint(0, 8))
            seq = SeqArg(idx, action, rng.randint(0, len(idx)), m, at)
            return (seq.generator() if rng.random() < 0.5 else seq), len(idx)
        return make

    any_i = lambda: rng.randrange(max(n, 1))  # noqa: E731
    bads = [lambda: n, lambda: -n - 1, lambda: n + 5, lambda: 1 << 63, lambda: 1 << 64, lambda: -(1 << 70),
            lambda: 1 << 200, lambda: 1.0, lambda: "0", lambda: None, lambda: b"\0", lambda: [0],
            lambda: RaisingIndex(), lambda: NonIntIndex(), lambda: HugeIndex(),
            lambda: ReleasingIndex(m, at, any_i()), lambda: ReentrantIndex(m, at, any_i())]
    if np is not None:
        bads += [lambda: np.float64(0.0), lambda: np.bool_(True), lambda: np.uint64(1 << 63)]
    hostile = [inject(bad) for bad in bads] + [
        acting("raise"), acting("release"), acting("release"), acting("nested"),
        lambda: (lambda idx: (ReleasingExporter(m, at, array.array("q", idx)), len(idx)))(some()),
        lambda: (None, None), lambda: (5, None), lambda: (2.5, None), lambda: ("12", None), lambda: (object(), None),
        lambda: (released_memoryview(), None), lambda: (memoryview(bytes(range(8)))[::2], None),
        lambda: (array.array("d", [0.0] * rng.randint(0, 2)), None),
    ]
    if np is not None:
        hostile += [
            lambda: (np.array(some(), dtype=rng.choice([np.float64, np.float32])), None),
            lambda: (np.zeros(rng.randint(0, 2), dtype=np.float16), None),
            lambda: (np.zeros(rng.randint(0, 2), dtype=np.complex64), None),
            lambda: (np.array(some(), dtype=object), None),
            lambda: (np.array(some(), dtype=">i8" if sys.byteorder == "little" else "<i8"), None),
            lambda: (np.repeat(np.array(some(3), dtype=np.intp), 2)[::2], None),
            lambda: (np.array(some(2) + [rng.choice([n, -n - 1, 1 << 40])], dtype=np.int64), None),
            lambda: (np.array([1 << 63], dtype=np.uint64), None),
            lambda: (np.float64(0.0), None), lambda: (np.int64(n), None), lambda: (np.array(n), None),
        ]
        valid.append(lambda: (np.array(rng.randrange(n) if n else 0), 1))
    return valid, hostile


def values_pool(m, at, rng, k):
    """(valid, hostile) makers of a `values` argument for `k` indices."""
    fam, w, signed = at.family, at.width, at.signed
    k = rng.randint(0, 4) if k is None else k
    small = lambda: 1 if fam != "bytes" else bytes([1] * w)  # noqa: E731

    def inject(make_list, bad):
        def make():
            vals = make_list()
            vals.insert(rng.randint(0, len(vals)), bad())
            return vals
        return make

    def acting(make_list, action):
        def make():
            vals = make_list()
            seq = SeqArg(vals, action, rng.randint(0, len(vals)), m, at)
            return seq.generator() if rng.random() < 0.5 else seq
        return make

    if fam == "float":
        snan = struct.unpack("=d", struct.pack("=Q", 0x7FF4000000000001))[0]
        specials = [0.0, -0.0, 1.0, -1.5, 0.1, 1e-45, 5e-324, 3.4028235e38, 3.5e38, 1e300, -1e300,
                    math.inf, -math.inf, math.nan, -math.nan, snan]

        def one():
            r = rng.random()
            if r < 0.3:
                return rng.choice(specials)
            if r < 0.6:
                return rng.randint(-8, 8) * 0.25
            if r < 0.8:
                return rng.uniform(-1e6, 1e6)
            return bits_to_float(rng.getrandbits(8 * w), w)

        def vals(kk=None):
            return [one() for _ in range(k if kk is None else kk)]

        valid = [one, one, one, lambda: rng.randint(-100, 100), lambda: True, lambda: decimal.Decimal("2.5"),
                 lambda: fractions.Fraction(1, 3), lambda: 1 << 200, lambda: PlainIndex(3), lambda: IntSub(2),
                 vals, vals, lambda: tuple(vals()), lambda: array.array("d", vals()), lambda: array.array("f", vals()),
                 lambda: [rng.randint(-9, 9) for _ in range(k)], lambda: [fractions.Fraction(rng.randint(-8, 8), 4) for _ in range(k)],
                 lambda: SeqArg(vals()), lambda: SeqArg(vals()).generator()]
        bads = [lambda: "1.0", lambda: None, lambda: 1j, lambda: 10 ** 400, lambda: object(), lambda: RaisingIndex(),
                lambda: NonIntIndex(), lambda: HugeIndex(), lambda: ReleasingIndex(m, at, 1),
                lambda: ReentrantIndex(m, at, 2), lambda: b"\0"]
        hostile = bads + [inject(vals, bad) for bad in bads] + [
            lambda: -(10 ** 400), lambda: b"x" * rng.randint(0, 2), lambda: bytearray(8), lambda: vals(k + 1),
            lambda: vals(max(k - 1, 0)), lambda: released_memoryview(), lambda: "12",
            acting(vals, "raise"), acting(vals, "release"), acting(vals, "nested"),
            lambda: ReleasingExporter(m, at, array.array("d", vals())),
        ]
        if np is not None:
            valid += [lambda: np.float64(one()), lambda: np.float32(0.1), lambda: np.float16(1.5), lambda: np.int64(5),
                      lambda: np.array(one()), lambda: np.array(7),
                      lambda: np.uint8(3), lambda: np_array(vals(), np.float64), lambda: np_array(vals(), np.float32),
                      lambda: np.array([rng.randint(-9, 9) for _ in range(k)], dtype=np.int32),
                      lambda: [np.float64(v) for v in vals()]]
            hostile += [lambda: np.zeros(k, dtype=np.float16), lambda: np.zeros(k, dtype=np.complex128),
                        lambda: np.array(vals(), dtype=object), lambda: np.repeat(np_array(vals(3), np.float64), 2)[::2],
                        lambda: np.array([0.5] * k, dtype=">f8" if sys.byteorder == "little" else "<f8")]
        return valid, hostile

    if fam == "bytes":
        current = [c.raw() for c in at.cells] or [bytes(w)]

        def one():
            return rng.choice([rng.randbytes(w), rng.randbytes(w), bytes(w), b"\xff" * w, rng.choice(current)])

        def vals(kk=None):
            return [one() for _ in range(k if kk is None else kk)]

        short_ = bytes(w - 1) if w > 1 else b"ab"
        valid = [one, one, one, lambda: BytesSub(one()), lambda: bytearray(one()), lambda: memoryview(one()),
                 vals, vals, lambda: tuple(vals()), lambda: [bytearray(v) for v in vals()],
                 lambda: [memoryview(v) for v in vals()], lambda: b"".join(vals()), lambda: bytearray(b"".join(vals())),
                 lambda: memoryview(b"".join(vals())), lambda: SeqArg(vals()), lambda: SeqArg(vals()).generator()]
        bads = [lambda: short_, lambda: bytes(w + 1), lambda: "x" * w, lambda: None, lambda: 0, lambda: RaisingIndex(),
                lambda: released_memoryview(w), lambda: [0] * w, lambda: 1.5]
        hostile = bads + [inject(vals, bad) for bad in bads] + [
            lambda: b"", lambda: "a" * w, lambda: object(), lambda: [1] * k, lambda: vals(k + 1),
            lambda: vals(max(k - 1, 0)), lambda: b"".join(vals()) + b"\0", lambda: memoryview(b"".join(vals(2)))[::2],
            acting(vals, "raise"), acting(vals, "release"), acting(vals, "nested"),
            lambda: ReleasingExporter(m, at, b"".join(vals())),
        ]
        if np is not None:
            scalar = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}.get(w)
            valid += [lambda: np.frombuffer(one(), dtype=np.uint8).copy(),
                      lambda: np.frombuffer(b"".join(vals()), dtype=np.uint8).copy()]
            if scalar is not None:
                valid.append(lambda: scalar(rng.getrandbits(8 * w)))
            hostile += [lambda: np.frombuffer(b"".join(vals(2)) * 2, dtype=np.uint8)[::2]]
        return valid, hostile

    lo, hi = bounds(w, signed)

    def one():
        return rng.choice([rng.randint(lo, hi), rng.randint(lo, hi), lo, hi, 0, 1, max(lo, -1), hi // 2])

    def vals(kk=None):
        return [one() for _ in range(k if kk is None else kk)]

    def fits(values, a, b):
        return all(a <= v <= b for v in values)

    def as_np(values, dtype):
        info = np.iinfo(dtype)
        return np.array(values, dtype=dtype) if fits(values, info.min, info.max) else values

    valid = [one, one, one, lambda: True, lambda: IntSub(rng.randint(0, min(hi, 100))), lambda: MO.SEQ_CST,
             lambda: PlainIndex(one()), vals, vals, vals, lambda: tuple(vals()), lambda: [PlainIndex(v) for v in vals()],
             lambda: SeqArg(vals()), lambda: SeqArg(vals()).generator(),
             lambda: (lambda v: array.array("q", v) if fits(v, -(1 << 63), (1 << 63) - 1) else v)(vals()),
             lambda: (lambda v: bytes(v) if fits(v, 0, 255) else v)(vals())]
    small_value = lambda: rng.randint(max(lo, 0), min(hi, 3))  # noqa: E731
    bads = [lambda: hi + 1, lambda: lo - 1, lambda: 1 << 64, lambda: 1 << 200, lambda: -(1 << 200), lambda: 1.5,
            lambda: None, lambda: "1", lambda: RaisingIndex(), lambda: NonIntIndex(), lambda: HugeIndex(),
            lambda: ReleasingIndex(m, at, small_value()), lambda: ReentrantIndex(m, at, small_value())]
    hostile = bads + [inject(vals, bad) for bad in bads] + [
        lambda: 1j, lambda: decimal.Decimal(1), lambda: fractions.Fraction(1, 1), lambda: object(), lambda: "12",
        lambda: b"", lambda: released_memoryview(), lambda: vals(k + 1), lambda: vals(max(k - 1, 0)),
        lambda: array.array("d", [1.0] * k), acting(vals, "raise"), acting(vals, "release"), acting(vals, "nested"),
        lambda: ReleasingExporter(m, at, array.array("b", [v for v in vals() if -128 <= v < 128])),
    ]
    if np is not None:
        native = np.dtype(f"{'i' if signed else 'u'}{w}") if w <= 8 else None
        valid += [lambda: np.int64(max(lo, -(1 << 63)) if rng.random() < 0.5 else min(hi, (1 << 63) - 1)),
                  lambda: np.uint8(min(hi, 255)), lambda: np.array(min(hi, 100)),
                  lambda: as_np(vals(), np.int64), lambda: as_np(vals(), np.uint64),
                  lambda: as_np(vals(), np.int8), lambda: [np.int64(v) for v in vals() if -(1 << 63) <= v < (1 << 63)]]
        if native is not None:
            valid += [lambda: np.array(vals(), dtype=native), lambda: np.array(vals(), dtype=native)]
        hostile += [lambda: np.float64(1.0), lambda: np.bool_(True), lambda: np.zeros(k, dtype=np.float64),
                    lambda: np.array(vals(), dtype=object), lambda: np.repeat(as_np(vals(3), np.int64), 2)[::2],
                    lambda: np.zeros(k, dtype=np.float16), lambda: np.array([1 << 63] * max(k, 1), dtype=np.uint64),
                    lambda: np.array([-1] * max(k, 1), dtype=np.int8),
                    lambda: np.array([min(hi + 1, (1 << 63) - 1)] * max(k, 1), dtype=np.int64)]
    return valid, hostile
