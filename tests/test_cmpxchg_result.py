"""``atomics.CmpxchgResult`` (docs/spec/atomics-1.0-behaviour.md §7.5) and the compare-exchange
loop of the README.
"""

import copy
import pickle
import sys

import pytest

import atomics
from atomics import INT, UINT, CmpxchgResult


def test_cmpxchg_result_construction():
    r = CmpxchgResult(True, 5)
    assert r.success is True and r.expected == 5
    r = CmpxchgResult(success=False, expected=b"ab")
    assert r.success is False and r.expected == b"ab"
    r = CmpxchgResult(False, expected=3)
    assert r.success is False and r.expected == 3
    obj = object()
    r = CmpxchgResult("no", obj)  # no validation
    assert r.success == "no" and r.expected is obj


def test_cmpxchg_result_writable_attributes():
    r = CmpxchgResult(True, 1)
    r.success = False
    r.expected = b"\x01"
    assert r.success is False and r.expected == b"\x01"
    assert repr(r) == r"CmpxchgResult(success=False, expected=b'\x01')"


def test_cmpxchg_result_bool():
    assert bool(CmpxchgResult(True, 0)) is True
    assert bool(CmpxchgResult(False, 1)) is False
    r = CmpxchgResult(False, 1)
    assert not r
    r.success = True
    assert r


def test_cmpxchg_result_bool_needs_bool():
    with pytest.raises(TypeError):
        bool(CmpxchgResult(1, 0))


def test_cmpxchg_result_iteration():
    r = CmpxchgResult(True, 99)
    ok, val = r
    assert ok is True and val == 99
    assert tuple(r) == (True, 99)
    assert list(CmpxchgResult(success=False, expected=b"x")) == [False, b"x"]
    with pytest.raises(TypeError):
        r[0]
    with pytest.raises(TypeError):
        len(r)


def test_cmpxchg_result_repr_str():
    r = CmpxchgResult(success=True, expected=99)
    assert repr(r) == "CmpxchgResult(success=True, expected=99)"
    assert str(r) == repr(r)
    r = CmpxchgResult(False, b"\xf1\xfd\xff\xfe")
    assert repr(r) == r"CmpxchgResult(success=False, expected=b'\xf1\xfd\xff\xfe')"
    assert str(r) == repr(r)
    # fields formatted with str(), not repr()
    assert repr(CmpxchgResult("a", "b")) == "CmpxchgResult(success=a, expected=b)"


def test_cmpxchg_result_repr_uses_runtime_class():
    class MyResult(CmpxchgResult):
        pass

    assert repr(MyResult(True, 1)) == "MyResult(success=True, expected=1)"


def test_cmpxchg_result_generic():
    alias = CmpxchgResult[int]
    assert alias is not None
    CmpxchgResult[bytes]
    r = alias(True, 1)  # typing aliases are callable
    assert r.expected == 1


def test_cmpxchg_result_no_eq():
    a, b = CmpxchgResult(True, 1), CmpxchgResult(True, 1)
    assert a != b and a == a
    assert hash(a) == hash(a)
    assert len({a, b}) == 2


def test_cmpxchg_result_pickles_and_copies_as_its_fields():
    """1.0's CmpxchgResult was a plain class: pickle and copy kept both fields."""
    r = CmpxchgResult(False, b"\x01\x02")
    for other in (pickle.loads(pickle.dumps(r)), copy.copy(r), copy.deepcopy(r)):
        assert type(other) is CmpxchgResult and other is not r
        assert other.success is False and other.expected == b"\x01\x02"
    a = atomics.atomic(8, INT)
    res = a.cmpxchg_strong(1, 2)
    back = pickle.loads(pickle.dumps(res))
    assert (back.success, back.expected) == (False, 0)


def test_cmpxchg_result_deleted_attributes_raise_attribute_error():
    r = CmpxchgResult(True, 1)
    del r.expected
    with pytest.raises(AttributeError, match="expected"):
        r.expected
    with pytest.raises(AttributeError):
        tuple(r)
    with pytest.raises(AttributeError):
        repr(r)
    assert r  # success is still there
    del r.success
    with pytest.raises(AttributeError, match="success"):
        bool(r)
    r.success, r.expected = False, 2
    assert tuple(r) == (False, 2)


def test_cmpxchg_result_subclass_keeps_its_own_attributes_and_properties():
    class Tagged(CmpxchgResult):
        def __init__(self, success, expected, tag="t"):
            self.tag = tag

        def __new__(cls, success, expected, tag="t"):
            return super().__new__(cls, success, expected)

    r = Tagged(True, 5, tag="x")
    assert (r.tag, r.success, r.expected, bool(r), tuple(r)) == ("x", True, 5, True, (True, 5))
    assert repr(r) == "Tagged(success=True, expected=5)"

    class Inverted(CmpxchgResult):
        @property
        def success(self):
            return False

    assert not Inverted(True, 1) and tuple(Inverted(True, 1)) == (False, 1)


def test_cmpxchg_results_hold_and_release_their_references():
    """Each result holds a reference to its `expected` until it is dropped (none leaks)."""
    a = atomics.atomic(8, INT)
    value = 2**41 + 12345
    a.store(value)
    expected = int(str(value))  # an object of its own, not a cached constant
    before = sys.getrefcount(expected)
    results = [a.cmpxchg_strong(expected, value) for _ in range(100)]
    assert all(r.expected is expected for r in results)
    assert sys.getrefcount(expected) == before + 100
    del results
    assert sys.getrefcount(expected) == before
    failed = [CmpxchgResult(False, expected) for _ in range(10)]
    assert sys.getrefcount(expected) == before + 10
    for r in failed:
        r.expected = None
    assert sys.getrefcount(expected) == before


def test_readme_cmpxchg_loop():
    a = atomics.atomic(width=4, atype=atomics.INT)
    a.store(3)
    k = 7
    res = atomics.CmpxchgResult(success=False, expected=a.load())
    while not res:
        res = a.cmpxchg_weak(expected=res.expected, desired=res.expected * k)
    assert a.load() == 21
    assert res.success is True and res.expected == 3


def test_readme_cmpxchg_loop_threads():
    import threading

    a = atomics.atomic(8, UINT)
    n, per = 4, 2000

    def work():
        for _ in range(per):
            res = atomics.CmpxchgResult(success=False, expected=a.load())
            while not res:
                res = a.cmpxchg_weak(expected=res.expected, desired=res.expected + 1)

    ts = [threading.Thread(target=work) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert a.load() == n * per


# --------------------------------------------------------------------------------------
# §8 Alignment
# --------------------------------------------------------------------------------------
