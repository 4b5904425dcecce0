"""What the tests of ``atomics.atomic()`` objects expect, written out from atomics 1.0's
behaviour contract (docs/spec/atomics-1.0-behaviour.md) and this package's documented
deviations from it -- never derived from the implementation under test -- and the helpers
they share (their fixtures `ia` and `ba` are in conftest.py).
"""

import ctypes
import re
import sys
import typing

import atomics
from atomics import ANY, BYTES, INT, INTEGRAL, UINT, MemoryOrder
from atomics.base import Atomic, AtomicBytes, AtomicInt, AtomicIntegral, AtomicUint

from _cpu import CAS16, SIZE_MAX

# --------------------------------------------------------------------------------------
# Expectations, written out from the contract
# --------------------------------------------------------------------------------------

# Widths with operations on this machine: 1, 2, 4, 8 (C11 types) and 16 where the CPU has a
# 16-byte compare-exchange (documented deviation; read from the CPU, not the library).
WIDTHS = [1, 2, 4, 8] + ([16] if CAS16 else [])
UNSUPPORTED_WIDTHS = [0, 3, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 17, 32, SIZE_MAX // 2 + 1, SIZE_MAX] + (
    [] if CAS16 else [16])
# Widths that do not fit size_t (SIZE_MAX is 2**32 - 1 in a 32-bit process).
OVERFLOWING_WIDTHS = sorted({SIZE_MAX + 1, SIZE_MAX + 5, 2**64, 2**64 + 4, 2**100})

RELAXED, ACQUIRE, RELEASE, ACQ_REL, SEQ_CST = (
    MemoryOrder.RELAXED,
    MemoryOrder.ACQUIRE,
    MemoryOrder.RELEASE,
    MemoryOrder.ACQ_REL,
    MemoryOrder.SEQ_CST,
)
ORDERS = [RELAXED, ACQUIRE, RELEASE, ACQ_REL, SEQ_CST]
ORDER_VALUES = {"RELAXED": 0, "ACQUIRE": 2, "RELEASE": 3, "ACQ_REL": 4, "SEQ_CST": 5}
STORE_OK = {"RELAXED", "RELEASE", "SEQ_CST"}
LOAD_OK = {"RELAXED", "ACQUIRE", "SEQ_CST"}
# succ -> valid failure orders (§6.1 truth table)
FAIL_OK = {
    "RELAXED": {"RELAXED"},
    "ACQUIRE": {"RELAXED", "ACQUIRE"},
    "RELEASE": {"RELAXED", "ACQUIRE"},
    "ACQ_REL": {"RELAXED", "ACQUIRE"},
    "SEQ_CST": {"RELAXED", "ACQUIRE", "SEQ_CST"},
}

OPTYPE_NAMES = [
    "STORE", "LOAD", "EXCHANGE", "CMPXCHG_WEAK", "CMPXCHG_STRONG",
    "BIT_TEST", "BIT_TEST_COMPL", "BIT_TEST_SET", "BIT_TEST_RESET",
    "OR", "XOR", "AND", "NOT", "FETCH_OR", "FETCH_XOR", "FETCH_AND", "FETCH_NOT",
    "ADD", "SUB", "INC", "DEC", "NEG",
    "FETCH_ADD", "FETCH_SUB", "FETCH_INC", "FETCH_DEC", "FETCH_NEG",
    # beyond atomics 1.0 (documented addition):
    "FETCH_MAX", "FETCH_MIN", "ADD_FETCH", "SUB_FETCH", "INC_FETCH", "DEC_FETCH",
    "CHECKED_FETCH_ADD", "CHECKED_FETCH_SUB",
]  # values 1..35 in this order; 1..27 are atomics 1.0's
OPTYPE_FNAMES = {
    "STORE": "fp_store", "LOAD": "fp_load", "EXCHANGE": "fp_exchange",
    "CMPXCHG_WEAK": "fp_cmpxchg_weak", "CMPXCHG_STRONG": "fp_cmpxchg_strong",
    "BIT_TEST": "fp_test", "BIT_TEST_COMPL": "fp_test_compl", "BIT_TEST_SET": "fp_test_set",
    "BIT_TEST_RESET": "fp_test_reset",
    "OR": "fp_or", "XOR": "fp_xor", "AND": "fp_and", "NOT": "fp_not",
    "FETCH_OR": "fp_fetch_or", "FETCH_XOR": "fp_fetch_xor", "FETCH_AND": "fp_fetch_and",
    "FETCH_NOT": "fp_fetch_not",
    "ADD": "fp_add", "SUB": "fp_sub", "INC": "fp_inc", "DEC": "fp_dec", "NEG": "fp_neg",
    "FETCH_ADD": "fp_fetch_add", "FETCH_SUB": "fp_fetch_sub", "FETCH_INC": "fp_fetch_inc",
    "FETCH_DEC": "fp_fetch_dec", "FETCH_NEG": "fp_fetch_neg",
    "FETCH_MAX": "fp_fetch_max", "FETCH_MIN": "fp_fetch_min", "ADD_FETCH": "fp_add_fetch",
    "SUB_FETCH": "fp_sub_fetch", "INC_FETCH": "fp_inc_fetch", "DEC_FETCH": "fp_dec_fetch",
    "CHECKED_FETCH_ADD": "fp_checked_fetch_add", "CHECKED_FETCH_SUB": "fp_checked_fetch_sub",
}
VOWEL_OPTYPES = {"EXCHANGE", "OR", "AND", "ADD", "INC", "ADD_FETCH", "INC_FETCH"}

ALL_OPS = list(range(1, 36))
BYTES_OPS = list(range(1, 18))

ATYPE_MSG = "Type parameter 'atype' must be one of [ANY, INTEGRAL, BYTES, INT, UINT]."
WIDTH_TYPE_MSG = "Keyword argument 'width' must have type 'int'."
REINIT_MSG = "Atomic object cannot be re-initialised."
INDEX_MSG = "'index' value out of range."


def interpreter_text(msg):
    """The interpreter's own argument-error text: before 3.10 it names the bare function
    (`__init__() takes ...`), from 3.10 on its qualified name (`AtomicInt.__init__() ...`)."""
    if sys.version_info >= (3, 10):
        return msg
    return re.sub(r"^\w+\.__init__", "__init__", msg)


def unsupported_width_msg(width, readonly=False):
    ro = " readonly " if readonly else " "
    return f"No operations are supported on{ro}objects with a width of {width}."


def order_msg(optype_name, order_name, is_fail=False):
    fail = "fail " if is_fail else " "
    article = "an" if optype_name in VOWEL_OPTYPES else "a"
    return f"{order_name} is not a valid {fail}memory order for {article} {optype_name} operation."


def len_msg(param):
    return f"'{param}' object length does not match width."


def int_range(width, signed):
    bits = 8 * width
    if signed:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def wrap(x, width, signed):
    m = 1 << (8 * width)
    x %= m
    if signed and x >= m >> 1:
        x -= m
    return x


def sample_values(width, signed):
    lo, hi = int_range(width, signed)
    vals = {lo, lo + 1, 0, 1, hi - 1, hi, hi // 3}
    if signed:
        vals |= {-1, lo // 3}
    return sorted(vals)


# Constructors for every kind of atomic() object: name -> (factory(width), class, atype kwargs)
KINDS = {
    "INT": (lambda w: atomics.atomic(w, INT), AtomicInt),
    "UINT": (lambda w: atomics.atomic(w, UINT), AtomicUint),
    "BYTES": (lambda w: atomics.atomic(w, BYTES), AtomicBytes),
    "INTEGRAL-s": (lambda w: atomics.atomic(w, INTEGRAL, is_signed=True), AtomicIntegral),
    "INTEGRAL-u": (lambda w: atomics.atomic(w, INTEGRAL, is_signed=False), AtomicIntegral),
    "ANY-i": (lambda w: atomics.atomic(w, ANY, is_integral=True, is_signed=True), Atomic),
    "ANY-b": (lambda w: atomics.atomic(w, ANY, is_integral=False, is_signed=False), Atomic),
}
# integral kinds: name -> signed
INTEGRAL_KINDS = {"INT": True, "UINT": False, "INTEGRAL-s": True, "INTEGRAL-u": False}


def make(kind, width):
    return KINDS[kind][0](width)


class IAtom(typing.NamedTuple):
    a: object
    w: int
    signed: bool
    lo: int
    hi: int


def pattern(width, seed=0x5A):
    """Deterministic non-trivial bytes of the given width."""
    return bytes((seed + 37 * i) & 0xFF for i in range(width))


def aligned_view(width, extra_offset=0, size=None):
    """A memoryview of ``size`` (default ``width``) bytes starting at an address that is a
    multiple of 16 plus ``extra_offset``."""
    buf = bytearray(64)
    addr = ctypes.addressof(ctypes.c_char.from_buffer(buf))
    off = (-addr) % 16 + extra_offset
    mv = memoryview(buf)[off:off + (width if size is None else size)]
    return mv


# --------------------------------------------------------------------------------------
# §1 Package layout and exported names
# --------------------------------------------------------------------------------------


class IntSubclass(int):
    pass


def strong_or_weak(a, op, *args, **kwargs):
    """Weak cmpxchg may fail spuriously: retry a success-expected weak call a few times."""
    for _ in range(1000):
        r = getattr(a, op)(*args, **kwargs)
        if r.success or op == "cmpxchg_strong":
            return r
    return r


def bit_ops(a):
    return [a.bit_test, a.bit_test_compl, a.bit_test_set, a.bit_test_reset]
