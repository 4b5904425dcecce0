"""The operations of integer atomics (INT, UINT, INTEGRAL): store/load, operand conversion,
orders, compare-exchange, bit, binary and arithmetic operations
(docs/spec/atomics-1.0-behaviour.md §7).
"""

import operator

import pytest

import atomics
from atomics import INT, UINT, CmpxchgResult, MemoryOrder, OpType
from atomics.exc import MemoryOrderError

from _api import (ACQUIRE, ACQ_REL, FAIL_OK, INDEX_MSG, LOAD_OK, ORDERS, RELAXED, RELEASE, SEQ_CST, STORE_OK,
                  WIDTHS, IntSubclass, bit_ops, make, order_msg, sample_values, strong_or_weak, wrap)


def test_store_load_roundtrip(ia):
    for v in sample_values(ia.w, ia.signed):
        assert ia.a.store(v) is None
        got = ia.a.load()
        assert got == v and type(got) is int


def test_store_load_all_orders(ia):
    for order in ORDERS:
        if order.name in STORE_OK:
            assert ia.a.store(int(order) + 1, order) is None
            assert ia.a.load() == int(order) + 1
            assert ia.a.store(desired=3, order=order) is None
        if order.name in LOAD_OK:
            assert ia.a.load(order) == ia.a.load(order=order)


def _out_of_range(ia):
    """(value, message) pairs that int.to_bytes rejects."""
    out = [(ia.hi + 1, "int too big to convert"), (2**200, "int too big to convert")]
    if ia.signed:
        out += [(ia.lo - 1, "int too big to convert"), (-(2**200), "int too big to convert")]
    else:
        out += [(-1, "can't convert negative int to unsigned"), (-(2**200), "can't convert negative int to unsigned")]
    return out


INT_VALUE_OPS = [
    ("store", "desired"), ("exchange", "desired"),
    ("bin_or", "value"), ("bin_xor", "value"), ("bin_and", "value"),
    ("bin_fetch_or", "value"), ("bin_fetch_xor", "value"), ("bin_fetch_and", "value"),
    ("add", "value"), ("sub", "value"), ("fetch_add", "value"), ("fetch_sub", "value"),
]


def test_int_conversion_overflow(ia):
    ia.a.store(1)
    for bad, msg in _out_of_range(ia):
        for op, _ in INT_VALUE_OPS:
            with pytest.raises(OverflowError) as ei:
                getattr(ia.a, op)(bad)
            assert str(ei.value) == msg, (op, bad)
        with pytest.raises(OverflowError) as ei:
            ia.a.cmpxchg_strong(bad, 0)
        assert str(ei.value) == msg
        with pytest.raises(OverflowError) as ei:
            ia.a.cmpxchg_weak(1, bad)
        assert str(ei.value) == msg
    assert ia.a.load() == 1


def test_uint_rejects_negative_operands():
    a = atomics.atomic(4, UINT)
    with pytest.raises(OverflowError) as ei:
        a.add(-1)
    assert str(ei.value) == "can't convert negative int to unsigned"
    with pytest.raises(OverflowError):
        a.bin_xor(-1)
    a.sub(1)
    assert a.load() == 2**32 - 1


class _Idx:
    def __index__(self):
        return 7


@pytest.mark.parametrize("value, expected", [(True, 1), (False, 0), (IntSubclass(9), 9), (OpType.LOAD, 2),
                                             (MemoryOrder.SEQ_CST, 5), (_Idx(), 7)],
                         ids=["True", "False", "int-subclass", "OpType", "MemoryOrder", "__index__"])
def test_int_like_values_accepted(ia, value, expected):
    ia.a.store(value)
    got = ia.a.load()
    assert got == expected and type(got) is int
    assert ia.a.exchange(value) == expected
    ia.a.add(value)
    assert ia.a.load() == wrap(2 * expected, ia.w, ia.signed)


def test_numpy_ints_accepted(ia):
    np = pytest.importorskip("numpy")
    ia.a.store(np.int8(5))
    assert ia.a.load() == 5 and type(ia.a.load()) is int
    ia.a.add(np.uint8(3))
    assert ia.a.load() == 8
    assert ia.a.bit_test(np.int64(3)) is True


@pytest.mark.parametrize("bad", [1.5, 1.0, "1", None, b"\x01", [1], 1j], ids=repr)
def test_int_value_type_errors(bad):
    # deviation Q11: TypeError naming the argument
    a = atomics.atomic(4, INT)
    tname = type(bad).__name__
    for op, param in INT_VALUE_OPS:
        with pytest.raises(TypeError) as ei:
            getattr(a, op)(bad)
        assert str(ei.value) == f"'{param}' must be an int, not '{tname}'", op
    for op in ("cmpxchg_weak", "cmpxchg_strong"):
        with pytest.raises(TypeError) as ei:
            getattr(a, op)(bad, 0)
        assert str(ei.value) == f"'expected' must be an int, not '{tname}'"
        with pytest.raises(TypeError) as ei:
            getattr(a, op)(0, bad)
        assert str(ei.value) == f"'desired' must be an int, not '{tname}'"
    assert a.load() == 0


def test_operand_none_raises_type_error(ia):
    for op in ("bin_or", "bin_xor", "bin_and", "bin_fetch_or", "bin_fetch_xor", "bin_fetch_and",
               "add", "sub", "fetch_add", "fetch_sub"):
        with pytest.raises(TypeError):
            getattr(ia.a, op)(value=None)


def test_store_order_validation(ia):
    ia.a.store(9)
    for order in ORDERS:
        if order.name in STORE_OK:
            ia.a.store(5, order)
            assert ia.a.load() == 5
            ia.a.store(9)
            continue
        with pytest.raises(MemoryOrderError) as ei:
            ia.a.store(5, order)
        e = ei.value
        assert e.optype is OpType.STORE and e.order is order and e.is_fail is False
        assert str(e) == order_msg("STORE", order.name)
        assert ia.a.load() == 9


def test_store_order_error_example():
    with pytest.raises(MemoryOrderError) as ei:
        atomics.atomic(4, INT).store(1, MemoryOrder.ACQUIRE)
    assert str(ei.value) == "ACQUIRE is not a valid  memory order for a STORE operation."


def test_load_order_validation(ia):
    ia.a.store(3)
    for order in ORDERS:
        if order.name in LOAD_OK:
            assert ia.a.load(order) == 3
            continue
        with pytest.raises(MemoryOrderError) as ei:
            ia.a.load(order)
        e = ei.value
        assert e.optype is OpType.LOAD and e.order is order and e.is_fail is False
        assert str(e) == order_msg("LOAD", order.name)


def test_store_conversion_before_order(ia):
    with pytest.raises(OverflowError):
        ia.a.store(ia.hi + 1, ACQUIRE)
    with pytest.raises(TypeError):
        ia.a.store(1.5, ACQ_REL)


def test_exchange(ia):
    prev = 0
    for order in ORDERS:  # no order validation
        for v in sample_values(ia.w, ia.signed):
            got = ia.a.exchange(v, order)
            assert got == prev and type(got) is int
            prev = v
    assert ia.a.exchange(desired=1, order=RELAXED) == prev
    assert ia.a.load() == 1


@pytest.mark.parametrize("op", ["cmpxchg_weak", "cmpxchg_strong"])
def test_integral_cmpxchg_semantics(ia, op):
    vals = sample_values(ia.w, ia.signed)
    cur = 0
    for v in vals:
        other = wrap(cur + 1, ia.w, ia.signed)
        # failure: memory differs from expected
        r = getattr(ia.a, op)(other, v)
        assert type(r) is CmpxchgResult
        assert r.success is False
        assert r.expected == cur and type(r.expected) is int
        assert ia.a.load() == cur
        # success
        r = strong_or_weak(ia.a, op, cur, v)
        assert r.success is True
        assert r.expected == cur and type(r.expected) is int
        assert ia.a.load() == v
        cur = v


@pytest.mark.parametrize("op", ["cmpxchg_weak", "cmpxchg_strong"])
def test_integral_cmpxchg_keywords(op):
    a = atomics.atomic(8, INT)
    r = strong_or_weak(a, op, expected=0, desired=5, success=SEQ_CST, failure=RELAXED)
    assert r.success is True and a.load() == 5
    with pytest.raises(TypeError) as ei:
        getattr(a, op)(5, 6, succ=SEQ_CST)
    assert "unexpected keyword argument 'succ'" in str(ei.value)
    with pytest.raises(TypeError) as ei:
        getattr(a, op)(5, 6, fail=SEQ_CST)
    assert "unexpected keyword argument 'fail'" in str(ei.value)
    assert a.load() == 5


@pytest.mark.parametrize("op, optype", [("cmpxchg_weak", "CMPXCHG_WEAK"), ("cmpxchg_strong", "CMPXCHG_STRONG")])
@pytest.mark.parametrize("succ", ORDERS, ids=lambda o: o.name)
@pytest.mark.parametrize("fail", ORDERS, ids=lambda o: o.name)
def test_integral_cmpxchg_fail_order_table(op, optype, succ, fail):
    a = atomics.atomic(4, INT)
    a.store(3)
    if fail.name in FAIL_OK[succ.name]:
        r = strong_or_weak(a, op, 3, 4, succ, fail)
        assert r.success is True and a.load() == 4
        r = getattr(a, op)(3, 5, success=succ, failure=fail)
        assert r.success is False and r.expected == 4
        return
    for exp in (3, 99):  # raised whatever the memory holds
        with pytest.raises(MemoryOrderError) as ei:
            getattr(a, op)(exp, 4, succ, fail)
        e = ei.value
        assert e.optype is OpType[optype] and e.order is fail and e.is_fail is True
        assert str(e) == order_msg(optype, fail.name, is_fail=True)
    assert a.load() == 3


def test_cmpxchg_fail_order_examples():
    a = atomics.atomic(4, UINT)
    with pytest.raises(MemoryOrderError) as ei:
        a.cmpxchg_strong(0, 1, success=RELAXED, failure=SEQ_CST)
    assert str(ei.value) == "SEQ_CST is not a valid fail memory order for a CMPXCHG_STRONG operation."
    with pytest.raises(MemoryOrderError) as ei:
        a.cmpxchg_weak(0, 1, failure=RELEASE)
    assert str(ei.value) == "RELEASE is not a valid fail memory order for a CMPXCHG_WEAK operation."
    # RELEASE success + ACQUIRE failure is accepted (numeric comparison, Q20)
    assert a.cmpxchg_strong(0, 1, success=RELEASE, failure=ACQUIRE).success is True


@pytest.mark.parametrize("op", ["cmpxchg_weak", "cmpxchg_strong"])
def test_integral_cmpxchg_precedence(ia, op):
    f = getattr(ia.a, op)
    ia.a.store(1)
    # conv(expected) -> conv(desired) -> fail order
    with pytest.raises(OverflowError):
        f(ia.hi + 1, 2**300, RELAXED, SEQ_CST)
    with pytest.raises(OverflowError):
        f(ia.hi + 1, 1.5, RELAXED, SEQ_CST)
    with pytest.raises(TypeError) as ei:
        f(1.5, ia.hi + 1, RELAXED, SEQ_CST)
    assert "'expected'" in str(ei.value)
    with pytest.raises(OverflowError):
        f(1, ia.hi + 1, RELAXED, SEQ_CST)
    with pytest.raises(MemoryOrderError):
        f(1, 2, RELAXED, SEQ_CST)
    assert ia.a.load() == 1


def test_bit_ops(ia):
    a, w = ia.a, ia.w
    for i in sorted(i for i in {0, 1, 7, 8, 8 * w // 2, 8 * w - 1} if i < 8 * w):
        a.store(0)
        assert a.bit_test(i) is False
        assert a.bit_test_set(i) is False
        assert a.load() == wrap(1 << i, w, ia.signed)
        assert a.bit_test(i) is True
        assert a.bit_test_set(i) is True
        assert a.bit_test_compl(i) is True
        assert a.load() == 0
        assert a.bit_test_compl(i) is False
        assert a.load() == wrap(1 << i, w, ia.signed)
        assert a.bit_test_reset(i) is True
        assert a.load() == 0
        assert a.bit_test_reset(i) is False
        assert a.load() == 0
        # other bits are untouched
        full = wrap(-1, w, ia.signed)
        a.store(full)
        assert a.bit_test_reset(i) is True
        assert a.load() == wrap(((1 << 8 * w) - 1) ^ (1 << i), w, ia.signed)
        assert a.bit_test(index=i, order=SEQ_CST) is False


def test_bit_index_bool_accepted():
    a = atomics.atomic(2, UINT)
    assert a.bit_test_set(True) is False
    assert a.load() == 2
    assert a.bit_test(False) is False


def test_bit_index_range(ia):
    ia.a.store(5)
    for bad in (-1, -8, 8 * ia.w, 8 * ia.w + 1, 2**70, -(2**70)):
        for f in bit_ops(ia.a):
            with pytest.raises(ValueError) as ei:
                f(bad)
            assert str(ei.value) == INDEX_MSG
    assert ia.a.load() == 5


def test_bit_index_float_type_error():
    a = atomics.atomic(4, INT)
    for f in bit_ops(a):
        with pytest.raises(TypeError) as ei:
            f(1.0)
        assert str(ei.value) == "'index' must be an int, not 'float'"


@pytest.mark.parametrize("w", WIDTHS)
@pytest.mark.parametrize("kind", ["INT", "BYTES"])
def test_bit_test_order_load_rule(w, kind):
    # deviation Q2: bit_test validates with the LOAD rule, order before index
    a = make(kind, w)
    for order in ORDERS:
        if order.name in LOAD_OK:
            assert a.bit_test(0, order) is False
            with pytest.raises(ValueError) as ei:
                a.bit_test(8 * w, order)
            assert str(ei.value) == INDEX_MSG
            continue
        for index in (0, 8 * w, -1):
            with pytest.raises(MemoryOrderError) as ei:
                a.bit_test(index, order)
            e = ei.value
            assert e.optype is OpType.BIT_TEST and e.order is order and e.is_fail is False
            assert str(e) == order_msg("BIT_TEST", order.name)


def test_bit_test_release_message():
    with pytest.raises(MemoryOrderError) as ei:
        atomics.atomic(4, UINT).bit_test(0, MemoryOrder.RELEASE)
    assert str(ei.value) == "RELEASE is not a valid  memory order for a BIT_TEST operation."


@pytest.mark.parametrize("kind", ["INT", "UINT", "BYTES"])
def test_modifying_bit_ops_accept_every_order(kind):
    a = make(kind, 4)
    for order in ORDERS:
        assert a.bit_test_set(3, order) is False
        assert a.bit_test_compl(3, order) is True
        assert a.bit_test_compl(3, order=order) is False
        assert a.bit_test_reset(index=3, order=order) is True


def test_binary_ops(ia):
    a, w, s = ia.a, ia.w, ia.signed
    m = (1 << 8 * w) - 1
    vals = sample_values(w, s)
    for x in vals:
        for y in vals[::2]:
            ux, uy = x & m, y & m
            for op, fn in (("or", operator.or_), ("xor", operator.xor), ("and", operator.and_)):
                a.store(x)
                assert getattr(a, "bin_" + op)(y) is None
                assert a.load() == wrap(fn(ux, uy), w, s)
                a.store(x)
                got = getattr(a, "bin_fetch_" + op)(y)
                assert got == x and type(got) is int
                assert a.load() == wrap(fn(ux, uy), w, s)
        a.store(x)
        assert a.bin_not() is None
        assert a.load() == wrap(~ux & m, w, s)
        a.store(x)
        assert a.bin_fetch_not() == x
        assert a.load() == wrap(~ux & m, w, s)


def test_int_bin_not_is_minus_x_minus_one():
    a = atomics.atomic(4, INT)
    for x in (0, 5, -7, 2**31 - 1, -(2**31)):
        a.store(x)
        a.bin_not()
        assert a.load() == -x - 1


def test_signed_bin_xor_minus_one():
    a = atomics.atomic(2, INT)
    a.store(0x1234)
    a.bin_xor(-1)
    assert a.load() == ~0x1234


def test_binary_ops_accept_every_order(ia):
    a = ia.a
    for order in ORDERS:
        a.store(0)
        a.bin_or(6, order)
        a.bin_xor(value=3, order=order)
        assert a.bin_fetch_and(7, order) == 5
        a.bin_and(value=1, order=order)
        assert a.bin_fetch_or(2, order) == 1
        assert a.bin_fetch_xor(1, order) == 3
        a.bin_not(order)
        assert a.bin_fetch_not(order=order) == wrap(~2, ia.w, ia.signed)
        assert a.load() == 2


def test_arithmetic_ops(ia):
    a, w, s = ia.a, ia.w, ia.signed
    vals = sample_values(w, s)
    for x in vals:
        for y in (v for v in vals if v >= 0):
            a.store(x)
            assert a.add(y) is None
            assert a.load() == wrap(x + y, w, s)
            a.store(x)
            assert a.sub(y) is None
            assert a.load() == wrap(x - y, w, s)
            a.store(x)
            got = a.fetch_add(y)
            assert got == x and type(got) is int
            assert a.load() == wrap(x + y, w, s)
            a.store(x)
            assert a.fetch_sub(y) == x
            assert a.load() == wrap(x - y, w, s)
        for name, delta in (("inc", 1), ("dec", -1)):
            a.store(x)
            assert getattr(a, name)() is None
            assert a.load() == wrap(x + delta, w, s)
            a.store(x)
            assert getattr(a, "fetch_" + name)() == x
            assert a.load() == wrap(x + delta, w, s)
        a.store(x)
        assert a.neg() is None
        assert a.load() == wrap(-x, w, s)
        a.store(x)
        assert a.fetch_neg() == x
        assert a.load() == wrap(-x, w, s)


def test_arithmetic_wrapping_examples():
    a = atomics.atomic(4, INT)
    a.store(2**31 - 1)
    a.inc()
    assert a.load() == -(2**31)
    a.neg()
    assert a.load() == -(2**31)
    u = atomics.atomic(4, UINT)
    u.sub(1)
    assert u.load() == 2**32 - 1
    u.store(1)
    u.neg()
    assert u.load() == 4294967295
    u.neg()
    assert u.load() == 1
    u8 = atomics.atomic(8, UINT)
    u8.store(2**64 - 1)
    u8.add(1)
    assert u8.load() == 0
    i1 = atomics.atomic(1, INT)
    i1.store(-128)
    i1.dec()
    assert i1.load() == 127


def test_arithmetic_ops_accept_every_order(ia):
    a = ia.a
    for order in ORDERS:
        a.store(5)
        a.add(2, order)
        a.sub(value=1, order=order)
        a.inc(order)
        a.dec(order=order)
        assert a.fetch_add(1, order) == 6
        assert a.fetch_sub(1, order) == 7
        assert a.fetch_inc(order) == 6
        assert a.fetch_dec(order) == 7
        a.neg(order)
        assert a.fetch_neg(order=order) == wrap(-6, ia.w, ia.signed)
        assert a.load() == 6
