"""What the tests of arrays of atomics share: the kinds of array (family, width, signedness),
the argument forms of indices and values, and the backends an array's memory lives in (with
an independent way to read its raw bytes).
"""

import array
import ctypes
import math
import mmap
import os
import pickle

import pytest
from hypothesis import strategies as st

import atomics
from atomics.shared import SharedSegment

from _arguments import WIDTHS

np = pytest.importorskip("numpy")


SEGMENT_HEADER = 64  # data starts 64 bytes into the segment's file (docs/shared-memory.md)
RELEASED = "Operation forbidden on released AtomicCore object."


# ---------------------------------------------------------------------------------------
# Families
# ---------------------------------------------------------------------------------------


class Config:
    """One kind of array: family ('int', 'bytes', 'float'), width, signedness, atype and the
    keywords ``atomics.array`` needs for it."""

    def __init__(self, name, atype, width, signed, kwargs=None):
        self.name, self.atype, self.width, self.signed = name, atype, width, signed
        self.kwargs = kwargs or {}
        self.family = "bytes" if atype is atomics.BYTES else "float" if atype is atomics.FLOAT else "int"
        self.bits = 8 * width
        self.lo = -(1 << (self.bits - 1)) if signed else 0
        self.hi = (1 << (self.bits - 1)) - 1 if signed else (1 << self.bits) - 1

    def __repr__(self):
        return f"{self.name}{self.width}"

    def new(self, n, **extra):
        return atomics.array(n, self.width, self.atype, **self.kwargs, **extra)

    def view(self, buffer, width=None):
        return atomics.arrayview(buffer, self.atype, width=width, **self.kwargs)

    @property
    def type_code(self):
        """The ``array`` type code of load_all()'s result, or None for a list."""
        if self.family == "bytes" or self.width == 16:
            return None
        if self.family == "float":
            return {4: "f", 8: "d"}[self.width]
        code = {1: "b", 2: "h", 4: "i", 8: "q"}[self.width]
        return code if self.signed else code.upper()

    @property
    def dtype(self):
        """The numpy dtype of one element (None for bytes and width 16)."""
        if self.family == "bytes" or self.width == 16:
            return None
        if self.family == "float":
            return np.dtype({4: np.float32, 8: np.float64}[self.width])
        return np.dtype(f"{'i' if self.signed else 'u'}{self.width}")

    @property
    def cls(self):
        return {
            "INT": atomics.arrays.AtomicIntArray,
            "UINT": atomics.arrays.AtomicUintArray,
            "BYTES": atomics.arrays.AtomicBytesArray,
            "FLOAT": atomics.arrays.AtomicFloatArray,
            "INTEGRAL+": atomics.arrays.AtomicIntegralArray,
            "INTEGRAL-": atomics.arrays.AtomicIntegralArray,
        }[self.name]

    @property
    def element_cls(self):
        return {
            "INT": atomics.base.AtomicInt,
            "UINT": atomics.base.AtomicUint,
            "BYTES": atomics.base.AtomicBytes,
            "FLOAT": atomics.base.AtomicFloat,
            "INTEGRAL+": atomics.base.AtomicIntegral,
            "INTEGRAL-": atomics.base.AtomicIntegral,
        }[self.name]


CONFIGS = (
    [Config("INT", atomics.INT, w, True) for w in WIDTHS]
    + [Config("UINT", atomics.UINT, w, False) for w in WIDTHS]
    + [Config("BYTES", atomics.BYTES, w, False) for w in WIDTHS]
    + [Config("FLOAT", atomics.FLOAT, w, False) for w in (4, 8)]
    + [Config("INTEGRAL+", atomics.INTEGRAL, 4, True, {"is_signed": True}),
       Config("INTEGRAL-", atomics.INTEGRAL, 2, False, {"is_signed": False})]
)
INT_CONFIGS = [c for c in CONFIGS if c.family == "int"]
SMALL_CONFIGS = [c for c in CONFIGS if c.name != "INTEGRAL+" and c.name != "INTEGRAL-"]


class Idx:
    """An index given through ``__index__`` (as a numpy integer or any int-like object)."""

    def __init__(self, i):
        self.i = i

    def __index__(self):
        return self.i

    def __repr__(self):
        return f"Idx({self.i})"


def address_of(obj):
    if isinstance(obj, np.ndarray):
        return obj.ctypes.data
    c = (ctypes.c_char * len(obj)).from_buffer(obj)
    try:
        return ctypes.addressof(c)
    finally:
        del c


def segment_file(name):
    return os.path.join("/dev/shm", name.lstrip("/"))


class SegmentReader:
    """A read-only mapping of a segment's file: the raw bytes of its data, and a read-only
    array view over them (a second, independent way to read the same memory)."""

    def __init__(self, name):
        with open(segment_file(name), "rb") as f:
            self.mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        self.mv = memoryview(self.mm)

    def data(self):
        return bytes(self.mm[SEGMENT_HEADER:])

    def view(self, cfg, offset, nbytes):
        window = self.mv[SEGMENT_HEADER + offset:SEGMENT_HEADER + offset + nbytes]
        return cfg.view(window, width=cfg.width), window

    def close(self):
        self.mv.release()
        self.mm.close()


# ---------------------------------------------------------------------------------------
# Argument forms
# ---------------------------------------------------------------------------------------

INDEX_FORMS = ["int", "int", "np.int64", "np.intp", "Idx"]
INDICES_FORMS = ["list", "tuple", "np.intp", "np.int64", "np.int32", "np.int8", "np.uint16", "array.q",
                 "array.h", "bytes", "iter", "list[np.int64]", "list[Idx]", "range"]


def wrap_index(i, form):
    if form == "np.int64":
        return np.int64(i)
    if form == "np.intp":
        return np.intp(i)
    if form == "Idx":
        return Idx(i)
    return i


def wrap_indices(idx, form, n):
    """The list `idx` of ints in [-n, n) as an `indices` argument of the given form (falling
    back to a list where the form cannot hold the values)."""
    nonneg = all(i >= 0 for i in idx)
    if form == "tuple":
        return tuple(idx)
    if form == "np.intp":
        return np.array(idx, dtype=np.intp)
    if form == "np.int64":
        return np.array(idx, dtype=np.int64)
    if form == "np.int32":
        return np.array(idx, dtype=np.int32)
    if form == "np.int8":
        return np.array(idx, dtype=np.int8)
    if form == "np.uint16" and nonneg:
        return np.array(idx, dtype=np.uint16)
    if form == "array.q":
        return array.array("q", idx)
    if form == "array.h":
        return array.array("h", idx)
    if form == "bytes" and nonneg:
        return bytes(idx)  # a buffer of unsigned bytes
    if form == "iter":
        return iter(list(idx))
    if form == "list[np.int64]":
        return [np.int64(i) for i in idx]
    if form == "list[Idx]":
        return [Idx(i) for i in idx]
    if form == "range" and len(idx) > 0 and idx == list(range(idx[0], idx[0] + len(idx))):
        return range(idx[0], idx[0] + len(idx))
    return list(idx)


def wrap_int_values(values, form, cfg):
    """One value per index as a `values` argument; ints in range for `cfg`."""
    if form == "tuple":
        return tuple(values)
    if form == "np.int64" and all(-(1 << 63) <= v < (1 << 63) for v in values):
        return np.array(values, dtype=np.int64)
    if form == "np.uint64" and all(0 <= v < (1 << 64) for v in values):
        return np.array(values, dtype=np.uint64)
    if form == "np.native" and cfg.dtype is not None:
        return np.array(values, dtype=cfg.dtype)
    if form == "np.int8" and all(-128 <= v < 128 for v in values):
        return np.array(values, dtype=np.int8)
    if form == "array.q" and all(-(1 << 63) <= v < (1 << 63) for v in values):
        return array.array("q", values)
    if form == "list[np]" and all(-(1 << 63) <= v < (1 << 63) for v in values):
        return [np.int64(v) for v in values]
    if form == "list[Idx]":
        return [Idx(v) for v in values]
    return list(values)


INT_VALUES_FORMS = ["list", "tuple", "np.int64", "np.uint64", "np.native", "np.int8", "array.q", "list[np]",
                    "list[Idx]"]


def wrap_bytes_values(values, form, width):
    joined = b"".join(values)
    if form == "concat" and len(values) != 1:
        return joined
    if form == "np.uint8" and len(values) != 1:
        return np.frombuffer(joined, dtype=np.uint8).copy()
    if form == "bytearray" and len(values) != 1:
        return bytearray(joined)
    if form == "list[bytearray]":
        return [bytearray(v) for v in values]
    if form == "list[memoryview]":
        return [memoryview(v) for v in values]
    return list(values)


BYTES_VALUES_FORMS = ["list", "concat", "np.uint8", "bytearray", "list[bytearray]", "list[memoryview]"]


def wrap_float_values(values, form, width):
    """`values` floats; returns (argument, what each value means as a Python float)."""
    if form == "np.float64":
        return np.array(values, dtype=np.float64), [float(v) for v in values]
    if form == "np.float32":
        with np.errstate(over="ignore"):
            arr = np.array(values, dtype=np.float32)
        return arr, [float(v) for v in arr]
    if form == "array.d":
        return array.array("d", values), list(values)
    if form == "tuple":
        return tuple(values), list(values)
    return list(values), list(values)


FLOAT_VALUES_FORMS = ["list", "tuple", "np.float64", "np.float32", "array.d"]


def int_values(cfg):
    specials = sorted({v for v in (cfg.lo, cfg.lo + 1, cfg.hi, cfg.hi - 1, 0, 1, 2, -1, -2, cfg.hi // 2,
                                   cfg.hi // 2 + 1, cfg.lo // 2,
                                   int.from_bytes(b"\x55" * cfg.width, "little"),
                                   int.from_bytes(b"\xaa" * cfg.width, "little"))
                       if cfg.lo <= v <= cfg.hi})
    return st.one_of(st.sampled_from(specials), st.integers(cfg.lo, cfg.hi))


def bad_int_values(cfg):
    bits = cfg.bits
    return st.one_of(
        st.sampled_from([cfg.hi + 1, cfg.lo - 1, 1 << bits, -(1 << bits), 1 << (bits + 64), -(1 << (bits + 64))]),
        st.integers(cfg.hi + 1, cfg.hi + (1 << (bits + 8))),
        st.integers(cfg.lo - (1 << (bits + 8)), cfg.lo - 1),
    )


def bytes_values(cfg):
    w = cfg.width
    specials = [bytes(w), b"\xff" * w, b"\x01" + bytes(w - 1), bytes(w - 1) + b"\x80", bytes(range(1, w + 1))]
    return st.one_of(st.sampled_from(specials), st.binary(min_size=w, max_size=w))


def float_values(cfg):
    specials = [0.0, -0.0, 1.0, -1.0, 0.5, 1.5, math.inf, -math.inf, math.nan, 3.0e38, -3.0e38,
                1e-45 if cfg.width == 4 else 5e-324, 2.0 ** 24, 0.1]
    return st.one_of(st.sampled_from(specials), st.floats(allow_nan=False, width=32 if cfg.width == 4 else 64))


def values_for(cfg):
    return {"int": int_values, "bytes": bytes_values, "float": float_values}[cfg.family](cfg)


# ---------------------------------------------------------------------------------------
# Backends: where an array's memory lives, and how its raw bytes are read
# ---------------------------------------------------------------------------------------

BACKENDS = ["private", "numpy", "numpy.typed", "bytearray", "shared", "segment"]


class Backend:
    """An array over one kind of memory, with its raw bytes and the guard bytes around it."""

    def __init__(self, cfg, kind, n, rng):
        self.cfg, self.kind, self.n = cfg, kind, n
        w = cfg.width
        self.nbytes = n * w
        self.reader = None
        self.ro = None
        self.ro_window = None
        self.keep = []
        if kind == "private":
            self.obj = cfg.new(n)
            self.initial = bytes(self.nbytes)
        elif kind in ("numpy", "bytearray"):
            total = self.nbytes + 3 * 16 + rng.randrange(16)
            if kind == "numpy":
                self.base = np.frombuffer(rng.randbytes(total), dtype=np.uint8).copy()
            else:
                self.base = bytearray(rng.randbytes(total))
            first = (-address_of(self.base)) % 16
            self.off = first + w * rng.randrange(1, 3)  # at least one element of guard before
            assert (address_of(self.base) + self.off) % w == 0
            if kind == "numpy":
                window = self.base[self.off:self.off + self.nbytes]
            else:
                window = memoryview(self.base)[self.off:self.off + self.nbytes]
                self.keep.append(window)
            self.obj = cfg.view(window, width=w)
            self.initial = bytes(self.base[self.off:self.off + self.nbytes])
        elif kind == "numpy.typed":
            # A numpy array of the element's own dtype with one guard element on each side;
            # the width comes from the item size.
            raw = np.frombuffer(rng.randbytes((n + 2) * w), dtype=np.uint8).copy()
            self.base = raw.view(cfg.dtype)
            self.off = w
            self.obj = cfg.view(self.base[1:-1])
            self.initial = self.base[1:-1].tobytes()
        elif kind == "shared":
            self.obj = cfg.new(n, shared=True)
            assert self.obj.shared_offset == 0
            self.initial = bytes(self.nbytes)
            self.off = 0
            if os.path.isdir("/dev/shm"):  # a second, read-only way in, where segments are files
                self.reader = SegmentReader(self.obj.shared_name)
        elif kind == "segment":
            size = self.nbytes + 64 + rng.randrange(64)
            self.seg = SharedSegment.create(size)
            fill = rng.randbytes(size)
            self.seg.array(0, size, 1, atomics.BYTES).store_all(fill)
            self.off = 16 * rng.randrange(0, 5)
            made = self.seg.array(self.off, n, w, cfg.atype, **cfg.kwargs)
            # operate on a copy made by pickling (the segment's memory, mapped again)
            self.obj = pickle.loads(pickle.dumps(made))
            assert self.obj.shared_offset == self.off and self.obj.shared_name == self.seg.name
            self.keep.append(made)
            self.initial = fill[self.off:self.off + self.nbytes]
            if os.path.isdir("/dev/shm"):
                self.reader = SegmentReader(self.seg.name)
        else:
            raise AssertionError(kind)
        if self.reader is not None:
            self.guard = self.reader.data()
            self.ro, self.ro_window = self.reader.view(cfg, self.off, self.nbytes)
            assert self.ro.readonly
        elif kind != "private":
            self.guard = bytes(self.base) if kind != "numpy.typed" else self.base.tobytes()
        assert len(self.obj) == n and self.obj.nbytes == self.nbytes and self.obj.width == w

    def raw(self):
        """(the array's bytes, the bytes around them) as they are in memory, or None."""
        if self.kind == "private":
            return None
        if self.reader is not None:
            data = self.reader.data()
        elif self.kind == "numpy.typed":
            data = self.base.tobytes()
        else:
            data = bytes(self.base)
        inside = data[self.off:self.off + self.nbytes]
        outside = data[:self.off] + data[self.off + self.nbytes:]
        guard = self.guard[:self.off] + self.guard[self.off + self.nbytes:]
        return inside, outside, guard

    def close(self):
        if self.ro is not None:
            self.ro.release()
            self.ro_window.release()
        if self.reader is not None:
            self.reader.close()
        if self.kind in ("numpy", "bytearray", "numpy.typed"):
            self.obj.release()
            assert self.obj.released
            for k in self.keep:
                k.release()
        if self.kind == "segment":
            self.seg.close()
