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
import platform
import random
import re
import signal
import stat
import struct
import sys
import tempfile
import time

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

import atomics
from atomics import MemoryOrder as MO
from atomics import OpType
from atomics import base as abase
from atomics import view as aview
from atomics.exc import AlignmentError, MemoryOrderError, UnsupportedOperationException, UnsupportedWidthException
from atomics.shared import SharedSegment, layout

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


def _cpu_features():
    """(cmpxchg16b, atomic 16-byte load): 16-byte atomics need the first, read-only 16-byte
    views the second (AVX on Intel and AMD), as the README says."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False, False
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
    except OSError:  # not Linux: ask the library (the only way left)
        try:
            atomics.Alignment(16)
        except UnsupportedWidthException:
            return False, False
        return True, False
    flags, vendor = set(), ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags" and not flags:
            flags = set(value.split())
        elif key.strip() == "vendor_id" and not vendor:
            vendor = value.strip()
    cas16 = "cx16" in flags
    return cas16, cas16 and "avx" in flags and vendor in ("GenuineIntel", "AuthenticAMD")


CAS16, LOAD16 = _cpu_features()
WIDTHS = [1, 2, 4, 8] + ([16] if CAS16 else [])


def width_exists(width, readonly, family=None):
    if family == "float":
        return width in (4, 8)
    if width in (1, 2, 4, 8):
        return True
    if width == 16:
        return LOAD16 if readonly else CAS16
    return False


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
            if not cmpxchg or isinstance(x, str):
                return None, TypeError
            if not isinstance(x, (list, tuple, dict)):
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
    if v >= 1 << 64:
        return None, OverflowError
    return v, None


def conv_usize(x):
    """A size or offset parsed by PyO3 as usize."""
    if isinstance(x, Hostile) or not hasattr(type(x), "__index__"):
        return None, TypeError
    v = operator.index(x)
    if v < 0 or v >= 1 << 64:
        return None, OverflowError
    return v, None


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


class FuzzMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.targets = []
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
        if b.kind == "view":
            b.ctx.__exit__(None, None, None)
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

    @precondition(lambda self: self.targets)
    @rule(i=st.integers(0, 10**6), keep_name=st.booleans())
    def release(self, i, keep_name):
        t = self.targets[i % len(self.targets)]
        b = t.backing
        if b.kind == "segment" and b.seg is not None and b.owner and keep_name and not b.released:
            KEPT.add(b.file.path())
            b.seg.unlink_on_close = False
            assert b.seg.unlink_on_close is False
            b.file.kept = True
        was = b.released
        if b.kind == "view" and not was and self.rng.random() < 0.5:
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
        if b.kind == "view" and was:
            b.ctx.__exit__(None, None, None)  # idempotent
            b.ctx.release()
        self.check_pin(b)

    def drop_target(self, i):
        t = self.targets.pop(i % len(self.targets))
        b = t.backing
        del t
        if any(other.backing is b for other in self.targets):
            return
        # the last object over this backing is gone: its memory must be let go
        self.backings.remove(b)
        if b.kind == "view":
            ctx, b.ctx = b.ctx, None
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
                assert passed.nbytes  # still usable
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

    @precondition(lambda self: any(t.backing.kind == "view" for t in self.targets))
    @rule(i=st.integers(0, 10**6))
    def disturb_buffer(self, i):
        views = [t for t in self.targets if t.backing.kind == "view"]
        self.check_pin(views[i % len(views)].backing)

    # -- calls -----------------------------------------------------------------------

    def nested_call(self, t):
        """An operation made from inside an argument conversion of a call on `t`:
        (target, method, argument, was alive, result or exception)."""
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

    def predict(self, t, method, pos, kw, cls):
        p = Prediction()
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
        if t.backing.kind == "uninit":
            return p.only(ValueError, "released"), None
        if t.backing.released:
            p.add(ValueError, "released")
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
        if method == "wait" and not pred.errors:
            # never block for long: a wait that would sleep gets a short timeout
            bound, plan = bp
            short_timeout = 0.0 if NO_SLEEP else 0.0005
            if plan["timeout"] > (0 if NO_SLEEP else 0.001) and (
                    plan["old"] == t.cell.u or isinstance(bound["old"], Hostile)):
                if len(pos) >= 2:
                    pos[1] = short_timeout
                else:
                    kw["timeout"] = short_timeout
                plan["timeout"] = short_timeout
        mutable = [(x, bytes(x)) for x in list(pos) + list(kw.values())
                   if isinstance(x, (bytearray, array.array)) or (np is not None and isinstance(x, np.ndarray))]
        u_before = t.cell.u
        EFFECTS.clear()
        call_desc = f"{t!r}.{method}({', '.join(map(short, pos))}{', ' if pos and kw else ''}" \
                    f"{', '.join(f'{k}={short(v)}' for k, v in kw.items())})" + (f" via {cls.__name__}" if cls else "")
        timer = method == "wait"
        if timer:
            signal.setitimer(signal.ITIMER_REAL, 10)
        try:
            fn = getattr(t.obj, method) if cls is None else getattr(cls, method)
            result = fn(*pos, **kw) if cls is None else fn(t.obj, *pos, **kw)
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
        t, method, arg, alive, out = payload
        COUNTS["nested calls"] += 1
        if t.family == "none":
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
                    if t.backing.address is not None:
                        assert got == t.backing.address, desc
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
                           "2d", "cast", "fortran", "ok", "ok"])
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
            buf = memoryview(base)[off:off + 16].cast("I")
            size = 16
        elif kind == "fortran" and np is not None:
            arr = np.zeros((4, 4), dtype=np.uint8, order="F")
            buf, size, address, contiguous = arr, 16, arr.ctypes.data, False
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
        # whatever happened, nothing is pinned any more
        del ctx
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
        "succeeded (matched the model)": COUNTS["succeeded"],
        "raised (documented)": COUNTS["raised"],
        "raised by type": dict(RAISED.most_common()),
        "nested calls from hostile arguments": COUNTS["nested calls"],
        "memory released during a call": COUNTS["releases"],
        "targets made": COUNTS["targets"],
        "pin checks": COUNTS["pin checks"],
        "forged segments": COUNTS["forged segments"],
        "model checks": COUNTS["model checks"],
        "garbage collections needed": COUNTS["gc needed"],
        "seconds": round(elapsed, 1),
        "python": sys.version.split()[0] + ("t" if not getattr(sys, "_is_gil_enabled", lambda: True)() else ""),
        "settings": {"examples": EXAMPLES, "steps": STEPS, "burst": BURST},
    }
    line = (f"fuzz: {figures['calls']} calls ({figures['method calls']} method calls: "
            f"{figures['succeeded (matched the model)']} matched the model, {figures['raised (documented)']} "
            f"raised documented exceptions) in {elapsed:.1f} s")
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
