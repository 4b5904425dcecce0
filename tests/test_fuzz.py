"""Hostile-input fuzzer of the Python surface: it is never wrong and it never crashes.

A Hypothesis state machine keeps a handful of live *targets* -- atomics over private memory,
atomics in named shared memory (one per segment, several in one layout, a segment attached
twice, pickled copies), views of bytearrays, anonymous mmaps and numpy arrays, read-only views
of bytes, ``memoryview.toreadonly()`` and file mmaps opened ``ACCESS_READ`` or ``PROT_READ``,
copies, and objects that were never initialised -- and calls every method on them with
arguments drawn from pools that mix valid values with hostile ones: wrong types, huge and
negative ints, bools, floats, None, bytes of the wrong length, strided and released buffers,
invalid memory orders (ints outside {0, 2, 3, 4, 5}, strings, floats), ``__index__`` methods
that raise, return junk, release the memory or call back into the same atomic, too many or
unknown arguments, ``update(fn)`` with functions that raise, return junk, release the memory
or write to the atomic themselves, and descriptors of one class called on objects of another.
Integer (INT, UINT, INTEGRAL), BYTES, FLOAT and ANY atomics and views are fuzzed, with every
documented operation (atomics 1.0's, fetch_max/min, the new-value forms, checked arithmetic,
update, wait/notify). Between calls
it releases contexts, closes segments, drops objects, tries to resize or close pinned buffers
and builds views and segments from hostile buffers, sizes, names and forged headers.

It keeps arrays of atomics too (``atomics.array`` over private memory and with
``shared=True``, ``arrayview`` of bytearrays, numpy arrays and mmaps with guard bytes around the
viewed region and of read-only buffers, ``SharedSegment.array`` at offsets, copies, unpickled
copies, ``attach_array``, never-initialised arrays, and ``a.element(i)`` objects, which join
the atomics above) and calls on them: every per-element operation with valid and hostile
element indices (negative, huge, numpy, ``__index__`` that raises, returns junk or releases
the array), ``a[i]``, ``a[i] = v``, ``del a[i]``, iteration, the attributes, and the bulk
operations (``load_all`` with good and bad ``out``: wrong size, read-only, released, strided,
overlapping the array, or next to it in the same buffer; ``store_all`` and every ``*_at``
with indices and values as lists, tuples, ranges, iterators, generators, ``array.array``,
bytes and numpy arrays of every dtype -- float, bool, object, big-endian, strided --, wrong
lengths, values out of range, items whose ``__index__`` raises, releases the array or
operates on it, and generators that raise, release the array or operate on it mid-iteration),
``release()`` and ``with`` while copies and elements share the memory, and hostile
``array``/``arrayview``/``seg.array``/``attach_array`` constructions. An array's model is one
bit pattern per element, shared with its element objects; bulk float arithmetic may apply
the values of a repeated index in any order (docs/arrays.md), so the model accepts the result
of any order. After every array call the whole array is compared with the model, and the bytes
around it.

The property of every call: it either succeeds with exactly the result of the reference model
below (a value of ``width`` bytes held as its bit pattern; floats compared bit for bit, with
the two cases IEEE leaves open -- the sign of max(0.0, -0.0) and which NaN comes out of an
operation on two NaNs -- accepted either way), or it raises one of the
exceptions that the documentation names for what is wrong with the call (TypeError,
ValueError, OverflowError, BufferError, AttributeError for a method the family lacks,
``atomics.exc.*``, NotImplementedError for wait on width 16, FileNotFoundError/OSError for
segment names, and whatever a hostile ``__index__`` raises) -- and then memory is unchanged.
After every step: every live target's ``load()`` equals the model; every byte around a view's
region (guard bytes in a larger buffer) and every byte of a segment outside its atomics (read
through an independent read-only mmap of the ``/dev/shm`` file) is unchanged; read-only memory
never changes; a pinned buffer refuses to resize or close (BufferError) and a released one
accepts; and no segment name outlives what owns it. The interpreter never crashes (a crash
fails the run).

Nothing the implementation computes is trusted: the expected outcome of each call is derived
from the arguments by the predictor below, before the call, from the documentation.

Short run by default (a few seconds per interpreter). Long runs:
``ATOMICS_FUZZ_EXAMPLES`` (state machine runs), ``ATOMICS_FUZZ_STEPS`` (steps per run),
``ATOMICS_FUZZ_BURST`` (calls per burst step); ``ATOMICS_FUZZ_REPORT=path`` writes the
figures as JSON (``make fuzz`` does all of that).
"""

import array
import collections
import copy
import ctypes
import decimal
import fractions
import gc
import json
import math
import mmap
import operator
import os
import pickle
import random
import re
import signal
import stat
import struct
import sys
import tempfile
import threading
import time
import types
import warnings

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

import atomics
from atomics import MemoryOrder as MO
from atomics import OpType
from atomics import arrays as aarrays
from atomics import base as abase
from atomics import view as aview
from atomics.exc import AlignmentError, MemoryOrderError, UnsupportedOperationException, UnsupportedWidthException
from atomics.shared import SharedSegment, attach_array, layout

from _cpu import CAS16, LOAD16, SIZE_MAX  # which widths exist, read from the CPU, as the README says

try:
    import numpy as np
except ImportError:  # pragma: no cover - numpy is optional
    np = None

EXAMPLES = int(os.environ.get("ATOMICS_FUZZ_EXAMPLES", "300"))
STEPS = int(os.environ.get("ATOMICS_FUZZ_STEPS", "40"))
BURST = int(os.environ.get("ATOMICS_FUZZ_BURST", "30"))
REPORT = os.environ.get("ATOMICS_FUZZ_REPORT")
# wait() never sleeps (a timeout of 0 instead of 0.5 ms)
NO_SLEEP = os.environ.get("ATOMICS_FUZZ_NO_SLEEP") == "1"
# At most this many forks with a sleeping or releasing thread per run (each costs ~50 ms)
FORKS = 0 if NO_SLEEP or not hasattr(os, "fork") else int(os.environ.get("ATOMICS_FUZZ_FORKS", "40"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# older numpy warns when np.bool_ (one of the hostile values) is used as an index
pytestmark = pytest.mark.filterwarnings("ignore:In future, it will be an error for 'np.bool:DeprecationWarning")

SHM = "/dev/shm"
# conftest.py tags this session's segments (ATOMICS_SEGMENT_TAG) so that leak checks count
# only ours, whatever else runs on the machine.
TAG = os.environ.get("ATOMICS_SEGMENT_TAG", "")
NAME_PATTERN = re.compile(r"^/atomics_" + re.escape(TAG) + r"[a-z2-7]{11}$")
RELEASED = "Operation forbidden on released AtomicCore object."
MAX_TARGETS = 9

# Segments whose creator was told to keep the name (unlink_on_close = False): the test removes
# them itself, at the end of each run and, should a run fail half-way, at the end of the module.
KEPT = set()

# Figures of the run, reported at the end of the module (and written to ATOMICS_FUZZ_REPORT).
COUNTS = collections.Counter()
RAISED = collections.Counter()


# ---------------------------------------------------------------------------------------
# The platform, read from the CPU (never from the library): which widths exist
# ---------------------------------------------------------------------------------------


WIDTHS = [1, 2, 4, 8] + ([16] if CAS16 else [])


def width_exists(width, readonly, family=None):
    if family == "float":
        return width in (4, 8)
    if width in (1, 2, 4, 8):
        return True
    if width == 16:
        return LOAD16 if readonly else CAS16
    return False


def items_usable(fmt, itemsize, family, signed, width):
    """Whether atomics of `family` ("int", "float", "bytes"), signed or not, of `width` may
    view or fill a buffer whose items have struct format `fmt` (docs/arrays.md, "Which
    buffers"): raw bytes always; the family's own native numbers of the width; for bytes any
    plain numbers; never objects, pointers or structures."""
    order, code = (fmt[0], fmt[1:]) if fmt[:1] in ("@", "=", "<", ">", "!") else ("@", fmt)
    native = itemsize == 1 or order in ("@", "=") or order == {"little": "<", "big": ">"}[sys.byteorder] \
        or (order == "!" and sys.byteorder == "big")
    ints = {c: c.islower() for c in "bhilqnBHILQN"}
    kind = ("int" if code in ints else "float" if code in ("e", "f", "d") else
            "other-number" if code in ("?", "c", "Ze", "Zf", "Zd") else None)
    if kind is None:
        return False
    if itemsize == 1 and (code in ints or code == "c") or family == "bytes":
        return True
    fits = native and itemsize == width
    if family == "int":
        return kind == "int" and fits and ints[code] == bool(signed)
    return family == "float" and kind == "float" and fits


def atype_family(label, kwargs):
    """(family, signed) of an atype of the fuzzer's tables, with its keywords."""
    if label in ("INT", "UINT"):
        return "int", label == "INT"
    if label == "INTEGRAL":
        return "int", bool(kwargs.get("is_signed"))
    if label == "ANY":
        return ("int" if kwargs.get("is_integral") else "bytes"), bool(kwargs.get("is_signed"))
    return ("float" if label == "FLOAT" else "bytes"), False


def foreign_buffer(rng, nbytes):
    """A buffer of `nbytes` whose items are not raw bytes, or None where none can be made:
    Python objects, pointers, big- or little-endian numbers, floats, bools. The caller checks
    afterwards that an object buffer still holds its objects."""
    makers = []
    if nbytes % ctypes.sizeof(ctypes.py_object) == 0 and nbytes:
        n = nbytes // ctypes.sizeof(ctypes.py_object)
        makers.append(lambda: (ctypes.py_object * n)(*([None] * n)))
        makers.append(lambda: (ctypes.c_void_p * n)())
        if np is not None:
            makers.append(lambda: np.array([None] * n, dtype=object))
    if np is not None and nbytes:
        for size, letters in ((1, "iub"), (2, "iuf"), (4, "iuf"), (8, "iuf"), (16, "c")):
            if nbytes % size == 0:
                for letter in letters:
                    for order in ("<", ">", "="):
                        dtype = np.dtype(f"{order}{letter}{size}") if letter != "b" else np.dtype(np.bool_)
                        makers.append(lambda dtype=dtype: np.zeros(nbytes // dtype.itemsize, dtype=dtype))
    if not makers:
        return None
    COUNTS["foreign-format buffers"] += 1
    return rng.choice(makers)()


def objects_intact(buf):
    """Whether a buffer of Python objects still holds only None (never written through)."""
    if isinstance(buf, ctypes.Array) and buf._type_ is ctypes.py_object:
        return all(x is None for x in buf)
    if np is not None and isinstance(buf, np.ndarray) and buf.dtype == object:
        return all(x is None for x in buf.tolist())
    return True


# ---------------------------------------------------------------------------------------
# The reference: method table, conversions, model
# ---------------------------------------------------------------------------------------

ALL_ORDERS = [MO.RELAXED, MO.ACQUIRE, MO.RELEASE, MO.ACQ_REL, MO.SEQ_CST]
STORE_ORDERS = {MO.RELAXED, MO.RELEASE, MO.SEQ_CST}
LOAD_ORDERS = {MO.RELAXED, MO.ACQUIRE, MO.SEQ_CST}
VALID_FAIL = {
    MO.RELAXED: {MO.RELAXED},
    MO.ACQUIRE: {MO.RELAXED, MO.ACQUIRE},
    MO.RELEASE: {MO.RELAXED, MO.ACQUIRE},
    MO.ACQ_REL: {MO.RELAXED, MO.ACQUIRE},
    MO.SEQ_CST: {MO.RELAXED, MO.ACQUIRE, MO.SEQ_CST},
}

# method -> (parameters, how many are required, OpType or None, what it does)
VALUE_ORDER = ("value", "order")
METHODS = {
    "store": (("desired", "order"), 1, OpType.STORE, "store"),
    "load": (("order",), 0, OpType.LOAD, "load"),
    "exchange": (("desired", "order"), 1, OpType.EXCHANGE, "exchange"),
    "cmpxchg_weak": (("expected", "desired", "success", "failure"), 2, OpType.CMPXCHG_WEAK, "cmpxchg"),
    "cmpxchg_strong": (("expected", "desired", "success", "failure"), 2, OpType.CMPXCHG_STRONG, "cmpxchg"),
    "bit_test": (("index", "order"), 1, OpType.BIT_TEST, "bit"),
    "bit_test_compl": (("index", "order"), 1, OpType.BIT_TEST_COMPL, "bit"),
    "bit_test_set": (("index", "order"), 1, OpType.BIT_TEST_SET, "bit"),
    "bit_test_reset": (("index", "order"), 1, OpType.BIT_TEST_RESET, "bit"),
    "bin_or": (VALUE_ORDER, 1, OpType.OR, "rmw"),
    "bin_xor": (VALUE_ORDER, 1, OpType.XOR, "rmw"),
    "bin_and": (VALUE_ORDER, 1, OpType.AND, "rmw"),
    "bin_not": (("order",), 0, OpType.NOT, "rmw"),
    "bin_fetch_or": (VALUE_ORDER, 1, OpType.FETCH_OR, "rmw"),
    "bin_fetch_xor": (VALUE_ORDER, 1, OpType.FETCH_XOR, "rmw"),
    "bin_fetch_and": (VALUE_ORDER, 1, OpType.FETCH_AND, "rmw"),
    "bin_fetch_not": (("order",), 0, OpType.FETCH_NOT, "rmw"),
    "add": (VALUE_ORDER, 1, OpType.ADD, "rmw"),
    "sub": (VALUE_ORDER, 1, OpType.SUB, "rmw"),
    "inc": (("order",), 0, OpType.INC, "rmw"),
    "dec": (("order",), 0, OpType.DEC, "rmw"),
    "neg": (("order",), 0, OpType.NEG, "rmw"),
    "fetch_add": (VALUE_ORDER, 1, OpType.FETCH_ADD, "rmw"),
    "fetch_sub": (VALUE_ORDER, 1, OpType.FETCH_SUB, "rmw"),
    "fetch_inc": (("order",), 0, OpType.FETCH_INC, "rmw"),
    "fetch_dec": (("order",), 0, OpType.FETCH_DEC, "rmw"),
    "fetch_neg": (("order",), 0, OpType.FETCH_NEG, "rmw"),
    "fetch_max": (VALUE_ORDER, 1, OpType.FETCH_MAX, "rmw"),
    "fetch_min": (VALUE_ORDER, 1, OpType.FETCH_MIN, "rmw"),
    "add_fetch": (VALUE_ORDER, 1, OpType.ADD_FETCH, "rmw"),
    "sub_fetch": (VALUE_ORDER, 1, OpType.SUB_FETCH, "rmw"),
    "inc_fetch": (("order",), 0, OpType.INC_FETCH, "rmw"),
    "dec_fetch": (("order",), 0, OpType.DEC_FETCH, "rmw"),
    "checked_fetch_add": (VALUE_ORDER, 1, OpType.CHECKED_FETCH_ADD, "rmw"),
    "checked_fetch_sub": (VALUE_ORDER, 1, OpType.CHECKED_FETCH_SUB, "rmw"),
    "update": (("fn",), 1, OpType.CMPXCHG_WEAK, "update"),
    "wait": (("old", "timeout"), 1, None, "wait"),
    "notify_one": ((), 0, None, "notify"),
    "notify_all": ((), 0, None, "notify"),
}
ARITHMETIC = {"add", "sub", "inc", "dec", "neg", "fetch_add", "fetch_sub", "fetch_inc", "fetch_dec", "fetch_neg",
              "fetch_max", "fetch_min", "add_fetch", "sub_fetch", "inc_fetch", "dec_fetch", "checked_fetch_add",
              "checked_fetch_sub"}
METHOD_NAMES = sorted(METHODS)
FLOAT_METHODS = {"store", "load", "exchange", "cmpxchg_weak", "cmpxchg_strong", "fetch_add", "fetch_sub", "fetch_max",
                 "fetch_min", "update", "wait", "notify_one", "notify_all"}
FAMILY_METHODS = {
    "int": set(METHODS),
    "bytes": set(METHODS) - ARITHMETIC,
    "float": FLOAT_METHODS,
    "none": set(),
}
READ_ONLY_OPS = {OpType.LOAD, OpType.BIT_TEST}
# ops_supported, as the README and docs list them
INTEGRAL_OPS = list(OpType)  # 35: atomics 1.0's 27 and FETCH_MAX ... CHECKED_FETCH_SUB
BYTES_OPS = [op for op in OpType if op.value <= OpType.FETCH_NOT.value]
FLOAT_OPS = [OpType.STORE, OpType.LOAD, OpType.EXCHANGE, OpType.CMPXCHG_WEAK, OpType.CMPXCHG_STRONG,
             OpType.FETCH_ADD, OpType.FETCH_SUB, OpType.FETCH_MAX, OpType.FETCH_MIN]


def family_of_class(cls):
    if issubclass(cls, atomics._native.AtomicIntegralBase):
        return "int"
    if issubclass(cls, atomics._native.AtomicBytesBase):
        return "bytes"
    if issubclass(cls, atomics._native.AtomicFloatBase):
        return "float"
    return "none"


def bounds(width, signed):
    bits = 8 * width
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)


def mask_of(width):
    return (1 << (8 * width)) - 1


def decode(u, width, family, signed):
    if family == "bytes":
        return u.to_bytes(width, sys.byteorder)
    if family == "float":
        return bits_to_float(u, width)
    if signed and u >> (8 * width - 1):
        return u - (1 << (8 * width))
    return u


# IEEE floats: the bit patterns the hardware gives (C casts through ctypes, as Rust's `as` does:
# cvtsd2ss / cvtss2sd on x86_64, NaN payloads and all).
def float_to_bits(x, width):
    if width == 4:
        return int.from_bytes(bytes(ctypes.c_float(x)), sys.byteorder)
    return int.from_bytes(struct.pack("=d", x), sys.byteorder)


def bits_to_float(u, width):
    if width == 4:
        return ctypes.c_float.from_buffer_copy(u.to_bytes(4, sys.byteorder)).value
    return struct.unpack("=d", u.to_bytes(8, sys.byteorder))[0]


def same(got, want):
    """Equal values; floats bit for bit (-0.0 is not 0.0, a NaN is its own bits)."""
    if isinstance(want, float):
        return type(got) is float and struct.pack("=d", got) == struct.pack("=d", want)
    return got == want


class Either:
    """A result IEEE leaves open: any bit pattern `allowed` accepts."""

    def __init__(self, allowed, why):
        self.allowed, self.why = allowed, why


def float_arith(method, a_bits, b_bits, width):
    """New bits of fetch_add/sub/max/min on floats, or Either."""
    a, b = bits_to_float(a_bits, width), bits_to_float(b_bits, width)
    if method in ("fetch_add", "fetch_sub"):
        if math.isnan(a) and math.isnan(b):
            return Either(lambda u: math.isnan(bits_to_float(u, width)), "two NaN operands")
        # the exact result rounded once (a double holds any sum of two floats' f32 values closely
        # enough that rounding it to f32 is the correctly rounded f32 sum)
        return float_to_bits(a + b if method == "fetch_add" else a - b, width)
    if math.isnan(a) and math.isnan(b):
        return Either(lambda u: u in (a_bits, b_bits), "max/min of two NaNs")
    if math.isnan(b):
        return a_bits  # maxNum/minNum: a NaN operand leaves the value
    if math.isnan(a):
        return b_bits  # a NaN value is replaced
    if a == b:
        return Either(lambda u: u in (a_bits, b_bits), "max/min of equal values (0.0, -0.0)")
    pick = max(a, b) if method == "fetch_max" else min(a, b)
    return a_bits if pick == a else b_bits


class HostileError(Exception):
    """What the hostile ``__index__`` and ``__iter__`` methods raise."""


class Hostile:
    """An argument that misbehaves. The predictor reads what it does from `as_int` /
    `as_bytes` and never runs its methods; what it did during a call is read from EFFECTS."""

    def as_int(self):
        return ("raise", TypeError)

    def as_bytes(self, cmpxchg):
        return ("raise", TypeError)

    def __repr__(self):
        return type(self).__name__


EFFECTS = []  # (kind, payload) appended by hostile arguments while a call runs


class RaisingIndex(Hostile):
    def __index__(self):
        raise HostileError("hostile __index__")

    def as_int(self):
        return ("raise", HostileError)


class NonIntIndex(Hostile):
    def __index__(self):
        return 1.5

    def as_int(self):
        return ("raise", TypeError)


class HugeIndex(Hostile):
    def __index__(self):
        return 1 << 200

    def as_int(self):
        return ("ok", 1 << 200)


class ReleasingIndex(Hostile):
    """``__index__`` releases the memory of the object being called (closes its context or
    segment) and then returns a valid value."""

    def __init__(self, machine, target, value):
        self.machine, self.target, self.value = machine, target, value

    def __index__(self):
        if self.machine.release_backing(self.target.backing):
            EFFECTS.append(("release", self.target.backing))
        return self.value

    def as_int(self):
        return ("ok", self.value)

    def __repr__(self):
        return f"ReleasingIndex({self.value})"


class ReentrantIndex(Hostile):
    """``__index__`` calls an operation on the very object being called, then returns."""

    def __init__(self, machine, target, value):
        self.machine, self.target, self.value = machine, target, value

    def __index__(self):
        EFFECTS.append(("nested", self.machine.nested_call(self.target)))
        return self.value

    def as_int(self):
        return ("ok", self.value)

    def __repr__(self):
        return f"ReentrantIndex({self.value})"


class OneShotIter(Hostile):
    """An iterator over bytes (compare-exchange accepts any iterable)."""

    def __init__(self, data):
        self.data = bytes(data)
        self.it = iter(self.data)

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.it)

    def as_bytes(self, cmpxchg):
        return ("ok", self.data) if cmpxchg else ("raise", TypeError)

    def __repr__(self):
        return f"OneShotIter({self.data!r})"


class ReleasingIter(OneShotIter):
    def __init__(self, machine, target, data):
        super().__init__(data)
        self.machine, self.target = machine, target

    def __iter__(self):
        if self.machine.release_backing(self.target.backing):
            EFFECTS.append(("release", self.target.backing))
        return self


class ReentrantIter(OneShotIter):
    def __init__(self, machine, target, data):
        super().__init__(data)
        self.machine, self.target = machine, target

    def __iter__(self):
        EFFECTS.append(("nested", self.machine.nested_call(self.target)))
        return self


class RaisingIter(Hostile):
    def __iter__(self):
        raise HostileError("hostile __iter__")

    def as_bytes(self, cmpxchg):
        return ("raise", HostileError) if cmpxchg else ("raise", TypeError)


class RaisingBool(Hostile):
    def __bool__(self):
        raise HostileError("hostile __bool__")


class Raised:
    """An exception's class and message, without its traceback (which would keep frames
    and the objects in them alive)."""

    def __init__(self, e):
        self.cls, self.message = type(e), str(e)

    def __repr__(self):
        return f"{self.cls.__name__}({self.message!r})"


class UpdateFn(Hostile):
    """A function for update(fn). It records each call's argument and what it returned;
    `kind` says what it does: "valid" (a value of the right family), "junk" (returns
    `junk`), "raise", "release" (releases the memory, then returns a valid value), "nested"
    (first call only: an operation on the same atomic, which makes update retry)."""

    def __init__(self, machine, target, kind, rng, junk=None):
        self.machine, self.target, self.kind, self.junk = machine, target, kind, junk
        self.k = rng.getrandbits(8 * target.width)
        self.calls = []

    def valid(self, v):
        t = self.target
        if t.family == "bytes":
            return bytes(b ^ (self.k & 0xFF) for b in v)
        if t.family == "float":
            return v * 0.5 - 1.25
        lo, hi = bounds(t.width, t.signed)
        return lo + (v - lo + self.k) % (hi - lo + 1)

    def __call__(self, v):
        if self.kind == "raise":
            self.calls.append((v, None))
            raise HostileError("hostile update function")
        if self.kind == "release" and self.machine.release_backing(self.target.backing):
            EFFECTS.append(("release", self.target.backing))
        if self.kind == "nested" and not self.calls:
            EFFECTS.append(("nested", self.machine.nested_call(self.target)))
        out = self.junk if self.kind == "junk" else self.valid(v)
        self.calls.append((v, out))
        return out

    def __repr__(self):
        return f"UpdateFn({self.kind}{', ' + short(self.junk, 30) if self.kind == 'junk' else ''})"


class IntSub(int):
    pass


class BytesSub(bytes):
    pass


def conv_int(x, width, signed):
    """How an int argument converts: (bits, None) or (None, exception type)."""
    if isinstance(x, Hostile):
        how, what = x.as_int()
        if how == "raise":
            return None, what
        v = what
    elif isinstance(x, int):
        v = int(x)
    elif hasattr(type(x), "__index__"):  # numpy integers
        try:
            v = operator.index(x)
        except Exception as e:  # noqa: BLE001 - the type is the prediction
            return None, type(e)
    else:
        return None, TypeError
    lo, hi = bounds(width, signed)
    if not lo <= v <= hi:
        return None, OverflowError
    return v & mask_of(width), None


def conv_bytes(x, width, cmpxchg):
    """How a bytes argument converts (any buffer; compare-exchange also takes any iterable,
    as ``PyBytes_FromObject`` does)."""
    if isinstance(x, Hostile):
        how, what = x.as_bytes(cmpxchg)
        if how == "raise":
            return None, what
        data = what
    elif isinstance(x, bytes):
        data = bytes(x)
    else:
        try:
            with memoryview(x) as mv:
                data = mv.tobytes()
        except TypeError:
            data = None
        except ValueError:  # a released memoryview
            return None, ValueError
        if data is None:
            if not cmpxchg:
                return None, TypeError
            # atomics 1.0's order: the length by len() first (a TypeError without one, unless
            # an iterator, measured when converted), then the conversion
            has = lambda name: any(name in vars(k) for k in type(x).__mro__)  # noqa: E731 (not the metaclass's)
            if has("__len__"):
                if len(x) != width:
                    return None, ValueError
            elif not has("__iter__"):
                return None, TypeError
            if isinstance(x, str) or not isinstance(x, (list, tuple, dict)):
                return None, TypeError
            try:
                data = bytes(list(x))
            except (TypeError, ValueError) as e:
                return None, type(e)
    if len(data) != width:
        return None, ValueError
    return int.from_bytes(data, sys.byteorder), None


def conv_float(x, width):
    """How a float argument converts: floats as they are, ints and objects with __float__ or
    __index__ (numpy scalars, Decimal, Fraction) through float(); then rounded to the width."""
    if isinstance(x, Hostile):
        how, what = x.as_int()
        if how == "raise":
            return None, what
        try:
            v = float(what)
        except OverflowError:
            return None, OverflowError
    elif isinstance(x, float):
        v = x
    elif hasattr(type(x), "__float__") or hasattr(type(x), "__index__"):
        try:
            v = float(x)
        except Exception as e:  # noqa: BLE001
            return None, type(e)
    else:
        return None, TypeError
    return float_to_bits(v, width), None


def conv_value(x, t, cmpxchg=False):
    """An operand of target `t`'s family."""
    if t.family == "bytes":
        return conv_bytes(x, t.width, cmpxchg)
    if t.family == "float":
        return conv_float(x, t.width)
    return conv_int(x, t.width, t.signed)


def conv_order(x):
    if x is None:
        return MO.SEQ_CST, None
    if isinstance(x, int):
        v = int(x)
        return (MO(v), None) if v in (0, 2, 3, 4, 5) else (None, ValueError)
    return None, TypeError


def conv_index(x, width):
    if isinstance(x, Hostile):
        how, what = x.as_int()
        if how == "raise":
            return None, what
        v = what
    elif isinstance(x, int):
        v = int(x)
    elif hasattr(type(x), "__index__"):
        try:
            v = operator.index(x)
        except Exception as e:  # noqa: BLE001
            return None, type(e)
    else:
        return None, TypeError
    if not 0 <= v < 8 * width:
        return None, ValueError
    return v, None


def conv_timeout(x):
    """(seconds or math.inf, None) or (None, exception type)."""
    if x is None:
        return math.inf, None
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None, TypeError
    try:
        s = float(x)
    except OverflowError:
        return None, OverflowError
    if math.isnan(s) or s < 0:
        return None, ValueError
    return s, None


def conv_width(x):
    """A width argument as atomics 1.0 takes it: an int (bools and IntEnums included)."""
    if not isinstance(x, int):
        return None, TypeError
    v = int(x)
    if v < 0:
        return None, ValueError
    if v > SIZE_MAX:  # does not fit size_t (32 bits in a 32-bit process)
        return None, OverflowError
    return v, None


def conv_usize(x):
    """A size or offset parsed by PyO3 as usize."""
    if isinstance(x, Hostile) or not hasattr(type(x), "__index__"):
        return None, TypeError
    v = operator.index(x)
    if v < 0 or v > SIZE_MAX:
        return None, OverflowError
    return v, None


def released_first(method, order):
    """What a call on released memory raises: atomics 1.0's released ValueError, before any
    argument is looked at, except bit_test's order, which 1.0 checks first."""
    if method == "bit_test":
        o, err = conv_order(order)
        if err is not None:
            return Prediction().only(err, "'order' (bit_test checks it first)")
        if o not in LOAD_ORDERS:
            return Prediction().only(MemoryOrderError, "'order' (bit_test checks it first)")
    return Prediction().only(ValueError, "released")


class Prediction:
    def __init__(self):
        self.errors = {}  # exception type -> set of reasons
        self.exclusive = False

    def add(self, exc, reason):
        self.errors.setdefault(exc, set()).add(reason)

    def only(self, exc, reason):
        self.errors = {exc: {reason}}
        self.exclusive = True
        return self


# ---------------------------------------------------------------------------------------
# What the fuzzer holds
# ---------------------------------------------------------------------------------------


class Cell:
    """The model of one atomic's memory: its bit pattern."""

    __slots__ = ("u", "width")

    def __init__(self, width, u=0):
        self.width, self.u = width, u

    def raw(self):
        return self.u.to_bytes(self.width, sys.byteorder)


class SegmentFile:
    """A segment this process made, seen through an independent read-only mmap of its
    /dev/shm file (which stays valid after the name is removed)."""

    def __init__(self, name, size, width, kind):
        self.name, self.size = name, size
        self.cells = {}  # data offset -> Cell
        self.header = (b"atomics\0" + struct.pack("=IIQII", 1, 64, size, width, kind)).ljust(64, b"\0")
        path = os.path.join(SHM, name.lstrip("/"))
        fd = os.open(path, os.O_RDONLY)
        try:
            st_ = os.fstat(fd)
            self.mode, self.uid = stat.S_IMODE(st_.st_mode), st_.st_uid
            self.map = mmap.mmap(fd, 64 + size, access=mmap.ACCESS_READ)
        finally:
            os.close(fd)
        self.kept = False  # unlink_on_close set to False: the test removes the name itself

    def path(self):
        return os.path.join(SHM, self.name.lstrip("/"))

    def expected(self):
        data = bytearray(self.size)
        for offset, cell in self.cells.items():
            data[offset:offset + cell.width] = cell.raw()
        return self.header + bytes(data)


class Backing:
    """What one or more targets' memory belongs to, as the test sees it."""

    def __init__(self, kind, readonly=False):
        self.kind = kind  # owned | view | segment | uninit
        self.readonly = readonly
        self.released = False
        self.ctx = None  # view: its context
        self.passed = None  # view: the object given to atomicview (pin checks)
        self.passed_released = False
        self.reader = None  # view: () -> bytes of the whole underlying buffer
        self.snapshot = None  # view: bytes of the whole buffer at creation
        self.regions = []  # view: (offset in the buffer, Cell)
        self.address = None  # view: address of the region
        self.seg = None  # segment: the SharedSegment object (None when there is none to close)
        self.file = None  # segment: its SegmentFile
        self.owner = False  # segment: releasing it removes the name
        self.keep = []  # objects that must live as long as the backing (files, mmaps)
        self.array = None  # array view: an array object over it (release() releases them all)
        self.base = None  # array view: the writable object the buffer is part of, if any
        self.base_address = None  # array view: the address of `base`

    def expected_buffer(self):
        data = bytearray(self.snapshot)
        for offset, cell in self.regions:
            data[offset:offset + cell.width] = cell.raw()
        return bytes(data)


class Target:
    def __init__(self, obj, backing, cell, width, family, signed, signed_obj, readonly, integral, label):
        self.obj, self.backing, self.cell = obj, backing, cell
        self.width, self.family, self.signed = width, family, signed
        self.signed_obj, self.readonly, self.integral = signed_obj, readonly, integral
        self.label = label
        self.address = None  # when not the backing's (an array's element)
        self.dummy = False  # an element of an empty array (for a call the model refuses)

    @property
    def alive(self):
        return self.backing.kind != "uninit" and not self.backing.released

    def value(self):
        return decode(self.cell.u, self.width, self.family, self.signed)

    def __repr__(self):
        return f"<{self.label} w={self.width} {self.family}{' ro' if self.readonly else ''}{'' if self.alive else ' released'}>"


def address_of(obj):
    """The address of a buffer's first byte (writable buffers, bytes and numpy arrays)."""
    if np is not None and isinstance(obj, np.ndarray):
        return obj.ctypes.data
    if isinstance(obj, bytes):
        return ctypes.cast(ctypes.c_char_p(obj), ctypes.c_void_p).value
    c = (ctypes.c_char * len(obj)).from_buffer(obj)
    try:
        return ctypes.addressof(c)
    finally:
        del c


def shm_names():
    """This session's segments in /dev/shm."""
    try:
        return {n for n in os.listdir(SHM) if n.startswith("atomics_" + TAG)}
    except FileNotFoundError:  # pragma: no cover - not Linux
        return set()


def short(x, n=90):
    try:
        r = repr(x)
    except Exception:  # noqa: BLE001
        r = f"<{type(x).__name__}>"
    return r if len(r) <= n else r[: n - 3] + "..."


# ---------------------------------------------------------------------------------------
# Argument pools: valid and hostile values for each kind of parameter
# ---------------------------------------------------------------------------------------


def int_operand_pool(m, t, rng):
    """(valid values, hostile values) for an integer operand of target `t`."""
    w, signed = t.width, t.signed
    lo, hi = bounds(w, signed)
    bits = 8 * w
    current = t.value() if t.family == "int" else 0
    valid = [
        lambda: rng.randint(lo, hi), lambda: rng.randint(lo, hi), lambda: rng.randint(lo, hi),
        lambda: current, lambda: current, lambda: lo, lambda: hi, lambda: 0, lambda: 1,
        lambda: hi - 1, lambda: lo + 1, lambda: True, lambda: False,
        lambda: MO.SEQ_CST, lambda: OpType.FETCH_NEG, lambda: IntSub(rng.randint(0, min(hi, 100))),
    ]
    hostile = [
        lambda: -1, lambda: hi + 1, lambda: lo - 1, lambda: 1 << bits, lambda: -(1 << bits), lambda: 1 << 64,
        lambda: -(1 << 63) - 1, lambda: 1 << 128, lambda: -(1 << 200), lambda: 1 << 1000,
        lambda: 1.0, lambda: float("nan"), lambda: float("inf"), lambda: -0.0, lambda: None,
        lambda: "1", lambda: b"\x01" * w, lambda: bytearray(w), lambda: [1], lambda: (1,),
        lambda: object(), lambda: 1j, lambda: decimal.Decimal(1), lambda: fractions.Fraction(1, 1),
        lambda: RaisingIndex(), lambda: NonIntIndex(), lambda: HugeIndex(),
        lambda: ReleasingIndex(m, t, rng.randint(max(lo, 0), min(hi, 3))),
        lambda: ReentrantIndex(m, t, rng.randint(max(lo, 0), min(hi, 3))),
    ]
    if np is not None:
        valid += [lambda: np.int64(max(lo, -(1 << 63)) if rng.random() < 0.5 else min(hi, (1 << 63) - 1)),
                  lambda: np.uint8(min(hi, 255))]
        hostile += [lambda: np.uint64(min(hi, (1 << 64) - 1)), lambda: np.int8(-1), lambda: np.uint8(255),
                    lambda: np.float64(1.0), lambda: np.bool_(True), lambda: np.array([1])]
    return valid, hostile


def bytes_operand_pool(m, t, rng, cmpxchg):
    """(valid values, hostile values) for a bytes operand of target `t`."""
    w = t.width
    current = t.cell.raw()

    def rand():
        return rng.randbytes(w)

    def strided():
        return memoryview(bytearray(rand() * 2))[::2]

    def released():
        mv = memoryview(bytearray(w))
        mv.release()
        return mv

    valid = [
        rand, rand, rand, lambda: current, lambda: current, lambda: bytes(w), lambda: b"\xff" * w,
        lambda: bytearray(rand()), lambda: memoryview(rand()), lambda: memoryview(bytearray(rand())).toreadonly(),
        strided, lambda: array.array("B", rand()), lambda: BytesSub(rand()),
    ]
    if cmpxchg:
        valid += [lambda: list(current), lambda: list(rand()), lambda: tuple(rand()), lambda: OneShotIter(rand())]
    hostile = [
        lambda: bytes(w - 1), lambda: bytes(w + 1), lambda: b"", lambda: bytes(2 * w), lambda: "a" * w,
        lambda: None, lambda: 0, lambda: w, lambda: 1.5, released, lambda: [256] * w, lambda: ["a"] * w,
        lambda: list(rand())[:-1], lambda: RaisingIndex(), lambda: RaisingIter(), lambda: OneShotIter(rand()),
        lambda: list(rand()), lambda: dict.fromkeys(range(w)),
        lambda: ReleasingIter(m, t, rand()), lambda: ReentrantIter(m, t, rand()), lambda: object(),
        lambda: array.array("H", rand() + rand()),  # len() == width, nbytes == 2 * width
    ]
    if w % 2 == 0:
        valid.append(lambda: array.array("H", rand()))
    if w % 4 == 0:
        valid.append(lambda: array.array("I", rand()))
    if np is not None:
        valid += [lambda: np.frombuffer(rand(), dtype=np.uint8).copy(),
                  lambda: np.frombuffer(rand() * 2, dtype=np.uint8)[::2]]
        scalar = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}.get(w)
        if scalar is not None:
            valid.append(lambda: scalar(rng.randint(0, mask_of(w))))
    return valid, hostile


def float_operand_pool(m, t, rng):
    """(valid values, hostile values) for a float operand of target `t`."""
    w = t.width
    current = t.value() if t.family == "float" else 0.0
    snan = struct.unpack("=d", struct.pack("=Q", 0x7FF4000000000001))[0]
    specials = [0.0, -0.0, 1.0, -1.5, 0.1, 1e-45, 5e-324, 3.4028235e38, 3.5e38, 1e300, -1e300,
                math.inf, -math.inf, math.nan, -math.nan, snan]
    valid = [
        lambda: rng.uniform(-1e6, 1e6), lambda: rng.choice(specials), lambda: rng.choice(specials),
        lambda: current, lambda: current, lambda: bits_to_float(rng.getrandbits(8 * w), w),
        lambda: rng.randint(-1000, 1000), lambda: True, lambda: IntSub(3), lambda: MO.SEQ_CST,
        lambda: decimal.Decimal("2.5"), lambda: fractions.Fraction(1, 3), lambda: 1 << 200,
    ]
    hostile = [
        lambda: "1.0", lambda: None, lambda: b"x", lambda: bytearray(8), lambda: [1.0], lambda: (1.0,),
        lambda: 1j, lambda: 10 ** 400, lambda: -(10 ** 400), lambda: object(), lambda: RaisingIndex(),
        lambda: NonIntIndex(), lambda: HugeIndex(), lambda: ReleasingIndex(m, t, 1),
        lambda: ReentrantIndex(m, t, 2), lambda: OneShotIter(bytes(w)),
    ]
    if np is not None:
        valid += [lambda: np.float64(rng.uniform(-10, 10)), lambda: np.float32(0.1), lambda: np.int64(5),
                  lambda: np.uint8(3), lambda: np.float16(1.5)]
    return valid, hostile


def update_pool(m, t, rng):
    """(valid, hostile) functions for update(fn)."""
    valid_junk = {"int": [lambda: True, lambda: IntSub(1)], "bytes": [lambda: bytearray(t.width), lambda: memoryview(bytes(t.width))],
                  "float": [lambda: 2, lambda: decimal.Decimal("0.5")]}.get(t.family, [])
    lo, hi = bounds(t.width, t.signed)
    junk = {"int": [hi + 1, lo - 1, 1.5, "x", None, b"\0", RaisingIndex()],
            "bytes": [bytes(t.width + 1), b"", [0] * t.width, "x" * t.width, None, 0],
            "float": ["x", None, 10 ** 400, 1j, b"\0" * 8, RaisingIndex()]}.get(t.family, [None])
    valid = [lambda: UpdateFn(m, t, "valid", rng), lambda: UpdateFn(m, t, "valid", rng),
             lambda: UpdateFn(m, t, "nested", rng)]
    valid += [(lambda make=make: UpdateFn(m, t, "junk", rng, make())) for make in valid_junk]
    hostile = [lambda: UpdateFn(m, t, "junk", rng, rng.choice(junk)), lambda: UpdateFn(m, t, "raise", rng),
               lambda: UpdateFn(m, t, "release", rng), lambda: 5, lambda: None, lambda: "fn",
               lambda: (lambda: 0), lambda: (lambda a, b: 0)]
    return valid, hostile


def order_pool(rng):
    valid = [
        lambda: rng.choice(ALL_ORDERS), lambda: rng.choice(ALL_ORDERS), lambda: rng.choice(ALL_ORDERS),
        lambda: MO.SEQ_CST, lambda: MO.RELAXED, lambda: int(rng.choice(ALL_ORDERS)), lambda: None,
        lambda: False, lambda: OpType.LOAD, lambda: IntSub(5),
    ]
    hostile = [
        lambda: 1, lambda: 6, lambda: -1, lambda: 1 << 64, lambda: 1 << 100, lambda: -(1 << 100),
        lambda: True, lambda: "SEQ_CST", lambda: 5.0, lambda: b"\x05", lambda: MO, lambda: [5],
        lambda: object(), lambda: RaisingIndex(), lambda: OpType.STORE,
    ] + ([lambda: np.int64(5)] if np is not None else [])
    return valid, hostile


def index_pool(m, t, rng):
    bits = 8 * t.width
    valid = [
        lambda: rng.randrange(bits), lambda: rng.randrange(bits), lambda: rng.randrange(bits),
        lambda: 0, lambda: bits - 1, lambda: True, lambda: False, lambda: IntSub(1),
    ] + ([lambda: np.int64(rng.randrange(bits))] if np is not None else [])
    hostile = [
        lambda: bits, lambda: -1, lambda: 1 << 63, lambda: 1 << 64, lambda: -(1 << 64), lambda: 1 << 200,
        lambda: 1.0, lambda: None, lambda: "0", lambda: RaisingIndex(), lambda: NonIntIndex(), lambda: HugeIndex(),
        lambda: ReleasingIndex(m, t, rng.randrange(bits)), lambda: ReentrantIndex(m, t, rng.randrange(bits)),
    ] + ([lambda: np.uint8(bits)] if np is not None else [])
    return valid, hostile


def timeout_pool(rng):
    valid = [lambda: 0, lambda: 0.0, lambda: -0.0, lambda: 1e-4, lambda: 0.0005, lambda: 1e-300,
             lambda: None, lambda: math.inf, lambda: 1e300, lambda: 1 << 100]
    hostile = [
        lambda: 10 ** 400, lambda: -1, lambda: -1e-9, lambda: math.nan, lambda: True, lambda: False,
        lambda: "0", lambda: [0], lambda: decimal.Decimal("0.001"), lambda: fractions.Fraction(1, 1000),
        lambda: 1j,
    ]
    if np is not None:
        valid.append(lambda: np.float64(0.0002))
        hostile.append(lambda: np.int64(0))
    return valid, hostile


ANY_POOL = [lambda: None, lambda: 0, lambda: 1, lambda: -1, lambda: 1 << 70, lambda: 2.5, lambda: "x",
            lambda: b"\0", lambda: [], lambda: object(), lambda: MO.RELEASE, lambda: RaisingIndex()]


# ---------------------------------------------------------------------------------------
# The state machine
# ---------------------------------------------------------------------------------------

ATYPES = [  # (label, atype, kwargs)
    ("INT", atomics.INT, {}),
    ("UINT", atomics.UINT, {}),
    ("BYTES", atomics.BYTES, {}),
    ("INTEGRAL", atomics.INTEGRAL, {"is_signed": True}),
    ("INTEGRAL", atomics.INTEGRAL, {"is_signed": 0}),
    ("INTEGRAL", atomics.INTEGRAL, {"is_signed": [1]}),
    ("ANY", atomics.ANY, {"is_integral": 1, "is_signed": False}),
    ("INT", atomics.INT, {"is_signed": False}),  # ignored, as in atomics 1.0
    ("FLOAT", atomics.FLOAT, {}),
    ("FLOAT", atomics.FLOAT, {}),
]


def atype_facts(atype, kwargs):
    """(family, signed, signed object, integral flag, segment kind) of an atype."""
    if atype is atomics.INT:
        return "int", True, True, True, 1
    if atype is atomics.UINT:
        return "int", False, False, True, 2
    if atype is atomics.BYTES:
        return "bytes", False, False, False, 3
    if atype is atomics.FLOAT:
        return "float", False, None, False, 4
    if atype is atomics.INTEGRAL:
        s = kwargs["is_signed"]
        return "int", bool(s), s, True, 1 if s else 2
    s = kwargs["is_signed"]
    integral = bool(kwargs["is_integral"])
    return "none", bool(s), s, integral, (1 if s else 2) if integral else 3


VIEW_BASES = ["bytearray", "bytearray", "bytearray-whole", "mmap", "mmap-whole", "numpy",
              "bytes", "toreadonly", "mmap-access-read", "mmap-prot-read"]


# ---------------------------------------------------------------------------------------
# Arrays of atomics (atomics.array, arrayview, SharedSegment.array): the reference
# ---------------------------------------------------------------------------------------

MAX_ARRAYS = 5
ARRAY_ATYPES = [  # (label, atype, kwargs)
    ("INT", atomics.INT, {}),
    ("UINT", atomics.UINT, {}),
    ("BYTES", atomics.BYTES, {}),
    ("FLOAT", atomics.FLOAT, {}),
    ("FLOAT", atomics.FLOAT, {}),
    ("INTEGRAL", atomics.INTEGRAL, {"is_signed": True}),
    ("INTEGRAL", atomics.INTEGRAL, {"is_signed": 0}),
    ("INTEGRAL", atomics.INTEGRAL, {"is_signed": [1]}),
]
ARRAY_CLASS = {"INT": aarrays.AtomicIntArray, "UINT": aarrays.AtomicUintArray, "BYTES": aarrays.AtomicBytesArray,
               "FLOAT": aarrays.AtomicFloatArray, "INTEGRAL": aarrays.AtomicIntegralArray}
# the class of a.element(i), by the array's class (docs/arrays.md: an AtomicInt, ...)
ELEMENT_CLASS = {aarrays.AtomicIntArray: abase.AtomicInt, aarrays.AtomicUintArray: abase.AtomicUint,
                 aarrays.AtomicBytesArray: abase.AtomicBytes, aarrays.AtomicFloatArray: abase.AtomicFloat,
                 aarrays.AtomicIntegralArray: abase.AtomicIntegral}
ARRAY_CLASSES = list(ELEMENT_CLASS)
KIND_ATYPE = {1: ("INT", atomics.INT), 2: ("UINT", atomics.UINT), 3: ("BYTES", atomics.BYTES), 4: ("FLOAT", atomics.FLOAT)}
AT_PARAMS = ("indices", "values", "order")
# bulk method -> (parameters, how many are required)
BULK = {"load_all": (("out", "order"), 0), "store_all": (("values", "order"), 1), "store_at": (AT_PARAMS, 2),
        **{name: (AT_PARAMS, 1) for name in ("add_at", "sub_at", "max_at", "min_at", "or_at", "and_at", "xor_at")}}
BULK_FAMILY = {
    "int": set(BULK),
    "bytes": {"load_all", "store_all", "store_at", "or_at", "and_at", "xor_at"},
    "float": {"load_all", "store_all", "store_at", "add_at", "sub_at", "max_at", "min_at"},
    "none": set(),
}
BULK_NAMES = sorted(BULK)
BULK_ORDERS = {"load_all": LOAD_ORDERS, "store_all": STORE_ORDERS}  # the *_at operations: any order
FLOAT_AT = {"add_at": "fetch_add", "sub_at": "fetch_sub", "max_at": "fetch_max", "min_at": "fetch_min"}
ARRAY_MISC = ["getitem", "getitem", "setitem", "setitem", "delitem", "len", "iter", "element", "element", "width",
              "nbytes", "readonly", "released", "ops_supported", "signed", "_address", "shared", "repr", "copy",
              "deepcopy", "pickle", "reinit", "with", "release"]


def defining_class(cls, method):
    """The class whose descriptor `cls.method` is: it takes instances of that class (the
    bulk operations are defined once per family, the others on each class)."""
    return next(k for k in cls.__mro__ if method in vars(k))


def array_family_of_class(cls):
    if issubclass(cls, atomics._native.AtomicIntegralArrayBase):
        return "int"
    if issubclass(cls, atomics._native.AtomicBytesArrayBase):
        return "bytes"
    if issubclass(cls, atomics._native.AtomicFloatArrayBase):
        return "float"
    return "none"


class ArrayTarget:
    """An array object and the model of its memory: one Cell per element (shared with its
    copies, its element objects and, in a segment, the segment's model)."""

    def __init__(self, obj, backing, cells, width, family, signed, signed_obj, readonly, label, address=None,
                 offset=None):
        self.obj, self.backing, self.cells = obj, backing, cells
        self.width, self.family, self.signed, self.signed_obj = width, family, signed, signed_obj
        self.readonly, self.label = readonly, label
        self.address = address  # of element 0, when the test knows it (views of its own buffers)
        self.offset = offset  # data offset in its segment

    @property
    def alive(self):
        return self.backing.kind != "uninit" and not self.backing.released

    @property
    def n(self):
        return len(self.cells)

    @property
    def nbytes(self):
        return self.n * self.width

    def values(self):
        return [decode(c.u, self.width, self.family, self.signed) for c in self.cells]

    def raw(self):
        return b"".join(c.raw() for c in self.cells)

    def element_target(self, i):
        """A Target for element i, called through the array (`ElementProxy`); i None: an
        index the model refuses (any element stands in for the prediction of the others)."""
        cell = self.cells[i] if i is not None else (self.cells[0] if self.cells else Cell(self.width))
        t = Target(ElementProxy(self.obj, 0 if i is None else i), self.backing, cell, self.width, self.family,
                   self.signed, self.signed_obj, self.readonly, self.family == "int", f"{self.label}[{i}]")
        t.dummy = not self.cells
        return t

    def __repr__(self):
        return (f"<{self.label} n={self.n} w={self.width} {self.family}{' ro' if self.readonly else ''}"
                f"{'' if self.alive else ' released'}>")


class ElementProxy:
    """Element `index` of an array, as if it were an atomic: ``proxy.fetch_inc()`` calls
    ``array.fetch_inc(index)`` (nested calls and the model's reads go through it)."""

    __slots__ = ("array", "index")

    def __init__(self, array_obj, index):
        self.array, self.index = array_obj, index

    def __getattr__(self, name):
        method, index = getattr(self.array, name), self.index
        return lambda *args, **kwargs: method(index, *args, **kwargs)


class PlainIndex(Hostile):
    """An int-like object (as numpy integers are): ``__index__`` returns `value`."""

    def __init__(self, value):
        self.value = value

    def __index__(self):
        return self.value

    def as_int(self):
        return ("ok", self.value)

    def __repr__(self):
        return f"PlainIndex({self.value!r})"


GENERATORS = {}  # id of a generator made by SeqArg.generator() -> its SeqArg (read by the predictor)


class SeqArg(Hostile):
    """An iterable of `items` (iterating it runs a generator). Before item `at` (at
    len(items): when exhausted) it does `action`: "raise" (HostileError), "release" (releases
    the memory of `target`) or "nested" (an operation on `target`)."""

    def __init__(self, items, action=None, at=0, machine=None, target=None):
        self.items, self.action, self.at = list(items), action, at
        self.machine, self.target = machine, target

    def __iter__(self):
        return self.generator()

    def generator(self):
        g = self._run()
        GENERATORS[id(g)] = self
        return g

    def _run(self):
        for k, x in enumerate(self.items):
            if k == self.at:
                self._act()
            yield x
        if self.at >= len(self.items):
            self._act()

    def _act(self):
        if self.action == "raise":
            raise HostileError("hostile iterator")
        if self.action == "release" and self.machine.release_backing(self.target.backing):
            EFFECTS.append(("release", self.target.backing))
        if self.action == "nested":
            EFFECTS.append(("nested", self.machine.nested_call(self.target)))

    def __repr__(self):
        what = f", {self.action} at {self.at}" if self.action else ""
        return f"SeqArg({short(self.items, 60)}{what})"


def conv_element_index(x, n):
    """An element index (any int, or an object with __index__; negative ones count from the
    end): (index in range(n), None) or (None, exception type)."""
    if isinstance(x, Hostile):
        how, what = x.as_int()
        if how == "raise":
            return None, what
        v = what
    elif isinstance(x, int):
        v = int(x)
    elif hasattr(type(x), "__index__"):
        try:
            v = operator.index(x)
        except Exception as e:  # noqa: BLE001 - the type is the prediction
            return None, type(e)
    else:
        return None, TypeError
    if not -n <= v < n:
        return None, IndexError
    return v % n, None


PYTHON_BUFFERS = sys.version_info >= (3, 12)  # classes can export buffers (__buffer__)


class ReleasingExporter(Hostile):
    """A buffer exporter written in Python (3.12+): exporting releases the memory of
    `target`, then gives `content`'s buffer. Before 3.12 it is not a buffer at all."""

    def __init__(self, machine, target, content):
        self.machine, self.target, self.content = machine, target, content

    def __buffer__(self, flags):
        if self.machine.release_backing(self.target.backing):
            EFFECTS.append(("release", self.target.backing))
        return memoryview(self.content)

    def __release_buffer__(self, view):
        view.release()

    def __repr__(self):
        return f"ReleasingExporter({short(self.content, 60)})"


def readable(x):
    """What to read x's bytes through without running an argument's code."""
    return x.content if isinstance(x, ReleasingExporter) else x


def buffer_of(x):
    """None when x is not a buffer; ("error", exception type) when it cannot be exported
    C-contiguous (released, strided); else ("ok", ndim, format, itemsize, bytes)."""
    if isinstance(x, ReleasingExporter) and PYTHON_BUFFERS:
        x = x.content
    if isinstance(x, (Hostile, types.GeneratorType)):
        return None
    try:
        mv = memoryview(x)
    except TypeError:
        return None
    except ValueError:  # a released memoryview
        return ("error", ValueError)
    with mv:
        if not mv.c_contiguous:
            return ("error", ValueError)
        return ("ok", mv.ndim, mv.format, mv.itemsize, mv.tobytes())


def buffer_numbers(fmt, itemsize, data):
    """The numbers in a buffer as the bulk operations read them: [("i", int) or ("f", float)],
    or None for a format they refuse (anything but native integers, bool, float32/64)."""
    native = "<=" if sys.byteorder == "little" else ">!="
    if len(fmt) == 1:
        code = fmt
    elif len(fmt) == 2 and (fmt[0] == "@" or fmt[0] in native):
        code = fmt[1]
    else:
        return None
    if code not in "bBhHiIlLqQnN?fd":
        return None
    if code in "fd":
        if itemsize != (4 if code == "f" else 8):
            return None
        return [("f", bits_to_float(int.from_bytes(data[k:k + itemsize], sys.byteorder), itemsize))
                for k in range(0, len(data), itemsize)]
    if itemsize not in (1, 2, 4, 8):
        return None
    signed = code in "bhilqn"
    return [("i", int.from_bytes(data[k:k + itemsize], sys.byteorder, signed=signed))
            for k in range(0, len(data), itemsize)]


def iteration_of(x):
    """(items, action, at) of iterating x as the predictor reads it (never running an
    argument's code), or None when x is not iterable."""
    if isinstance(x, types.GeneratorType):
        x = GENERATORS[id(x)]
    if isinstance(x, SeqArg):
        return x.items, x.action, x.at
    if isinstance(x, (list, tuple, range, str, dict, set, frozenset)):
        return list(x), None, 0
    return None


def conv_indices(x, n):
    """An `indices` argument (a buffer of integers or an iterable of int-likes): (element
    indices, no errors) or (None, exception types)."""
    buf = buffer_of(x)
    if buf is not None:
        if buf[0] == "error":
            return None, {buf[1]}
        nums = buffer_numbers(buf[2], buf[3], buf[4])
        if nums is None:
            return None, {TypeError}
        errs, out = set(), []
        for kind, v in nums:
            if kind == "f":
                errs.add(TypeError)
            elif -n <= v < n:
                out.append(v % n)
            else:
                errs.add(IndexError)
        return (None, errs) if errs else (out, errs)
    it = iteration_of(x)
    if it is None:
        return None, {TypeError}
    items, action, at = it
    errs, out = set(), []
    if action == "raise":
        items = items[:at]
        errs.add(HostileError)
    for item in items:
        i, err = conv_element_index(item, n)
        if err is not None:
            errs.add(err)
        out.append(i)
    return (None, errs) if errs else (out, errs)


def conv_bulk_values(x, family, w, signed):
    """A `values` argument: (("same", bits) or ("each", [bits]), no errors) or (None,
    exception types). One value of the family is one value for every index (numpy scalars
    included; for bytes, any buffer of exactly the width); otherwise a buffer of numbers (of
    bytes, `width` per value) or an iterable of values."""

    def one(v):
        if family == "int":
            bits, err = conv_int(v, w, signed)
        elif family == "float":
            bits, err = conv_float(v, w)
        else:
            bits, err = conv_bytes(v, w, False)
        return (("same", bits), set()) if err is None else (None, {err})

    if ((family == "int" and isinstance(x, int)) or (family == "float" and isinstance(x, (int, float)))
            or (family == "bytes" and isinstance(x, bytes) and len(x) == w)):
        return one(x)
    buf = buffer_of(x)
    if buf is not None:
        if buf[0] == "error":
            return None, {buf[1]}
        _, ndim, fmt, itemsize, data = buf
        if family == "bytes":
            if len(data) == w:
                return ("same", int.from_bytes(data, sys.byteorder)), set()
            if len(data) % w:
                return None, {ValueError}
            return ("each", [int.from_bytes(data[k:k + w], sys.byteorder) for k in range(0, len(data), w)]), set()
        if ndim == 0:
            return one(x)
        nums = buffer_numbers(fmt, itemsize, data)
        if nums is None:
            return None, {TypeError}
        errs, out = set(), []
        lo, hi = bounds(w, signed)
        for kind, v in nums:
            if family == "float":
                out.append(float_to_bits(float(v), w))
            elif kind == "f":
                errs.add(TypeError)
            elif lo <= v <= hi:
                out.append(v & mask_of(w))
            else:
                errs.add(OverflowError)
        return (None, errs) if errs else (("each", out), errs)
    if (family == "int" and hasattr(x, "__index__")) or (
            family == "float" and (hasattr(x, "__float__") or hasattr(x, "__index__"))):
        return one(x)
    it = iteration_of(x)
    if it is None:
        return None, {TypeError}
    items, action, at = it
    errs, out = set(), []
    if action == "raise":
        items = items[:at]
        errs.add(HostileError)
    for item in items:
        conv, err = one(item)
        errs |= err
        out.append(conv and conv[1])
    return (None, errs) if errs else (("each", out), errs)


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


def bulk_apply(method, u, x, w, signed):
    """New bits of an integer or bytes element after bulk `method` with operand bits x."""
    mask = mask_of(w)
    if method in ("store_at", "store_all"):
        return x
    if method == "add_at":
        return (u + x) & mask
    if method == "sub_at":
        return (u - x) & mask
    if method in ("max_at", "min_at"):
        a, b = decode(u, w, "int", signed), decode(x, w, "int", signed)
        return u if (a >= b if method == "max_at" else a <= b) else x
    return {"or_at": u | x, "and_at": u & x, "xor_at": u ^ x}[method]


ANY_NAN = "any NaN"


def float_step(method, a, x, w):
    """The bit patterns (ANY_NAN: any NaN) a float element holding `a` may hold after `method`
    (fetch_add/sub/max/min) with operand bits x."""
    if a == ANY_NAN:
        if method in ("fetch_add", "fetch_sub") or math.isnan(bits_to_float(x, w)):
            return {ANY_NAN}
        return {x}  # maxNum/minNum: a NaN value is replaced
    r = float_arith(method, a, x, w)
    if isinstance(r, Either):
        return {ANY_NAN} if method in ("fetch_add", "fetch_sub") else {a, x}
    return {r}


def float_outcomes(method, start, xs, w, any_order):
    """What a float element may end as after `method` with each of xs once: in the order
    given, or (any_order) in every order (the documented "unspecified order")."""
    if not any_order:
        states = {start}
        for x in xs:
            states = set().union(*(float_step(method, s, x, w) for s in states))
        return states
    reach = {0: {start}}  # subset of the operands applied -> states
    for mask in range(1 << len(xs)):
        for s in reach.get(mask, ()):
            for j, x in enumerate(xs):
                if not mask >> j & 1:
                    reach.setdefault(mask | 1 << j, set()).update(float_step(method, s, x, w))
    return reach[(1 << len(xs)) - 1]


def float_matches(bits, states, w):
    return bits in states or (ANY_NAN in states and math.isnan(bits_to_float(bits, w)))


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


class FuzzMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.targets = []
        self.arrays = []  # ArrayTarget
        self.files = {}  # name -> SegmentFile
        self.backings = []
        self.rng = random.Random(0)
        self.names_before = shm_names()

    # -- building targets ------------------------------------------------------------

    @initialize(seed=st.integers(0, 2**32 - 1))
    def start(self, seed):
        self.rng = random.Random(seed)
        for kind in ("atomic", "view", "segment"):
            self.new_target(kind, self.rng.getrandbits(32))

    def add(self, target):
        self.targets.append(target)
        if target.backing not in self.backings:
            self.backings.append(target.backing)
        return target

    @rule(kind=st.sampled_from(["atomic", "shared", "segment", "view", "view", "view", "uninit",
                                "attach-again"]),
          seed=st.integers(0, 2**32 - 1))
    def new_target(self, kind, seed):
        rng = random.Random(seed)
        if len(self.targets) >= MAX_TARGETS:
            self.drop_target(rng.randrange(len(self.targets)))
        label, atype, kwargs = rng.choice(ATYPES)
        w = rng.choice([4, 8] if atype is atomics.FLOAT else WIDTHS)
        COUNTS["targets"] += 1
        if kind == "atomic":
            fam, signed, sobj, integral, _ = atype_facts(atype, kwargs)
            obj = atomics.atomic(w, atype, **kwargs)
            b = Backing("owned")
            self.add(Target(obj, b, Cell(w), w, fam, signed, sobj, False, integral, f"atomic({label})"))
        elif kind == "shared":
            fam, signed, sobj, integral, seg_kind = atype_facts(atype, kwargs)
            obj = atomics.atomic(w, atype, shared=True, **kwargs)
            name = obj.shared_name
            f = self.new_file(name, w, w, seg_kind)
            cell = f.cells[0] = Cell(w)
            b = Backing("segment")
            b.file, b.owner = f, True
            self.add(Target(obj, b, cell, w, fam, signed, sobj, False, integral, f"shared({label})"))
        elif kind == "segment":
            types = [rng.choice(ATYPES) for _ in range(rng.randint(1, 4))]
            widths = [rng.choice([4, 8] if atype is atomics.FLOAT else WIDTHS) for _, atype, _ in types]
            offsets, size = layout(widths, cache_line_padded=rng.random() < 0.5)
            size += rng.randint(0, 40)
            seg = SharedSegment.create(size)
            f = self.new_file(seg.name, size, 0, 0)
            b = Backing("segment")
            b.seg, b.file, b.owner = seg, f, True
            assert seg.unlink_on_close is True and seg.size == size and seg.kind == "LAYOUT"
            for offset, width, (label, atype, kwargs) in zip(offsets, widths, types):
                fam, signed, sobj, integral, _ = atype_facts(atype, kwargs)
                obj = seg.atomic(offset, width, atype, **kwargs)
                assert obj.shared_offset == offset and obj.shared_name == seg.name
                cell = f.cells[offset] = Cell(width)
                self.add(Target(obj, b, cell, width, fam, signed, sobj, False, integral, f"segment({label})@{offset}"))
        elif kind == "attach-again":
            live = [f for f in self.files.values() if f.cells and os.path.exists(f.path())]
            if not live:
                return
            f = rng.choice(live)
            seg = SharedSegment.attach(f.name)
            assert seg.size == f.size and not seg.closed and seg.unlink_on_close is False
            b = Backing("segment")
            b.seg, b.file = seg, f
            offset = rng.choice(sorted(f.cells))
            cell = f.cells[offset]
            if atype is atomics.FLOAT and cell.width not in (4, 8):
                label, atype, kwargs = ATYPES[0]
            fam, signed, sobj, integral, _ = atype_facts(atype, kwargs)
            obj = seg.atomic(offset, cell.width, atype, **kwargs)
            self.add(Target(obj, b, cell, cell.width, fam, signed, sobj, False, integral, f"attached({label})@{offset}"))
        elif kind == "uninit":
            cls = rng.choice([abase.AtomicInt, abase.AtomicUint, abase.AtomicBytes, abase.AtomicIntegral,
                              abase.AtomicFloat, aview.AtomicIntView, aview.AtomicBytesView, aview.AtomicFloatView,
                              abase.Atomic])
            obj = cls.__new__(cls)
            b = Backing("uninit")
            fam = family_of_class(cls)
            if fam == "float":
                w = rng.choice([4, 8])
            self.add(Target(obj, b, Cell(w), w, fam, False, False, False, False, f"uninit {cls.__name__}"))
        else:
            self.new_view(rng, w, label, atype, kwargs)

    def new_file(self, name, size, width, kind):
        assert NAME_PATTERN.match(name), name
        f = SegmentFile(name, size, width, kind)
        assert f.mode == 0o600, oct(f.mode)
        assert f.uid == os.getuid()
        assert f.map[:] == f.header + bytes(size), "a new segment is not zeroed or its header is wrong"
        self.files[name] = f
        return f

    def make_buffer(self, rng, w, base_kind):
        """(object to pass, reader, snapshot, offset, address, readonly, keep) for a view."""
        keep = []
        if base_kind in ("bytearray", "toreadonly"):
            n = 3 * w + rng.randint(2, 40)
            base = bytearray(rng.randbytes(n))
            a = address_of(base)
            choices = [o for o in range(1, n - w) if (a + o) % w == 0]
            off = rng.choice(choices)
            mv = memoryview(base)
            passed = (mv.toreadonly() if base_kind == "toreadonly" else mv)[off:off + w]
            keep.append(base)
            return passed, lambda: bytes(base), bytes(base), off, a + off, base_kind == "toreadonly", keep
        if base_kind == "bytearray-whole":
            base = bytearray(rng.randbytes(w))
            if address_of(base) % w:
                return self.make_buffer(rng, w, "bytearray")
            return base, lambda: bytes(base), bytes(base), 0, address_of(base), False, keep
        if base_kind == "bytes":
            n = 3 * w + rng.randint(2, 40)
            base = rng.randbytes(n)
            a = address_of(base)
            off = rng.choice([o for o in range(1, n - w) if (a + o) % w == 0])
            keep.append(base)
            return memoryview(base)[off:off + w], lambda: bytes(bytearray(base)), bytes(bytearray(base)), off, a + off, True, keep
        if base_kind == "numpy" and np is not None:
            arr = np.frombuffer(rng.randbytes(4 * w + 32), dtype=np.uint8).copy()
            a = arr.ctypes.data
            off = rng.choice([o for o in range(1, len(arr) - w) if (a + o) % w == 0])
            keep.append(arr)
            return arr[off:off + w], arr.tobytes, arr.tobytes(), off, a + off, False, keep
        if base_kind == "mmap-whole":
            m = mmap.mmap(-1, w)
            m.write(rng.randbytes(w))
            return m, lambda: m[:], m[:], 0, address_of(m), False, keep
        if base_kind in ("mmap-access-read", "mmap-prot-read"):
            f = tempfile.TemporaryFile()
            content = rng.randbytes(4096)
            f.write(content)
            f.flush()
            if base_kind == "mmap-access-read":
                m = mmap.mmap(f.fileno(), 4096, access=mmap.ACCESS_READ)
            else:
                m = mmap.mmap(f.fileno(), 4096, prot=mmap.PROT_READ)
            off = 16 * rng.randint(0, 255)
            keep += [f, m]
            return memoryview(m)[off:off + w], lambda: m[:], content, off, None, True, keep
        m = mmap.mmap(-1, 4096)  # "mmap" (and numpy when numpy is missing)
        m.write(rng.randbytes(4096))
        off = 16 * rng.randint(0, 255)
        keep.append(m)
        return memoryview(m)[off:off + w], lambda: m[:], m[:], off, address_of(m) + off, False, keep

    def new_view(self, rng, w, label, atype, kwargs):
        base_kind = rng.choice(VIEW_BASES)
        passed, reader, snapshot, off, address, readonly, keep = self.make_buffer(rng, w, base_kind)
        if readonly and not width_exists(w, True):
            return
        fam, signed, sobj, integral, _ = atype_facts(atype, kwargs)
        ctx = atomics.atomicview(passed, atype, **kwargs)
        obj = ctx.__enter__()
        assert obj.readonly is readonly and obj.width == w
        if address is not None:
            assert obj._address == address
        b = Backing("view", readonly)
        b.ctx, b.passed, b.reader, b.snapshot, b.address, b.keep = ctx, passed, reader, snapshot, address, keep
        cell = Cell(w, int.from_bytes(snapshot[off:off + w], sys.byteorder))
        b.regions.append((off, cell))
        self.add(Target(obj, b, cell, w, fam, signed, sobj, readonly, integral, f"view({label}, {base_kind})"))

    # -- releasing -------------------------------------------------------------------

    def release_backing(self, b):
        """Releases a backing the way a user can; False when there is no way (private
        memory, atomic(shared=True), pickled copies)."""
        if b.released:
            return False
        if b.kind == "view" and b.ctx is not None:
            b.ctx.__exit__(None, None, None)
        elif b.kind == "view":
            if self.rng.random() < 0.5:
                b.array.release()
            else:
                b.array.__exit__(None, None, None)
        elif b.kind == "segment" and b.seg is not None:
            b.seg.close()
            if b.owner and not b.file.kept:
                self.name_removed(b.file)
        else:
            return False
        b.released = True
        COUNTS["releases"] += 1
        return True

    def name_removed(self, f):
        assert not os.path.exists(f.path()), f"{f.name} outlived its owner"

    @precondition(lambda self: self.targets or self.arrays)
    @rule(i=st.integers(0, 10**6), keep_name=st.booleans())
    def release(self, i, keep_name):
        pool = self.targets + self.arrays
        t = pool[i % len(pool)]
        b = t.backing
        if b.kind == "segment" and b.seg is not None and b.owner and keep_name and not b.released:
            KEPT.add(b.file.path())
            b.seg.unlink_on_close = False
            assert b.seg.unlink_on_close is False
            b.file.kept = True
        was = b.released
        if b.kind == "view" and not was and b.ctx is not None and self.rng.random() < 0.5:
            # misuse first: a second enter and a release while open are refused
            for attempt in (b.ctx.__enter__, b.ctx.release):
                with pytest.raises(ValueError):
                    attempt()
        released = self.release_backing(b)
        if b.kind == "segment" and b.seg is not None:
            assert b.seg.closed
            b.seg.close()  # idempotent
            if b.file.kept and released:
                assert os.path.exists(b.file.path()), "unlink_on_close=False removed the name"
        if b.kind == "view" and was and b.ctx is not None:
            b.ctx.__exit__(None, None, None)  # idempotent
            b.ctx.release()
        elif b.kind == "view" and was:
            b.array.release()  # idempotent
        self.check_pin(b)

    @rule(seed=st.integers(0, 2**32 - 1))
    def fork_with_sleepers(self, seed):
        """A fork while another thread sleeps in wait() on some memory, or is releasing it:
        the child releases the memory at once (it must not wait for threads that stayed in
        the parent), and its operations then raise the released ValueError. The child runs
        with a deadline, so that a hang fails the test instead of stopping it. At most
        `FORKS` per run (a budget, not a precondition: Hypothesis replays need the same rules)."""
        if COUNTS["forks with a sleeper or a releaser"] >= FORKS:
            return
        rng = random.Random(seed)
        COUNTS["calls"] += 1
        w = rng.choice([1, 2, 4, 8])
        where = rng.choice(["view", "arrayview", "segment"])
        mode = rng.choice(["sleeping", "releasing"])
        if where == "view":
            ctx = atomics.atomicview(bytearray(w), atomics.UINT)
            obj, release = ctx.__enter__(), lambda: ctx.__exit__(None, None, None)
        elif where == "arrayview":
            arr = atomics.arrayview(bytearray(4 * w), atomics.UINT, width=w)
            obj, release = arr.element(rng.randrange(4)), arr.release
        else:
            seg = SharedSegment.create(64)
            obj, release = seg.atomic(0, w, atomics.UINT), seg.close
        desc = f"fork while a thread is {mode} on a {where} of width {w}"
        old, errors = obj.load(), []

        def sleep():
            try:
                obj.wait(old, timeout=10)  # ends by the notify below, or by the release
            except ValueError as e:
                if str(e) != RELEASED:
                    errors.append(e)
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=sleep)]
        threads[0].start()
        time.sleep(0.02)  # asleep in the kernel by now
        if mode == "releasing":  # waits for the sleeper to leave (up to one 50 ms slice)
            threads.append(threading.Thread(target=release))
            threads[1].start()
            time.sleep(0.005)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # forking with threads
            pid = os.fork()
        if pid == 0:  # the child: only the forking thread came along
            code = 1
            try:
                release()
                try:
                    obj.load()
                    code = 2
                except ValueError:
                    code = 0
            finally:
                os._exit(code)
        deadline = time.monotonic() + 60
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise AssertionError(f"{desc}: the child hung releasing the memory")
            time.sleep(0.001)
        code = os.waitstatus_to_exitcode(status)
        assert code == 0, f"{desc}: the child exited with {code} (1: its release raised, 2: usable after it)"
        if mode == "sleeping":
            obj.store((old + 1) % 256)
            obj.notify_all()
        for t in threads:
            t.join(30)
            assert not t.is_alive(), f"{desc}: a thread of the parent hangs"
        release()
        assert not errors, f"{desc}: {errors!r}"
        COUNTS["forks with a sleeper or a releaser"] += 1

    def drop_target(self, i):
        t = self.targets.pop(i % len(self.targets))
        b = t.backing
        del t
        self.let_go(b)

    def let_go(self, b):
        if any(other.backing is b for other in self.targets) or any(a.backing is b for a in self.arrays):
            return
        # the last object over this backing is gone: its memory must be let go
        self.backings.remove(b)
        if b.kind == "view":
            ctx, b.ctx, b.array = b.ctx, None, None
            del ctx
            b.released = True
            self.check_pin(b)
        elif b.kind == "segment":
            seg, b.seg = b.seg, None
            del seg
            if b.owner and not b.file.kept:
                if os.path.exists(b.file.path()):
                    COUNTS["gc needed"] += 1
                    gc.collect()  # a reference cycle may hold the last object
                self.name_removed(b.file)
            b.released = True

    @precondition(lambda self: self.targets)
    @rule(i=st.integers(0, 10**6))
    def drop(self, i):
        self.drop_target(i)

    # -- pins ------------------------------------------------------------------------

    def check_pin(self, b):
        """The buffer given to a view is pinned exactly while the view holds it."""
        if b.kind != "view" or b.passed_released:
            return
        if b.released:
            try:
                self.try_pin(b)
            except BufferError:
                COUNTS["gc needed"] += 1
                gc.collect()  # a reference cycle may hold the last view
                self.try_pin(b)
        else:
            self.try_pin(b)

    def try_pin(self, b):
        passed = b.passed
        pinned = not b.released
        COUNTS["pin checks"] += 1
        if isinstance(passed, memoryview):
            if pinned:
                with pytest.raises(BufferError):
                    passed.release()
                assert passed.nbytes >= 0  # still usable (a released memoryview raises)
            else:
                passed.release()
                b.passed_released = True
        elif isinstance(passed, bytearray):
            if pinned:
                for attempt in (lambda: passed.extend(b"x"), passed.clear, lambda: passed.pop()):
                    with pytest.raises(BufferError):
                        attempt()
            else:
                passed.append(0)
                del passed[-1]
        elif isinstance(passed, mmap.mmap):
            if pinned:
                with pytest.raises(BufferError):
                    passed.close()
                if hasattr(passed, "resize"):
                    with pytest.raises(BufferError):
                        passed.resize(2 * len(passed))
                assert not passed.closed
            else:
                passed.close()
                b.passed_released = True
                b.reader = None

    @precondition(lambda self: any(t.backing.kind == "view" for t in self.targets + self.arrays))
    @rule(i=st.integers(0, 10**6))
    def disturb_buffer(self, i):
        views = [t for t in self.targets + self.arrays if t.backing.kind == "view"]
        self.check_pin(views[i % len(views)].backing)

    # -- calls -----------------------------------------------------------------------

    def nested_call(self, t):
        """An operation made from inside an argument conversion of a call on `t`:
        (target, method, argument, was alive, result or exception)."""
        if isinstance(t, ArrayTarget):
            return self.nested_array_call(t)
        if t.readonly or t.family == "none":
            method, arg = "load", ()
        elif t.family == "int":
            method, arg = "fetch_inc", ()
        elif t.family == "float":
            method, arg = "fetch_add", (1.0,)
        else:
            method, arg = "exchange", (bytes(range(1, t.width + 1)),)
        alive = t.alive
        try:
            out = getattr(t.obj, method)(*arg)
        except Exception as e:  # noqa: BLE001 - checked when the effects are replayed
            out = Raised(e)  # not the exception: its traceback would hold this frame
        return t, method, arg, alive, out

    def draw_arg(self, t, param, rng, hostility):
        """A value for parameter `param`: from the hostile pool with probability `hostility`
        (0 for clean calls), now and then from a pool for another kind of parameter."""
        if rng.random() < hostility * 0.15:
            return rng.choice(ANY_POOL)()
        if param in ("order", "success", "failure"):
            valid, hostile = order_pool(rng)
        elif param == "index":
            valid, hostile = index_pool(self, t, rng)
        elif param == "timeout":
            valid, hostile = timeout_pool(rng)
        elif param == "extra":
            return rng.choice(ANY_POOL)()
        elif param == "fn":
            valid, hostile = update_pool(self, t, rng)
        elif t.family == "float":
            valid, hostile = float_operand_pool(self, t, rng)
        elif t.family == "bytes":
            valid, hostile = bytes_operand_pool(self, t, rng, param in ("expected", "desired"))
        else:
            valid, hostile = int_operand_pool(self, t, rng)
        return rng.choice(hostile if rng.random() < hostility else valid)()

    def random_call(self, t, rng, method=None):
        if method is None:
            own = sorted(FAMILY_METHODS[t.family])
            method = rng.choice(own if own and rng.random() < 0.85 else METHOD_NAMES)
        names = list(METHODS[method][0])
        if t.family == "bytes" and method.startswith("cmpxchg"):
            names[2:] = ["succ", "fail"]
        params = ["order" if n in ("succ", "fail") else n for n in names]
        required = METHODS[method][1]
        # half of the calls are clean (every argument from the valid pools), the others have
        # hostile arguments now and then
        hostility = 0.0 if rng.random() < 0.5 else rng.choice([0.15, 0.3, 0.6])
        r = rng.random() if hostility else 1.0
        if r < 0.03:
            n_pos = len(names) + 1  # one too many
        elif r < 0.06 and required:
            n_pos = required - 1  # one missing, unless given by keyword
        else:
            n_pos = rng.randint(required, len(names))
        pos = [self.draw_arg(t, params[i] if i < len(names) else "extra", rng, hostility) for i in range(n_pos)]
        kw = {}
        drop_required = hostility and rng.random() < 0.03
        for i in range(n_pos, len(names)):
            if (i < required and not drop_required) or rng.random() < 0.4:
                kw[names[i]] = self.draw_arg(t, params[i], rng, hostility)
        r = rng.random() if hostility else 1.0
        if r < 0.02:
            kw[rng.choice(["orderr", "x", "value2", "timeout", "expected"])] = rng.choice(ANY_POOL)()
        elif r < 0.03 and pos and names:
            kw[names[0]] = pos[0]  # given by name and position
        cls = None
        if hostility and rng.random() < 0.05:
            cls = rng.choice([abase.AtomicInt, abase.AtomicUint, abase.AtomicBytes, abase.AtomicIntegral,
                              abase.AtomicFloat, aview.AtomicIntView, aview.AtomicBytesView, aview.AtomicUintView,
                              aview.AtomicFloatView])
        self.perform(t, method, pos, kw, cls)

    def predict(self, t, method, pos, kw, cls, fam=None):
        """`fam`: the family of an array whose element `t` is (the caller has checked the
        method and the descriptor)."""
        p = Prediction()
        if fam is None:
            obj_cls = type(t.obj) if cls is None else cls
            fam = family_of_class(obj_cls)
            if method not in FAMILY_METHODS[fam]:
                return p.only(AttributeError, "no such method"), None
            if cls is not None and not isinstance(t.obj, cls):
                return p.only(TypeError, "descriptor of another class"), None
        names, required, op, what = METHODS[method]
        names = list(names)
        if fam == "bytes" and what == "cmpxchg":
            names[2:] = ["succ", "fail"]
        if len(pos) > len(names):
            return p.only(TypeError, "too many arguments"), None
        bound = dict(zip(names, pos))
        for k in kw:
            if k not in names or k in bound:
                return p.only(TypeError, "bad keyword"), None
            bound[k] = kw[k]
        if any(n not in bound for n in names[:required]):
            return p.only(TypeError, "missing argument"), None
        if t.backing.kind == "uninit" or t.backing.released:
            return released_first(method, bound.get("order")), None
        w = t.width
        if t.readonly and op is not None and op not in READ_ONLY_OPS:
            p.add(UnsupportedOperationException, "read-only")
        if what in ("wait", "notify") and w == 16:
            p.add(NotImplementedError, "width 16")
        plan = {}

        def operand(name, cmpxchg=False):
            if name not in bound:
                return
            bits, err = conv_value(bound[name], t, cmpxchg)
            if err is not None:
                p.add(err, f"'{name}'")
            plan[name] = bits

        def order(name, allowed=None):
            o, err = conv_order(bound.get(name))
            if err is not None:
                p.add(err, f"'{name}'")
            elif allowed is not None and o not in allowed:
                p.add(MemoryOrderError, f"'{name}' {o.name}")
            plan[name] = o

        if what in ("store", "exchange"):
            operand("desired")
            order("order", STORE_ORDERS if what == "store" else None)
        elif what == "load":
            order("order", LOAD_ORDERS)
        elif what == "rmw":
            operand("value")
            order("order")
        elif what == "cmpxchg":
            operand("expected", True)
            operand("desired", True)
            order(names[2])
            order(names[3])
            s, f = plan[names[2]], plan[names[3]]
            if s is not None and f is not None and f not in VALID_FAIL[s]:
                p.add(MemoryOrderError, "fail order")
        elif what == "bit":
            index, err = conv_index(bound["index"], w)
            if err is not None:
                p.add(err, "'index'")
            plan["index"] = index
            order("order", LOAD_ORDERS if method == "bit_test" else None)
        elif what == "wait":
            operand("old")
            timeout, err = conv_timeout(bound.get("timeout"))
            if err is not None:
                p.add(err, "'timeout'")
            plan["timeout"] = timeout
        elif what == "update":
            fn = bound["fn"]
            if not isinstance(fn, UpdateFn):
                p.add(TypeError, "'fn' is not a function of one argument")
            elif fn.kind == "raise":
                p.add(HostileError, "'fn' raises")
            elif fn.kind == "junk":
                _, err = conv_value(fn.junk, t)
                if err is not None:
                    p.add(err, "'fn result'")
        return p, (bound, plan)

    def perform(self, t, method, pos, kw, cls=None):
        COUNTS["calls"] += 1
        COUNTS["method calls"] += 1
        pred, bp = self.predict(t, method, pos, kw, cls)

        def invoke():
            if cls is None:
                return getattr(t.obj, method)(*pos, **kw)
            return getattr(cls, method)(t.obj, *pos, **kw)

        def set_timeout(s):
            if len(pos) >= 2:
                pos[1] = s
            else:
                kw["timeout"] = s

        def describe():
            return (f"{t!r}.{method}({', '.join(map(short, pos))}{', ' if pos and kw else ''}"
                    f"{', '.join(f'{k}={short(v)}' for k, v in kw.items())})" + (f" via {cls.__name__}" if cls else ""))

        self.execute(t, method, pred, bp, invoke, describe, list(pos) + list(kw.values()), set_timeout)

    def execute(self, t, method, pred, bp, invoke, describe, args, set_timeout):
        """Makes a call on `t` (an atomic, or an array's element), then judges it: `pred`
        and `bp` are the prediction, `args` the argument objects."""
        if method == "wait" and not pred.errors:
            # never block for long: a wait that would sleep gets a short timeout
            bound, plan = bp
            short_timeout = 0.0 if NO_SLEEP else 0.0005
            if plan["timeout"] > (0 if NO_SLEEP else 0.001) and (
                    plan["old"] == t.cell.u or isinstance(bound["old"], Hostile)):
                set_timeout(short_timeout)
                plan["timeout"] = short_timeout
        mutable = [(x, bytes(x)) for x in args
                   if isinstance(x, (bytearray, array.array)) or (np is not None and isinstance(x, np.ndarray))]
        u_before = t.cell.u
        EFFECTS.clear()
        call_desc = describe()
        timer = method == "wait"
        if timer:
            signal.setitimer(signal.ITIMER_REAL, 10)
        try:
            result = invoke()
            error = None
        except Exception as e:  # noqa: BLE001 - judged below
            result, error = None, e
        finally:
            if timer:
                signal.setitimer(signal.ITIMER_REAL, 0)
        effects = list(EFFECTS)
        EFFECTS.clear()
        released_now = False
        for kind, payload in effects:
            if kind == "release":
                released_now = released_now or payload is t.backing
            else:
                self.replay_nested(payload, call_desc)
        if released_now and isinstance(t.obj, ElementProxy):
            COUNTS["array released mid-call"] += 1
        for x, snap in mutable:
            assert bytes(x) == snap, f"{call_desc}: an argument object was modified"
        if error is not None:
            name = type(error).__name__
            RAISED[name] += 1
            COUNTS["raised"] += 1
            allowed = dict(pred.errors)
            if released_now:
                allowed.setdefault(ValueError, set()).add("released")
            if not allowed and not released_now:
                late = self.late_error(t, method, bp)
                if late is not None:
                    allowed[late] = {"the result does not fit"}
            assert allowed, f"{call_desc} raised {name}: {error}, but the model says it succeeds"
            assert isinstance(error, tuple(allowed)), (
                f"{call_desc} raised {name}: {error}; expected one of "
                f"{ {k.__name__: sorted(v) for k, v in allowed.items()} }")
            if type(error) is ValueError and allowed.get(ValueError) == {"released"} and not any(
                    isinstance(error, k) for k in allowed if k is not ValueError):
                assert str(error) == RELEASED, f"{call_desc}: {error}"
            if t.alive:
                assert t.cell.u == u_before or effects, f"{call_desc} raised but the model changed"
            del error
            return
        late = self.late_error(t, method, bp) if not pred.errors and not released_now else None
        if late is not None:
            raise AssertionError(f"{call_desc} returned {short(result)}, but should raise {late.__name__}")
        assert not pred.errors, (
            f"{call_desc} returned {short(result)}, but should raise one of "
            f"{ {k.__name__: sorted(v) for k, v in pred.errors.items()} }")
        assert not released_now, f"{call_desc} succeeded on memory released during the call"
        COUNTS["succeeded"] += 1
        self.check_result(t, method, bp, result, call_desc)

    def late_error(self, t, method, bp):
        """checked_fetch_add/sub: OverflowError when the exact result (from the value the
        operation finds, after any hostile argument's own write) does not fit."""
        if not method.startswith("checked_") or bp is None or t.family != "int" or not t.alive:
            return None
        x = decode(bp[1]["value"], t.width, "int", t.signed)
        exact = t.value() + x if method == "checked_fetch_add" else t.value() - x
        lo, hi = bounds(t.width, t.signed)
        return None if lo <= exact <= hi else OverflowError

    def replay_nested(self, payload, call_desc):
        if isinstance(payload[0], ArrayTarget):
            return self.replay_nested_array(payload, call_desc)
        t, method, arg, alive, out = payload
        COUNTS["nested calls"] += 1
        if t.dummy:  # an element of an empty array: no such element
            assert isinstance(out, Raised) and out.cls in (IndexError, ValueError), f"{call_desc}: nested -> {out!r}"
        elif t.family == "none":
            assert isinstance(out, Raised) and out.cls is AttributeError, f"{call_desc}: nested {method} -> {out!r}"
        elif not alive:
            assert isinstance(out, Raised) and out.cls is ValueError and out.message == RELEASED, \
                f"{call_desc}: nested {method} -> {out!r}"
        elif method == "load":
            assert same(out, t.value()), f"{call_desc}: nested load -> {out!r}, model {t.value()!r}"
        elif method == "fetch_add":
            assert same(out, t.value()), f"{call_desc}: nested fetch_add -> {out!r}, model {t.value()!r}"
            self.set_cell(t, float_arith("fetch_add", t.cell.u, float_to_bits(1.0, t.width), t.width))
        elif method == "fetch_inc":
            assert out == t.value(), f"{call_desc}: nested fetch_inc -> {out!r}, model {t.value()!r}"
            t.cell.u = (t.cell.u + 1) & mask_of(t.width)
        else:
            assert out == t.value(), f"{call_desc}: nested exchange -> {out!r}, model {t.value()!r}"
            t.cell.u = int.from_bytes(arg[0], sys.byteorder)

    def set_cell(self, t, new):
        """Sets the model; for a result IEEE leaves open, adopts what memory holds if allowed."""
        if not isinstance(new, Either):
            t.cell.u = new
            return
        got = t.obj.load()
        bits = float_to_bits(got, t.width)
        assert new.allowed(bits), f"{t!r}: {got!r} is not a possible result ({new.why})"
        COUNTS["open IEEE cases"] += 1
        t.cell.u = bits

    def check_result(self, t, method, bp, result, call_desc):
        bound, plan = bp
        names, required, op, what = METHODS[method]
        w, cell = t.width, t.cell
        mask = mask_of(w)
        u = cell.u
        value_type = {"bytes": bytes, "float": float}.get(t.family, int)

        def dec(x):
            return decode(x, w, t.family, t.signed)

        def expect(got, want, kind):
            assert type(got) is kind, f"{call_desc} returned {type(got).__name__}, expected {kind.__name__}"
            assert same(got, want), f"{call_desc} returned {got!r}, model says {want!r}"

        if what == "store":
            assert result is None, call_desc
            cell.u = plan["desired"]
        elif what == "load":
            expect(result, dec(u), value_type)
        elif what == "exchange":
            expect(result, dec(u), value_type)
            cell.u = plan["desired"]
        elif what == "cmpxchg":
            e, d = plan["expected"], plan["desired"]
            assert type(result) is atomics.CmpxchgResult, call_desc
            ok = u == e  # floats too: bits are compared
            if ok and not result.success and method == "cmpxchg_weak":
                ok = False  # a weak compare-exchange may fail spuriously
                COUNTS["spurious weak failures"] += 1
            assert result.success is ok and bool(result) is ok, f"{call_desc}: success={result.success}, model {ok}"
            if ok:
                cell.u = d
                if t.family == "int":
                    assert result.expected is bound["expected"] or (
                        type(result.expected) is int and result.expected == dec(e)), call_desc
                else:
                    expect(result.expected, dec(e), value_type)
                    if t.family == "bytes" and type(bound["expected"]) is not bytes:
                        # (an immutable bytes may come back: CPython shares its one-byte objects)
                        assert result.expected is not bound["expected"], f"{call_desc}: handed back the caller's object"
            else:
                expect(result.expected, dec(u), value_type)
        elif what == "bit":
            i = plan["index"]
            expect(result, bool((u >> i) & 1), bool)
            if method == "bit_test_compl":
                cell.u = u ^ (1 << i)
            elif method == "bit_test_set":
                cell.u = u | (1 << i)
            elif method == "bit_test_reset":
                cell.u = u & ~(1 << i) & mask
        elif what == "rmw" and t.family == "float":
            expect(result, dec(u), float)
            self.set_cell(t, float_arith(method, u, plan["value"], w))
        elif what == "rmw":
            x = plan.get("value")
            lo, hi = bounds(w, t.signed)
            old = dec(u)
            new = {
                "bin_or": lambda: u | x, "bin_xor": lambda: u ^ x, "bin_and": lambda: u & x, "bin_not": lambda: u ^ mask,
                "add": lambda: (u + x) & mask, "sub": lambda: (u - x) & mask, "inc": lambda: (u + 1) & mask,
                "dec": lambda: (u - 1) & mask, "neg": lambda: (-u) & mask,
                "max": lambda: max(old, dec(x)) & mask, "min": lambda: min(old, dec(x)) & mask,
                "checked_add": lambda: (u + x) & mask, "checked_sub": lambda: (u - x) & mask,
            }[method.replace("bin_fetch_", "bin_").replace("fetch_", "").replace("_fetch", "")]()
            if method in ("add_fetch", "sub_fetch", "inc_fetch", "dec_fetch"):
                expect(result, dec(new), value_type)  # the new value
            elif "fetch" in method:
                expect(result, old, value_type)
            else:
                assert result is None, call_desc
            if method.startswith("checked_"):
                exact = old + dec(x) if method == "checked_fetch_add" else old - dec(x)
                assert lo <= exact <= hi, f"{call_desc}: overflowed without OverflowError"
            cell.u = new
        elif what == "update":
            fn = bound["fn"]
            assert fn.calls, f"{call_desc}: fn was never called"
            arg, out = fn.calls[-1]
            # the value fn was last called with is the one replaced (after any retry)
            assert same(arg, dec(u)), f"{call_desc}: fn last called with {arg!r}, model {dec(u)!r}"
            assert type(result) is tuple and len(result) == 2, f"{call_desc} returned {result!r}"
            assert same(result[0], dec(u)) and type(result[0]) is value_type, f"{call_desc} returned {result!r}"
            assert result[1] is out, f"{call_desc}: new value {result[1]!r} is not fn's result"
            cell.u = conv_value(out, t)[0]
        elif what == "wait":
            expect(result, plan["old"] != u, bool)
        else:
            assert result is None, call_desc

    @precondition(lambda self: self.targets)
    @rule(i=st.integers(0, 10**6), method=st.sampled_from(METHOD_NAMES), seed=st.integers(0, 2**32 - 1))
    def call(self, i, method, seed):
        t = self.targets[i % len(self.targets)]
        self.random_call(t, random.Random(seed), method)
        self.check_backing(t.backing)

    @precondition(lambda self: self.targets)
    @rule(seed=st.integers(0, 2**32 - 1))
    def burst(self, seed):
        rng = random.Random(seed)
        for _ in range(BURST):
            if not self.targets:
                return
            alive = [t for t in self.targets if t.alive]
            t = rng.choice(alive if alive and rng.random() < 0.85 else self.targets)
            self.random_call(t, rng)
            self.check_backing(t.backing)

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
                t.width, t.cell, t.signed, t.signed_obj, t.integral = w, Cell(w), False, 0, True
                t.label += " initialised"
                raises(ValueError, lambda: obj._init_owned(w, 1, 0))
            elif uninit:
                raises(TypeError, lambda: obj._init_owned("8", 1, 0))
                if t.family != "float":  # a float's arithmetic does not ask is_integral
                    raises(HostileError, lambda: obj._init_owned(8, RaisingBool(), 0))
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

    # -- hostile construction ----------------------------------------------------------

    @rule(seed=st.integers(0, 2**32 - 1))
    def hostile_view(self, seed):
        """atomicview() over hostile buffers and atypes: refused with the documented error,
        and a refused buffer is never left pinned."""
        rng = random.Random(seed)
        COUNTS["calls"] += 1
        w = rng.choice([1, 2, 4, 8, 16])
        kind = rng.choice(["misaligned", "strided", "size", "size", "readonly", "released", "nonbuffer",
                           "2d", "cast", "fortran", "foreign", "foreign", "ok", "ok"])
        base = bytearray(rng.randbytes(4 * max(w, 4) + 32))
        a = address_of(base)
        aligned = [o for o in range(0, len(base) - 2 * w) if (a + o) % 16 == 0]
        off = rng.choice(aligned)
        p = Prediction()
        size, address, readonly, contiguous, buf = w, a + off, False, True, None
        if kind == "misaligned":
            off += rng.randint(1, 15)
            address = a + off
            buf = memoryview(base)[off:off + w]
        elif kind == "strided":
            buf = memoryview(base)[off:off + 2 * w:2]
            contiguous = w == 1
        elif kind == "size":
            size = rng.choice([0, 3, 5, 6, 7, 12, 32, w + 1])
            buf = memoryview(base)[off:off + size]
        elif kind == "readonly":
            buf = memoryview(base).toreadonly()[off:off + w]
            readonly = True
        elif kind == "released":
            buf = memoryview(base)[off:off + w]
            buf.release()
            p.add(ValueError, "released memoryview")
        elif kind == "nonbuffer":
            buf = rng.choice(["abcd", None, 5, [1, 2, 3, 4], object(), 2.5, RaisingIndex()])
            p.add(TypeError, "not a buffer")
        elif kind == "2d":
            buf = memoryview(base)[off:off + 16].cast("B", (4, 4)) if w == 16 else memoryview(base)[off:off + w]
        elif kind == "cast":
            buf = memoryview(base)[off:off + 16].cast(rng.choice("BbcIiQqHhdf?"))
            size = 16
        elif kind == "fortran" and np is not None:
            arr = np.zeros((4, 4), dtype=np.uint8, order="F")
            buf, size, address, contiguous = arr, 16, arr.ctypes.data, False
        elif kind == "foreign" and (foreign := foreign_buffer(rng, w)) is not None:
            buf = foreign
            with memoryview(buf) as m:
                address, size = buffer_address(m) if not m.readonly else address, m.nbytes
        else:
            buf = memoryview(base)[off:off + w]
        if isinstance(buf, memoryview) and kind != "released":
            size = buf.nbytes
        if not p.errors:
            if not contiguous:
                p.add(TypeError, "not C-contiguous")
            if not width_exists(size, readonly):
                p.add(UnsupportedWidthException, "width")
            elif address % size:
                p.add(AlignmentError, "alignment")
        label, atype, kwargs = rng.choice(ATYPES + [("junk", int, {}), ("junk", "INT", {}),
                                                     ("junk", MO, {}), ("INTEGRAL", atomics.INTEGRAL, {}),
                                                     ("ANY", atomics.ANY, {"is_signed": 1}),
                                                     ("INTEGRAL", atomics.INTEGRAL, {"is_signed": 1, "bogus": 2})])
        if atype is atomics.FLOAT and size not in (4, 8) and not p.errors:
            p.add(UnsupportedWidthException, "float width")
        if kind in ("cast", "foreign", "ok", "2d") and not p.errors:
            with memoryview(buf) as m:
                fmt, itemsize = m.format, m.itemsize
            if not items_usable(fmt, itemsize, *atype_family(label, kwargs), size):
                p.add(TypeError, f"items of format {fmt!r}")
        if label == "junk":
            p = Prediction().only(TypeError, "atype")
        elif atype is atomics.INTEGRAL and set(kwargs) != {"is_signed"}:
            p.add(TypeError, "keywords")
        elif atype is atomics.ANY and set(kwargs) != {"is_integral", "is_signed"}:
            p.add(TypeError, "keywords")
        desc = f"atomicview({kind} width {size}, {label} {kwargs})"
        try:
            ctx = atomics.atomicview(buf, atype, **kwargs)
        except Exception as e:  # noqa: BLE001
            RAISED[type(e).__name__] += 1
            COUNTS["raised"] += 1
            assert p.errors, f"{desc} raised {e!r}; the model says it works"
            assert isinstance(e, tuple(p.errors)), f"{desc} raised {e!r}; expected {p.errors}"
            ctx = None
        else:
            assert not p.errors, f"{desc} worked; expected {p.errors}"
            with ctx as v:
                assert v.width == size and v.readonly is readonly
                if family_of_class(type(v)) != "none":
                    v.load()
        # whatever happened, nothing is pinned any more, and no object was written through
        del ctx
        assert objects_intact(buf), f"{desc}: wrote into a buffer of Python objects"
        if isinstance(buf, memoryview):
            buf.release()
        base.append(0)
        COUNTS["pin checks"] += 1

    @rule(seed=st.integers(0, 2**32 - 1))
    def hostile_atomic(self, seed):
        """atomic(width, atype, shared=..., **kwargs) with hostile widths, atypes, keywords."""
        rng = random.Random(seed)
        COUNTS["calls"] += 1
        width = rng.choice([1, 2, 4, 8, 16, 0, 3, 5, 32, -1, 1 << 64, 1 << 70, True, MO.ACQUIRE, 4.0, "4", None]
                           + ([np.int64(4)] if np is not None else []))
        label, atype, kwargs = rng.choice(ATYPES + [("junk", int, {}), ("junk", None, {}),
                                                     ("INTEGRAL", atomics.INTEGRAL, {}),
                                                     ("ANY", atomics.ANY, {"is_integral": True}),
                                                     ("INTEGRAL", atomics.INTEGRAL, {"is_signed": 1, "bogus": 2})])
        shared = rng.random() < 0.4
        p = Prediction()
        if label == "junk":
            p.only(TypeError, "atype")
        else:
            # INTEGRAL and ANY take exactly their keywords (shared or not); the others ignore them
            needs = {"INTEGRAL": {"is_signed"}, "ANY": {"is_integral", "is_signed"}}.get(label)
            if needs is not None and set(kwargs) != needs:
                p.add(TypeError, "keywords")
            v, err = conv_width(width)
            if err is not None:
                p.add(err, "width")
            elif not width_exists(v, False, "float" if atype is atomics.FLOAT else None):
                p.add(UnsupportedWidthException, "width")
        names = shm_names()
        desc = f"atomic({short(width)}, {label}, shared={shared}, {kwargs})"
        try:
            obj = atomics.atomic(width, atype, shared=shared, **kwargs)
        except Exception as e:  # noqa: BLE001
            RAISED[type(e).__name__] += 1
            COUNTS["raised"] += 1
            assert p.errors and isinstance(e, tuple(p.errors)), f"{desc} raised {e!r}; expected {p.errors}"
            new = shm_names() - names
            assert not new, f"{desc} failed and left {new}"
            return
        assert not p.errors, f"{desc} worked; expected {p.errors}"
        assert obj.width == int(width)
        if shared:
            name = obj.shared_name
            assert NAME_PATTERN.match(name)
            path = os.path.join(SHM, name.lstrip("/"))
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
            del obj
            if os.path.exists(path):
                COUNTS["gc needed"] += 1
                gc.collect()
            assert not os.path.exists(path), f"{desc}: the name outlived the object"

    @rule(seed=st.integers(0, 2**32 - 1))
    def hostile_segment(self, seed):
        """SharedSegment.create / attach / .atomic and shared.attach with hostile sizes, names,
        offsets, widths and forged files."""
        rng = random.Random(seed)
        COUNTS["calls"] += 1
        what = rng.choice(["create", "attach", "forged", "atomic", "attach-typed"])
        names = shm_names()
        if what == "create":
            size = rng.choice([1, 8, 64, 4096, 0, -1, 1 << 64, (1 << 64) - 1, (1 << 64) - 64, 1 << 62,
                               1.0, "8", None, True])
            p = Prediction()
            v, err = conv_usize(size)
            if err is not None:
                p.add(err, "size")
            elif v == 0:
                p.add(ValueError, "empty")
            elif v > 1 << 40:
                p.add(OSError, "too big")
            try:
                seg = SharedSegment.create(size)
            except Exception as e:  # noqa: BLE001
                RAISED[type(e).__name__] += 1
                COUNTS["raised"] += 1
                assert p.errors and isinstance(e, tuple(p.errors)), f"create({size!r}) raised {e!r}"
            else:
                assert not p.errors, f"create({size!r}) worked"
                f = SegmentFile(seg.name, int(size), 0, 0)
                assert f.mode == 0o600 and f.map[:] == f.expected()
                seg.close()
                assert not os.path.exists(f.path())
        elif what in ("attach", "attach-typed"):
            live = [f for f in self.files.values() if os.path.exists(f.path())]
            name = rng.choice(["", "/", "//", "\0", "/atomics_\0x", "/" + "a" * 300, "a/b", "/../etc/passwd",
                               ".", "..", "/atomics_nosuchsegment", 5, None, b"/atomics_x"]
                              + [f.name for f in live] * 3)
            if what == "attach" or not isinstance(name, str) or name not in self.files:
                try:
                    seg = SharedSegment.attach(name)
                except (TypeError, OSError, ValueError) as e:
                    RAISED[type(e).__name__] += 1
                    COUNTS["raised"] += 1
                    assert name not in self.files or not os.path.exists(self.files[name].path()), e
                    if not isinstance(name, str):
                        assert isinstance(e, TypeError)
                else:
                    assert name in self.files, f"attach({name!r}) worked"
                    assert seg.size == self.files[name].size and seg.name == name
                    seg.close()
                    assert os.path.exists(self.files[name].path()), "closing an attached segment removed the name"
            else:
                f = self.files[name]
                header_width, header_kind = struct.unpack_from("=II", f.header, 24)
                width = rng.choice([header_width, header_width, 1, 2, 4, 8, 16, None, "8", 8.0])
                made = {1: atomics.INT, 2: atomics.UINT, 3: atomics.BYTES, 4: atomics.FLOAT}.get(header_kind)
                atype = rng.choice([made, made, atomics.INT, atomics.UINT, atomics.BYTES, atomics.FLOAT,
                                    atomics.INTEGRAL, None, int])
                if made is None:
                    expected = TypeError  # a layout
                elif f.size != header_width:
                    expected = ValueError  # an array of several atomics
                elif (width is not None and width != header_width) or (atype is not None and atype is not made):
                    expected = ValueError
                else:
                    expected = None
                try:
                    obj = atomics.shared.attach(name, width, atype)
                except Exception as e:  # noqa: BLE001
                    RAISED[type(e).__name__] += 1
                    COUNTS["raised"] += 1
                    assert expected is not None and isinstance(e, expected), f"attach({name}, {width!r}, {atype}): {e!r}"
                else:
                    assert expected is None, f"attach({name}, {width!r}, {atype}) worked"
                    assert obj.width == header_width
                    del obj
        elif what == "forged":
            self.forged_attach(rng)
        else:
            live = [t for t in self.targets if t.backing.kind == "segment" and t.backing.seg is not None]
            if not live:
                return
            t = rng.choice(live)
            seg = t.backing.seg
            width = rng.choice(WIDTHS + [3, 0, -1, 32, "8", 1 << 64])
            offset = rng.choice([0, 1, 4, 8, 64, seg.size, seg.size - 1, -8, 1 << 64, (1 << 64) - 8, 2.0, None])
            label, atype, kwargs = rng.choice(ATYPES + [("junk", int, {})])
            p = Prediction()
            if label == "junk":
                p.add(TypeError, "atype")
            if t.backing.released:
                p.add(ValueError, "closed")
            o, err = conv_usize(offset)
            if err is not None:
                p.add(err, "offset")
            v, err = conv_width(width)
            if err is not None:
                p.add(err, "width")
            elif not width_exists(v, False, "float" if atype is atomics.FLOAT else None):
                p.add(UnsupportedWidthException, "width")
            elif o is not None:
                if o + v > seg.size:
                    p.add(ValueError, "does not fit")
                elif o % v:
                    p.add(AlignmentError, "alignment")
            desc = f"seg.atomic({short(offset)}, {short(width)}, {label}) on {short(seg)}"
            try:
                obj = seg.atomic(offset, width, atype, **kwargs)
            except Exception as e:  # noqa: BLE001
                RAISED[type(e).__name__] += 1
                COUNTS["raised"] += 1
                assert p.errors and isinstance(e, tuple(p.errors)), f"{desc} raised {e!r}; expected {p.errors}"
            else:
                assert not p.errors, f"{desc} worked; expected {p.errors}"
                overlaps = [off for off, c in t.backing.file.cells.items() if off < o + v and o < off + c.width]
                if not overlaps and len(self.targets) < MAX_TARGETS:
                    fam, signed, sobj, integral, _ = atype_facts(atype, kwargs)
                    cell = t.backing.file.cells[o] = Cell(v)
                    self.add(Target(obj, t.backing, cell, v, fam, signed, sobj, False, integral, f"segment({label})@{o}"))
        new = shm_names() - names
        assert not new, f"{what} left segments behind: {new}"

    def forged_attach(self, rng):
        """Files in /dev/shm that are not valid segments (or claim what they are not) are
        refused with an error, never mapped beyond their length, never written."""
        hdr = lambda ver=1, hs=64, size=8, w=8, kind=1, magic=b"atomics\0": (  # noqa: E731
            magic + struct.pack("=IIQII", ver, hs, size, w, kind) + bytes(32))
        case, data, exc = rng.choice([
            ("empty", b"", ValueError),
            ("short", b"atomics\0", ValueError),
            ("magic", hdr(magic=b"atomicz\0") + bytes(8), ValueError),
            ("version", hdr(ver=2) + bytes(8), ValueError),
            ("header size", hdr(hs=32) + bytes(8), ValueError),
            ("size larger than the file", hdr(size=4096) + bytes(8), ValueError),
            ("size smaller than the file", hdr(size=8) + bytes(16), ValueError),
            ("size overflows", hdr(size=(1 << 64) - 1) + bytes(8), ValueError),
            ("kind", hdr(kind=9) + bytes(8), ValueError),
            ("width 3", hdr(w=3) + bytes(8), ValueError),
            ("width 16 in 8 bytes", hdr(w=16) + bytes(8), ValueError),
            ("width 0", hdr(w=0) + bytes(8), ValueError),
            ("width 2**32-1", hdr(w=(1 << 32) - 1) + bytes(8), ValueError),
        ])
        name = "/atomics_" + TAG + "forged" + "%08x" % rng.getrandbits(32)
        path = os.path.join(SHM, name[1:])
        if rng.random() < 0.2:
            return self.racing_header_attach(rng, name, path, hdr() + bytes(8), data[:64])
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, data)
            COUNTS["forged segments"] += 1
            try:
                obj = atomics.shared.attach(name)
            except Exception as e:  # noqa: BLE001
                RAISED[type(e).__name__] += 1
                COUNTS["raised"] += 1
                assert isinstance(e, exc) and name in str(e), f"forged segment ({case}): {e!r}"
            else:
                raise AssertionError(f"forged segment ({case}) attached: {obj!r}")
            with open(path, "rb") as f:
                assert f.read() == data, f"forged segment ({case}) was written to"
        finally:
            os.close(fd)
            os.unlink(path)

    def racing_header_attach(self, rng, name, path, valid, forged):
        """A writer flips a segment's header between a valid one and a forged one while this
        thread attaches: every attach gives a working atomic or a ValueError naming the
        segment, never a panic (PanicException is a BaseException) or a crash."""
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        stop = threading.Event()

        def flip():
            headers = [valid[:64], forged.ljust(64, b"\0")]
            while not stop.is_set():
                for header in headers:
                    os.pwrite(fd, header, 0)

        writer = threading.Thread(target=flip)
        try:
            os.write(fd, valid)
            COUNTS["forged segments"] += 1
            writer.start()
            for _ in range(rng.randint(5, 40)):
                COUNTS["attaches under a racing header"] += 1
                try:
                    obj = atomics.shared.attach(name)
                except Exception as e:  # noqa: BLE001
                    RAISED[type(e).__name__] += 1
                    assert isinstance(e, ValueError) and name in str(e), f"racing header: {e!r}"
                except BaseException as e:  # noqa: BLE001
                    raise AssertionError(f"racing header: attaching raised {e!r}") from e
                else:
                    assert obj.load() == 0
                    del obj
        finally:
            stop.set()
            if writer.is_alive():
                writer.join()
            os.close(fd)
            os.unlink(path)

    @rule(seed=st.integers(0, 2**32 - 1))
    def alignment_api(self, seed):
        rng = random.Random(seed)
        COUNTS["calls"] += 1
        width = rng.choice([1, 2, 4, 8, 16, 0, 3, -1, 1 << 64, "4", 4.0, None, True])
        v, err = conv_width(width)
        if err is None and not width_exists(v, False):
            err = UnsupportedWidthException
        try:
            al = atomics.Alignment(width)
        except Exception as e:  # noqa: BLE001
            RAISED[type(e).__name__] += 1
            COUNTS["raised"] += 1
            assert err is not None and isinstance(e, err), f"Alignment({width!r}): {e!r}"
            return
        assert err is None and al.recommended == v
        base = bytearray(64)
        a = address_of(base)
        off = rng.randrange(0, 64 - v)
        for buf, want in ((memoryview(base)[off:off + v], (a + off) % v == 0),
                          (memoryview(base)[off:off + v + 1], ValueError),
                          (memoryview(base)[0:2 * v:2], TypeError if v > 1 else (a % v == 0)),
                          ("x" * v, TypeError), (None, TypeError)):
            try:
                got = al.is_valid(buf)
            except Exception as e:  # noqa: BLE001
                RAISED[type(e).__name__] += 1
                COUNTS["raised"] += 1
                assert isinstance(want, type) and isinstance(e, want), f"is_valid: {e!r}, want {want}"
            else:
                assert got is want, f"Alignment({v}).is_valid(...) = {got}, want {want}"
        base.append(0)  # nothing left pinned

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

    def random_element_call(self, at, rng, form="method"):
        """A per-element operation on the array (`a.fetch_add(i, v)`, ..., `a[i]`, `a[i] = v`)."""
        fam = at.family
        hostility = 0.0 if rng.random() < 0.5 else rng.choice([0.15, 0.3, 0.6])
        idx = self.draw_from(element_index_pool(self, at, rng), rng, hostility)
        et = at.element_target(conv_element_index(idx, at.n)[0])  # for drawing the other arguments
        if form != "method":
            method = "load" if form == "getitem" else "store"
            value = self.draw_arg(et, "desired", rng, hostility) if form == "setitem" else None
            self.perform_element(at, method, [idx] if form == "getitem" else [idx, value], {}, None, form)
            return
        own = sorted(FAMILY_METHODS[fam])
        method = rng.choice(own if own and rng.random() < 0.9 else METHOD_NAMES)
        names = list(METHODS[method][0])
        if fam == "bytes" and METHODS[method][3] == "cmpxchg":
            names[2:] = ["succ", "fail"]
        params = ["order" if name in ("succ", "fail") else name for name in names]
        arr_names = ["index"] + ["bit" if name == "index" else name for name in names]
        drawn = {}

        def draw(k):
            if k not in drawn:
                drawn[k] = idx if k == 0 else self.draw_arg(et, params[k - 1], rng, hostility)
            return drawn[k]

        pos, kw = self.compose_call(arr_names, METHODS[method][1] + 1, draw, rng, hostility)
        cls = None
        if hostility and rng.random() < 0.05:
            cls = rng.choice(ARRAY_CLASSES + [abase.AtomicInt, abase.AtomicBytes, abase.AtomicFloat])
        self.perform_element(at, method, pos, kw, cls, form)

    def perform_element(self, at, method, pos, kw, cls, form):
        COUNTS["calls"] += 1
        COUNTS["method calls"] += 1
        COUNTS["array calls"] += 1
        COUNTS["array method calls"] += 1
        fam = at.family
        names = list(METHODS[method][0])
        if fam == "bytes" and METHODS[method][3] == "cmpxchg":
            names[2:] = ["succ", "fail"]
        arr_names = ["index"] + ["bit" if name == "index" else name for name in names]
        p, bp = Prediction(), None
        et = at.element_target(None)
        if cls is not None:
            call_fam = array_family_of_class(cls) if cls in ARRAY_CLASSES else family_of_class(cls)
        else:
            call_fam = fam
        if method not in FAMILY_METHODS[call_fam]:
            p.only(AttributeError, "no such method")
        elif cls is not None and not isinstance(at.obj, defining_class(cls, method)):
            p.only(TypeError, "descriptor of another class")
        else:
            bound = bind_args(arr_names, METHODS[method][1] + 1, pos, kw)
            if bound is None:
                p.only(TypeError, "binding")
            elif at.backing.kind == "uninit" or at.backing.released:
                p = released_first(method, bound.get("order"))
            else:
                i, idx_err = conv_element_index(bound["index"], at.n)
                et = at.element_target(i)
                if idx_err is not None:
                    p.add(idx_err, "'index'")
                rest = {("index" if k == "bit" else k): v for k, v in bound.items() if k != "index"}
                pred, bp = self.predict(et, method, [], rest, None, fam=fam)
                for exc, why in pred.errors.items():
                    p.errors.setdefault(exc, set()).update(why)

        if form == "getitem":
            def invoke():
                return at.obj[pos[0]]
        elif form == "setitem":
            def invoke():
                at.obj[pos[0]] = pos[1]
        elif cls is None:
            def invoke():
                return getattr(at.obj, method)(*pos, **kw)
        else:
            def invoke():
                return getattr(cls, method)(at.obj, *pos, **kw)

        def set_timeout(s):
            k = arr_names.index("timeout")
            if k < len(pos):
                pos[k] = s
            else:
                kw["timeout"] = s

        def describe():
            if form == "getitem":
                return f"{at!r}[{short(pos[0])}]"
            if form == "setitem":
                return f"{at!r}[{short(pos[0])}] = {short(pos[1])}"
            return (f"{at!r}.{method}({', '.join(map(short, pos))}{', ' if pos and kw else ''}"
                    f"{', '.join(f'{k}={short(v)}' for k, v in kw.items())})" + (f" via {cls.__name__}" if cls else ""))

        self.execute(et, method, p, bp, invoke, describe, list(pos) + list(kw.values()), set_timeout)

    def random_bulk_call(self, at, rng):
        own = sorted(BULK_FAMILY[at.family])
        method = rng.choice(own if own and rng.random() < 0.93 else BULK_NAMES)
        names, required = BULK[method]
        hostility = 0.0 if rng.random() < 0.5 else rng.choice([0.15, 0.3, 0.6])
        cleanup = []
        count = [at.n if method == "store_all" else None]
        drawn = {}

        def draw(k):
            if k in drawn:
                return drawn[k]
            name = names[k]
            own = at.backing.passed if at.backing.kind == "view" and not at.backing.passed_released else None
            if rng.random() < hostility * 0.1:
                v = rng.choice(ANY_POOL)()
            elif own is not None and name in ("indices", "values") and rng.random() < 0.03:
                v = own  # the array's own memory (read before anything is written)
            elif name == "indices":
                v, count[0] = self.draw_from(indices_pool(self, at, rng), rng, hostility)
            elif name == "values":
                v = self.draw_from(values_pool(self, at, rng, count[0]), rng, hostility)
            elif name == "order":
                v = self.draw_from(order_pool(rng), rng, hostility)
            else:
                v = self.draw_out(at, rng, hostility, cleanup)
            drawn[k] = v
            return v

        if "indices" in names:
            draw(0)  # first, so that the values can match their number
        pos, kw = self.compose_call(list(names), required, draw, rng, hostility)
        cls = None
        if hostility and rng.random() < 0.05:
            cls = rng.choice(ARRAY_CLASSES + [abase.AtomicInt])
        try:
            self.perform_bulk(at, method, pos, kw, cls)
        finally:
            for mv in cleanup:
                mv.release()

    def draw_out(self, at, rng, hostility, cleanup):
        """An `out` for load_all: None, fresh writable buffers, and hostile ones (wrong size,
        read-only, released, strided, not a buffer, overlapping the array, or next to it in
        the same buffer)."""
        nb, b = at.nbytes, at.backing
        window = None
        if b.kind == "view" and b.base is not None and nb and not getattr(b.base, "closed", False):
            base = b.base.view(np.uint8) if np is not None and isinstance(b.base, np.ndarray) else b.base
            blen = len(base)
            off = at.address - b.base_address

            def window(start):
                if isinstance(base, (bytearray, mmap.mmap)):
                    mv = memoryview(base)[start:start + nb]
                    cleanup.append(mv)
                    return mv
                return base[start:start + nb]
        if rng.random() >= hostility:
            choices = [lambda: None, lambda: None, lambda: bytearray(nb), lambda: array.array("B", bytes(nb)),
                       lambda: memoryview(bytearray(nb))]
            if nb:
                choices.append(lambda: mmap.mmap(-1, nb))
            if np is not None:
                choices.append(lambda: np.empty(nb, dtype=np.uint8))
                code = array_type_code(at)
                if code is not None:
                    choices.append(lambda: np.empty(at.n, dtype=np.dtype(code)))
            if window is not None:
                adjacent = [s for s in (off - nb, off + nb) if 0 <= s and s + nb <= blen]
                if adjacent:
                    choices.append(lambda: window(rng.choice(adjacent)))
            return rng.choice(choices)()
        choices = [lambda: ReleasingExporter(self, at, bytearray(nb)), lambda: ReleasingExporter(self, at, bytes(nb)),
                   lambda: bytearray(nb + 1), lambda: bytearray(nb + at.width), lambda: bytearray(max(nb - 1, 0)),
                   lambda: bytes(nb), lambda: memoryview(bytearray(nb)).toreadonly(), lambda: released_memoryview(nb),
                   lambda: [0] * at.n, lambda: 5, lambda: "x", lambda: object()]
        foreign = foreign_buffer(rng, nb) if rng.random() < 0.3 else None
        if foreign is not None:
            choices += [lambda: foreign] * 3
        if nb > 1:
            choices.append(lambda: memoryview(bytearray(2 * nb))[::2])
        if np is not None:
            def readonly_np():
                a = np.zeros(nb, dtype=np.uint8)
                a.flags.writeable = False
                return a
            choices.append(readonly_np)
        if window is not None:
            overlapping = [s for s in range(max(0, off - nb + 1), min(blen - nb, off + nb - 1) + 1)]
            if overlapping:
                choices += [lambda: window(off) if off + nb <= blen else window(rng.choice(overlapping)),
                            lambda: window(rng.choice(overlapping))]
        return rng.choice(choices)()

    def predict_bulk(self, at, method, pos, kw, cls):
        p = Prediction()
        call_fam = array_family_of_class(type(at.obj) if cls is None else cls)
        if method not in BULK_FAMILY[call_fam]:
            return p.only(AttributeError, "no such method"), None
        if cls is not None and not isinstance(at.obj, defining_class(cls, method)):
            return p.only(TypeError, "descriptor of another class"), None
        names, required = BULK[method]
        bound = bind_args(names, required, pos, kw)
        if bound is None:
            return p.only(TypeError, "binding"), None
        no_values = BULK_FAMILY["bytes"] - {"load_all", "store_all", "store_at"}
        if at.family == "bytes" and method in no_values and bound.get("values") is None:
            p.add(TypeError, "'values' missing")  # bytes have no default value
        if at.backing.kind == "uninit":
            p.add(ValueError, "released")
            return p, None
        if at.backing.released:  # before any argument is looked at
            return (p if p.errors else p.only(ValueError, "released")), None
        if method != "load_all" and at.readonly:
            p.add(UnsupportedOperationException, "read-only")
        order, err = conv_order(bound.get("order"))
        if err is not None:
            p.add(err, "'order'")
        elif order not in BULK_ORDERS.get(method, ALL_ORDERS):
            p.add(MemoryOrderError, f"'order' {order.name}")
        plan = {"method": method, "out": bound.get("out"), "out_address": None}
        if method == "load_all":
            if plan["out"] is not None:
                err, plan["out_address"] = out_check(plan["out"], at)
                if err is not None:
                    p.add(err, "'out'")
            return p, plan
        if method == "store_all":
            idx = list(range(at.n))
        else:
            idx, errs = conv_indices(bound["indices"], at.n)
            for e in errs:
                p.add(e, "'indices'")
        values = bound.get("values")
        if values is None and method not in ("store_at", "store_all"):
            if at.family == "bytes":
                p.add(TypeError, "'values' missing")
                conv = None
            else:  # 1 by default
                conv = ("same", 1 if at.family == "int" else float_to_bits(1.0, at.width))
        else:
            conv, errs = conv_bulk_values(values, at.family, at.width, at.signed)
            for e in errs:
                p.add(e, "'values'")
        if conv is not None and conv[0] == "each" and idx is not None and len(conv[1]) != len(idx):
            p.add(ValueError, "number of values")
        plan["indices"], plan["values"] = idx, conv
        return p, plan

    def perform_bulk(self, at, method, pos, kw, cls):
        COUNTS["calls"] += 1
        COUNTS["method calls"] += 1
        COUNTS["array calls"] += 1
        COUNTS["array method calls"] += 1
        COUNTS["array bulk calls"] += 1
        pred, plan = self.predict_bulk(at, method, pos, kw, cls)
        out = plan["out"] if plan else None
        args = list(pos) + list(kw.values())
        own = at.backing.passed if at.backing.kind == "view" else None
        mutable = [(x, bytes(x)) for x in args if x is not out and x is not own and (
            isinstance(x, (bytearray, array.array)) or (np is not None and isinstance(x, np.ndarray)))]
        out_before = None
        if out is not None:
            try:
                with memoryview(readable(out)) as mv:
                    out_before = mv.tobytes()
            except (TypeError, ValueError):
                pass
        desc = (f"{at!r}.{method}({', '.join(map(short, pos))}{', ' if pos and kw else ''}"
                f"{', '.join(f'{k}={short(v)}' for k, v in kw.items())})" + (f" via {cls.__name__}" if cls else ""))
        EFFECTS.clear()
        try:
            fn = getattr(at.obj, method) if cls is None else getattr(cls, method)
            result = fn(*pos, **kw) if cls is None else fn(at.obj, *pos, **kw)
            error = None
        except Exception as e:  # noqa: BLE001 - judged below
            result, error = None, e
        effects = list(EFFECTS)
        EFFECTS.clear()
        GENERATORS.clear()
        released_now = False
        for kind, payload in effects:
            if kind == "release":
                released_now = released_now or payload is at.backing
            else:
                self.replay_nested(payload, desc)
        if released_now:
            COUNTS["array released mid-call"] += 1
        for x, snap in mutable:
            assert bytes(x) == snap, f"{desc}: an argument object was modified"
        if error is not None:
            name = type(error).__name__
            RAISED[name] += 1
            COUNTS["raised"] += 1
            allowed = dict(pred.errors)
            if released_now:
                allowed.setdefault(ValueError, set()).add("released")
            assert allowed, f"{desc} raised {name}: {error}, but the model says it succeeds"
            assert isinstance(error, tuple(allowed)), (
                f"{desc} raised {name}: {error}; expected one of "
                f"{ {k.__name__: sorted(v) for k, v in allowed.items()} }")
            if type(error) is ValueError and allowed.get(ValueError) == {"released"}:
                assert str(error) == RELEASED, f"{desc}: {error}"
            if out_before is not None:
                with memoryview(readable(out)) as mv:
                    assert mv.tobytes() == out_before, f"{desc}: a refused load_all wrote into out"
            del error
            return
        assert not pred.errors, (
            f"{desc} returned {short(result)}, but should raise one of "
            f"{ {k.__name__: sorted(v) for k, v in pred.errors.items()} }")
        assert not released_now, f"{desc} succeeded on memory released during the call"
        COUNTS["succeeded"] += 1
        self.check_bulk(at, plan, result, desc)

    def check_bulk(self, at, plan, result, desc):
        method, w = plan["method"], at.width
        if method == "load_all":
            if plan["out"] is None:
                code = array_type_code(at)
                if code is None:
                    assert type(result) is list, f"{desc} returned {type(result).__name__}"
                else:
                    assert type(result) is array.array and result.typecode == code, f"{desc} returned {result!r}"
                value_type = {"bytes": bytes, "float": float}.get(at.family, int)
                want = at.values()
                assert len(result) == len(want) and all(type(g) is value_type and same(g, v)
                                                        for g, v in zip(result, want)), \
                    f"{desc} returned {short(result)}, model {short(want)}"
            else:
                assert result is plan["out"], f"{desc} returned {short(result)}, not out"
                with memoryview(readable(result)) as mv:
                    assert mv.tobytes() == at.raw(), f"{desc}: out holds {short(mv.tobytes())}, model {short(at.raw())}"
                b, address = at.backing, plan["out_address"]
                if b.kind == "view" and b.base_address is not None and address is not None \
                        and 0 <= address - b.base_address < len(b.snapshot):
                    start = address - b.base_address  # `out` is in the same buffer, next to the array
                    snapshot = bytearray(b.snapshot)
                    snapshot[start:start + at.nbytes] = at.raw()
                    b.snapshot = bytes(snapshot)
                    COUNTS["load_all next to the array"] += 1
            return
        assert result is None, f"{desc} returned {short(result)}"
        kind, values = plan["values"]
        idx = plan["indices"]
        xs = [values] * len(idx) if kind == "same" else values
        if at.family == "float" and method in FLOAT_AT:
            op = FLOAT_AT[method]
            actual = self.array_bits(at)
            per = {}
            for i, x in zip(idx, xs):
                per.setdefault(i, []).append(x)
            for i, operands in per.items():
                start = at.cells[i].u
                states = float_outcomes(op, start, operands, w, False)
                if not float_matches(actual[i], states, w) and len(operands) <= 10:
                    states = float_outcomes(op, start, operands, w, True)  # the order is unspecified
                    COUNTS["float bulk results in another order"] += 1
                assert float_matches(actual[i], states, w), (
                    f"{desc}: element {i} holds {bits_to_float(actual[i], w)!r}, possible results "
                    f"{sorted(s if s == ANY_NAN else bits_to_float(s, w) for s in states)}")
                if len(states) > 1:
                    COUNTS["open IEEE cases"] += 1
                at.cells[i].u = actual[i]
            return
        for i, x in zip(idx, xs):
            at.cells[i].u = bulk_apply(method, at.cells[i].u, x, w, at.signed)

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

    @rule(seed=st.integers(0, 2**32 - 1))
    def hostile_array(self, seed):
        """atomics.array, arrayview, SharedSegment.array and attach_array with hostile
        lengths, widths, atypes, keywords, buffers, offsets and names: the documented error,
        nothing pinned, no segment left behind."""
        rng = random.Random(seed)
        COUNTS["calls"] += 1
        COUNTS["array calls"] += 1
        what = rng.choice(["array", "array", "arrayview", "arrayview", "segment", "attach"])
        names = shm_names()
        junk = [("ANY", atomics.ANY, {"is_integral": 1, "is_signed": 1}), ("junk", int, {}), ("junk", "INT", {}),
                ("INTEGRAL", atomics.INTEGRAL, {}), ("INT", atomics.INT, {"is_signed": True}),
                ("INTEGRAL", atomics.INTEGRAL, {"is_signed": 1, "bogus": 2}), ("junk", None, {}),
                ("INTEGRAL", atomics.INTEGRAL, {"is_signed": RaisingBool()})]
        label, atype, kwargs = rng.choice(ARRAY_ATYPES + ARRAY_ATYPES + junk)
        p = Prediction()
        known = any(atype is a for a in (atomics.INT, atomics.UINT, atomics.BYTES, atomics.FLOAT, atomics.INTEGRAL))
        allowed_kw = {"is_signed"} if atype is atomics.INTEGRAL else set()
        if set(kwargs) - allowed_kw or not known or (atype is atomics.INTEGRAL and "is_signed" not in kwargs):
            p.only(TypeError, "atype")
        elif isinstance(kwargs.get("is_signed"), RaisingBool):
            p.add(HostileError, "is_signed")  # its truth value raises
        fam = "float" if atype is atomics.FLOAT else None

        def width_and_length(width, length=RaisingBool, huge=(MemoryError,)):
            """Adds the errors of a width and a length (if given); the width, or None.
            A length whose bytes cannot be had raises one of `huge`."""
            v, err = conv_width(width)
            if err is not None:
                p.add(err, "width")
            elif not width_exists(v, False, fam):
                p.add(UnsupportedWidthException, "width")
                v = None
            if length is not RaisingBool:
                if not isinstance(length, int):
                    p.add(TypeError, "length")
                elif length < 0:
                    p.add(ValueError, "length")
                elif v and (length * v >= 1 << 40 or length * v > sys.maxsize):
                    for exc in huge:
                        p.add(exc, "too large")
            return v

        def judge(make, desc):
            try:
                obj = make()
            except Exception as e:  # noqa: BLE001
                RAISED[type(e).__name__] += 1
                COUNTS["raised"] += 1
                assert p.errors and isinstance(e, tuple(p.errors)), f"{desc} raised {e!r}; expected {p.errors}"
                return None
            assert not p.errors, f"{desc} worked; expected {p.errors}"
            COUNTS["succeeded"] += 1
            return obj

        if what == "array":
            length = rng.choice([0, 1, 3, 12, True, -1, 1 << 59, 1 << 62, 1 << 64, 1 << 200, 2.0, "2", None]
                                + ([np.int64(2)] if np is not None else []))
            width = rng.choice([1, 2, 4, 8, 16, 4, 8, 0, 3, -1, 32, 1 << 64, "8", 8.0, None, True])
            shared = rng.random() < 0.3
            if not p.exclusive:
                v = width_and_length(width, length, huge=(MemoryError, OSError) if shared else (MemoryError,))
                if shared and v and isinstance(length, int) and length == 0:
                    p.add(ValueError, "no atomics")
            desc = f"array({short(length)}, {short(width)}, {label}, shared={shared}, {kwargs})"
            obj = judge(lambda: atomics.array(length, width, atype, shared=shared, **kwargs), desc)
            if obj is not None:
                assert type(obj) is ARRAY_CLASS[label] and len(obj) == int(length) and obj.width == int(width), desc
                assert obj.load_all(out=bytearray(obj.nbytes)) == bytearray(obj.nbytes), f"{desc}: not zeroed"
                if shared:
                    name = obj.shared_name
                    assert NAME_PATTERN.match(name), name
                    path = os.path.join(SHM, name.lstrip("/"))
                    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
                    del obj
                    if os.path.exists(path):
                        COUNTS["gc needed"] += 1
                        gc.collect()
                    assert not os.path.exists(path), f"{desc}: the name outlived the array"
        elif what == "arrayview":
            w = rng.choice([1, 2, 4, 8, 16])
            kind = rng.choice(["misaligned", "size", "strided", "fortran", "released", "nonbuffer", "readonly", "2d",
                               "typed", "foreign", "ok", "ok", "empty"])
            base = bytearray(rng.randbytes(160))
            a = address_of(base)
            off = rng.choice([o for o in range(0, 64) if (a + o) % 16 == 0])
            k = rng.randint(1, 4)
            readonly, contiguous, size, address, itemsize, released = False, True, k * w, a + off, 1, False
            buf = memoryview(base)[off:off + k * w]
            if kind == "misaligned":
                off += rng.randint(1, 15)
                buf.release()
                buf, address = memoryview(base)[off:off + k * w], a + off
            elif kind == "size" and w > 1:
                size = k * w + rng.randint(1, w - 1)
                buf.release()
                buf = memoryview(base)[off:off + size]
            elif kind == "strided":
                buf.release()
                buf = memoryview(base)[off:off + 2 * k * w:2]
                contiguous = k * w == 1
            elif kind == "fortran" and np is not None:
                buf.release()
                buf = np.zeros((4, 4), dtype=np.uint8, order="F")
                contiguous, size, address = False, 16, buf.ctypes.data
            elif kind == "released":
                buf.release()
                released = True
            elif kind == "nonbuffer":
                buf.release()
                buf = rng.choice(["abcd", None, 5, [1, 2], object(), 2.5, RaisingIndex()])
            elif kind == "readonly":
                buf.release()
                buf = memoryview(base).toreadonly()[off:off + k * w]
                readonly = True
            elif kind == "2d" and np is not None:
                buf.release()
                buf = np.zeros((2, k * w), dtype=np.uint8)
                size, address = 2 * k * w, buf.ctypes.data
            elif kind == "typed" and np is not None:
                buf.release()
                dtype = rng.choice([np.int64, np.int32, np.uint16, np.float32, np.float64, np.int8])
                buf = np.zeros(k, dtype=dtype)
                size, address, itemsize = buf.nbytes, buf.ctypes.data, buf.itemsize
            elif kind == "empty":
                buf.release()
                buf, size = memoryview(base)[off:off], 0
            elif kind == "foreign" and (foreign := foreign_buffer(rng, k * w)) is not None:
                buf.release()
                buf = foreign
                with memoryview(buf) as m:
                    size, address, itemsize = m.nbytes, buffer_address(m), m.itemsize
            width = rng.choice([w, w, w, None, 0, 3, -1, "8", 8.0, 1 << 64])
            if not p.exclusive:
                is_buffer = not isinstance(buf, (str, list, int, float, type(None), Hostile)) and type(buf) is not object
                effective = width
                if width is None:  # the buffer's item size
                    if released:
                        p.add(ValueError, "released")
                    elif not is_buffer:
                        p.add(TypeError, "not a buffer")
                    else:
                        effective = itemsize
                if effective is not None:
                    v = width_and_length(effective)
                    if released:
                        p.add(ValueError, "released")
                    elif not is_buffer:
                        p.add(TypeError, "not a buffer")
                    elif not contiguous:
                        p.add(TypeError, "not C-contiguous")
                    elif v:
                        if readonly and not width_exists(v, True, fam if fam == "float" else None):
                            p.add(UnsupportedWidthException, "read-only width")
                        elif size % v:
                            p.add(ValueError, "not a whole number of atomics")
                        elif size and address % v:
                            p.add(AlignmentError, "alignment")
                        elif label != "junk" and not isinstance(kwargs.get("is_signed"), RaisingBool) and (
                                not readonly or width_exists(v, True, fam)):
                            with memoryview(buf) as m:
                                fmt = m.format
                            if not items_usable(fmt, itemsize, *atype_family(label, kwargs), v):
                                p.add(TypeError, f"items of format {fmt!r}")
            desc = f"arrayview({kind} of {size} bytes, {label}, width={short(width)}, {kwargs})"
            if width is None:
                make = lambda: atomics.arrayview(buf, atype, **kwargs)  # noqa: E731
            else:
                make = lambda: atomics.arrayview(buf, atype, width=width, **kwargs)  # noqa: E731
            obj = judge(make, desc)
            if obj is not None:
                assert len(obj) == size // obj.width and obj.readonly is readonly, desc
                obj.release()
            del obj
            assert objects_intact(buf), f"{desc}: wrote into a buffer of Python objects"
            if isinstance(buf, memoryview):
                buf.release()
            base.append(0)  # nothing is left pinned
            COUNTS["pin checks"] += 1
        elif what == "segment":
            live = [x for x in self.targets + self.arrays if x.backing.kind == "segment" and x.backing.seg is not None]
            if not live:
                return
            b = rng.choice(live).backing
            seg, f = b.seg, b.file
            offset = rng.choice([0, 8, 16, 64, 4, f.size, f.size - 8, -8, 1 << 64, 2.0, None]
                                + ([np.int64(8)] if np is not None else []))
            length = rng.choice([0, 1, 2, 4, -1, 1 << 62, 1 << 200, 1.0, None])
            width = rng.choice([1, 2, 4, 8, 16, 3, 0, "8"])
            if not p.exclusive:
                o, err = conv_usize(offset)
                if err is not None:
                    p.add(err, "offset")
                v = width_and_length(width, length, huge=(MemoryError, ValueError))  # too large, or does not fit
                if b.released:
                    p.add(ValueError, "closed")
                if o is not None and v and isinstance(length, int) and length >= 0:
                    if o + length * v > f.size:
                        p.add(ValueError, "does not fit")
                    elif length and o % v:
                        p.add(AlignmentError, "alignment")
            desc = f"seg.array({short(offset)}, {short(length)}, {short(width)}, {label}, {kwargs}) on {seg.name}"
            obj = judge(lambda: seg.array(offset, length, width, atype, **kwargs), desc)
            if obj is not None:
                o, v, n = int(offset), int(width), int(length)
                assert len(obj) == n and obj.shared_offset == o, desc
                free = all(not (off < o + n * v and o < off + c.width) for off, c in f.cells.items())
                if free and n and len(self.arrays) < MAX_ARRAYS:
                    fam_, signed, sobj, _, _ = atype_facts(atype, kwargs)
                    cells = [Cell(v) for _ in range(n)]
                    for i, c in enumerate(cells):
                        f.cells[o + i * v] = c
                    self.add_array(ArrayTarget(obj, b, cells, v, fam_, signed, sobj, False, f"seg.array({label})@{o}",
                                               offset=o))
        else:  # attach_array
            live = [f for f in self.files.values() if os.path.exists(f.path())]
            name = rng.choice(["", "/", "\0", "/atomics_nosuchsegment", 5, None, b"/atomics_x", "/" + "a" * 300]
                              + [f.name for f in live] * 4)
            width = rng.choice([None, None, 1, 2, 4, 8, 16, 8.0, "8"])
            atype_arg = rng.choice([None, None, atomics.INT, atomics.UINT, atomics.BYTES, atomics.FLOAT,
                                    atomics.INTEGRAL, int])
            p = Prediction()
            f = self.files.get(name) if isinstance(name, str) else None
            if f is None:
                p.add(TypeError if not isinstance(name, str) else OSError, "name")
                p.add(ValueError, "name")
            else:
                hw, hk = struct.unpack_from("=II", f.header, 24)
                made = KIND_ATYPE.get(hk, (None, None))[1]
                if made is None:
                    p.add(TypeError, "a layout")
                elif (width is not None and width != hw) or (atype_arg is not None and atype_arg is not made):
                    p.add(ValueError, "width or type")
            desc = f"attach_array({short(name)}, {short(width)}, {short(atype_arg)})"
            obj = judge(lambda: attach_array(name, width, atype_arg), desc)
            if obj is not None:
                assert len(obj) == f.size // hw and obj.width == hw and obj.shared_name == name, desc
                assert obj.load_all(out=bytearray(f.size)) == bytearray(f.map[64:]), f"{desc}: not the segment's data"
        new = shm_names() - names
        assert not new, f"{what} left segments behind: {new}"

    # -- checks ----------------------------------------------------------------------

    def check_backing(self, b):
        if b.kind == "view" and b.reader is not None:
            got = b.reader()
            want = b.snapshot if b.readonly else b.expected_buffer()
            if got != want:
                diff = [i for i in range(len(want)) if got[i] != want[i]]
                regions = [(o, o + c.width) for o, c in b.regions]
                raise AssertionError(f"buffer bytes {diff[:8]} changed (regions {regions}, read-only {b.readonly})")
        elif b.kind == "segment":
            got, want = b.file.map[:], b.file.expected()
            if got != want:
                diff = [i for i in range(len(want)) if got[i] != want[i]]
                raise AssertionError(f"segment {b.file.name}: bytes {diff[:8]} differ from the model "
                                     f"(atomics at {sorted(b.file.cells)})")

    @invariant()
    def memory_matches_model(self):
        for t in self.targets:
            if t.alive and t.family != "none":
                COUNTS["model checks"] += 1
                got = t.obj.load()
                assert same(got, t.value()), f"{t!r}: load() = {got!r}, model {t.value()!r}"
        for at in self.arrays:
            if at.alive:
                COUNTS["model checks"] += 1
                got, want = at.obj.load_all(), at.values()
                assert len(got) == len(want) and all(same(g, v) for g, v in zip(got, want)), \
                    f"{at!r}: load_all() = {short(got)}, model {short(want)}"
        for b in self.backings:
            self.check_backing(b)
        for f in self.files.values():
            got, want = f.map[:], f.expected()
            assert got == want, f"segment {f.name} differs from the model"

    def teardown(self):
        try:
            self.check_teardown()
        finally:
            remove_kept()

    def check_teardown(self):
        GENERATORS.clear()
        while self.arrays:
            self.drop_array(0)
        while self.targets:
            self.drop_target(0)
        for b in self.backings:
            if b.kind == "view" and b.ctx is not None:
                b.ctx.__exit__(None, None, None)
        self.backings.clear()
        if any(os.path.exists(f.path()) and not f.kept for f in self.files.values()):
            COUNTS["gc needed"] += 1
            gc.collect()
        for f in self.files.values():
            if f.kept and os.path.exists(f.path()):
                os.unlink(f.path())
            assert not os.path.exists(f.path()), f"{f.name} leaked"
            f.map.close()
        self.files.clear()
        new = shm_names() - self.names_before
        assert not new, f"segments leaked: {new}"



def remove_kept():
    for path in list(KEPT):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        KEPT.discard(path)


class WaitHang(BaseException):
    """Raised by SIGALRM in a wait() that blocks although it was given a short timeout."""


def _hang(signum, frame):
    raise WaitHang("a wait() with a short timeout blocked for 10 s")


@pytest.fixture(scope="module", autouse=True)
def report(request):
    previous = signal.signal(signal.SIGALRM, _hang)
    start = time.monotonic()
    yield
    signal.signal(signal.SIGALRM, previous)
    remove_kept()
    elapsed = time.monotonic() - start
    figures = {
        "calls": COUNTS["calls"],
        "method calls": COUNTS["method calls"],
        "array calls": COUNTS["array calls"],
        "array method calls (per element and bulk)": COUNTS["array method calls"],
        "array bulk calls": COUNTS["array bulk calls"],
        "succeeded (matched the model)": COUNTS["succeeded"],
        "raised (documented)": COUNTS["raised"],
        "raised by type": dict(RAISED.most_common()),
        "nested calls from hostile arguments": COUNTS["nested calls"],
        "memory released during a call": COUNTS["releases"],
        "targets made": COUNTS["targets"],
        "array targets made": COUNTS["array targets"],
        "element objects made by a.element(i)": COUNTS["element objects"],
        "array memory released during a call": COUNTS["array released mid-call"],
        "load_all into a buffer next to the array": COUNTS["load_all next to the array"],
        "float bulk results reached in another order": COUNTS["float bulk results in another order"],
        "pin checks": COUNTS["pin checks"],
        "forged segments": COUNTS["forged segments"],
        "attaches under a racing header": COUNTS["attaches under a racing header"],
        "forks with a sleeper or a releaser": COUNTS["forks with a sleeper or a releaser"],
        "foreign-format buffers (objects, pointers, other numbers)": COUNTS["foreign-format buffers"],
        "model checks": COUNTS["model checks"],
        "garbage collections needed": COUNTS["gc needed"],
        "seconds": round(elapsed, 1),
        "python": sys.version.split()[0] + ("t" if not getattr(sys, "_is_gil_enabled", lambda: True)() else ""),
        "settings": {"examples": EXAMPLES, "steps": STEPS, "burst": BURST},
    }
    line = (f"fuzz: {figures['calls']} calls ({figures['method calls']} method calls: "
            f"{figures['succeeded (matched the model)']} matched the model, {figures['raised (documented)']} "
            f"raised documented exceptions; {figures['array calls']} calls on arrays) in {elapsed:.1f} s")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)
    if REPORT:
        with open(REPORT, "w") as f:
            json.dump(figures, f, indent=2)


def test_fuzz_the_python_surface():
    run_state_machine_as_test(FuzzMachine, settings=SETTINGS)


@pytest.mark.parametrize("shared", [False, True])
def test_shared_or_not_atomic_checks_keywords_the_same_way(shared):
    """Found by this fuzzer: with shared=True a missing keyword raised KeyError and an unknown
    one was ignored."""
    cases = [(atomics.INTEGRAL, {}, "missing 1 required keyword-only argument: 'is_signed'"),
             (atomics.INTEGRAL, {"is_signed": True, "bogus": 1}, "unexpected keyword argument 'bogus'"),
             (atomics.ANY, {"is_signed": True}, "missing 1 required keyword-only argument: 'is_integral'"),
             (atomics.ANY, {"is_integral": True, "is_signed": True, "bogus": 1}, "unexpected keyword argument 'bogus'")]
    for atype, kwargs, message in cases:
        with pytest.raises(TypeError, match=re.escape(message)):
            atomics.atomic(8, atype, shared=shared, **kwargs)
    assert atomics.atomic(8, atomics.INTEGRAL, shared=shared, is_signed=True).fetch_sub(1) == 0
    assert atomics.atomic(8, atomics.INT, shared=shared, is_signed=False).signed  # ignored, as in atomics 1.0
    if shared:  # and SharedSegment.atomic the same way
        seg = SharedSegment.create(8)
        for atype, kwargs, message in cases:
            with pytest.raises(TypeError, match=re.escape(message)):
                seg.atomic(0, 8, atype, **kwargs)
        seg.close()


def test_a_float_view_of_the_wrong_width_is_refused_at_once_and_pins_nothing():
    """Found by this fuzzer: atomicview(buffer, FLOAT) with a buffer of 2 bytes was refused only
    by __enter__, which left the context open and the buffer pinned."""
    for size in (1, 2, 16):
        buf = bytearray(size)
        with pytest.raises(UnsupportedWidthException):
            atomics.atomicview(buf, atomics.FLOAT)
        buf.append(0)  # nothing pinned
    buf = bytearray(8)
    ctx = atomics.atomicview(buf, atomics.FLOAT)
    with ctx as v:
        assert v.width == 8
    buf.append(0)
