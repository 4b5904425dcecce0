"""Float atomics (atomics.FLOAT): IEEE floats of 4 and 8 bytes, against a model."""

import array
import copy
import math
import pickle
import struct
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import atomics
from atomics import FLOAT, OpType


def f32(x):
    """`x` rounded to the nearest 4-byte float, as IEEE rounds: a finite `x` too large for
    one becomes an infinity (for which `struct.pack` raises `OverflowError`)."""
    try:
        return struct.unpack("f", struct.pack("f", x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def rounded(width):
    return f32 if width == 4 else float


def rounded_once(op):
    """``op`` (``+`` or ``-``) of two floats, rounded once to a double as IEEE does. Python's own
    float arithmetic rounds twice where CPython computes on the x87 unit (Debian's i386 build):
    2**53 + 1.00001 is 2**53 there, not 2**53 + 2."""
    def apply(x, y):
        if not (math.isfinite(x) and math.isfinite(y)):
            return op(x, y)
        exact = op(Fraction(x), Fraction(y))
        if exact == 0:
            return op(x, y)  # exact in any precision; keeps the sign of zero
        try:
            return float(exact)  # correctly rounded
        except OverflowError:
            return math.copysign(math.inf, exact)
    return apply


def fmax(a, b):
    return b if math.isnan(a) else a if math.isnan(b) else max(a, b)


def fmin(a, b):
    return b if math.isnan(a) else a if math.isnan(b) else min(a, b)


def same(x, y):
    return (math.isnan(x) and math.isnan(y)) or x == y


floats = st.floats(allow_nan=True, allow_infinity=True, width=32)


@pytest.mark.parametrize("width", [4, 8])
@settings(max_examples=200, deadline=None)
@given(start=floats, operand=floats)
# A finite sum that rounds to infinity as a 4-byte float (the midpoint above FLT_MAX).
@example(start=1.7014117331926443e+38, operand=1.7014118346046923e+38)
# A sum that x87 arithmetic rounds twice (to 2**53, where IEEE gives 2**53 + 2).
@example(start=9007199254740992.0, operand=1.0000100135803223)
def test_arithmetic_matches_ieee(width, start, operand):
    r = rounded(width)
    a = atomics.atomic(width, FLOAT)
    for method, op in (("fetch_add", rounded_once(lambda x, y: x + y)),
                       ("fetch_sub", rounded_once(lambda x, y: x - y)), ("fetch_max", fmax), ("fetch_min", fmin)):
        a.store(start)
        previous = getattr(a, method)(operand)
        assert same(previous, r(start))
        expected = r(op(r(start), r(operand)))
        assert same(a.load(), expected), (method, start, operand, a.load(), expected)


@pytest.mark.parametrize("width", [4, 8])
def test_compare_exchange_compares_bits(width):
    a = atomics.atomic(width, FLOAT)
    a.store(0.0)
    res = a.cmpxchg_strong(-0.0, 1.0)  # -0.0 == 0.0 numerically, not bitwise
    assert not res and math.copysign(1, res.expected) == 1 and a.load() == 0.0
    a.store(math.nan)
    assert a.cmpxchg_strong(math.nan, 2.0)  # the same NaN bits match
    assert a.load() == 2.0
    assert a.cmpxchg_weak(2.0, 3.5) and a.exchange(4.0) == 3.5 and a.load() == 4.0


def test_values_round_to_the_width():
    a, b = atomics.atomic(4, FLOAT), atomics.atomic(8, FLOAT)
    a.store(0.1)
    b.store(0.1)
    assert a.load() == f32(0.1) != 0.1 and b.load() == 0.1
    a.store(1e300)
    assert a.load() == math.inf
    a.store(3)  # ints and numpy scalars are accepted
    assert a.load() == 3.0 and float(a) == 3.0


def test_threads_add_exactly(threads):
    a = atomics.atomic(8, FLOAT)

    def work(_):
        h = copy.copy(a)
        for _ in range(5000):
            h.fetch_add(0.5)

    threads(work, 4)
    assert a.load() == 10_000.0


def test_the_float_surface():
    a = atomics.atomic(8, FLOAT)
    assert isinstance(a, FLOAT) and isinstance(a, atomics.ANY) and not isinstance(a, atomics.INTEGRAL)
    assert str(a) == "AtomicFloat(value=0.0, width=8, readonly=False)"
    assert a.ops_supported == [OpType.STORE, OpType.LOAD, OpType.EXCHANGE, OpType.CMPXCHG_WEAK,
                               OpType.CMPXCHG_STRONG, OpType.FETCH_ADD, OpType.FETCH_SUB,
                               OpType.FETCH_MAX, OpType.FETCH_MIN]
    for missing in ("inc", "bin_or", "bit_test", "checked_fetch_add", "fetch_and"):
        assert not hasattr(a, missing)
    for bad in ("1.0", b"x", None, [1.0]):
        with pytest.raises(TypeError, match="must be a float"):
            a.store(bad)
    for width in (1, 2, 16, 3):
        with pytest.raises(atomics.exc.UnsupportedWidthException):
            atomics.atomic(width, FLOAT)
    with pytest.raises(atomics.exc.UnsupportedWidthException):
        atomics.atomicview(bytearray(2), FLOAT).__enter__()
    assert a.update(lambda v: v + 0.25) == (0.0, 0.25)
    assert a.wait(0.0, timeout=0) is True and a.wait(0.25, timeout=0.01) is False


@pytest.mark.parametrize("code, width", [("f", 4), ("d", 8)])
def test_views_over_float_arrays(code, width):
    buf = array.array(code, [1.5])
    with atomics.atomicview(buf, FLOAT) as v:
        assert v.width == width and v.load() == 1.5
        v.fetch_add(2.0)
    assert buf[0] == 3.5
    with atomics.atomicview(memoryview(bytes(8)), FLOAT) as ro:
        assert ro.readonly and ro.ops_supported == [OpType.LOAD]
        with pytest.raises(atomics.exc.UnsupportedOperationException):
            ro.fetch_add(1.0)


def test_shared_floats_pickle_by_reference():
    a = atomics.atomic(8, FLOAT, shared=True)
    b = pickle.loads(pickle.dumps(a))
    b.store(6.25)
    assert a.load() == 6.25 and type(b) is type(a)
    assert atomics.shared.attach(a.shared_name, 8, FLOAT).load() == 6.25
