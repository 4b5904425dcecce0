"""Memory-order arguments: ints, None and the documented deviations for operations without
an operand (docs/spec/atomics-1.0-behaviour.md §6.1, §7.1).
"""

import pytest

import atomics
from atomics import BYTES, INT, UINT
from atomics.exc import MemoryOrderError

from _api import LOAD_OK, ORDER_VALUES, RELAXED, SEQ_CST, STORE_OK, order_msg


@pytest.mark.parametrize("op", ["neg", "inc", "dec", "fetch_neg", "fetch_inc", "fetch_dec", "bin_not",
                                "bin_fetch_not"])
def test_operandless_with_int_order_deviation(op):
    # deviation Q11: a plain int order is its MemoryOrder value; 1 is not a valid one
    a = atomics.atomic(4, INT)
    with pytest.raises(ValueError) as ei:
        getattr(a, op)(1)
    assert str(ei.value) == "1 is not a valid MemoryOrder"
    assert a.load() == 0
    getattr(a, op)(0)
    getattr(a, op)(5)


# --------------------------------------------------------------------------------------
# §7 / Q11: order arguments (deviation)
# --------------------------------------------------------------------------------------


def test_int_orders_accepted():
    a = atomics.atomic(4, INT)
    for name, value in ORDER_VALUES.items():
        if name in STORE_OK:
            a.store(value + 10, value)
            assert a.load() == value + 10
        else:
            with pytest.raises(MemoryOrderError) as ei:
                a.store(1, value)
            assert ei.value.order == value
            assert str(ei.value) == order_msg("STORE", name)
        if name in LOAD_OK:
            assert a.load(value) == a.load()
        else:
            with pytest.raises(MemoryOrderError):
                a.load(value)
        a.exchange(1, value)
    a.store(1)
    assert a.cmpxchg_strong(1, 2, 5, 0).success is True
    with pytest.raises(MemoryOrderError):
        a.cmpxchg_strong(2, 3, 0, 5)


def test_none_order_means_seq_cst():
    a = atomics.atomic(4, INT)
    a.store(3, None)
    assert a.load(None) == 3
    assert a.exchange(4, None) == 3
    assert a.cmpxchg_strong(4, 5, None, None).success is True
    assert a.bit_test(0, None) is True
    a.inc(None)
    assert a.fetch_add(1, None) == 6
    b = atomics.atomic(2, BYTES)
    b.store(b"ab", None)
    assert b.load(None) == b"ab"
    assert b.cmpxchg_strong(b"ab", b"cd", succ=None, fail=None).success is True


def test_none_failure_order_with_relaxed_success_is_seq_cst():
    # None means SEQ_CST, which is not a valid failure order for a RELAXED success
    a = atomics.atomic(4, INT)
    with pytest.raises(MemoryOrderError) as ei:
        a.cmpxchg_weak(0, 1, success=RELAXED, failure=None)
    assert ei.value.order is SEQ_CST


@pytest.mark.parametrize("bad", ["SEQ_CST", 5.0, b"\x05", [5]], ids=repr)
def test_order_wrong_type(bad):
    tname = type(bad).__name__
    a = atomics.atomic(4, INT)
    b = atomics.atomic(4, BYTES)
    calls = [
        ("order", lambda: a.store(1, bad)), ("order", lambda: a.load(bad)), ("order", lambda: a.exchange(1, bad)),
        ("order", lambda: a.bit_test(0, bad)), ("order", lambda: a.bit_test_set(0, bad)),
        ("order", lambda: a.bin_or(1, bad)), ("order", lambda: a.inc(bad)), ("order", lambda: a.fetch_neg(bad)),
        ("success", lambda: a.cmpxchg_strong(0, 1, success=bad)),
        ("failure", lambda: a.cmpxchg_weak(0, 1, failure=bad)),
        ("order", lambda: b.store(b"abcd", bad)), ("order", lambda: b.load(bad)),
        ("order", lambda: b.bin_not(bad)),
        ("succ", lambda: b.cmpxchg_strong(b"\0" * 4, b"abcd", succ=bad)),
        ("fail", lambda: b.cmpxchg_weak(b"\0" * 4, b"abcd", fail=bad)),
    ]
    for param, call in calls:
        with pytest.raises(TypeError) as ei:
            call()
        assert str(ei.value) == f"'{param}' must be a MemoryOrder, not '{tname}'"
    assert a.load() == 0 and b.load() == b"\0" * 4


@pytest.mark.parametrize("bad", [1, 6, -1, 2**70])
def test_order_invalid_int_value(bad):
    a = atomics.atomic(4, UINT)
    b = atomics.atomic(4, BYTES)
    for call in (lambda: a.store(1, bad), lambda: a.load(bad), lambda: a.exchange(1, bad),
                 lambda: a.add(1, bad), lambda: a.cmpxchg_strong(0, 1, bad, RELAXED),
                 lambda: a.cmpxchg_strong(0, 1, SEQ_CST, bad), lambda: a.bit_test_reset(0, bad),
                 lambda: b.exchange(b"abcd", bad), lambda: b.cmpxchg_weak(b"\0" * 4, b"abcd", succ=bad)):
        with pytest.raises(ValueError) as ei:
            call()
        assert str(ei.value) == f"{bad} is not a valid MemoryOrder"
    assert a.load() == 0 and b.load() == b"\0" * 4


# --------------------------------------------------------------------------------------
# §7 Operations: bytes family
# --------------------------------------------------------------------------------------
