"""The operations of BYTES atomics: operands of any bytes-like kind and their lengths, orders,
binary and bit operations, compare-exchange (docs/spec/atomics-1.0-behaviour.md §7).
"""

import array
import operator
import sys

import pytest

import atomics
from atomics import BYTES, CmpxchgResult, MemoryOrder, OpType
from atomics.exc import MemoryOrderError

from _api import (ACQUIRE, ACQ_REL, FAIL_OK, INDEX_MSG, LOAD_OK, ORDERS, RELAXED, SEQ_CST, STORE_OK, WIDTHS,
                  bit_ops, len_msg, order_msg, pattern, strong_or_weak)


def _bytes_like_inputs(w):
    p = pattern(w)
    out = [p, bytearray(p), memoryview(p), array.array("B", p), memoryview(bytearray(p)).toreadonly()]
    if w % 2 == 0:  # Q12: checked by nbytes
        out.append(array.array("H", p))
    if w % 4 == 0:
        out.append(memoryview(bytearray(p)).cast("I"))
    return out


def test_bytes_store_load(ba):
    b, w = ba
    for src in _bytes_like_inputs(w):
        b.store(b"\0" * w)
        assert b.store(src) is None
        got = b.load()
        assert got == pattern(w) and type(got) is bytes and len(got) == w
    for order in ORDERS:
        if order.name in STORE_OK:
            b.store(desired=b"\x01" * w, order=order)
        if order.name in LOAD_OK:
            assert b.load(order=order) == b"\x01" * w


def test_bytes_operands_sized_by_nbytes_q12():
    # deviation Q12: array('I', [x]) has len 1 but 4 bytes -> accepted for width 4
    b = atomics.atomic(4, BYTES)
    b.store(array.array("I", [0x01020304]))
    assert b.load() == (0x01020304).to_bytes(4, sys.byteorder)
    assert b.exchange(array.array("H", [1, 2])) == (0x01020304).to_bytes(4, sys.byteorder)
    assert b.load() == (1).to_bytes(2, sys.byteorder) + (2).to_bytes(2, sys.byteorder)
    b.bin_xor(memoryview(bytearray(b"\xff" * 4)).cast("I"))
    assert b.load() == bytes(x ^ 0xFF for x in (1).to_bytes(2, sys.byteorder) + (2).to_bytes(2, sys.byteorder))
    with pytest.raises(ValueError) as ei:
        b.store(array.array("H", [1, 2, 3, 4]))  # len 4 == width, but 8 bytes
    assert str(ei.value) == len_msg("desired")


def test_bytes_load_returns_fresh_bytes(ba):
    b, w = ba
    b.store(pattern(w))
    x, y = b.load(), b.load()
    assert x == y == pattern(w)
    b.store(b"\0" * w)
    assert x == pattern(w)


def test_bytes_exchange(ba):
    b, w = ba
    prev = b"\0" * w
    for order in ORDERS:  # no order validation
        for src in _bytes_like_inputs(w):
            b.store(prev)
            got = b.exchange(src, order)
            assert got == prev and type(got) is bytes
            assert b.load() == pattern(w)
        prev = bytes(reversed(pattern(w, seed=int(order))))
        b.store(prev)
    assert b.exchange(desired=b"\x07" * w, order=ACQ_REL) == prev


@pytest.mark.parametrize("w", WIDTHS)
def test_bytes_store_order_validation(w):
    b = atomics.atomic(w, BYTES)
    for order in ORDERS:
        if order.name in STORE_OK:
            continue
        # order is checked before the length and the type of `desired`
        for desired in (b"\x01" * w, b"\x01" * (w + 1), b"", 1, "x" * w, None):
            with pytest.raises(MemoryOrderError) as ei:
                b.store(desired, order)
            e = ei.value
            assert e.optype is OpType.STORE and e.order is order and e.is_fail is False
            assert str(e) == order_msg("STORE", order.name)
    assert b.load() == b"\0" * w


def test_bytes_store_order_before_length_example():
    with pytest.raises(MemoryOrderError):
        atomics.atomic(4, BYTES).store(b"1", MemoryOrder.ACQUIRE)


@pytest.mark.parametrize("w", WIDTHS)
def test_bytes_load_order_validation(w):
    b = atomics.atomic(w, BYTES)
    for order in ORDERS:
        if order.name in LOAD_OK:
            assert b.load(order) == b"\0" * w
            continue
        with pytest.raises(MemoryOrderError) as ei:
            b.load(order)
        assert ei.value.optype is OpType.LOAD and ei.value.order is order and ei.value.is_fail is False
        assert str(ei.value) == order_msg("LOAD", order.name)


BYTES_VALUE_OPS = [
    ("store", "desired"), ("exchange", "desired"),
    ("bin_or", "value"), ("bin_xor", "value"), ("bin_and", "value"),
    ("bin_fetch_or", "value"), ("bin_fetch_xor", "value"), ("bin_fetch_and", "value"),
]


def _wrong_sizes(w):
    out = [b"", b"\x01" * (w - 1), b"\x01" * (w + 1), bytearray(2 * w), memoryview(b"\x01" * (w + 3))]
    out.append(array.array("H", [1] * w))  # Q12: len == w but nbytes == 2w
    if w >= 2:
        out.append(array.array("B", [1] * (w - 1)))
    return [x for x in out if (memoryview(x).nbytes != w)]


def test_bytes_length_errors(ba):
    b, w = ba
    b.store(pattern(w))
    for op, param in BYTES_VALUE_OPS:
        for bad in _wrong_sizes(w):
            with pytest.raises(ValueError) as ei:
                getattr(b, op)(bad)
            assert str(ei.value) == len_msg(param), (op, bad)
    assert b.load() == pattern(w)


def test_bytes_length_error_messages():
    b = atomics.atomic(4, BYTES)
    with pytest.raises(ValueError) as ei:
        b.store(b"123")
    assert str(ei.value) == "'desired' object length does not match width."
    with pytest.raises(ValueError) as ei:
        b.bin_or(b"12345")
    assert str(ei.value) == "'value' object length does not match width."
    with pytest.raises(ValueError) as ei:
        b.cmpxchg_strong(b"123", b"1234")
    assert str(ei.value) == "'expected' object length does not match width."
    with pytest.raises(ValueError) as ei:
        b.cmpxchg_weak(b"1234", b"123")
    assert str(ei.value) == "'desired' object length does not match width."


@pytest.mark.parametrize("bad", [1, 0, None, 1.5, "x", [0], (0,), {0: 0}], ids=repr)
def test_bytes_operand_type_errors(ba, bad):
    b, w = ba
    if isinstance(bad, (str, list, tuple)):
        bad = bad * w  # right length, wrong kind
    tname = type(bad).__name__
    for op, param in BYTES_VALUE_OPS:
        with pytest.raises(TypeError) as ei:
            getattr(b, op)(bad)
        assert str(ei.value) == f"'{param}' must be a bytes-like object, not '{tname}'", op
    assert b.load() == b"\0" * w


def test_bytes_store_int_message():
    with pytest.raises(TypeError) as ei:
        atomics.atomic(4, BYTES).store(1)
    assert str(ei.value) == "'desired' must be a bytes-like object, not 'int'"


def test_bytes_binary_ops(ba):
    b, w = ba
    x = pattern(w, 0x3C)
    ys = [pattern(w, 0xA5), b"\xff" * w, b"\0" * w]
    fns = {"or": operator.or_, "xor": operator.xor, "and": operator.and_}
    for y in ys:
        for name, fn in fns.items():
            want = bytes(fn(p, q) for p, q in zip(x, y))
            b.store(x)
            assert getattr(b, "bin_" + name)(y) is None
            assert b.load() == want
            b.store(x)
            got = getattr(b, "bin_fetch_" + name)(bytearray(y))
            assert got == x and type(got) is bytes
            assert b.load() == want
    want = bytes(~p & 0xFF for p in x)
    b.store(x)
    assert b.bin_not() is None
    assert b.load() == want
    got = b.bin_fetch_not()
    assert got == want and type(got) is bytes
    assert b.load() == x
    for order in ORDERS:  # no order validation
        b.bin_or(b"\0" * w, order)
        b.bin_xor(value=b"\0" * w, order=order)
        b.bin_and(b"\xff" * w, order)
        b.bin_not(order)
        b.bin_not(order=order)
        assert b.bin_fetch_or(b"\0" * w, order) == x
        assert b.bin_fetch_xor(b"\0" * w, order) == x
        assert b.bin_fetch_and(b"\xff" * w, order) == x
        b.bin_fetch_not(order)
        assert b.bin_fetch_not(order=order) == bytes(~p & 0xFF for p in x)


def test_bytes_bit_ops_lsb_first(ba):
    b, w = ba
    for i in sorted({0, 1, 7, 8, 9, 8 * w - 1}):
        if i >= 8 * w:
            continue
        want = bytearray(w)
        want[i // 8] = 1 << (i % 8)
        b.store(b"\0" * w)
        assert b.bit_test_set(i) is False
        assert b.load() == bytes(want)
        assert b.bit_test(i) is True
        assert b.bit_test_compl(i) is True
        assert b.load() == b"\0" * w
        assert b.bit_test_compl(i) is False
        assert b.bit_test_reset(i) is True
        assert b.load() == b"\0" * w
        assert b.bit_test_reset(i) is False
    for bad in (-1, 8 * w, 8 * w + 7):
        for f in bit_ops(b):
            with pytest.raises(ValueError) as ei:
                f(bad)
            assert str(ei.value) == INDEX_MSG


def test_bytes_bit_examples():
    b = atomics.atomic(4, BYTES)
    b.bit_test_set(9)
    assert b.load() == b"\x00\x02\x00\x00"
    b.store(b"\0" * 4)
    b.bit_test_set(31)
    assert b.load() == b"\x00\x00\x00\x80"


@pytest.mark.parametrize("op", ["cmpxchg_weak", "cmpxchg_strong"])
def test_bytes_cmpxchg_semantics(ba, op):
    b, w = ba
    x, y = pattern(w, 1), pattern(w, 2)
    b.store(x)
    r = getattr(b, op)(y, b"\xee" * w)
    assert type(r) is CmpxchgResult and r.success is False
    assert r.expected == x and type(r.expected) is bytes
    assert b.load() == x
    for exp_in in (x, bytearray(x), memoryview(x), array.array("B", x), list(x), tuple(x)):
        b.store(x)
        r = strong_or_weak(b, op, exp_in, y)
        assert r.success is True
        assert r.expected == x and type(r.expected) is bytes
        assert b.load() == y
        r = getattr(b, op)(exp_in, list(y))
        assert r.success is False and r.expected == y and type(r.expected) is bytes


@pytest.mark.parametrize("op", ["cmpxchg_weak", "cmpxchg_strong"])
def test_bytes_cmpxchg_keywords(op):
    b = atomics.atomic(4, BYTES)
    r = strong_or_weak(b, op, expected=b"\0" * 4, desired=b"abcd", succ=SEQ_CST, fail=ACQUIRE)
    assert r.success is True and b.load() == b"abcd"
    with pytest.raises(TypeError) as ei:
        getattr(b, op)(b"abcd", b"efgh", success=SEQ_CST)
    assert "unexpected keyword argument 'success'" in str(ei.value)
    with pytest.raises(TypeError) as ei:
        getattr(b, op)(b"abcd", b"efgh", failure=SEQ_CST)
    assert "unexpected keyword argument 'failure'" in str(ei.value)
    assert b.load() == b"abcd"


@pytest.mark.parametrize("op, optype", [("cmpxchg_weak", "CMPXCHG_WEAK"), ("cmpxchg_strong", "CMPXCHG_STRONG")])
@pytest.mark.parametrize("succ", ORDERS, ids=lambda o: o.name)
@pytest.mark.parametrize("fail", ORDERS, ids=lambda o: o.name)
def test_bytes_cmpxchg_fail_order_table(op, optype, succ, fail):
    b = atomics.atomic(2, BYTES)
    b.store(b"ab")
    if fail.name in FAIL_OK[succ.name]:
        r = strong_or_weak(b, op, b"ab", b"cd", succ, fail)
        assert r.success is True and b.load() == b"cd"
        r = getattr(b, op)(b"ab", b"ef", succ=succ, fail=fail)
        assert r.success is False and r.expected == b"cd"
        return
    for exp in (b"ab", b"zz"):
        with pytest.raises(MemoryOrderError) as ei:
            getattr(b, op)(exp, b"cd", succ, fail)
        e = ei.value
        assert e.optype is OpType[optype] and e.order is fail and e.is_fail is True
        assert str(e) == order_msg(optype, fail.name, is_fail=True)
    assert b.load() == b"ab"


@pytest.mark.parametrize("op", ["cmpxchg_weak", "cmpxchg_strong"])
def test_bytes_cmpxchg_precedence(ba, op):
    b, w = ba
    f = getattr(b, op)
    good, short, longer = b"\0" * w, b"\0" * (w - 1), b"\0" * (w + 1)
    # len(expected) -> len(desired) -> fail order
    with pytest.raises(ValueError) as ei:
        f(short, longer, RELAXED, SEQ_CST)
    assert str(ei.value) == len_msg("expected")
    with pytest.raises(ValueError) as ei:
        f(longer, good, RELAXED, SEQ_CST)
    assert str(ei.value) == len_msg("expected")
    with pytest.raises(ValueError) as ei:
        f(good, short, RELAXED, SEQ_CST)
    assert str(ei.value) == len_msg("desired")
    with pytest.raises(ValueError) as ei:
        f(good, longer, RELAXED, ACQ_REL)
    assert str(ei.value) == len_msg("desired")
    with pytest.raises(MemoryOrderError):
        f(good, good, RELAXED, SEQ_CST)
    with pytest.raises(ValueError) as ei:
        f(list(short), good)
    assert str(ei.value) == len_msg("expected")
    if w % 2 == 0:  # Q12: size in bytes, not len()
        with pytest.raises(ValueError) as ei:
            f(array.array("H", [0] * w), good)
        assert str(ei.value) == len_msg("expected")
        assert f(array.array("H", [0] * (w // 2)), good).success is True
    assert b.load() == good


@pytest.mark.parametrize("bad", ["x", 4, None, 1.5], ids=repr)
def test_bytes_cmpxchg_type_errors(bad):
    b = atomics.atomic(4, BYTES)
    if isinstance(bad, str):
        bad = bad * 4
    for op in ("cmpxchg_weak", "cmpxchg_strong"):
        with pytest.raises(TypeError):
            getattr(b, op)(bad, b"abcd")
        with pytest.raises(TypeError):
            getattr(b, op)(b"\0" * 4, bad)
    assert b.load() == b"\0" * 4


@pytest.mark.parametrize("op", ["cmpxchg_weak", "cmpxchg_strong"])
def test_q1_cached_single_byte_objects_not_corrupted(op):
    # deviation Q1: the caller's bytes object is never mutated
    b = atomics.atomic(1, BYTES)
    b.store(b"\x05")
    r = getattr(b, op)(b"\x00", b"\x01")
    assert r.success is False
    assert r.expected == b"\x05"
    assert b"\x00"[0] == 0
    assert bytes([0])[0] == 0
    assert list(b"\x00") == [0] and list(bytes([0])) == [0]
    assert b"\x00" != b"\x05"
    assert bytes([0]) != b"\x05"
    assert b"\x00" == bytes(1)
    assert b.load() == b"\x05"


@pytest.mark.parametrize("op", ["cmpxchg_weak", "cmpxchg_strong"])
@pytest.mark.parametrize("w", [w for w in WIDTHS if w > 1])
def test_q1_expected_is_fresh(op, w):
    b = atomics.atomic(w, BYTES)
    b.store(pattern(w))
    exp = bytes(bytearray(w))  # a fresh exact bytes object of zeros
    r = getattr(b, op)(exp, b"\x01" * w)
    assert r.success is False
    assert r.expected == pattern(w) and r.expected is not exp
    assert exp == b"\0" * w and exp[0] == 0
    ba_exp = bytearray(w)
    r = getattr(b, op)(ba_exp, b"\x01" * w)
    assert r.success is False and ba_exp == bytearray(w)
    assert type(r.expected) is bytes
    exp2 = bytes(bytearray(pattern(w)))
    r = strong_or_weak(b, op, exp2, b"\x01" * w)
    assert r.success is True
    assert r.expected == pattern(w) and type(r.expected) is bytes and r.expected is not exp2
    assert exp2 == pattern(w)


# --------------------------------------------------------------------------------------
# §7.5 CmpxchgResult
# --------------------------------------------------------------------------------------
