"""Beyond atomics 1.0: fetch_max/min, the new-value forms, checked arithmetic and update(fn),
checked against the reference model (``_model``) on every width and signedness."""

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import atomics
from atomics import INT, UINT, OpType

from _model import Model, WouldOverflow, bounds


def widths():
    out = [1, 2, 4, 8]
    try:
        atomics.Alignment(16)
        out.append(16)
    except atomics.exc.UnsupportedWidthException:
        pass
    return out


CASES = [(w, t) for w in widths() for t in (INT, UINT)]


@pytest.mark.parametrize("width, atype", CASES)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_operations_match_the_model(width, atype, data):
    signed = atype is INT
    low, high = bounds(width, signed)
    edge = st.sampled_from([low, low + 1, -1 if signed else 1, 0, 1, high - 1, high])
    value = st.one_of(st.integers(low, high), edge)
    start, operand = data.draw(value), data.draw(value)
    a = atomics.atomic(width, atype)
    m = Model(width, "int", signed)

    for method in ("fetch_max", "fetch_min", "add_fetch", "sub_fetch", "inc_fetch", "dec_fetch",
                   "checked_fetch_add", "checked_fetch_sub"):
        a.store(start)
        m.store(m.encode(start))
        args = () if method in ("inc_fetch", "dec_fetch") else (operand,)
        try:
            want = m.apply(method, *(m.encode(x) for x in args))
        except WouldOverflow:
            with pytest.raises(OverflowError, match="would overflow; the value is unchanged"):
                getattr(a, method)(*args)
            assert a.load() == start
            continue
        assert getattr(a, method)(*args) == want, (method, start, operand)
        assert a.load() == m.value, (method, start, operand)


@pytest.mark.parametrize("width, atype", CASES)
def test_update_applies_a_python_function(width, atype):
    a = atomics.atomic(width, atype)
    a.store(3)
    assert a.update(lambda v: v * 5) == (3, 15)
    assert a.load() == 15
    low, high = bounds(width, atype is INT)
    with pytest.raises(OverflowError):
        a.update(lambda v: high + 1)  # refused before anything is written
    assert a.load() == 15
    with pytest.raises(ZeroDivisionError):
        a.update(lambda v: 1 // 0)
    assert a.load() == 15


def test_update_on_bytes_and_views():
    b = atomics.atomic(4, atomics.BYTES)
    assert b.update(lambda v: v[::-1] + b"") == (b"\x00" * 4, b"\x00" * 4)
    assert b.update(lambda v: b"abcd") == (b"\x00" * 4, b"abcd")
    buf = bytearray(8)
    with atomics.atomicview(buf, UINT) as v:
        assert v.fetch_max(9) == 0 and v.add_fetch(1) == 10
        assert v.update(lambda x: x * 2) == (10, 20)
    assert int.from_bytes(buf, "little") == 20


def test_update_on_read_only_memory_refuses_without_calling_the_function():
    calls = []
    with atomics.atomicview(bytes(8), INT) as ro:
        with pytest.raises(atomics.exc.UnsupportedOperationException, match="CMPXCHG_WEAK is not supported on readonly"):
            ro.update(calls.append)
    assert calls == []


def test_update_retries_when_another_writer_gets_there_first():
    a = atomics.atomic(8, INT)
    calls = []

    def interfering(v):
        calls.append(v)
        if len(calls) == 1:
            a.store(100)  # another writer, between update's load and its compare-exchange
        return v + 1

    assert a.update(interfering) == (100, 101)
    assert calls == [0, 100] and a.load() == 101


def test_update_and_checked_add_from_threads_are_exact(threads):
    a = atomics.atomic(8, INT)
    limit = atomics.atomic(1, INT)  # checked_fetch_add stops at 127

    def work(i):
        h = copy.copy(a)
        for _ in range(2000):
            h.update(lambda v: v + 1)
            try:
                limit.checked_fetch_add(1)
            except OverflowError:
                pass

    threads(work, 4)
    assert a.load() == 8000
    assert limit.load() == 127


def test_new_operations_are_listed_and_refused_where_they_do_not_exist():
    a = atomics.atomic(8, INT)
    assert {OpType.FETCH_MAX, OpType.CHECKED_FETCH_SUB} <= set(a.ops_supported)
    with atomics.atomicview(bytes(8), INT) as ro:
        with pytest.raises(atomics.exc.UnsupportedOperationException, match="FETCH_MAX is not supported on readonly"):
            ro.fetch_max(1)
    assert not hasattr(atomics.atomic(8, atomics.BYTES), "fetch_max")
