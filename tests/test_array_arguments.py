"""Arrays of atomics: the argument forms the per-element operations accept (accepted by the bulk
ones too), and copies of arrays.
"""

import copy

import pytest

import atomics

np = pytest.importorskip("numpy")

pytestmark = pytest.mark.usefixtures("no_segment_leaks")  # (conftest.py)


# ---------------------------------------------------------------------------------------
# Argument forms that the per-element operations accept, accepted by the bulk ones too
# ---------------------------------------------------------------------------------------


# A numpy integer scalar is one value for every index (numpy scalars export the buffer
# protocol, as a buffer of no dimensions), as it is for the element operations.
@pytest.mark.parametrize("scalar", [np.int64(2), np.int32(2), np.uint8(2)], ids=["int64", "int32", "uint8"])
def test_bulk_operations_take_a_numpy_integer_scalar_as_one_value(scalar):
    a = atomics.array(4, 8, atomics.INT)
    a.add_at([0, 1, 1], scalar)
    assert list(a.load_all()) == [2, 4, 0, 0]
    a.store_all(scalar)
    assert list(a.load_all()) == [2, 2, 2, 2]


# The same for float arrays: np.float32 (not a subclass of float, unlike np.float64) is one
# value.
def test_float_bulk_operations_take_a_numpy_float32_scalar_as_one_value():
    f = atomics.array(3, 4, atomics.FLOAT)
    f.add_at([0, 1, 2], np.float64(0.5))  # np.float64 subclasses float: accepted
    f.add_at([0, 1, 2], np.float32(0.25))
    assert list(f.load_all()) == [0.75, 0.75, 0.75]
    f.store_all(np.float32(1.5))
    assert list(f.load_all()) == [1.5, 1.5, 1.5]


# For bytes arrays, one value may be any bytes-like object of exactly the width (as for the
# element operations), not only `bytes`.
@pytest.mark.parametrize("form", [bytearray, memoryview, lambda v: np.frombuffer(v, dtype=np.uint8)],
                         ids=["bytearray", "memoryview", "numpy"])
def test_bytes_bulk_operations_take_one_value_as_any_bytes_like_object(form):
    b = atomics.array(3, 4, atomics.BYTES)
    b.store(0, form(b"abcd"))  # accepted by the element operation
    b.store_all(b"wxyz")  # one bytes value for every element
    assert b.load_all() == [b"wxyz"] * 3
    b.store_all(form(b"abcd"))
    assert b.load_all() == [b"abcd"] * 3
    b.xor_at([0, 2], form(b"\x01\x01\x01\x01"))
    assert b.load_all() == [b"`cbe", b"abcd", b"`cbe"]


# An exception raised by an index's __index__ propagates unchanged, even KeyboardInterrupt, as
# with list indexing and with the values of the same call.
def test_an_exception_in_an_index_conversion_propagates_unchanged():
    class Interrupting:
        def __index__(self):
            raise KeyboardInterrupt

    class Failing:
        def __index__(self):
            raise ZeroDivisionError("from __index__")

    a = atomics.array(4, 8, atomics.INT)
    with pytest.raises(KeyboardInterrupt):
        a.add_at([0], [Interrupting()])  # a value: propagates
    with pytest.raises(ZeroDivisionError):
        [0][Failing()]  # what Python's own sequences do
    with pytest.raises(KeyboardInterrupt):
        a.load(Interrupting())
    with pytest.raises(KeyboardInterrupt):
        a.add_at([0, Interrupting()])
    with pytest.raises(ZeroDivisionError):
        a.load(Failing())
    assert list(a.load_all()) == [0, 0, 0, 0]


# `del a[i]` raises TypeError, as containers that do not support deletion do.
def test_deleting_an_element_is_a_type_error():
    a = atomics.array(2, 8, atomics.INT)
    with pytest.raises(TypeError):
        del a[0]
    assert list(a) == [0, 0]


# copy.copy() of an array over private memory or a view gives a second array over the same
# memory, as copy.copy() of an atomic does (the per-thread handle idiom).
@pytest.mark.parametrize("kind", ["private", "view"])
def test_copy_of_an_array_shares_its_memory_like_copy_of_an_atomic(kind):
    single = atomics.atomic(8, atomics.INT)
    copy.copy(single).inc()
    assert single.load() == 1
    buf = np.zeros(3, dtype=np.int64)
    a = atomics.array(3, 8, atomics.INT) if kind == "private" else atomics.arrayview(buf, atomics.INT)
    b = copy.copy(a)
    b.add_at([0, 2, 2])
    assert list(a.load_all()) == [1, 0, 2]


def test_bytes_bulk_bitwise_operations_need_values():
    """The bitwise bulk operations of bytes arrays have no meaningful default value: calling
    one without values is refused and changes nothing."""
    b = atomics.array(2, 2, atomics.BYTES)
    b.store_all(b"ab")
    for op in ("or_at", "and_at", "xor_at"):
        with pytest.raises(TypeError):
            getattr(b, op)([0, 1])
    assert b.load_all() == [b"ab", b"ab"]
