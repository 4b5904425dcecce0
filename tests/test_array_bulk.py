"""Arrays of atomics: the bulk operations (``load_all``, ``store_all``, ``*_at``) and numpy
interop (docs/arrays.md).
"""

import array
import math
import mmap

import pytest
from hypothesis import given, settings, strategies as st

import atomics
from atomics import MemoryOrder as MO

from _cpu import CAS16

np = pytest.importorskip("numpy")

pytestmark = pytest.mark.usefixtures("no_segment_leaks")  # (conftest.py)


# ---------------------------------------------------------------------------------------
# Bulk semantics
# ---------------------------------------------------------------------------------------


def test_repeated_indices_apply_each_time_and_store_at_keeps_the_last():
    a = atomics.array(4, 4, atomics.UINT)
    a.add_at([1, 1, 1, -1, 3], [1, 2, 3, 10, 20])
    assert list(a.load_all()) == [0, 6, 0, 30]
    a.store_at([2, 2, 2], [7, 8, 9])
    assert a[2] == 9
    a.sub_at([0, 0])
    assert a[0] == (1 << 32) - 2  # wraps around
    a.max_at([0, 1], [5, 5])
    a.min_at([3, 3], [40, 4])
    assert list(a.load_all()) == [(1 << 32) - 2, 6, 9, 4]
    a.and_at([0], 0xFF)
    a.or_at([1, 1], [0x100, 0x200])
    a.xor_at([2, 2, 2], 1)
    assert list(a.load_all()) == [0xFE, 0x306, 8, 4]


def test_signed_max_min_at_compare_as_signed():
    s = atomics.array(2, 1, atomics.INT)
    s.store_all([-100, 100])
    s.max_at([0, 1], [-5, -5])
    s.min_at([0, 1], [-128, 127])
    assert list(s.load_all()) == [-128, 100]
    u = atomics.array(2, 1, atomics.UINT)
    u.store_all([200, 10])
    u.max_at([0, 1], [100, 255])
    assert list(u.load_all()) == [200, 255]


def test_floats_bulk_arithmetic():
    f = atomics.array(4, 8, atomics.FLOAT)
    f.add_at(np.array([0, 1, 1, 3]), np.array([0.5, 0.25, 0.25, -1.0]))
    f.sub_at([2], 1)  # ints are floats here
    f.max_at([0, 0], [math.nan, 0.75])  # a NaN operand is ignored
    f.min_at([3], [-math.inf])
    assert list(f.load_all()) == [0.75, 0.5, -1.0, -math.inf]
    f.add_at([1, 1], np.array([1, 2], dtype=np.int32))  # integer buffers as floats
    assert f[1] == 3.5
    f.store_all(np.array([1e300, 2.0, 3.0, 4.0]))
    f4 = atomics.array(2, 4, atomics.FLOAT)
    f4.store_all([1e300, 0.1])  # rounded to the width, as a store would
    assert f4[0] == math.inf and f4[1] == float(np.float32(0.1))
    with pytest.raises(AttributeError):
        f4.or_at
    with pytest.raises(AttributeError):
        atomics.array(2, 8, atomics.BYTES).add_at


def test_width16_integers_in_bulk():
    if not CAS16:
        with pytest.raises(atomics.exc.UnsupportedWidthException):
            atomics.array(3, 16, atomics.INT)
        return
    a = atomics.array(3, 16, atomics.INT)
    a.store_all([-1, (1 << 127) - 1, -(1 << 127)])
    assert a.load_all() == [-1, (1 << 127) - 1, -(1 << 127)]
    a.add_at([0, 0, 1, 2], [1, 1, 1, -1])  # wraps at 128 bits
    assert a.load_all() == [1, -(1 << 127), (1 << 127) - 1]
    a.max_at([0], [1 << 100])
    assert a[0] == 1 << 100
    u = atomics.array(2, 16, atomics.UINT)
    u.store_at([1], [(1 << 128) - 1])
    u.add_at([1], 2)
    assert u.load_all() == [0, 1]
    with pytest.raises(NotImplementedError):
        u.wait(0, 1, timeout=0)


def test_load_all_into_out_buffers():
    a = atomics.array(4, 4, atomics.INT)
    a.store_all([1, -2, 3, -4])
    out = np.empty(4, dtype=np.int32)
    assert a.load_all(out=out) is out and list(out) == [1, -2, 3, -4]
    raw = bytearray(16)
    assert a.load_all(raw) is raw and bytes(raw) == np.array([1, -2, 3, -4], dtype=np.int32).tobytes()
    other = np.empty(2, dtype=np.int64)  # other numbers than the array's: refused
    int64 = np.dtype(np.int64).char  # 'l' where C's long has 8 bytes, 'q' on 32-bit platforms
    with pytest.raises(TypeError, match=f"'out' of format '{int64}' cannot hold signed integer atomics of width 4"):
        a.load_all(out=other)
    a.load_all(out=other.view(np.uint8))  # its raw bytes are any writable buffer's
    assert other.tobytes() == bytes(raw)
    arr = array.array("i", [0] * 4)
    a.load_all(out=arr)
    assert list(arr) == [1, -2, 3, -4]
    with mmap.mmap(-1, 16) as mm:
        a.load_all(out=mm)
        assert mm[:] == bytes(raw)
    for bad in (np.empty(3, dtype=np.int32), bytearray(17), bytearray(0)):
        with pytest.raises(ValueError):
            a.load_all(out=bad)
    for bad in (bytes(16), memoryview(bytearray(16)).toreadonly(), [0] * 4, 5):
        with pytest.raises(TypeError):
            a.load_all(out=bad)
    ro = np.zeros(4, dtype=np.int32)
    ro.flags.writeable = False
    with pytest.raises(TypeError):
        a.load_all(out=ro)
    assert not ro.any()
    z = atomics.array(0, 8, atomics.INT)
    assert z.load_all(out=bytearray()) == bytearray()


def test_load_all_out_may_not_alias_a_read_only_array():
    raw = bytearray(range(16))
    with atomics.arrayview(memoryview(raw).toreadonly(), atomics.UINT, width=4) as ro:
        assert ro.readonly
        with pytest.raises(ValueError, match="overlaps"):
            ro.load_all(out=raw)  # the same bytes through a writable object
        assert raw == bytearray(range(16))
        ro.load_all(out=bytearray(16))


def test_bulk_operations_take_keywords():
    a = atomics.array(4, 8, atomics.INT)
    a.add_at([1, 1], order=MO.RELAXED)
    a.add_at(indices=[2], values=5, order=MO.ACQ_REL)
    a.store_at(values=[7], indices=[3])
    a.store_all(values=[1, 2, 3, 4], order=MO.RELEASE)
    a.max_at([0], values=[10])
    assert list(a.load_all(order=MO.RELAXED)) == [10, 2, 3, 4]
    with pytest.raises(TypeError):
        a.add_at([0], indices=[0])


def test_load_all_out_overlap_and_adjacency():
    buf = np.arange(12, dtype=np.int64)
    with atomics.arrayview(buf[4:8], atomics.INT) as a:
        for window in (buf[4:8], buf[1:5], buf[7:11], buf[5:9]):
            with pytest.raises(ValueError, match="overlaps"):
                a.load_all(out=window)
        assert list(buf) == list(range(12))
        a.load_all(out=buf[0:4])  # adjacent below
        a.load_all(out=buf[8:12])  # adjacent above
        assert list(buf) == [4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7]
        # bytes overlapping only partly (an out of another item size, shifted by 4 bytes)
        b = buf.view(np.uint8)[4 * 8 - 4:][:32]
        with pytest.raises(ValueError, match="overlaps"):
            a.load_all(out=b)


def test_indices_and_values_of_every_buffer_format():
    n = 10
    for dtype in (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64, np.intp,
                  np.uintp, np.longlong, np.ulonglong, np.bool_):
        idx = np.array([1, 0, 1, 1], dtype=dtype)
        a = atomics.array(n, 8, atomics.INT)
        a.add_at(idx)
        assert list(a.load_all()) == list(np.bincount(idx.astype(np.intp), minlength=n)), dtype
        a.add_at(np.array([2, 3], dtype=np.int64), np.array([5, 6], dtype=dtype if dtype != np.bool_ else np.int8))
    for code in "bBhHiIlLqQ":
        a = atomics.array(n, 2, atomics.UINT)
        a.store_at(array.array(code, [3, 4]), array.array(code, [7, 8]))
        assert a[3] == 7 and a[4] == 8, code
    a = atomics.array(n, 2, atomics.UINT)
    a.add_at(np.array([[1, 2], [3, 4]]))  # any C-contiguous shape
    assert list(a.load_all())[:6] == [0, 1, 1, 1, 1, 0]


# ---------------------------------------------------------------------------------------
# numpy interop
# ---------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None, database=None)
@given(n=st.integers(1, 300), seed=st.integers(0, 2**32 - 1),
       dtype=st.sampled_from([np.intp, np.int64, np.int32, np.uint16, np.uint32]),
       width=st.sampled_from([2, 4, 8]), negative=st.booleans())
def test_add_at_is_a_histogram(n, seed, dtype, width, negative):
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=int(rng.integers(0, 3000))).astype(dtype)
    a = atomics.array(n, width, atomics.UINT)
    if negative and np.issubdtype(dtype, np.signedinteger):
        a.add_at(idx.astype(np.int64) - n)  # the same elements, counted from the end
    else:
        a.add_at(idx)
    want = np.bincount(idx.astype(np.intp), minlength=n)
    assert list(a.load_all()) == [int(c) % (1 << (8 * width)) for c in want]
    out = np.empty(n, dtype=f"u{width}")
    a.load_all(out=out)
    assert (out == want).all()


@settings(max_examples=15, deadline=None, database=None)
@given(n=st.integers(1, 50), seed=st.integers(0, 2**32 - 1), width=st.sampled_from([4, 8]))
def test_float_add_at_matches_numpy_add_at(n, seed, width):
    rng = np.random.default_rng(seed)
    dtype = np.float32 if width == 4 else np.float64
    idx = rng.integers(0, n, size=200)
    vals = (rng.integers(-64, 64, size=200) / 4).astype(dtype)  # exact sums: any order agrees
    a = atomics.array(n, width, atomics.FLOAT)
    a.add_at(idx, vals)
    want = np.zeros(n, dtype=dtype)
    np.add.at(want, idx, vals)
    out = np.empty(n, dtype=dtype)
    a.load_all(out=out)
    assert (out == want).all()
    assert np.array(a.load_all(), dtype=dtype).tobytes() == want.tobytes()


def test_view_of_a_numpy_histogram_buffer():
    counts = np.zeros(16, dtype=np.int64)
    idx = np.random.default_rng(1).integers(0, 16, size=5000)
    with atomics.arrayview(counts, atomics.INT) as a:
        a.add_at(idx)
        a.sub_at(idx[:100])
        a.add_at(idx[:100], 1)
    assert (counts == np.bincount(idx.astype(np.intp), minlength=16)).all()
