"""The reference model every property test and the fuzzer check the library against.

Written from the documentation (README, docs/arrays.md, docs/spec/atomics-1.0-behaviour.md),
never computed by calling the library: it imports ``atomics`` only for the names of its enums
(``MemoryOrder``, ``OpType``).

- The memory orders each operation accepts (atomics 1.0's rules).
- Every method: its parameters, the ``OpType`` it performs and what kind of operation it is;
  which family (integers, bytes, floats) has which method and which ``OpType``.
- The semantics: a value of ``width`` bytes is held as its unsigned bit pattern ``u`` in native
  byte order. Integers wrap at their width (signed or not), bytes are bits, floats are IEEE
  binary32/binary64 rounded once per operation, overflowing to infinity. ``apply`` gives the
  new bits and the result of any method; ``Model`` holds one value and applies methods to it.

Two results IEEE leaves open are not predicted bit for bit -- which NaN an operation on two
NaNs gives, and the sign of max/min of 0.0 and -0.0 -- : they come back as ``Either``, with the
set of acceptable bit patterns; a caller adopts what memory holds once it is checked.
"""

import ctypes
import math
import operator
import struct
import sys
from fractions import Fraction

from atomics import MemoryOrder as MO
from atomics import OpType

# ---------------------------------------------------------------------------------------
# Memory orders (atomics 1.0: stores take no acquire, loads no release, a compare-exchange's
# failure order is no stronger than its success order and never a release)
# ---------------------------------------------------------------------------------------

ALL_ORDERS = [MO.RELAXED, MO.ACQUIRE, MO.RELEASE, MO.ACQ_REL, MO.SEQ_CST]
STORE_ORDERS = [MO.RELAXED, MO.RELEASE, MO.SEQ_CST]
LOAD_ORDERS = [MO.RELAXED, MO.ACQUIRE, MO.SEQ_CST]
VALID_FAIL = {
    MO.RELAXED: [MO.RELAXED],
    MO.ACQUIRE: [MO.RELAXED, MO.ACQUIRE],
    MO.RELEASE: [MO.RELAXED, MO.ACQUIRE],
    MO.ACQ_REL: [MO.RELAXED, MO.ACQUIRE],
    MO.SEQ_CST: [MO.RELAXED, MO.ACQUIRE, MO.SEQ_CST],
}
ORDER_VALUES = {0, 2, 3, 4, 5}  # the ints a MemoryOrder argument may be


def allowed_orders(method):
    """The orders `method` (a scalar method or a bulk operation) accepts."""
    if method in ("store", "store_all"):
        return STORE_ORDERS
    if method in ("load", "bit_test", "load_all"):
        return LOAD_ORDERS
    return ALL_ORDERS


# ---------------------------------------------------------------------------------------
# Methods and families
# ---------------------------------------------------------------------------------------

VALUE_ORDER = ("value", "order")
# method -> (parameters, how many are required, OpType or None, what kind of operation)
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
METHOD_NAMES = sorted(METHODS)
BIT_METHODS = ["bit_test", "bit_test_compl", "bit_test_set", "bit_test_reset"]
ARITHMETIC = {"add", "sub", "inc", "dec", "neg", "fetch_add", "fetch_sub", "fetch_inc", "fetch_dec", "fetch_neg",
              "fetch_max", "fetch_min", "add_fetch", "sub_fetch", "inc_fetch", "dec_fetch", "checked_fetch_add",
              "checked_fetch_sub"}
FLOAT_METHODS = {"store", "load", "exchange", "cmpxchg_weak", "cmpxchg_strong", "fetch_add", "fetch_sub", "fetch_max",
                 "fetch_min", "update", "wait", "notify_one", "notify_all"}
FAMILY_METHODS = {
    "int": set(METHODS),
    "bytes": set(METHODS) - ARITHMETIC,
    "float": FLOAT_METHODS,
    "none": set(),
}
# ops_supported of each family, as the README and docs list them
INTEGRAL_OPS = list(OpType)  # 35: atomics 1.0's 27 and FETCH_MAX ... CHECKED_FETCH_SUB
BYTES_OPS = [op for op in OpType if op.value <= OpType.FETCH_NOT.value]
FLOAT_OPS = [OpType.STORE, OpType.LOAD, OpType.EXCHANGE, OpType.CMPXCHG_WEAK, OpType.CMPXCHG_STRONG,
             OpType.FETCH_ADD, OpType.FETCH_SUB, OpType.FETCH_MAX, OpType.FETCH_MIN]
READ_ONLY_OPS = [OpType.LOAD, OpType.BIT_TEST]  # all that read-only memory allows

# The bulk operations of arrays: each is the scalar method it applies to every element named
BULK_METHOD = {"store_at": "store", "store_all": "store", "add_at": "fetch_add", "sub_at": "fetch_sub",
               "max_at": "fetch_max", "min_at": "fetch_min", "or_at": "bin_fetch_or", "and_at": "bin_fetch_and",
               "xor_at": "bin_fetch_xor"}
BULK_OPS = {
    "int": ["store_at", "add_at", "sub_at", "max_at", "min_at", "or_at", "and_at", "xor_at"],
    "bytes": ["store_at", "or_at", "and_at", "xor_at"],
    "float": ["store_at", "add_at", "sub_at", "max_at", "min_at"],
}

# ---------------------------------------------------------------------------------------
# Values: integers, bytes, IEEE floats as bit patterns
# ---------------------------------------------------------------------------------------


def mask_of(width):
    return (1 << (8 * width)) - 1


def bounds(width, signed):
    """The smallest and largest int an integer of `width` bytes holds."""
    bits = 8 * width
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)


def overflow_message(v, width, signed):
    """The OverflowError message for an int out of range, or None if it is in range."""
    lo, hi = bounds(width, signed)
    if lo <= v <= hi:
        return None
    if not signed and v < 0:
        return "can't convert negative int to unsigned"
    return "int too big to convert"


# IEEE floats: the bit patterns the hardware gives. A C cast through ctypes (what Rust's `as`
# does: cvtsd2ss / cvtss2sd on x86_64) rounds a double to the nearest binary32, ties to even,
# overflowing to infinity, and keeps NaN payloads as the hardware does.
def float_to_bits(x, width):
    if width == 4:
        return int.from_bytes(bytes(ctypes.c_float(x)), sys.byteorder)
    return int.from_bytes(struct.pack("=d", x), sys.byteorder)


def bits_to_float(u, width):
    if width == 4:
        return ctypes.c_float.from_buffer_copy(u.to_bytes(4, sys.byteorder)).value
    return struct.unpack("=d", u.to_bytes(8, sys.byteorder))[0]


def rounded_sum(x, y, subtract=False):
    """x + y (or x - y) rounded once to a double, as IEEE does. Python's own float arithmetic
    rounds twice where CPython computes on the x87 unit (Debian's i386 build): 2**53 + 1.00001
    is 2**53 there, not 2**53 + 2. NaNs and infinities, and zeros, come from the hardware's own
    operation (which NaN it gives, and the sign of a zero)."""
    op = operator.sub if subtract else operator.add
    if not (math.isfinite(x) and math.isfinite(y)):
        return op(x, y)
    exact = op(Fraction(x), Fraction(y))
    if exact == 0:
        return op(x, y)  # exact in any precision
    try:
        return float(exact)  # correctly rounded
    except OverflowError:  # rounds past the largest double
        return math.inf if exact > 0 else -math.inf


def round_float(x, width):
    """What storing the number x in a float of `width` bytes gives, as a Python float."""
    return bits_to_float(float_to_bits(float(x), width), width)


def decode(u, width, family, signed=False):
    """The value that bits `u` read as: an int, bytes or a float."""
    if family == "bytes":
        return u.to_bytes(width, sys.byteorder)
    if family == "float":
        return bits_to_float(u, width)
    if signed and u >> (8 * width - 1):
        return u - (1 << (8 * width))
    return u


def encode(x, width, family, signed=False):
    """The bits of a valid operand `x` (an int in range, a buffer of `width` bytes or anything
    bytes() takes, a number for floats)."""
    if family == "bytes":
        raw = bytes(x)
        assert len(raw) == width, "model: an operand of the wrong length"
        return int.from_bytes(raw, sys.byteorder)
    if family == "float":
        return float_to_bits(float(x), width)
    v = operator.index(x)
    assert overflow_message(v, width, signed) is None, "model: an operand out of range"
    return v & mask_of(width)


def same(got, want):
    """Equal values; floats bit for bit (-0.0 is not 0.0, a NaN is its own bits)."""
    if isinstance(want, float):
        return type(got) is float and struct.pack("=d", got) == struct.pack("=d", want)
    return got == want


class Either:
    """A result IEEE leaves open: any bit pattern `allowed` accepts. `choice` is one of them,
    for a model that goes on before it can look at memory."""

    def __init__(self, allowed, why, choice):
        self.allowed, self.why, self.choice = allowed, why, choice


class WouldOverflow(Exception):
    """checked_fetch_add/sub: the exact result does not fit (the method raises OverflowError
    and leaves the value unchanged)."""


# ---------------------------------------------------------------------------------------
# The semantics of every operation
# ---------------------------------------------------------------------------------------


def float_arith(method, a_bits, b_bits, width):
    """New bits of fetch_add/sub/max/min on floats, or Either."""
    a, b = bits_to_float(a_bits, width), bits_to_float(b_bits, width)
    if method in ("fetch_add", "fetch_sub"):
        if math.isnan(a) and math.isnan(b):
            return Either(lambda u: math.isnan(bits_to_float(u, width)), "two NaN operands", a_bits)
        # the exact result rounded once (a double holds any sum of two binary32 values closely
        # enough that rounding it to binary32 is the correctly rounded binary32 sum)
        return float_to_bits(rounded_sum(a, b, subtract=method == "fetch_sub"), width)
    if math.isnan(a) and math.isnan(b):
        return Either(lambda u: u in (a_bits, b_bits), "max/min of two NaNs", a_bits)
    if math.isnan(b):
        return a_bits  # maxNum/minNum: a NaN operand leaves the value
    if math.isnan(a):
        return b_bits  # a NaN value is replaced
    if a == b:
        return Either(lambda u: u in (a_bits, b_bits), "max/min of equal values (0.0, -0.0)", a_bits)
    pick = max(a, b) if method == "fetch_max" else min(a, b)
    return a_bits if pick == a else b_bits


def bit(method, u, index, width):
    """(new bits, the bit's previous value) of a bit_test* method."""
    old = bool((u >> index) & 1)
    if method == "bit_test_compl":
        u ^= 1 << index
    elif method == "bit_test_set":
        u |= 1 << index
    elif method == "bit_test_reset":
        u &= ~(1 << index) & mask_of(width)
    else:
        assert method == "bit_test", method
    return u, old


def cmpxchg(u, expected, desired):
    """(success, new bits, bits of the `expected` the result carries); bits are compared, floats too."""
    if u == expected:
        return True, desired, expected
    return False, u, u


def apply(method, u, x, width, family, signed=False):
    """(new bits or Either, what the method returns) of a read-modify-write `method` (a scalar
    method, or a bulk operation: applied to one element) on bits `u` with operand bits `x`
    (None for methods without one). Raises WouldOverflow for a checked method that overflows."""
    method = BULK_METHOD.get(method, method)
    assert method in FAMILY_METHODS[family], f"model: {family} has no {method}"

    def value(bits):
        return decode(bits, width, family, signed)

    if method == "store":
        return x, None
    if method == "load":
        return u, value(u)
    if method == "exchange":
        return x, value(u)
    if family == "float":
        return float_arith(method, u, x, width), value(u)
    mask = mask_of(width)
    name = method.replace("bin_fetch_", "").replace("bin_", "").replace("checked_", "")
    name = name.replace("fetch_", "").replace("_fetch", "")
    old = value(u)
    if name in ("max", "min"):
        new = u if (old >= value(x) if name == "max" else old <= value(x)) else x
    else:
        new = {
            "or": lambda: u | x, "xor": lambda: u ^ x, "and": lambda: u & x, "not": lambda: u ^ mask,
            "add": lambda: (u + x) & mask, "sub": lambda: (u - x) & mask, "inc": lambda: (u + 1) & mask,
            "dec": lambda: (u - 1) & mask, "neg": lambda: (-u) & mask,
        }[name]()
    if method.startswith("checked_"):
        exact = old + value(x) if name == "add" else old - value(x)
        if overflow_message(exact, width, signed) is not None:
            raise WouldOverflow(method)
    if method.endswith("_fetch"):
        return new, value(new)  # the new value
    if "fetch" in method:
        return new, old  # the previous value
    return new, None


class Model:
    """One value of `width` bytes of a family ("int", "bytes" or "float"; ints `signed` or
    not), held as its bit pattern `u`. Each method applies what the library's method of that
    name does and returns what it returns. After a result IEEE leaves open, `open` holds the
    Either (and `u` its choice) until `settle` adopts the bits memory holds."""

    def __init__(self, width, family, signed=False, u=0):
        assert family in ("int", "bytes", "float"), family
        self.width, self.family, self.signed = width, family, signed
        self.bits = 8 * width
        self.mask = mask_of(width)
        self.u = u & self.mask
        self.open = None

    @property
    def lo(self):
        return bounds(self.width, self.signed)[0]

    @property
    def hi(self):
        return bounds(self.width, self.signed)[1]

    def overflow_message(self, v):
        return overflow_message(v, self.width, self.signed)

    def encode(self, x):
        return encode(x, self.width, self.family, self.signed)

    def decode(self, u):
        return decode(u, self.width, self.family, self.signed)

    @property
    def value(self):
        return self.decode(self.u)

    def raw(self):
        """The bytes memory holds."""
        return self.u.to_bytes(self.width, sys.byteorder)

    def apply(self, method, e=None):
        """A read-modify-write method with operand bits `e`; its result. Raises WouldOverflow
        (the value unchanged) for a checked method that overflows."""
        new, result = apply(method, self.u, e, self.width, self.family, self.signed)
        self.open = new if isinstance(new, Either) else None
        self.u = new.choice if isinstance(new, Either) else new
        return result

    def settle(self, actual):
        """After a result IEEE leaves open: checks the bits memory holds are allowed, adopts them."""
        if self.open is not None:
            assert self.open.allowed(actual), (
                f"memory holds {self.decode(actual)!r}, not a possible result ({self.open.why})")
            self.u = actual
            self.open = None

    def store(self, e):
        self.apply("store", e)

    def exchange(self, e):
        return self.apply("exchange", e)

    def cmpxchg(self, e_expected, e_desired):
        """(success, the value the result's `expected` holds)."""
        ok, self.u, carried = cmpxchg(self.u, e_expected, e_desired)
        return ok, self.decode(carried)

    def bit(self, method, index):
        self.u, old = bit(method, self.u, index, self.width)
        return old

    def binary(self, name, e=None):
        """or/xor/and/not; returns the previous value."""
        return self.apply(f"bin_fetch_{name}", e)

    def arith(self, name, e=None):
        """add/sub/inc/dec/neg/max/min; returns the previous value."""
        return self.apply(f"fetch_{name}", e)


# ---------------------------------------------------------------------------------------
# Bulk operations on floats: the values of one call, and the order a repeated index takes
# them in (unspecified for float arithmetic: docs/arrays.md)
# ---------------------------------------------------------------------------------------

ANY_NAN = "any NaN"


def float_step(method, a, x, width):
    """The bit patterns (ANY_NAN: any NaN) a float holding `a` (bits or ANY_NAN) may hold after
    `method` (store, fetch_add/sub/max/min or their bulk names) with operand bits x."""
    method = BULK_METHOD.get(method, method)
    if method == "store":
        return {x}
    if a == ANY_NAN:
        if method in ("fetch_add", "fetch_sub") or math.isnan(bits_to_float(x, width)):
            return {ANY_NAN}
        return {x}  # maxNum/minNum: a NaN value is replaced
    r = float_arith(method, a, x, width)
    if isinstance(r, Either):
        return {ANY_NAN} if method in ("fetch_add", "fetch_sub") else {a, x}
    return {r}


def float_outcomes(method, start, xs, width, any_order):
    """What a float holding `start` may end as after `method` with each of xs once: in the
    order given, or (any_order) in every order."""
    if not any_order:
        states = {start}
        for x in xs:
            states = set().union(*(float_step(method, s, x, width) for s in states))
        return states
    reach = {0: {start}}  # subset of the operands applied -> states
    for done in range(1 << len(xs)):
        for s in reach.get(done, ()):
            for j, x in enumerate(xs):
                if not done >> j & 1:
                    reach.setdefault(done | 1 << j, set()).update(float_step(method, s, x, width))
    return reach[(1 << len(xs)) - 1]


def float_matches(bits, states, width):
    return bits in states or (ANY_NAN in states and math.isnan(bits_to_float(bits, width)))


def check_float_bulk(method, start, xs, actual, width):
    """Asserts a float element that held `start` may hold `actual` after bulk `method` applied
    xs to it (in the order given, or -- for at most 10 values -- in any order); returns the
    possible results."""
    states = float_outcomes(method, start, xs, width, False)
    if not float_matches(actual, states, width) and len(xs) <= 10:
        states = float_outcomes(method, start, xs, width, True)
    assert float_matches(actual, states, width), (
        f"{method}: the element holds {bits_to_float(actual, width)!r}, possible results "
        f"{sorted(s if s == ANY_NAN else bits_to_float(s, width) for s in states)}")
    return states
