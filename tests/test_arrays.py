"""Arrays of atomics (``atomics.array``, ``atomics.arrayview``, ``SharedSegment.array``).

The core of this module is a reference model: Hypothesis state machines run random sequences
of per-element and bulk operations on arrays of every family, width and signedness, over
private memory, over views of numpy arrays and bytearrays (with guard bytes around the viewed
region that must never change) and over shared-memory segments, and mirror every operation
on a plain-Python model (``test_model.Model`` for integers and bytes, ``FloatCell`` for IEEE
floats). After every step the whole array must equal the model: through ``load_all()``,
through ``load_all(out=...)``, and in the raw memory (read directly from the numpy array,
the bytearray or a read-only mapping of the segment's file).

Then: refusals (each must leave every element unchanged), races on the object (a view
released from another thread, an ``__index__`` that releases it mid-call), exact totals from
threads, wait/notify on an element, ``element(i)`` objects, and numpy interop. The
multi-process tests are in ``test_arrays_processes.py``.

Set ATOMICS_ARRAY_EXAMPLES / ATOMICS_ARRAY_STEPS to run the models deeper.
"""

import array
import copy
import ctypes
import gc
import math
import mmap
import os
import pickle
import random
import struct
import sys
import threading
import time
import weakref

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

import atomics
from atomics import MemoryOrder as MO
from atomics.shared import SharedSegment, attach_array

from _cpu import CAS16, LOAD16, SIZE_MAX
from test_model import ALL_ORDERS, LOAD_ORDERS, STORE_ORDERS, VALID_FAIL, WIDTHS, Model, call, order_args

np = pytest.importorskip("numpy")

EXAMPLES = int(os.environ.get("ATOMICS_ARRAY_EXAMPLES", "10"))
STEPS = int(os.environ.get("ATOMICS_ARRAY_STEPS", "30"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
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
# The float model
# ---------------------------------------------------------------------------------------


class FloatCell:
    """An IEEE float of 4 or 8 bytes, held as its bit pattern; arithmetic is done in the
    width's own precision (numpy float32 for 4 bytes)."""

    def __init__(self, width, bits=0):
        self.width = width
        self.fmt = "<f" if width == 4 else "<d"
        self.u = bits
        self.loose = False

    @staticmethod
    def round(width, x):
        """What storing the Python number x gives, as a Python float."""
        if width == 8:
            return float(x)
        with np.errstate(over="ignore", invalid="ignore"):
            return float(np.float32(float(x)))

    def bits_of(self, x):
        x = self.round(self.width, x)
        if self.width == 4:
            return int(np.array([x], dtype=np.float32).view(np.uint32)[0])
        return int.from_bytes(struct.pack("<d", x), "little")

    @property
    def value(self):
        return struct.unpack(self.fmt, self.u.to_bytes(self.width, "little"))[0]

    def le_bytes(self):
        return self.u.to_bytes(self.width, "little")

    def apply(self, op, x):
        """op in add/sub/max/min/store; returns the previous value. The result of an
        operation producing NaN, or of max/min between zeros of opposite signs, is not
        predicted bit for bit: `loose` is set and the caller takes the bits from memory after
        checking the value."""
        old = self.value
        a, b = old, self.round(self.width, x)
        self.loose = False
        if op == "store":
            self.u = self.bits_of(b)
            return old
        if self.width == 4:
            a32, b32 = np.float32(a), np.float32(b)
            with np.errstate(all="ignore"):
                if op == "add":
                    r = float(a32 + b32)
                elif op == "sub":
                    r = float(a32 - b32)
                else:
                    r = None
        else:
            r = a + b if op == "add" else a - b if op == "sub" else None
        if op in ("max", "min"):
            if math.isnan(b):
                r = a
            elif math.isnan(a):
                r = b
            elif a == b == 0.0 and math.copysign(1, a) != math.copysign(1, b):
                r = 0.0
                self.loose = True
            else:
                r = max(a, b) if op == "max" else min(a, b)
        if math.isnan(r):
            self.loose = True
        self.u = self.bits_of(r)
        return old

    def settle(self, actual_bits):
        """After a loose result: check the memory holds an acceptable value, adopt its bits."""
        got = struct.unpack(self.fmt, actual_bits.to_bytes(self.width, "little"))[0]
        want = self.value
        assert (math.isnan(got) and math.isnan(want)) or got == want, (got, want)
        self.u = actual_bits


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


# ---------------------------------------------------------------------------------------
# The state machine
# ---------------------------------------------------------------------------------------

INT_VALUE_OPS = ["store", "exchange", "bin_or", "bin_xor", "bin_and", "bin_fetch_or", "bin_fetch_xor",
                 "bin_fetch_and", "add", "sub", "fetch_add", "fetch_sub", "fetch_max", "fetch_min",
                 "add_fetch", "sub_fetch", "checked_fetch_add", "checked_fetch_sub"]
INT_UNARY_OPS = ["inc", "dec", "neg", "fetch_inc", "fetch_dec", "fetch_neg", "inc_fetch", "dec_fetch",
                 "bin_not", "bin_fetch_not"]
BYTES_VALUE_OPS = ["store", "exchange", "bin_or", "bin_xor", "bin_and", "bin_fetch_or", "bin_fetch_xor",
                   "bin_fetch_and"]
BYTES_UNARY_OPS = ["bin_not", "bin_fetch_not"]
FLOAT_VALUE_OPS = ["store", "exchange", "fetch_add", "fetch_sub", "fetch_max", "fetch_min"]
BIT_OPS = ["bit_test", "bit_test_compl", "bit_test_set", "bit_test_reset"]
BULK_OPS = {
    "int": ["store_at", "add_at", "sub_at", "max_at", "min_at", "or_at", "and_at", "xor_at"],
    "bytes": ["store_at", "or_at", "and_at", "xor_at"],
    "float": ["store_at", "add_at", "sub_at", "max_at", "min_at"],
}


def make_machine(cfg):
    family, width = cfg.family, cfg.width
    values = values_for(cfg)

    class ArrayMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.backend = None
            self.unsettled = set()

        @initialize(kind=st.sampled_from([b for b in BACKENDS if b != "numpy.typed" or cfg.dtype is not None]),
                    n=st.integers(1, 9), seed=st.integers(0, 2**32 - 1))
        def setup(self, kind, n, seed):
            self.backend = Backend(cfg, kind, n, random.Random(seed))
            self.obj = self.backend.obj
            self.n = n
            chunks = [self.backend.initial[k * width:(k + 1) * width] for k in range(n)]
            u = [int.from_bytes(c, "little") for c in chunks]
            if family == "float":
                self.model = [FloatCell(width, x) for x in u]
            else:
                self.model = [Model(width, cfg.signed, family == "bytes", x) for x in u]
            assert type(self.obj) is cfg.cls

        def teardown(self):
            if self.backend is not None:
                self.check()
                self.backend.close()

        # -- model helpers -----------------------------------------------------------
        def values(self):
            return [m.value for m in self.model]

        def model_bytes(self):
            return b"".join(m.le_bytes() for m in self.model)

        def encode(self, x):
            if family == "float":
                return x
            return self.model[0].encode(x)

        def settle_all(self):
            for i in sorted(self.unsettled):
                self.model[i].loose = True
                self.settle(i)
            self.unsettled.clear()

        def settle(self, i):
            """Adopt the memory's bits for element i after a loose float result."""
            cell = self.model[i]
            if family == "float" and cell.loose:
                raw = self.obj.load_all(out=bytearray(self.n * width))
                cell.settle(int.from_bytes(raw[i * width:(i + 1) * width], "little"))
                cell.loose = False

        def same(self, got, want):
            if family == "float":
                return type(got) is float and ((math.isnan(got) and math.isnan(want)) or got == want)
            return type(got) is (bytes if family == "bytes" else int) and got == want

        # -- the whole array after every step --------------------------------------
        @invariant()
        def agrees_with_model(self):
            if self.backend is not None:
                self.check()

        def check(self):
            obj, n = self.obj, self.n
            got = obj.load_all()
            want = self.values()
            if cfg.type_code is None:
                assert type(got) is list
            else:
                assert type(got) is array.array and got.typecode == cfg.type_code
            assert len(got) == n
            assert all(self.same(g, v) for g, v in zip(got, want)), f"load_all() = {got!r}, model = {want!r}"
            out = np.full(n * width, 0xA5, dtype=np.uint8)
            assert obj.load_all(out=out) is out
            assert out.tobytes() == self.model_bytes(), "load_all(out=) differs from the model"
            raw = self.backend.raw()
            if raw is not None:
                inside, outside, guard = raw
                assert inside == self.model_bytes(), "the raw memory differs from the model"
                assert outside == guard, "bytes around the array changed"
            if self.backend.ro is not None:
                seen = self.backend.ro.load_all()
                assert all(self.same(g, v) for g, v in zip(seen, want)), "the read-only view disagrees"

        # -- per-element operations ----------------------------------------------------
        def index(self, data):
            i = data.draw(st.integers(-self.n, self.n - 1), label="index")
            form = data.draw(st.sampled_from(INDEX_FORMS), label="index form")
            return wrap_index(i, form), i % self.n

        @rule(data=st.data())
        def load(self, data):
            arg, i = self.index(data)
            order = data.draw(order_args(LOAD_ORDERS))
            got = call(self.obj, "load", (arg,), order[0], data.draw(st.booleans()))
            assert self.same(got, self.model[i].value)
            assert self.same(self.obj[arg], self.model[i].value)

        @rule(data=st.data())
        def setitem(self, data):
            arg, i = self.index(data)
            v = data.draw(values)
            self.obj[arg] = v
            if family == "float":
                self.model[i].apply("store", v)
            else:
                self.model[i].store(self.encode(v))

        @rule(data=st.data())
        def value_op(self, data):
            ops = {"int": INT_VALUE_OPS, "bytes": BYTES_VALUE_OPS, "float": FLOAT_VALUE_OPS}[family]
            op = data.draw(st.sampled_from(ops), label="op")
            arg, i = self.index(data)
            v = data.draw(values, label="value")
            allowed = STORE_ORDERS if op == "store" else ALL_ORDERS
            order = data.draw(order_args(allowed))
            m = self.model[i]
            if family == "float":
                name = {"store": "store", "exchange": "store", "fetch_add": "add", "fetch_sub": "sub",
                        "fetch_max": "max", "fetch_min": "min"}[op]
                got = call(self.obj, op, (arg, v), order[0], data.draw(st.booleans()))
                old = m.apply(name, v)
                if op == "store":
                    assert got is None
                else:
                    assert self.same(got, old), (op, got, old)
                self.settle(i)
                return
            e = m.encode(v)
            if op.startswith("checked_"):
                exact = m.value + v if op == "checked_fetch_add" else m.value - v
                if not cfg.lo <= exact <= cfg.hi:
                    with pytest.raises(OverflowError, match="would overflow; the value is unchanged"):
                        call(self.obj, op, (arg, v), order[0], data.draw(st.booleans()))
                    return
            got = call(self.obj, op, (arg, v), order[0], data.draw(st.booleans()))
            old = m.value
            if op == "store":
                m.store(e)
                want = None
            elif op == "exchange":
                want = m.exchange(e)
            elif op.startswith("bin_"):
                want = m.binary(op.rsplit("_", 1)[1], e)
                want = want if "fetch" in op else None
            elif op in ("add", "sub", "fetch_add", "fetch_sub"):
                want = m.arith(op.rsplit("_", 1)[-1], e)
                want = want if op.startswith("fetch") else None
            elif op in ("fetch_max", "fetch_min"):
                new = max(old, v) if op == "fetch_max" else min(old, v)
                m.store(m.encode(new))
                want = old
            elif op in ("add_fetch", "sub_fetch"):
                m.arith(op.split("_")[0], e)
                want = m.value
            else:  # checked, in range
                m.store(m.encode(old + v if op == "checked_fetch_add" else old - v))
                want = old
            if want is None:
                assert got is None, (op, got)
            else:
                assert self.same(got, want), (op, got, want)

        if family != "float":
            @rule(data=st.data())
            def unary_op(self, data):
                op = data.draw(st.sampled_from(INT_UNARY_OPS if family == "int" else BYTES_UNARY_OPS))
                arg, i = self.index(data)
                order = data.draw(order_args(ALL_ORDERS))
                got = call(self.obj, op, (arg,), order[0], data.draw(st.booleans()))
                m = self.model[i]
                if op in ("bin_not", "bin_fetch_not"):
                    old = m.binary("not", None)
                    want = old if op == "bin_fetch_not" else None
                elif op.endswith("_fetch"):
                    m.arith(op.split("_")[0])
                    want = m.value
                else:
                    old = m.arith(op.split("_")[-1])
                    want = old if op.startswith("fetch_") else None
                if want is None:
                    assert got is None
                else:
                    assert self.same(got, want), (op, got, want)

            @rule(data=st.data())
            def bit_op(self, data):
                op = data.draw(st.sampled_from(BIT_OPS))
                arg, i = self.index(data)
                bit = data.draw(st.integers(0, cfg.bits - 1))
                order = data.draw(order_args(LOAD_ORDERS if op == "bit_test" else ALL_ORDERS))
                got = call(self.obj, op, (arg, bit), order[0], data.draw(st.booleans()))
                assert got is self.model[i].bit(op, bit)

            @rule(data=st.data())
            def bit_out_of_range(self, data):
                op = data.draw(st.sampled_from(BIT_OPS))
                arg, _ = self.index(data)
                bit = data.draw(st.sampled_from([cfg.bits, cfg.bits + 1, -1, 1 << 64]))
                with pytest.raises(ValueError):
                    getattr(self.obj, op)(arg, bit)

        @rule(data=st.data())
        def cmpxchg(self, data):
            arg, i = self.index(data)
            m = self.model[i]
            if data.draw(st.booleans(), label="hit"):
                expected = m.value
            else:
                expected = data.draw(values)
            desired = data.draw(values)
            strong = data.draw(st.booleans())
            name = "cmpxchg_strong" if strong else "cmpxchg_weak"
            succ = data.draw(st.sampled_from(ALL_ORDERS))
            fail = data.draw(st.sampled_from(VALID_FAIL[succ]))
            names = ("succ", "fail") if family == "bytes" else ("success", "failure")
            if data.draw(st.booleans()):
                res = getattr(self.obj, name)(arg, expected, desired, succ, fail)
            else:
                res = getattr(self.obj, name)(arg, expected, desired, **{names[0]: succ, names[1]: fail})
            assert type(res) is atomics.CmpxchgResult
            if family == "float":
                e_bits, d = m.bits_of(expected), desired
                ok = m.u == e_bits
                if ok:
                    m.apply("store", d)
                    assert self.same(res.expected, FloatCell.round(width, expected))
                else:
                    assert self.same(res.expected, m.value)
            else:
                ok, want = m.cmpxchg(m.encode(expected), m.encode(desired))
                assert res.expected == want
            # x86 compare-exchange never fails spuriously, so weak succeeds exactly when equal
            assert res.success is ok, (name, expected, res)

        @rule(data=st.data())
        def update(self, data):
            arg, i = self.index(data)
            new = data.draw(values)
            seen = []
            m = self.model[i]

            def fn(v):
                seen.append(v)
                return new

            old, got_new = self.obj.update(arg, fn)
            assert len(seen) == 1 and self.same(seen[0], m.value) and self.same(old, m.value)
            assert got_new is new
            if family == "float":
                m.apply("store", new)
            else:
                m.store(m.encode(new))

        @rule(data=st.data())
        def element_object(self, data):
            arg, i = self.index(data)
            e = self.obj.element(arg)
            assert type(e) is cfg.element_cls and e.width == width
            assert self.same(e.load(), self.model[i].value)
            v = data.draw(values)
            e.store(v)
            if family == "float":
                self.model[i].apply("store", v)
            else:
                self.model[i].store(self.model[i].encode(v))

        @rule(data=st.data())
        def iterate(self, data):
            got = list(self.obj)
            assert len(got) == self.n and all(self.same(g, v) for g, v in zip(got, self.values()))

        @rule(data=st.data())
        def element_index_refused(self, data):
            bad = data.draw(st.sampled_from([self.n, self.n + 1, -self.n - 1, 1 << 64, -(1 << 70),
                                             np.int64(self.n), np.uint64(1 << 63), Idx(-self.n - 5)]))
            op = data.draw(st.sampled_from(["load", "store", "exchange", "cmpxchg_strong", "update", "element",
                                            "getitem", "setitem"]))
            v = data.draw(values)
            with pytest.raises(IndexError):
                if op == "load":
                    self.obj.load(bad)
                elif op in ("store", "exchange"):
                    getattr(self.obj, op)(bad, v)
                elif op == "cmpxchg_strong":
                    self.obj.cmpxchg_strong(bad, v, v)
                elif op == "update":
                    self.obj.update(bad, lambda x: pytest.fail("fn called for a bad index"))
                elif op == "element":
                    self.obj.element(bad)
                elif op == "getitem":
                    self.obj[bad]
                else:
                    self.obj[bad] = v

        @rule(data=st.data())
        def element_index_wrong_type(self, data):
            bad = data.draw(st.sampled_from([1.0, 0.5, "0", None, b"\x00", [0], slice(0, 1)]))
            v = data.draw(values)
            op = data.draw(st.sampled_from(["load", "store", "getitem", "setitem", "element"]))
            with pytest.raises(TypeError):
                if op == "load":
                    self.obj.load(bad)
                elif op == "store":
                    self.obj.store(bad, v)
                elif op == "getitem":
                    self.obj[bad]
                elif op == "setitem":
                    self.obj[bad] = v
                else:
                    self.obj.element(bad)

        if family == "int":
            @rule(data=st.data())
            def element_value_refused(self, data):
                arg, i = self.index(data)
                bad = data.draw(bad_int_values(cfg))
                op = data.draw(st.sampled_from(["store", "exchange", "fetch_add", "bin_or", "fetch_max",
                                                "add_fetch", "checked_fetch_add", "setitem", "cmpxchg"]))
                with pytest.raises(OverflowError):
                    if op == "setitem":
                        self.obj[arg] = bad
                    elif op == "cmpxchg":
                        self.obj.cmpxchg_strong(arg, self.model[i].value, bad)
                    else:
                        getattr(self.obj, op)(arg, bad)

        # -- bulk operations -----------------------------------------------------------
        def draw_per_index_values(self, data, k):
            """k values as an argument of some form, and what each means."""
            vals = data.draw(st.lists(values, min_size=k, max_size=k))
            if family == "int":
                form = data.draw(st.sampled_from(INT_VALUES_FORMS))
                return wrap_int_values(vals, form, cfg), vals
            if family == "bytes":
                form = data.draw(st.sampled_from(BYTES_VALUES_FORMS))
                return wrap_bytes_values(vals, form, width), vals
            form = data.draw(st.sampled_from(FLOAT_VALUES_FORMS))
            return wrap_float_values(vals, form, width)

        def apply_at(self, op, i, v):
            """Model of `op` (a bulk operation name) on element i with value v. A float result
            the model cannot predict bit for bit (see FloatCell.apply) is settled once the whole
            bulk call is modelled (`settle_all`): later values of the same call are applied
            to the model's value, which equals the real one up to the sign of a zero or the
            payload of a NaN, neither of which changes what add, sub, max and min give."""
            m = self.model[i]
            if family == "float":
                m.apply({"store_at": "store", "add_at": "add", "sub_at": "sub", "max_at": "max",
                         "min_at": "min"}[op], v)
                if m.loose:
                    self.unsettled.add(i)
                return
            e = m.encode(v)
            if op == "store_at":
                m.store(e)
            elif op in ("add_at", "sub_at"):
                m.arith(op[:3], e)
            elif op in ("max_at", "min_at"):
                new = max(m.value, v) if op == "max_at" else min(m.value, v)
                m.store(m.encode(new))
            else:
                m.binary(op[:-3], e)

        @rule(data=st.data())
        def bulk_at(self, data):
            op = data.draw(st.sampled_from(BULK_OPS[family]), label="op")
            k = data.draw(st.integers(0, 12), label="count")
            idx = data.draw(st.lists(st.integers(-self.n, self.n - 1), min_size=k, max_size=k), label="indices")
            form = data.draw(st.sampled_from(INDICES_FORMS), label="indices form")
            indices = wrap_indices(idx, form, self.n)
            how = data.draw(st.sampled_from(["same", "each", "default"] if op in ("add_at", "sub_at")
                                            else ["same", "each"]), label="values")
            args = [indices]
            if how == "default":
                meaning = [1] * k
            elif how == "same":
                v = data.draw(values)
                args.append(v)
                meaning = [v] * k
            else:
                arg, meaning = self.draw_per_index_values(data, k)
                args.append(arg)
            order = data.draw(st.sampled_from([None, *ALL_ORDERS]))
            if order is not None:
                if how == "default":
                    args.append(1)
                    meaning = [1] * k
                args.append(order)
            assert getattr(self.obj, op)(*args) is None
            for i, v in zip(idx, meaning):
                self.apply_at(op, i % self.n, v)
            self.settle_all()

        @rule(data=st.data())
        def store_all(self, data):
            if data.draw(st.booleans()):
                v = data.draw(values)
                arg, meaning = v, [v] * self.n
            else:
                arg, meaning = self.draw_per_index_values(data, self.n)
            order = data.draw(st.sampled_from([None, *STORE_ORDERS]))
            if order is None:
                assert self.obj.store_all(arg) is None
            else:
                assert self.obj.store_all(arg, order=order) is None
            for i, v in enumerate(meaning):
                self.apply_at("store_at", i, v)
            self.settle_all()

        @rule(data=st.data())
        def load_all_forms(self, data):
            order = data.draw(st.sampled_from(LOAD_ORDERS))
            got = self.obj.load_all(order=order) if data.draw(st.booleans()) else self.obj.load_all(None, order)
            assert all(self.same(g, v) for g, v in zip(got, self.values()))
            if cfg.dtype is not None:
                out = np.empty(self.n, dtype=cfg.dtype)
                assert self.obj.load_all(out=out, order=order) is out
                assert out.tobytes() == self.model_bytes()
            out = bytearray(self.n * width)
            assert self.obj.load_all(out) is out and bytes(out) == self.model_bytes()
            out = array.array("B", bytes(self.n * width))
            self.obj.load_all(out=memoryview(out))
            assert out.tobytes() == self.model_bytes()

        # -- refused bulk calls: each must leave every element unchanged ------------------
        @rule(data=st.data())
        def bulk_refused(self, data):
            op = data.draw(st.sampled_from(BULK_OPS[family] + ["store_all", "load_all"]), label="op")
            k = data.draw(st.integers(1, 8))
            idx = data.draw(st.lists(st.integers(-self.n, self.n - 1), min_size=k, max_size=k))
            vals = data.draw(st.lists(values, min_size=k, max_size=k))
            where = data.draw(st.integers(0, k - 1))
            kinds = ["index_range", "index_type", "float_indices", "length", "order", "noncontiguous",
                     "value_type"]
            if family == "int":
                kinds.append("value_range")
            if family == "bytes":
                kinds.append("value_width")
            kind = data.draw(st.sampled_from(kinds), label="kind")
            if op == "load_all":
                out_kind = data.draw(st.sampled_from(["size", "readonly", "order", "noncontiguous", "overlap",
                                                      "not_buffer"]))
                self.load_all_refused(out_kind)
                return
            if op == "store_all":
                kind = data.draw(st.sampled_from([c for c in kinds if c not in
                                                  ("index_range", "index_type", "float_indices", "noncontiguous")]
                                                 + ["noncontiguous_values"]))
                k = self.n
                vals = data.draw(st.lists(values, min_size=k, max_size=k))
                where = data.draw(st.integers(0, k - 1))
            indices, order = list(idx), None
            values_arg = list(vals)
            if kind == "index_range":
                indices[where] = data.draw(st.sampled_from([self.n, -self.n - 1, self.n + 100, 1 << 63, 1 << 64,
                                                            -(1 << 70), np.int64(self.n)]))
                if data.draw(st.booleans()) and all(-(1 << 63) <= int(i) < (1 << 63) for i in indices):
                    indices = np.array([int(i) for i in indices], dtype=np.int64)
                expected = IndexError
            elif kind == "index_type":
                indices[where] = data.draw(st.sampled_from([1.0, "0", None, b"\x00", [0], object()]))
                expected = TypeError
            elif kind == "float_indices":
                indices = np.array(idx, dtype=data.draw(st.sampled_from([np.float64, np.float32])))
                expected = TypeError
            elif kind == "length":
                values_arg = values_arg + [vals[0]] if data.draw(st.booleans()) else values_arg[:-1]
                if family == "float" and data.draw(st.booleans()):
                    values_arg = np.array(values_arg, dtype=np.float64)
                elif family == "int" and data.draw(st.booleans()):
                    values_arg = np.array(values_arg, dtype=object).astype(np.float64)  # refused either way
                expected = (ValueError, TypeError)
            elif kind == "order":
                order = MO.ACQUIRE if op == "store_all" else 99
                expected = (atomics.exc.MemoryOrderError, ValueError, TypeError)
            elif kind == "noncontiguous":
                indices = np.repeat(np.array(idx, dtype=np.intp), 2)[::2]
                assert not indices.flags.c_contiguous or len(idx) <= 1
                if indices.flags.c_contiguous:
                    return
                expected = (ValueError, TypeError)
            elif kind == "noncontiguous_values":
                if family == "bytes" or self.n < 2:
                    return
                dt = cfg.dtype or np.int64
                if family == "int" and cfg.width == 16:
                    return
                values_arg = np.repeat(np.array(vals, dtype=dt), 2)[::2]
                expected = (ValueError, TypeError)
            elif kind == "value_type":
                values_arg[where] = data.draw(st.sampled_from(["x", None, object()] +
                                                              ([1.5] if family == "int" else [])
                                                              + ([3] if family == "bytes" else [])))
                expected = TypeError
            elif kind == "value_range":
                values_arg[where] = data.draw(bad_int_values(cfg))
                expected = OverflowError
            else:  # value_width
                values_arg[where] = data.draw(st.sampled_from([b"", bytes(width + 1), bytes(width - 1) if width > 1
                                                               else b"ab"]))
                expected = ValueError
            before = self.obj.load_all()
            with pytest.raises(expected):
                if op == "store_all":
                    if order is None:
                        self.obj.store_all(values_arg)
                    else:
                        self.obj.store_all(values_arg, order)
                elif order is None:
                    getattr(self.obj, op)(indices, values_arg)
                else:
                    getattr(self.obj, op)(indices, values_arg, order)
            after = self.obj.load_all()
            assert list(after) == list(before) or family == "float"  # floats: NaN != NaN; check() compares

        def load_all_refused(self, kind):
            nb = self.n * width
            if kind == "size":
                out, expected = np.empty(nb + width, dtype=np.uint8), ValueError
            elif kind == "readonly":
                out, expected = bytes(nb), TypeError
            elif kind == "order":
                out, expected = None, atomics.exc.MemoryOrderError
            elif kind == "noncontiguous":
                out, expected = np.empty(2 * nb, dtype=np.uint8)[::2], (TypeError, ValueError)
                if out.flags.c_contiguous:  # one byte: contiguous after all
                    return
            elif kind == "not_buffer":
                out, expected = [0] * self.n, TypeError
            else:  # overlap: only views have memory reachable from Python
                if self.backend.kind not in ("numpy", "bytearray"):
                    return
                out, expected = self.backend.base[self.backend.off:self.backend.off + nb], ValueError
                if self.backend.kind == "bytearray":
                    with pytest.raises(BufferError):  # pinned: the bytearray cannot be resized
                        self.backend.base.append(0)
                    out = memoryview(self.backend.base)[self.backend.off + width // 2:][:nb]
                    if len(out) < nb:
                        out.release()
                        return
            copy_before = bytes(out) if isinstance(out, (np.ndarray,)) else None
            with pytest.raises(expected):
                if kind == "order":
                    self.obj.load_all(order=MO.RELEASE)
                else:
                    self.obj.load_all(out=out)
            if copy_before is not None and kind != "overlap":
                assert bytes(out) == copy_before, "a refused load_all wrote into out"
            if isinstance(out, memoryview):
                out.release()

    ArrayMachine.__name__ = ArrayMachine.__qualname__ = f"ArrayModel_{cfg.name}{cfg.width}"
    return ArrayMachine


@pytest.mark.parametrize("cfg", CONFIGS, ids=repr)
def test_operation_sequences_match_the_model(cfg):
    run_state_machine_as_test(make_machine(cfg), settings=SETTINGS)


# ---------------------------------------------------------------------------------------
# Construction and properties
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("cfg", CONFIGS, ids=repr)
def test_new_arrays_are_zeroed_and_describe_themselves(cfg):
    a = cfg.new(5)
    assert type(a) is cfg.cls
    assert len(a) == 5 and a.width == cfg.width and a.nbytes == 5 * cfg.width
    assert a.readonly is False and a.released is False
    assert a.shared_name is None and a.shared_offset is None
    assert repr(a) == f"{cfg.cls.__name__}(len=5, width={cfg.width}, readonly=False)"
    zero = {"int": 0, "bytes": bytes(cfg.width), "float": 0.0}[cfg.family]
    assert list(a) == [zero] * 5 and list(a.load_all()) == [zero] * 5
    single = atomics.atomic(cfg.width, cfg.atype, **cfg.kwargs)
    assert a.ops_supported == single.ops_supported
    if cfg.family == "int":
        assert a.signed == cfg.signed


def test_integral_keeps_the_signedness_object_it_was_given():
    a = atomics.array(3, 4, atomics.INTEGRAL, is_signed=1)
    assert a.signed == 1 and type(a.signed) is int
    a.store(0, -1)
    assert a.load(0) == -1
    u = atomics.array(3, 4, atomics.INTEGRAL, is_signed=0)
    u.store(0, (1 << 32) - 1)
    assert u.load(0) == (1 << 32) - 1
    with pytest.raises(OverflowError):
        u.store(0, -1)


@pytest.mark.parametrize("atype, kwargs, error", [
    (atomics.ANY, {}, TypeError),
    (atomics.ANY, {"is_integral": True, "is_signed": True}, TypeError),
    (atomics.INTEGRAL, {}, TypeError),
    (atomics.INT, {"is_signed": True}, TypeError),
    (int, {}, TypeError),
    ("INT", {}, TypeError),
])
def test_array_refuses_bad_atypes_and_keywords(atype, kwargs, error):
    with pytest.raises(error):
        atomics.array(4, 8, atype, **kwargs)
    with pytest.raises(error):
        atomics.arrayview(bytearray(32), atype, width=8, **kwargs)


@pytest.mark.parametrize("atype, width", [(atomics.INT, 3), (atomics.INT, 0), (atomics.INT, 32), (atomics.BYTES, 5),
                                          (atomics.FLOAT, 1), (atomics.FLOAT, 2), (atomics.FLOAT, 16),
                                          (atomics.UINT, -8)])
def test_unsupported_widths_are_refused(atype, width):
    with pytest.raises((atomics.exc.UnsupportedWidthException, ValueError, OverflowError)):
        atomics.array(4, width, atype)
    with pytest.raises((atomics.exc.UnsupportedWidthException, ValueError, OverflowError)):
        atomics.arrayview(bytearray(64), atype, width=width)


def test_lengths():
    assert len(atomics.array(0, 8, atomics.INT)) == 0
    assert atomics.array(0, 8, atomics.INT).load_all() == array.array("q")
    assert atomics.array(True, 8, atomics.INT).nbytes == 8
    with pytest.raises(ValueError):
        atomics.array(-1, 8, atomics.INT)
    with pytest.raises(TypeError):
        atomics.array(2.0, 8, atomics.INT)
    with pytest.raises(TypeError):
        atomics.array("2", 8, atomics.INT)
    # (the last two: the byte count passes SIZE_MAX, and the largest allocation, sys.maxsize)
    for huge in (1 << 59, 1 << 62, 1 << 64, SIZE_MAX // 8 + 2, sys.maxsize // 8 + 1):
        with pytest.raises(MemoryError):
            atomics.array(huge, 8, atomics.INT)
    with pytest.raises(ValueError):
        atomics.array(0, 8, atomics.INT, shared=True)


# A length too large for any allocation is refused as too large (not as a wrong type), however
# large the int.
@pytest.mark.parametrize("shared", [False, True])
def test_a_huge_int_length_is_too_large_not_a_wrong_type(shared):
    with pytest.raises((MemoryError, OverflowError, ValueError)):
        atomics.array(1 << 200, 8, atomics.INT, shared=shared)


def test_empty_arrays_take_empty_bulk_calls_and_refuse_every_index():
    a = atomics.array(0, 4, atomics.INT)
    a.add_at([])
    a.store_all([])
    a.store_all(5)
    assert list(a) == []
    for bad in (0, -1):
        with pytest.raises(IndexError):
            a.load(bad)
        with pytest.raises(IndexError):
            a.add_at([bad])
    v = atomics.arrayview(bytearray(0), atomics.UINT)
    assert len(v) == 0 and v.load_all() == array.array("B")


def test_arrayview_width_defaults_to_the_item_size():
    for dtype, atype, width in [(np.int8, atomics.INT, 1), (np.uint16, atomics.UINT, 2), (np.int32, atomics.INT, 4),
                                (np.int64, atomics.INT, 8), (np.float32, atomics.FLOAT, 4),
                                (np.float64, atomics.FLOAT, 8), (np.uint8, atomics.BYTES, 1)]:
        buf = np.zeros(6, dtype=dtype)
        with atomics.arrayview(buf, atype) as a:
            assert a.width == width and len(a) == 6
    with atomics.arrayview(bytearray(16), atomics.UINT) as a:
        assert a.width == 1 and len(a) == 16
    int64 = np.dtype(np.int64).char  # 'l' where C's long has 8 bytes, 'q' on 32-bit platforms
    with pytest.raises(TypeError, match=f"format '{int64}' cannot hold unsigned integer atomics of width 2"):
        atomics.arrayview(np.zeros(4, dtype=np.int64), atomics.UINT, width=2)  # would reinterpret
    with atomics.arrayview(np.zeros(4, dtype=np.int64).view(np.uint8), atomics.UINT, width=2) as a:
        assert a.width == 2 and len(a) == 16  # raw bytes take any width
    with atomics.arrayview(np.zeros((3, 4), dtype=np.int32), atomics.INT) as a:
        assert len(a) == 12  # any C-contiguous shape, in memory order


def test_arrayview_sees_and_changes_the_buffer():
    buf = np.arange(8, dtype=np.int64)
    with atomics.arrayview(buf, atomics.INT) as a:
        assert list(a) == list(range(8))
        a.add_at(np.array([0, 7, 7]))
        a[3] = -5
        buf[4] = 40  # plain writes by numpy are seen
        assert a[4] == 40
    assert list(buf) == [1, 1, 2, -5, 40, 5, 6, 9]
    with atomics.arrayview(array.array("d", [1.5, 2.5]), atomics.FLOAT) as f:
        f.add_at([1], 0.25)
        assert f.load_all() == array.array("d", [1.5, 2.75])


# ---------------------------------------------------------------------------------------
# Refusals at construction: each leaves the buffer usable and unchanged
# ---------------------------------------------------------------------------------------


def test_arrayview_refusals():
    with pytest.raises(TypeError):
        atomics.arrayview(np.zeros(8, dtype=np.int64)[::2], atomics.INT)
    with pytest.raises(TypeError):
        atomics.arrayview(np.zeros((4, 4), dtype=np.int64).T, atomics.INT)
    with pytest.raises(ValueError, match="whole number of atomics"):
        atomics.arrayview(bytearray(12), atomics.INT, width=8)
    with pytest.raises(ValueError):
        atomics.arrayview(bytearray(3), atomics.BYTES, width=2)
    with pytest.raises(TypeError):
        atomics.arrayview([0, 0, 0, 0], atomics.INT, width=1)
    with pytest.raises(TypeError):
        atomics.arrayview(12, atomics.INT, width=1)
    buf = bytearray(64)
    base = address_of(buf)
    for width in [w for w in WIDTHS if w > 1]:
        off = next(o for o in range(1, 16) if (base + o) % width)
        window = memoryview(buf)[off:off + 2 * width]
        with pytest.raises(atomics.exc.AlignmentError):
            atomics.arrayview(window, atomics.BYTES, width=width)
        window.release()
    buf.append(1)  # nothing is left pinned by the refusals
    assert buf == bytearray(64) + b"\x01"


def test_segment_arrays_check_offsets_and_sizes():
    with SharedSegment.create(128) as seg:
        with pytest.raises(atomics.exc.AlignmentError):
            seg.array(4, 2, 8, atomics.INT)
        with pytest.raises(ValueError):
            seg.array(120, 2, 8, atomics.INT)
        with pytest.raises(ValueError):
            seg.array(0, 17, 8, atomics.INT)
        with pytest.raises((OverflowError, ValueError)):
            seg.array(-8, 1, 8, atomics.INT)
        with pytest.raises(TypeError):
            seg.array(0, 2, 8, atomics.ANY)
        with pytest.raises(TypeError):
            seg.array(0, 2, 8, atomics.INTEGRAL)
        a = seg.array(64, 8, 8, atomics.UINT)
        b = seg.array(0, 16, 8, atomics.UINT)  # the same memory from offset 0
        a.store_all(range(8))
        assert list(b.load_all()) == [0] * 8 + list(range(8))
        assert a.shared_name == seg.name and a.shared_offset == 64
        e = seg.atomic(72, 8, atomics.UINT)
        assert e.load() == 1
        el = a.element(-2)
        assert el.shared_name == seg.name and el.shared_offset == 64 + 6 * 8 and el.load() == 6
        s = seg.array(0, 128, 1, atomics.INTEGRAL, is_signed=True)
        assert s.signed is True and s.load(72) == 1


# ---------------------------------------------------------------------------------------
# Read-only memory
# ---------------------------------------------------------------------------------------


def read_only_buffers(tmp_path):
    data = bytes(range(32))
    path = tmp_path / "ro.bin"
    path.write_bytes(data)
    f = open(path, "rb")
    mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    f.close()
    ro_np = np.frombuffer(data, dtype=np.uint8).copy()
    ro_np.flags.writeable = False
    return data, {"bytes": data, "memoryview.toreadonly": memoryview(bytearray(data)).toreadonly(),
                  "mmap.ACCESS_READ": mm, "numpy.readonly": ro_np}


@pytest.mark.parametrize("kind", ["bytes", "memoryview.toreadonly", "mmap.ACCESS_READ", "numpy.readonly"])
@pytest.mark.parametrize("atype, width", [(atomics.INT, 8), (atomics.UINT, 4), (atomics.BYTES, 2), (atomics.FLOAT, 8),
                                          (atomics.INT, 16)])
def test_read_only_arrays_load_but_refuse_every_write(tmp_path, kind, atype, width):
    data, buffers = read_only_buffers(tmp_path)
    buf = buffers[kind]
    if width == 16 and not LOAD16:  # no true 16-byte load on this CPU
        with pytest.raises(atomics.exc.UnsupportedWidthException, match="objects with a width of 16"):
            atomics.arrayview(buf, atype, width=width)
        return
    a = atomics.arrayview(buf, atype, width=width)
    try:
        assert a.readonly is True
        assert set(a.ops_supported) <= {atomics.OpType.LOAD, atomics.OpType.BIT_TEST}
        assert atomics.OpType.LOAD in a.ops_supported
        n = 32 // width
        first = a.load(0)
        assert a[0] == first and a.load(-1) == a[n - 1]
        got = a.load_all()
        out = bytearray(32)
        a.load_all(out=out)
        assert bytes(out) == data
        assert len(got) == n
        if atype is not atomics.FLOAT:
            assert a.bit_test(0, 0) is bool(data[0] & 1)
        v = {atomics.BYTES: bytes(width), atomics.FLOAT: 1.0}.get(atype, 1)
        attempts = [
            lambda: a.store(0, v), lambda: a.__setitem__(0, v), lambda: a.exchange(0, v),
            lambda: a.cmpxchg_strong(0, first, v), lambda: a.cmpxchg_weak(0, first, v),
            lambda: a.update(0, lambda x: pytest.fail("fn called on read-only memory")),
            lambda: a.store_all(v), lambda: a.store_at([0], v),
            lambda: a.element(0).store(v),
        ]
        if atype is atomics.FLOAT:
            attempts += [lambda: a.fetch_add(0, 1.0), lambda: a.add_at([0], 1.0), lambda: a.max_at([0], 9.0)]
        elif atype is atomics.BYTES:
            attempts += [lambda: a.bin_or(0, v), lambda: a.or_at([0], v), lambda: a.bit_test_set(0, 0)]
        else:
            attempts += [lambda: a.fetch_add(0, 1), lambda: a.inc(0), lambda: a.add_at([0]),
                         lambda: a.xor_at([0], 1), lambda: a.max_at([0], 1), lambda: a.bit_test_set(0, 1),
                         lambda: a.checked_fetch_add(0, 1)]
        for attempt in attempts:
            with pytest.raises(atomics.exc.UnsupportedOperationException, match="readonly"):
                attempt()
        assert bytes(memoryview(buf)) == data
    finally:
        a.release()
        if kind == "mmap.ACCESS_READ":
            buf.close()  # released: no longer pinned


# ---------------------------------------------------------------------------------------
# Refusals that must change nothing (beyond the random ones of the model)
# ---------------------------------------------------------------------------------------


def filled(n=6):
    buf = np.zeros(n + 2, dtype=np.int64)
    buf[:] = np.arange(100, 100 + n + 2)
    a = atomics.arrayview(buf[1:-1], atomics.INT)
    return buf, a


@pytest.mark.parametrize("call", [
    lambda a: a.add_at([0, 1, 6]),
    lambda a: a.add_at([0, -7]),
    lambda a: a.add_at(np.array([0, 1, 1 << 40])),
    lambda a: a.add_at(np.array([0, 2**64 - 1], dtype=np.uint64)),
    lambda a: a.add_at([0, 1 << 64]),
    lambda a: a.add_at([0, -(1 << 200)]),
    lambda a: a.add_at([0, np.int64(-7)]),
    lambda a: a.store_at([5, 6], [1, 2]),
    lambda a: a.store_at([0, 1], [1, 2, 3]),
    lambda a: a.store_at([0, 1], [1]),
    lambda a: a.store_at([0, 1], np.array([1, 2, 3])),
    lambda a: a.store_at([0, 1], []),
    lambda a: a.store_all([1, 2, 3, 4, 5]),
    lambda a: a.store_all([1, 2, 3, 4, 5, 6, 7]),
    lambda a: a.store_all(np.arange(7)),
    lambda a: a.add_at([0, 1], [1, 1 << 63]),
    lambda a: a.add_at([0, 1], np.array([1, 2**63], dtype=np.uint64)),
    lambda a: a.add_at([0, 1], [1, 2.5]),
    lambda a: a.add_at([0, 1], np.array([1.0, 2.0])),
    lambda a: a.add_at([0, 1], [1, None]),
    lambda a: a.add_at([0, 1], "12"),
    lambda a: a.add_at([0, 1.0]),
    lambda a: a.add_at([0, "1"]),
    lambda a: a.add_at([0, None]),
    lambda a: a.add_at(np.array([0.0, 1.0])),
    lambda a: a.add_at(np.array([0, 1], dtype=np.float32)),
    lambda a: a.add_at(np.array([0, 1], dtype=">i8")),
    lambda a: a.add_at(np.array([0, 1, 2, 3], dtype=np.int64)[::2]),
    lambda a: a.add_at([0, 1], np.array([1, 2, 3, 4])[::2]),
    lambda a: a.add_at(5),
    lambda a: a.add_at(None),
    lambda a: a.add_at(object()),
    lambda a: a.add_at([0, 1], object()),
    lambda a: a.store_all(1.5),
    lambda a: a.store_all(None),
    lambda a: a.store_all(1 << 63),
    lambda a: a.store_all(1, atomics.MemoryOrder.ACQUIRE),
    lambda a: a.store_all(1, atomics.MemoryOrder.ACQ_REL),
    lambda a: a.add_at([0], 1, 17),
    lambda a: a.add_at([0], 1, "SEQ_CST"),
    lambda a: a.add_at([0], 1, order=-1),
    lambda a: a.add_at([0], 1, 2, 3),
    lambda a: a.add_at([0], bogus=1),
    lambda a: a.store(6, 1),
    lambda a: a.store(-7, 1),
    lambda a: a.store(0, 1 << 63),
    lambda a: a.fetch_add(0, -(1 << 63) - 1),
    lambda a: a.checked_fetch_add(0, (1 << 63) - 1),
    lambda a: a.checked_fetch_sub(-1, -(1 << 63) + 1),
    lambda a: a.store(0.0, 1),
    lambda a: a.store("0", 1),
    lambda a: a.store(None, 1),
    lambda a: a.inc(np.float64(0.0)),
    lambda a: a.store(0, 1, atomics.MemoryOrder.ACQUIRE),
    lambda a: a.update(0, lambda v: 1 << 63),
    lambda a: a.update(0, lambda v: 1 / 0),
    lambda a: a.cmpxchg_strong(0, 100, 1, atomics.MemoryOrder.RELAXED, atomics.MemoryOrder.SEQ_CST),
    lambda a: a.bit_test_set(0, 64),
    lambda a: a.wait(0, 1 << 63, timeout=0),
])
def test_refused_calls_leave_memory_unchanged(call):
    buf, a = filled()
    before = buf.copy()
    with pytest.raises(Exception) as info:
        call(a)
    assert type(info.value) in (IndexError, TypeError, ValueError, OverflowError, ZeroDivisionError,
                                atomics.exc.MemoryOrderError), repr(info.value)
    assert (buf == before).all(), f"{info.value!r} changed {before} into {buf}"
    a.release()


def test_refusal_messages_name_the_problem():
    a = atomics.array(4, 8, atomics.INT)
    with pytest.raises(IndexError, match="index 4 is out of range for an array of 4 atomics"):
        a.add_at([0, 4])
    with pytest.raises(IndexError, match="index -5 is out of range"):
        a.load(-5)
    with pytest.raises(ValueError, match="'values' has 1 items where 2 are needed"):
        a.store_at([0, 1], [1])
    with pytest.raises(ValueError, match="'values' has 3 items where 4 are needed"):
        a.store_all([1, 2, 3])
    with pytest.raises(TypeError, match="'indices' must hold integers, not floats"):
        a.add_at(np.zeros(2))
    with pytest.raises(TypeError, match="array indices must be integers, not float"):
        a.load(1.0)
    with pytest.raises(ValueError, match="'out' overlaps the array"):
        buf = np.zeros(4, dtype=np.int64)
        with atomics.arrayview(buf, atomics.INT) as v:
            v.load_all(out=buf)


@pytest.mark.parametrize("cfg", INT_CONFIGS, ids=repr)
def test_values_out_of_range_for_the_width_are_refused(cfg):
    a = cfg.new(3)
    a.store_all(cfg.hi)
    for bad in (cfg.hi + 1, cfg.lo - 1, 1 << 200, -(1 << 200)):
        for attempt in (lambda: a.store_all(bad), lambda: a.store_all([0, bad, 0]), lambda: a.add_at([0, 1], bad),
                        lambda: a.store_at([2, 0], [0, bad]), lambda: a.max_at([1], [bad]),
                        lambda: a.store(1, bad), lambda: a.fetch_add(0, bad)):
            with pytest.raises(OverflowError):
                attempt()
    assert list(a.load_all()) == [cfg.hi] * 3
    if cfg.width <= 4:  # numpy buffers of a wider type holding out-of-range values
        wide = np.array([0, cfg.hi + 1], dtype=np.int64)
        with pytest.raises(OverflowError):
            a.store_at([0, 1], wide)
        if not cfg.signed:
            with pytest.raises(OverflowError):
                a.add_at([0, 1], np.array([0, -1], dtype=np.int8))
        assert list(a.load_all()) == [cfg.hi] * 3


def test_bytes_values_must_have_the_width():
    b = atomics.array(3, 4, atomics.BYTES)
    b.store_all(b"abcd")
    for attempt in (lambda: b.store_all(b"abc"), lambda: b.store_all(b"abcdabcdabcdx"),
                    lambda: b.store_all([b"abcd", b"abc", b"abcd"]), lambda: b.or_at([0, 1], [b"\x01" * 4, b"\x01"]),
                    lambda: b.xor_at([0], bytearray(5)), lambda: b.store_at([0], "abcd"),
                    lambda: b.store_at([0], 5), lambda: b.store_all(np.zeros(11, dtype=np.uint8))):
        with pytest.raises((ValueError, TypeError)):
            attempt()
    assert b.load_all() == [b"abcd"] * 3
    b.store_all(np.frombuffer(b"0123456789AB", dtype=np.uint8))
    assert b.load_all() == [b"0123", b"4567", b"89AB"]
    b.store_all(np.array([0x64636261] * 3, dtype=np.uint32))  # any buffer of whole values: its bytes
    assert b.load_all() == [b"abcd"] * 3


# ---------------------------------------------------------------------------------------
# Argument forms that the per-element operations accept, accepted by the bulk ones too
# ---------------------------------------------------------------------------------------


# A numpy integer scalar is one value for every index (numpy scalars export the buffer
# protocol, as a buffer of no dimensions), as it is for the element operations.
@pytest.mark.parametrize("scalar", [np.int64(2), np.int32(2), np.uint8(2)], ids=["int64", "int32", "uint8"])
def test_bulk_operations_take_a_numpy_integer_scalar_as_one_value(scalar):
    a = atomics.array(4, 8, atomics.INT)
    a.add_at([0, 1, 1], scalar)
    assert list(a.load_all()) == [2, 4, 0, 0]
    a.store_all(scalar)
    assert list(a.load_all()) == [2, 2, 2, 2]


# The same for float arrays: np.float32 (not a subclass of float, unlike np.float64) is one
# value.
def test_float_bulk_operations_take_a_numpy_float32_scalar_as_one_value():
    f = atomics.array(3, 4, atomics.FLOAT)
    f.add_at([0, 1, 2], np.float64(0.5))  # np.float64 subclasses float: accepted
    f.add_at([0, 1, 2], np.float32(0.25))
    assert list(f.load_all()) == [0.75, 0.75, 0.75]
    f.store_all(np.float32(1.5))
    assert list(f.load_all()) == [1.5, 1.5, 1.5]


# For bytes arrays, one value may be any bytes-like object of exactly the width (as for the
# element operations), not only `bytes`.
@pytest.mark.parametrize("form", [bytearray, memoryview, lambda v: np.frombuffer(v, dtype=np.uint8)],
                         ids=["bytearray", "memoryview", "numpy"])
def test_bytes_bulk_operations_take_one_value_as_any_bytes_like_object(form):
    b = atomics.array(3, 4, atomics.BYTES)
    b.store(0, form(b"abcd"))  # accepted by the element operation
    b.store_all(b"wxyz")  # one bytes value for every element
    assert b.load_all() == [b"wxyz"] * 3
    b.store_all(form(b"abcd"))
    assert b.load_all() == [b"abcd"] * 3
    b.xor_at([0, 2], form(b"\x01\x01\x01\x01"))
    assert b.load_all() == [b"`cbe", b"abcd", b"`cbe"]


# An exception raised by an index's __index__ propagates unchanged, even KeyboardInterrupt, as
# with list indexing and with the values of the same call.
def test_an_exception_in_an_index_conversion_propagates_unchanged():
    class Interrupting:
        def __index__(self):
            raise KeyboardInterrupt

    class Failing:
        def __index__(self):
            raise ZeroDivisionError("from __index__")

    a = atomics.array(4, 8, atomics.INT)
    with pytest.raises(KeyboardInterrupt):
        a.add_at([0], [Interrupting()])  # a value: propagates
    with pytest.raises(ZeroDivisionError):
        [0][Failing()]  # what Python's own sequences do
    with pytest.raises(KeyboardInterrupt):
        a.load(Interrupting())
    with pytest.raises(KeyboardInterrupt):
        a.add_at([0, Interrupting()])
    with pytest.raises(ZeroDivisionError):
        a.load(Failing())
    assert list(a.load_all()) == [0, 0, 0, 0]


# `del a[i]` raises TypeError, as containers that do not support deletion do.
def test_deleting_an_element_is_a_type_error():
    a = atomics.array(2, 8, atomics.INT)
    with pytest.raises(TypeError):
        del a[0]
    assert list(a) == [0, 0]


# copy.copy() of an array over private memory or a view gives a second array over the same
# memory, as copy.copy() of an atomic does (the per-thread handle idiom).
@pytest.mark.parametrize("kind", ["private", "view"])
def test_copy_of_an_array_shares_its_memory_like_copy_of_an_atomic(kind):
    single = atomics.atomic(8, atomics.INT)
    copy.copy(single).inc()
    assert single.load() == 1
    buf = np.zeros(3, dtype=np.int64)
    a = atomics.array(3, 8, atomics.INT) if kind == "private" else atomics.arrayview(buf, atomics.INT)
    b = copy.copy(a)
    b.add_at([0, 2, 2])
    assert list(a.load_all()) == [1, 0, 2]


def test_bytes_bulk_bitwise_operations_need_values():
    """The bitwise bulk operations of bytes arrays have no meaningful default value: calling
    one without values is refused and changes nothing."""
    b = atomics.array(2, 2, atomics.BYTES)
    b.store_all(b"ab")
    for op in ("or_at", "and_at", "xor_at"):
        with pytest.raises(TypeError):
            getattr(b, op)([0, 1])
    assert b.load_all() == [b"ab", b"ab"]


# ---------------------------------------------------------------------------------------
# Bulk semantics
# ---------------------------------------------------------------------------------------


def test_repeated_indices_apply_each_time_and_store_at_keeps_the_last():
    a = atomics.array(4, 4, atomics.UINT)
    a.add_at([1, 1, 1, -1, 3], [1, 2, 3, 10, 20])
    assert list(a.load_all()) == [0, 6, 0, 30]
    a.store_at([2, 2, 2], [7, 8, 9])
    assert a[2] == 9
    a.sub_at([0, 0])
    assert a[0] == (1 << 32) - 2  # wraps around
    a.max_at([0, 1], [5, 5])
    a.min_at([3, 3], [40, 4])
    assert list(a.load_all()) == [(1 << 32) - 2, 6, 9, 4]
    a.and_at([0], 0xFF)
    a.or_at([1, 1], [0x100, 0x200])
    a.xor_at([2, 2, 2], 1)
    assert list(a.load_all()) == [0xFE, 0x306, 8, 4]


def test_signed_max_min_at_compare_as_signed():
    s = atomics.array(2, 1, atomics.INT)
    s.store_all([-100, 100])
    s.max_at([0, 1], [-5, -5])
    s.min_at([0, 1], [-128, 127])
    assert list(s.load_all()) == [-128, 100]
    u = atomics.array(2, 1, atomics.UINT)
    u.store_all([200, 10])
    u.max_at([0, 1], [100, 255])
    assert list(u.load_all()) == [200, 255]


def test_floats_bulk_arithmetic():
    f = atomics.array(4, 8, atomics.FLOAT)
    f.add_at(np.array([0, 1, 1, 3]), np.array([0.5, 0.25, 0.25, -1.0]))
    f.sub_at([2], 1)  # ints are floats here
    f.max_at([0, 0], [math.nan, 0.75])  # a NaN operand is ignored
    f.min_at([3], [-math.inf])
    assert list(f.load_all()) == [0.75, 0.5, -1.0, -math.inf]
    f.add_at([1, 1], np.array([1, 2], dtype=np.int32))  # integer buffers as floats
    assert f[1] == 3.5
    f.store_all(np.array([1e300, 2.0, 3.0, 4.0]))
    f4 = atomics.array(2, 4, atomics.FLOAT)
    f4.store_all([1e300, 0.1])  # rounded to the width, as a store would
    assert f4[0] == math.inf and f4[1] == float(np.float32(0.1))
    with pytest.raises(AttributeError):
        f4.or_at
    with pytest.raises(AttributeError):
        atomics.array(2, 8, atomics.BYTES).add_at


def test_width16_integers_in_bulk():
    if not CAS16:
        with pytest.raises(atomics.exc.UnsupportedWidthException):
            atomics.array(3, 16, atomics.INT)
        return
    a = atomics.array(3, 16, atomics.INT)
    a.store_all([-1, (1 << 127) - 1, -(1 << 127)])
    assert a.load_all() == [-1, (1 << 127) - 1, -(1 << 127)]
    a.add_at([0, 0, 1, 2], [1, 1, 1, -1])  # wraps at 128 bits
    assert a.load_all() == [1, -(1 << 127), (1 << 127) - 1]
    a.max_at([0], [1 << 100])
    assert a[0] == 1 << 100
    u = atomics.array(2, 16, atomics.UINT)
    u.store_at([1], [(1 << 128) - 1])
    u.add_at([1], 2)
    assert u.load_all() == [0, 1]
    with pytest.raises(NotImplementedError):
        u.wait(0, 1, timeout=0)


def test_load_all_into_out_buffers():
    a = atomics.array(4, 4, atomics.INT)
    a.store_all([1, -2, 3, -4])
    out = np.empty(4, dtype=np.int32)
    assert a.load_all(out=out) is out and list(out) == [1, -2, 3, -4]
    raw = bytearray(16)
    assert a.load_all(raw) is raw and bytes(raw) == np.array([1, -2, 3, -4], dtype=np.int32).tobytes()
    other = np.empty(2, dtype=np.int64)  # other numbers than the array's: refused
    int64 = np.dtype(np.int64).char  # 'l' where C's long has 8 bytes, 'q' on 32-bit platforms
    with pytest.raises(TypeError, match=f"'out' of format '{int64}' cannot hold signed integer atomics of width 4"):
        a.load_all(out=other)
    a.load_all(out=other.view(np.uint8))  # its raw bytes are any writable buffer's
    assert other.tobytes() == bytes(raw)
    arr = array.array("i", [0] * 4)
    a.load_all(out=arr)
    assert list(arr) == [1, -2, 3, -4]
    with mmap.mmap(-1, 16) as mm:
        a.load_all(out=mm)
        assert mm[:] == bytes(raw)
    for bad in (np.empty(3, dtype=np.int32), bytearray(17), bytearray(0)):
        with pytest.raises(ValueError):
            a.load_all(out=bad)
    for bad in (bytes(16), memoryview(bytearray(16)).toreadonly(), [0] * 4, 5):
        with pytest.raises(TypeError):
            a.load_all(out=bad)
    ro = np.zeros(4, dtype=np.int32)
    ro.flags.writeable = False
    with pytest.raises(TypeError):
        a.load_all(out=ro)
    assert not ro.any()
    z = atomics.array(0, 8, atomics.INT)
    assert z.load_all(out=bytearray()) == bytearray()


def test_load_all_out_may_not_alias_a_read_only_array():
    raw = bytearray(range(16))
    with atomics.arrayview(memoryview(raw).toreadonly(), atomics.UINT, width=4) as ro:
        assert ro.readonly
        with pytest.raises(ValueError, match="overlaps"):
            ro.load_all(out=raw)  # the same bytes through a writable object
        assert raw == bytearray(range(16))
        ro.load_all(out=bytearray(16))


def test_bulk_operations_take_keywords():
    a = atomics.array(4, 8, atomics.INT)
    a.add_at([1, 1], order=MO.RELAXED)
    a.add_at(indices=[2], values=5, order=MO.ACQ_REL)
    a.store_at(values=[7], indices=[3])
    a.store_all(values=[1, 2, 3, 4], order=MO.RELEASE)
    a.max_at([0], values=[10])
    assert list(a.load_all(order=MO.RELAXED)) == [10, 2, 3, 4]
    with pytest.raises(TypeError):
        a.add_at([0], indices=[0])


def test_load_all_out_overlap_and_adjacency():
    buf = np.arange(12, dtype=np.int64)
    with atomics.arrayview(buf[4:8], atomics.INT) as a:
        for window in (buf[4:8], buf[1:5], buf[7:11], buf[5:9]):
            with pytest.raises(ValueError, match="overlaps"):
                a.load_all(out=window)
        assert list(buf) == list(range(12))
        a.load_all(out=buf[0:4])  # adjacent below
        a.load_all(out=buf[8:12])  # adjacent above
        assert list(buf) == [4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7]
        # bytes overlapping only partly (an out of another item size, shifted by 4 bytes)
        b = buf.view(np.uint8)[4 * 8 - 4:][:32]
        with pytest.raises(ValueError, match="overlaps"):
            a.load_all(out=b)


def test_indices_and_values_of_every_buffer_format():
    n = 10
    for dtype in (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64, np.intp,
                  np.uintp, np.longlong, np.ulonglong, np.bool_):
        idx = np.array([1, 0, 1, 1], dtype=dtype)
        a = atomics.array(n, 8, atomics.INT)
        a.add_at(idx)
        assert list(a.load_all()) == list(np.bincount(idx.astype(np.intp), minlength=n)), dtype
        a.add_at(np.array([2, 3], dtype=np.int64), np.array([5, 6], dtype=dtype if dtype != np.bool_ else np.int8))
    for code in "bBhHiIlLqQ":
        a = atomics.array(n, 2, atomics.UINT)
        a.store_at(array.array(code, [3, 4]), array.array(code, [7, 8]))
        assert a[3] == 7 and a[4] == 8, code
    a = atomics.array(n, 2, atomics.UINT)
    a.add_at(np.array([[1, 2], [3, 4]]))  # any C-contiguous shape
    assert list(a.load_all())[:6] == [0, 1, 1, 1, 1, 0]


# ---------------------------------------------------------------------------------------
# numpy interop
# ---------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None, database=None)
@given(n=st.integers(1, 300), seed=st.integers(0, 2**32 - 1),
       dtype=st.sampled_from([np.intp, np.int64, np.int32, np.uint16, np.uint32]),
       width=st.sampled_from([2, 4, 8]), negative=st.booleans())
def test_add_at_is_a_histogram(n, seed, dtype, width, negative):
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=int(rng.integers(0, 3000))).astype(dtype)
    a = atomics.array(n, width, atomics.UINT)
    if negative and np.issubdtype(dtype, np.signedinteger):
        a.add_at(idx.astype(np.int64) - n)  # the same elements, counted from the end
    else:
        a.add_at(idx)
    want = np.bincount(idx.astype(np.intp), minlength=n)
    assert list(a.load_all()) == [int(c) % (1 << (8 * width)) for c in want]
    out = np.empty(n, dtype=f"u{width}")
    a.load_all(out=out)
    assert (out == want).all()


@settings(max_examples=15, deadline=None, database=None)
@given(n=st.integers(1, 50), seed=st.integers(0, 2**32 - 1), width=st.sampled_from([4, 8]))
def test_float_add_at_matches_numpy_add_at(n, seed, width):
    rng = np.random.default_rng(seed)
    dtype = np.float32 if width == 4 else np.float64
    idx = rng.integers(0, n, size=200)
    vals = (rng.integers(-64, 64, size=200) / 4).astype(dtype)  # exact sums: any order agrees
    a = atomics.array(n, width, atomics.FLOAT)
    a.add_at(idx, vals)
    want = np.zeros(n, dtype=dtype)
    np.add.at(want, idx, vals)
    out = np.empty(n, dtype=dtype)
    a.load_all(out=out)
    assert (out == want).all()
    assert np.array(a.load_all(), dtype=dtype).tobytes() == want.tobytes()


def test_view_of_a_numpy_histogram_buffer():
    counts = np.zeros(16, dtype=np.int64)
    idx = np.random.default_rng(1).integers(0, 16, size=5000)
    with atomics.arrayview(counts, atomics.INT) as a:
        a.add_at(idx)
        a.sub_at(idx[:100])
        a.add_at(idx[:100], 1)
    assert (counts == np.bincount(idx.astype(np.intp), minlength=16)).all()


# ---------------------------------------------------------------------------------------
# element(i)
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("cfg", SMALL_CONFIGS, ids=repr)
def test_elements_share_the_array_memory(cfg):
    a = cfg.new(4)
    e = a.element(-1)
    assert type(e) is cfg.element_cls and e.width == cfg.width and e.readonly is False
    v = {"int": cfg.hi, "bytes": b"\x5a" * cfg.width, "float": 2.5}[cfg.family]
    e.store(v)
    assert a[3] == v and a.load(-1) == v
    a.store(3, {"int": cfg.lo, "bytes": b"\x01" * cfg.width, "float": -0.5}[cfg.family])
    assert e.load() == a[3]
    c = copy.copy(e)
    assert c.load() == a[3]
    assert a.element(0).load() == a[0]


def test_elements_of_a_view_are_released_with_it():
    buf = bytearray(32)
    a = atomics.arrayview(buf, atomics.INT, width=8)
    e = a.element(1)
    e2 = copy.copy(e)
    e.store(5)
    assert buf[8] == 5
    a.release()
    assert a.released
    for obj in (e, e2):
        with pytest.raises(ValueError, match="released"):
            obj.load()
        with pytest.raises(ValueError, match="released"):
            obj.store(1)
    with pytest.raises(ValueError, match="released"):
        a.element(0)
    buf.extend(b"x")  # nothing pins the buffer any more
    assert buf[8] == 5


def test_element_objects_keep_private_memory_alive():
    a = atomics.array(3, 8, atomics.INT)
    e = a.element(2)
    r = weakref.ref(a)
    del a
    gc.collect()
    assert r() is None
    e.store(7)  # the memory lives while an element uses it
    assert e.load() == 7 and e.fetch_add(1) == 7 and e.load() == 8


def test_elements_of_shared_arrays_pickle_by_reference():
    a = atomics.array(4, 8, atomics.INT, shared=True)
    e = a.element(2)
    assert e.shared_name == a.shared_name and e.shared_offset == 16
    f = pickle.loads(pickle.dumps(e))
    f.store(-9)
    assert a[2] == -9
    with pytest.raises(TypeError):
        pickle.dumps(atomics.array(2, 8, atomics.INT).element(0))


# ---------------------------------------------------------------------------------------
# Releasing views
# ---------------------------------------------------------------------------------------


def test_released_views_refuse_everything_and_unpin_the_buffer():
    buf = bytearray(16)
    a = atomics.arrayview(buf, atomics.UINT, width=4)
    a.store_all(9)
    with a:
        pass
    assert a.released and repr(a).startswith("<released")
    attempts = [lambda: a.load(0), lambda: a.store(0, 1), lambda: a[0], lambda: a.__setitem__(0, 1),
                lambda: a.load_all(), lambda: a.load_all(out=bytearray(16)), lambda: a.store_all(1),
                lambda: a.add_at([0]), lambda: a.store_at([0], 1), lambda: a.max_at([0], 1), lambda: len(a),
                lambda: a.width, lambda: a.nbytes, lambda: a.readonly, lambda: a.ops_supported,
                lambda: a.signed, lambda: a.element(0), lambda: list(a), lambda: a.fetch_add(0, 1),
                lambda: a.wait(0, 9, timeout=0), lambda: a.notify_all(0), lambda: a.update(0, lambda v: v),
                lambda: a.cmpxchg_strong(0, 9, 1), lambda: a.bit_test(0, 0)]
    for attempt in attempts:
        with pytest.raises(ValueError, match="released"):
            attempt()
    a.release()  # idempotent
    buf.extend(b"1234")  # no longer pinned
    assert buf[:16] == bytes([9, 0, 0, 0]) * 4


def test_a_view_pins_its_buffer_until_released():
    buf = bytearray(16)
    a = atomics.arrayview(buf, atomics.INT, width=8)
    with pytest.raises(BufferError):
        buf.extend(b"x")
    del a
    gc.collect()
    buf.extend(b"x")  # the last reference going releases it too
    with mmap.mmap(-1, 64) as mm:
        v = atomics.arrayview(mm, atomics.INT, width=8)
        with pytest.raises(BufferError):
            mm.close()
        v.release()


def test_release_does_not_affect_private_or_shared_arrays():
    for a in (atomics.array(2, 8, atomics.INT), atomics.array(2, 8, atomics.INT, shared=True)):
        a.release()
        with a:
            a.inc(0)
        assert a.released is False and a[0] == 1


def test_closing_a_segment_releases_its_arrays():
    seg = SharedSegment.create(64)
    a = seg.array(0, 8, 8, atomics.INT)
    a.store_all(3)
    seg.close()
    with pytest.raises(ValueError, match="released"):
        a.load(0)
    with pytest.raises(ValueError, match="released"):
        a.add_at([0])
    with pytest.raises(ValueError):
        pickle.dumps(a)


# ---------------------------------------------------------------------------------------
# Races on the object
# ---------------------------------------------------------------------------------------


def test_an_index_conversion_that_releases_the_view_mid_call():
    """Python code run while the arguments are parsed (an ``__index__``) releases the view:
    the call raises ValueError and nothing was written, or it completed; never a crash."""
    for target in ("indices", "values", "element index", "element value", "store_all values", "bit", "update fn"):
        buf = np.zeros(8, dtype=np.int64)
        a = atomics.arrayview(buf, atomics.INT)

        class Releasing:
            def __init__(self, i):
                self.i = i

            def __index__(self):
                a.release()
                return self.i

        with pytest.raises(ValueError, match="released"):
            if target == "indices":
                a.add_at([0, 1, Releasing(2), 3])
            elif target == "values":
                a.add_at([0, 1, 2], [1, Releasing(1), 1])
            elif target == "element index":
                a.fetch_add(Releasing(3), 1)
            elif target == "element value":
                a.fetch_add(3, Releasing(1))
            elif target == "update fn":
                a.update(5, lambda v: Releasing(9).__index__())
            elif target == "store_all values":
                a.store_all([1] * 7 + [Releasing(1)])
            else:
                a.bit_test_set(0, Releasing(3))
        assert a.released
        assert not buf.any(), target


def test_an_indices_iterator_that_releases_the_view_then_continues():
    buf = np.zeros(4, dtype=np.int64)
    a = atomics.arrayview(buf, atomics.INT)

    def gen():
        yield 0
        yield 1
        a.release()
        yield 2

    with pytest.raises(ValueError, match="released"):
        a.add_at(gen())
    assert not buf.any()


@pytest.mark.skipif(sys.version_info < (3, 12), reason="Python classes export buffers from 3.12")
@pytest.mark.parametrize("role", ["indices", "values", "store_all values", "out"])
def test_a_python_buffer_exporter_that_releases_the_view(role):
    buf = np.zeros(4, dtype=np.int64)
    a = atomics.arrayview(buf, atomics.INT)
    content = np.array([0, 1, 2, 3], dtype=np.int64)
    released_buffers = []

    class Exporter:
        def __buffer__(self, flags):
            a.release()
            return memoryview(content)

        def __release_buffer__(self, view):
            released_buffers.append(view)
            view.release()

    with pytest.raises(ValueError, match="released"):
        if role == "indices":
            a.add_at(Exporter())
        elif role == "values":
            a.add_at([0, 1, 2, 3], Exporter())
        elif role == "store_all values":
            a.store_all(Exporter())
        else:
            a.load_all(out=Exporter())
    assert not buf.any()
    assert list(content) == [0, 1, 2, 3]  # nothing was written into `out` either
    assert len(released_buffers) == 1  # the export was given back


def test_load_all_of_a_released_view_leaves_out_alone():
    buf = np.arange(4, dtype=np.int64)
    a = atomics.arrayview(buf, atomics.INT)
    out = np.zeros(4, dtype=np.int64)
    a.load_all(out=out, order=atomics.MemoryOrder.ACQUIRE)
    assert list(out) == [0, 1, 2, 3]
    out[:] = -1
    a.release()
    with pytest.raises(ValueError, match="released"):
        a.load_all(out=out)
    assert list(out) == [-1] * 4


@pytest.mark.parametrize("round", range(3))
@pytest.mark.parametrize("kind", ["numpy", "mmap"])
def test_a_view_released_from_another_thread_while_threads_operate(kind, round):
    """Workers run bulk and element operations on a view while the main thread releases it
    (and, for an mmap, unmaps the memory at once: an operation still running on it would
    crash). Every call either completes or raises the released ValueError, and the buffer
    holds exactly the effect of the calls that completed."""
    n, workers = 16, 4
    if kind == "numpy":
        buf = np.zeros(n, dtype=np.int64)
        a = atomics.arrayview(buf, atomics.INT)
    else:
        mm = mmap.mmap(-1, n * 8)
        a = atomics.arrayview(mm, atomics.INT, width=8)
    done = [0] * workers  # completed calls per worker
    started = threading.Barrier(workers + 1)
    progress = atomics.atomic(8, atomics.INT)
    errors = []
    idx = np.arange(n, dtype=np.intp)
    big = np.tile(idx, 2000)  # a long bulk call: +2000 everywhere

    def work(w):
        try:
            started.wait()
            k = 0
            while True:
                try:
                    kind = k % 5
                    if kind == 4:
                        a.add_at(big)
                    elif kind == 0:
                        a.add_at(idx)  # +1 everywhere
                    elif kind == 1:
                        a.fetch_add(w, n)  # +n on element w
                    elif kind == 2:
                        a.load_all()
                        a.add_at([w + 4] * 3, 1)  # +3 on element w + 4
                    else:
                        e = a.element(w + 8)
                        e.inc()  # +1 on element w + 8
                except ValueError as exc:
                    assert RELEASED in str(exc), exc
                    break
                done[w] += 1
                k += 1
                progress.inc()
        except BaseException as exc:
            errors.append(exc)

    ts = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for t in ts:
        t.start()
    started.wait()
    while progress.load() < 400 * (round + 1) and all(t.is_alive() for t in ts):
        pass
    a.release()
    if kind == "mmap":
        buf = np.frombuffer(mm[:], dtype=np.int64)  # after release() returns, nothing writes
        mm.close()  # unmapped: fails (BufferError) if anything still pins it
    for t in ts:
        t.join(60)
        assert not t.is_alive()
    if errors:
        raise errors[0]
    want = np.zeros(n, dtype=np.int64)
    for w in range(workers):
        # worker w completed calls 0..done[w]-1, kinds cycling 0, 1, 2, 3, 4
        for k in range(done[w]):
            kind = k % 5
            if kind == 4:
                want += 2000
            elif kind == 0:
                want += 1
            elif kind == 1:
                want[w] += n
            elif kind == 2:
                want[w + 4] += 3
            else:
                want[w + 8] += 1
    # only completed calls count: one that raised must have written nothing
    assert (buf == want).all(), (list(buf), list(want))


def test_release_while_a_thread_waits_on_an_element():
    buf = np.zeros(4, dtype=np.int32)
    a = atomics.arrayview(buf, atomics.INT)
    outcome = []

    def waiter():
        try:
            outcome.append(a.wait(2, 0))  # no timeout: only a release ends it
        except ValueError as exc:
            outcome.append(exc)

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.05)  # most likely inside wait() by now; if not, wait() finds it released
    a.release()
    t.join(60)
    assert not t.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], ValueError) and RELEASED in str(outcome[0])


# ---------------------------------------------------------------------------------------
# Threads: exact totals
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [1, 4, 8])
def test_threads_add_at_random_indices_exact_histogram(threads, width):
    n, per = 64, 20
    rng = np.random.default_rng(width)
    batches = [[rng.integers(-n, n, size=500) for _ in range(per)] for _ in range(4)]
    a = atomics.array(n, width, atomics.UINT)

    def work(i):
        for idx in batches[i]:
            a.add_at(idx)

    threads(work, 4)
    all_idx = np.concatenate([np.concatenate(b) for b in batches]) % n
    want = [int(c) % (1 << (8 * width)) for c in np.bincount(np.asarray(all_idx, np.intp), minlength=n)]
    assert list(a.load_all()) == want


def test_threads_on_one_view_exact_totals(threads):
    counts = np.zeros(32, dtype=np.int64)
    rng = np.random.default_rng(7)
    batches = [rng.integers(0, 32, size=(25, 400)) for _ in range(4)]
    with atomics.arrayview(counts, atomics.INT) as a:
        def work(i):
            for row in batches[i]:
                a.add_at(row, 2)
                a.sub_at(row[:100])

        threads(work, 4)
    hist = lambda idx: np.bincount(idx.ravel().astype(np.intp), minlength=32)  # noqa: E731
    want = sum(2 * hist(b) - hist(b[:, :100]) for b in batches)
    assert (counts == want).all()


@pytest.mark.parametrize("cfg", [c for c in SMALL_CONFIGS if c.family == "int" and c.width >= 2], ids=repr)
def test_threads_fetch_add_per_element_exact(threads, cfg):
    n, rounds = 8, 2000
    a = cfg.new(n)
    seen = [[] for _ in range(4)]

    def work(t):
        for k in range(rounds):
            seen[t].append(a.fetch_add(k % n, 1))
            a.inc(-1)

    threads(work, 4)
    total = 4 * rounds
    want = [total // n] * n
    want[-1] += total
    assert list(a.load_all()) == want
    # the previous values returned for an element are all distinct: no increment was lost
    for e in range(n - 1):
        mine = sorted(v for t in range(4) for k, v in enumerate(seen[t]) if k % n == e)
        assert mine == list(range(total // n))


def test_threads_float_add_at_exact(threads):
    f = atomics.array(4, 8, atomics.FLOAT)

    def work(i):
        for _ in range(500):
            f.add_at([0, 1, 2, 3, i], 0.5)

    threads(work, 4)
    assert list(f.load_all()) == [4 * 250.0 + 250.0] * 4


@pytest.mark.skipif(not CAS16, reason="no 16-byte atomics on this CPU")
def test_threads_store_at_never_tear_width16(threads):
    a = atomics.array(4, 16, atomics.UINT)
    patterns = [int.from_bytes(bytes([p]) * 16, "little") for p in (0x11, 0x22, 0x33, 0x44)]
    bad = []

    def work(i):
        for k in range(3000):
            a.store_at([k % 4, (k + 1) % 4], patterns[i])
            for v in a.load_all():
                if v not in patterns and v != 0:
                    bad.append(v)

    threads(work, 4)
    assert bad == []


def test_threads_update_and_cmpxchg_on_elements(threads):
    a = atomics.array(3, 8, atomics.INT)

    def work(i):
        for _ in range(1000):
            a.update(0, lambda v: v + 2)
            while True:
                cur = a.load(1)
                if a.cmpxchg_weak(1, cur, cur + 3):
                    break
            a.checked_fetch_add(2, 1)

    threads(work, 4)
    assert list(a.load_all()) == [8000, 12000, 4000]


# ---------------------------------------------------------------------------------------
# wait / notify on elements
# ---------------------------------------------------------------------------------------


def test_wait_notify_on_an_element_across_threads():
    a = atomics.array(8, 4, atomics.INT)
    result = []

    def waiter():
        result.append(a.wait(5, 0, timeout=30))
        result.append(a.load(5))

    t = threading.Thread(target=waiter)
    t.start()
    a.store(4, 1)  # a neighbour changing does not end the wait (checked below: value seen)
    a.notify_all(4)
    a.store(5, 42)
    a.notify_one(5)
    t.join(60)
    assert not t.is_alive()
    assert result == [True, 42]
    assert a.wait(5, 0, timeout=0) is True
    assert a.wait(5, 42, timeout=0.01) is False
    assert a.wait(-3, 42, timeout=0) is False
    with pytest.raises(IndexError):
        a.wait(8, 0, timeout=0)
    with pytest.raises(IndexError):
        a.notify_one(-9)


def test_ping_pong_between_threads_on_two_elements():
    a = atomics.array(2, 4, atomics.UINT)
    rounds = 200
    errors = []

    def pong():
        try:
            for r in range(rounds):
                while a.load(0) != r + 1:
                    a.wait(0, r, timeout=10)
                a.store(1, r + 1)
                a.notify_one(1)
        except BaseException as e:
            errors.append(e)

    t = threading.Thread(target=pong)
    t.start()
    for r in range(rounds):
        a.store(0, r + 1)
        a.notify_one(0)
        while a.load(1) != r + 1 and t.is_alive():
            a.wait(1, r, timeout=10)
    t.join(60)
    if errors:
        raise errors[0]
    assert list(a.load_all()) == [rounds, rounds]


def test_wait_on_float_and_bytes_elements():
    f = atomics.array(2, 8, atomics.FLOAT)
    assert f.wait(1, 0.0, timeout=0.01) is False
    assert f.wait(1, -0.0, timeout=0) is True  # compares bits
    b = atomics.array(2, 2, atomics.BYTES)
    assert b.wait(0, b"\0\0", timeout=0.01) is False
    assert b.wait(0, b"\0\1", timeout=0) is True


# ---------------------------------------------------------------------------------------
# Pickling (in-process round trips; children in test_arrays_processes.py)
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("cfg", CONFIGS, ids=repr)
def test_shared_arrays_pickle_by_reference(cfg):
    a = cfg.new(5, shared=True)
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        b = pickle.loads(pickle.dumps(a, protocol))
        assert type(b) is type(a) and len(b) == 5 and b.width == cfg.width
        assert b.shared_name == a.shared_name and b.shared_offset == 0
        if cfg.family == "int":
            assert b.signed == a.signed
    v = {"int": cfg.hi, "bytes": b"\x7e" * cfg.width, "float": -2.5}[cfg.family]
    b.store(3, v)
    assert a[3] == v
    att = attach_array(a.shared_name)
    assert att[3] == v and len(att) == 5 and att.width == cfg.width
    if cfg.name in ("INT", "UINT", "BYTES", "FLOAT"):
        assert type(att) is cfg.cls
        assert type(attach_array(a.shared_name, cfg.width, cfg.atype)) is cfg.cls
    with pytest.raises(ValueError):
        attach_array(a.shared_name, 16 if cfg.width != 16 else 8)
    with pytest.raises(ValueError):
        attach_array(a.shared_name, None, atomics.FLOAT if cfg.family != "float" else atomics.INT)
    with pytest.raises(ValueError):
        atomics.shared.attach(a.shared_name)  # an array, not one atomic


@pytest.mark.parametrize("cfg", CONFIGS, ids=repr)
def test_private_arrays_and_views_refuse_to_pickle(cfg):
    with pytest.raises(TypeError, match="cannot pickle"):
        pickle.dumps(cfg.new(2))
    buf = bytearray(2 * cfg.width + 16)
    off = (-address_of(buf)) % 16
    window = memoryview(buf)[off:off + 2 * cfg.width]
    with cfg.view(window, width=cfg.width) as v:
        with pytest.raises(TypeError, match="cannot pickle"):
            pickle.dumps(v)
        with pytest.raises(TypeError):
            copy.deepcopy(v)
    window.release()


def test_segment_arrays_pickle_with_their_offset():
    w = max(WIDTHS)
    with SharedSegment.create(256) as seg:
        a = seg.array(128, 8, w, atomics.BYTES)
        b = pickle.loads(pickle.dumps(a))
        assert b.shared_offset == 128 and len(b) == 8
        b.store(7, b"z" * w)
        assert seg.array(0, 256, 1, atomics.BYTES)[128 + 7 * w] == b"z"
        i = seg.array(8, 4, 4, atomics.INTEGRAL, is_signed=False)
        j = pickle.loads(pickle.dumps(i))
        assert type(j) is atomics.arrays.AtomicIntegralArray and j.signed is False
        j.store(0, (1 << 32) - 1)
        assert i[0] == (1 << 32) - 1
        with pytest.raises(TypeError):
            attach_array(seg.name)  # a layout, not one array


def test_attach_array_refuses_unknown_names():
    with pytest.raises(FileNotFoundError):
        attach_array("/atomics_doesnotexist")
    single = atomics.atomic(8, atomics.INT, shared=True)
    arr = attach_array(single.shared_name)  # one atomic is an array of one
    assert len(arr) == 1
    arr.store(0, 5)
    assert single.load() == 5


@pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="looks for the segment's file in /dev/shm")
def test_shared_segments_go_with_their_last_array():
    from conftest import our_segments

    a = atomics.array(4, 8, atomics.INT, shared=True)
    name = a.shared_name
    assert os.path.exists(segment_file(name))
    e = a.element(1)  # the same mapping
    b = pickle.loads(pickle.dumps(a))  # a second mapping of the segment
    del a
    gc.collect()
    assert os.path.exists(segment_file(name))  # e still uses the creator's mapping
    e.inc()
    del e
    gc.collect()
    # the creator's last object is gone: the name with it (docs/shared-memory.md, Lifetimes);
    # other mappings stay valid
    assert not os.path.exists(segment_file(name))
    assert name.lstrip("/") not in our_segments()
    b.inc(1)
    assert b.load_all() == array.array("q", [0, 2, 0, 0])


@pytest.fixture(autouse=True, scope="module")
def no_segment_leaks():
    from conftest import our_segments

    before = our_segments()
    yield
    gc.collect()
    assert our_segments() - before == set(), "shared-memory segments leaked"
