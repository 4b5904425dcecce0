"""Float atomics (atomics.FLOAT): IEEE floats of 4 and 8 bytes, against the reference model
(``_model``: rounded once to the width, overflowing to infinity)."""

import array
import copy
import math
import pickle

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import atomics
from atomics import FLOAT, OpType

from _model import Model, float_to_bits, round_float, same


floats = st.floats(allow_nan=True, allow_infinity=True, width=32)


@pytest.mark.parametrize("width", [4, 8])
@settings(max_examples=200, deadline=None)
@given(start=floats, operand=floats)
# A finite sum that rounds to infinity as a 4-byte float (the midpoint above FLT_MAX).
@example(start=1.7014117331926443e+38, operand=1.7014118346046923e+38)
# A sum that x87 arithmetic rounds twice (to 2**53, where IEEE gives 2**53 + 2).
@example(start=9007199254740992.0, operand=1.0000100135803223)
def test_arithmetic_matches_ieee(width, start, operand):
    a = atomics.atomic(width, FLOAT)
    m = Model(width, "float")
    for method in ("fetch_add", "fetch_sub", "fetch_max", "fetch_min"):
        a.store(start)
        m.store(m.encode(start))
        previous = getattr(a, method)(operand)
        assert same(previous, m.apply(method, m.encode(operand))), (method, start, operand, previous)
        m.settle(float_to_bits(a.load(), width))  # a result IEEE leaves open: checked, adopted
        assert same(a.load(), m.value), (method, start, operand, a.load(), m.value)


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
    assert a.load() == round_float(0.1, 4) != 0.1 and b.load() == 0.1
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
