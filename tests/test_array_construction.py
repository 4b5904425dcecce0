"""Arrays of atomics: construction and properties, read-only memory, and refusals, each of which
must leave every element unchanged.
"""

import array
import mmap
import sys

import pytest

import atomics
from atomics.shared import SharedSegment

from _arguments import WIDTHS
from _arrays import CONFIGS, INT_CONFIGS, address_of
from _cpu import LOAD16, SIZE_MAX

np = pytest.importorskip("numpy")

pytestmark = pytest.mark.usefixtures("no_segment_leaks")  # (conftest.py)


# ---------------------------------------------------------------------------------------
# Construction and properties
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("cfg", CONFIGS, ids=repr)
def test_new_arrays_are_zeroed_and_describe_themselves(cfg):
    a = cfg.new(5)
    assert type(a) is cfg.cls
    assert len(a) == 5 and a.width == cfg.width and a.nbytes == 5 * cfg.width
    assert a.readonly is False and a.released is False
    assert a.shared_name is None and a.shared_offset is None
    assert repr(a) == f"{cfg.cls.__name__}(len=5, width={cfg.width}, readonly=False)"
    zero = {"int": 0, "bytes": bytes(cfg.width), "float": 0.0}[cfg.family]
    assert list(a) == [zero] * 5 and list(a.load_all()) == [zero] * 5
    single = atomics.atomic(cfg.width, cfg.atype, **cfg.kwargs)
    assert a.ops_supported == single.ops_supported
    if cfg.family == "int":
        assert a.signed == cfg.signed


def test_integral_keeps_the_signedness_object_it_was_given():
    a = atomics.array(3, 4, atomics.INTEGRAL, is_signed=1)
    assert a.signed == 1 and type(a.signed) is int
    a.store(0, -1)
    assert a.load(0) == -1
    u = atomics.array(3, 4, atomics.INTEGRAL, is_signed=0)
    u.store(0, (1 << 32) - 1)
    assert u.load(0) == (1 << 32) - 1
    with pytest.raises(OverflowError):
        u.store(0, -1)


@pytest.mark.parametrize("atype, kwargs, error", [
    (atomics.ANY, {}, TypeError),
    (atomics.ANY, {"is_integral": True, "is_signed": True}, TypeError),
    (atomics.INTEGRAL, {}, TypeError),
    (atomics.INT, {"is_signed": True}, TypeError),
    (int, {}, TypeError),
    ("INT", {}, TypeError),
])
def test_array_refuses_bad_atypes_and_keywords(atype, kwargs, error):
    with pytest.raises(error):
        atomics.array(4, 8, atype, **kwargs)
    with pytest.raises(error):
        atomics.arrayview(bytearray(32), atype, width=8, **kwargs)


@pytest.mark.parametrize("atype, width", [(atomics.INT, 3), (atomics.INT, 0), (atomics.INT, 32), (atomics.BYTES, 5),
                                          (atomics.FLOAT, 1), (atomics.FLOAT, 2), (atomics.FLOAT, 16),
                                          (atomics.UINT, -8)])
def test_unsupported_widths_are_refused(atype, width):
    with pytest.raises((atomics.exc.UnsupportedWidthException, ValueError, OverflowError)):
        atomics.array(4, width, atype)
    with pytest.raises((atomics.exc.UnsupportedWidthException, ValueError, OverflowError)):
        atomics.arrayview(bytearray(64), atype, width=width)


def test_lengths():
    assert len(atomics.array(0, 8, atomics.INT)) == 0
    assert atomics.array(0, 8, atomics.INT).load_all() == array.array("q")
    assert atomics.array(True, 8, atomics.INT).nbytes == 8
    with pytest.raises(ValueError):
        atomics.array(-1, 8, atomics.INT)
    with pytest.raises(TypeError):
        atomics.array(2.0, 8, atomics.INT)
    with pytest.raises(TypeError):
        atomics.array("2", 8, atomics.INT)
    # (the last two: the byte count passes SIZE_MAX, and the largest allocation, sys.maxsize)
    for huge in (1 << 59, 1 << 62, 1 << 64, SIZE_MAX // 8 + 2, sys.maxsize // 8 + 1):
        with pytest.raises(MemoryError):
            atomics.array(huge, 8, atomics.INT)
    with pytest.raises(ValueError):
        atomics.array(0, 8, atomics.INT, shared=True)


# A length too large for any allocation is refused as too large (not as a wrong type), however
# large the int.
@pytest.mark.parametrize("shared", [False, True])
def test_a_huge_int_length_is_too_large_not_a_wrong_type(shared):
    with pytest.raises((MemoryError, OverflowError, ValueError)):
        atomics.array(1 << 200, 8, atomics.INT, shared=shared)


def test_empty_arrays_take_empty_bulk_calls_and_refuse_every_index():
    a = atomics.array(0, 4, atomics.INT)
    a.add_at([])
    a.store_all([])
    a.store_all(5)
    assert list(a) == []
    for bad in (0, -1):
        with pytest.raises(IndexError):
            a.load(bad)
        with pytest.raises(IndexError):
            a.add_at([bad])
    v = atomics.arrayview(bytearray(0), atomics.UINT)
    assert len(v) == 0 and v.load_all() == array.array("B")


def test_arrayview_width_defaults_to_the_item_size():
    for dtype, atype, width in [(np.int8, atomics.INT, 1), (np.uint16, atomics.UINT, 2), (np.int32, atomics.INT, 4),
                                (np.int64, atomics.INT, 8), (np.float32, atomics.FLOAT, 4),
                                (np.float64, atomics.FLOAT, 8), (np.uint8, atomics.BYTES, 1)]:
        buf = np.zeros(6, dtype=dtype)
        with atomics.arrayview(buf, atype) as a:
            assert a.width == width and len(a) == 6
    with atomics.arrayview(bytearray(16), atomics.UINT) as a:
        assert a.width == 1 and len(a) == 16
    int64 = np.dtype(np.int64).char  # 'l' where C's long has 8 bytes, 'q' on 32-bit platforms
    with pytest.raises(TypeError, match=f"format '{int64}' cannot hold unsigned integer atomics of width 2"):
        atomics.arrayview(np.zeros(4, dtype=np.int64), atomics.UINT, width=2)  # would reinterpret
    with atomics.arrayview(np.zeros(4, dtype=np.int64).view(np.uint8), atomics.UINT, width=2) as a:
        assert a.width == 2 and len(a) == 16  # raw bytes take any width
    with atomics.arrayview(np.zeros((3, 4), dtype=np.int32), atomics.INT) as a:
        assert len(a) == 12  # any C-contiguous shape, in memory order


def test_arrayview_sees_and_changes_the_buffer():
    buf = np.arange(8, dtype=np.int64)
    with atomics.arrayview(buf, atomics.INT) as a:
        assert list(a) == list(range(8))
        a.add_at(np.array([0, 7, 7]))
        a[3] = -5
        buf[4] = 40  # plain writes by numpy are seen
        assert a[4] == 40
    assert list(buf) == [1, 1, 2, -5, 40, 5, 6, 9]
    with atomics.arrayview(array.array("d", [1.5, 2.5]), atomics.FLOAT) as f:
        f.add_at([1], 0.25)
        assert f.load_all() == array.array("d", [1.5, 2.75])


# ---------------------------------------------------------------------------------------
# Refusals at construction: each leaves the buffer usable and unchanged
# ---------------------------------------------------------------------------------------


def test_arrayview_refusals():
    with pytest.raises(TypeError):
        atomics.arrayview(np.zeros(8, dtype=np.int64)[::2], atomics.INT)
    with pytest.raises(TypeError):
        atomics.arrayview(np.zeros((4, 4), dtype=np.int64).T, atomics.INT)
    with pytest.raises(ValueError, match="whole number of atomics"):
        atomics.arrayview(bytearray(12), atomics.INT, width=8)
    with pytest.raises(ValueError):
        atomics.arrayview(bytearray(3), atomics.BYTES, width=2)
    with pytest.raises(TypeError):
        atomics.arrayview([0, 0, 0, 0], atomics.INT, width=1)
    with pytest.raises(TypeError):
        atomics.arrayview(12, atomics.INT, width=1)
    buf = bytearray(64)
    base = address_of(buf)
    for width in [w for w in WIDTHS if w > 1]:
        off = next(o for o in range(1, 16) if (base + o) % width)
        window = memoryview(buf)[off:off + 2 * width]
        with pytest.raises(atomics.exc.AlignmentError):
            atomics.arrayview(window, atomics.BYTES, width=width)
        window.release()
    buf.append(1)  # nothing is left pinned by the refusals
    assert buf == bytearray(64) + b"\x01"


def test_segment_arrays_check_offsets_and_sizes():
    with SharedSegment.create(128) as seg:
        with pytest.raises(atomics.exc.AlignmentError):
            seg.array(4, 2, 8, atomics.INT)
        with pytest.raises(ValueError):
            seg.array(120, 2, 8, atomics.INT)
        with pytest.raises(ValueError):
            seg.array(0, 17, 8, atomics.INT)
        with pytest.raises((OverflowError, ValueError)):
            seg.array(-8, 1, 8, atomics.INT)
        with pytest.raises(TypeError):
            seg.array(0, 2, 8, atomics.ANY)
        with pytest.raises(TypeError):
            seg.array(0, 2, 8, atomics.INTEGRAL)
        a = seg.array(64, 8, 8, atomics.UINT)
        b = seg.array(0, 16, 8, atomics.UINT)  # the same memory from offset 0
        a.store_all(range(8))
        assert list(b.load_all()) == [0] * 8 + list(range(8))
        assert a.shared_name == seg.name and a.shared_offset == 64
        e = seg.atomic(72, 8, atomics.UINT)
        assert e.load() == 1
        el = a.element(-2)
        assert el.shared_name == seg.name and el.shared_offset == 64 + 6 * 8 and el.load() == 6
        s = seg.array(0, 128, 1, atomics.INTEGRAL, is_signed=True)
        assert s.signed is True and s.load(72) == 1


# ---------------------------------------------------------------------------------------
# Read-only memory
# ---------------------------------------------------------------------------------------


def read_only_buffers(tmp_path):
    data = bytes(range(32))
    path = tmp_path / "ro.bin"
    path.write_bytes(data)
    f = open(path, "rb")
    mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    f.close()
    ro_np = np.frombuffer(data, dtype=np.uint8).copy()
    ro_np.flags.writeable = False
    return data, {"bytes": data, "memoryview.toreadonly": memoryview(bytearray(data)).toreadonly(),
                  "mmap.ACCESS_READ": mm, "numpy.readonly": ro_np}


@pytest.mark.parametrize("kind", ["bytes", "memoryview.toreadonly", "mmap.ACCESS_READ", "numpy.readonly"])
@pytest.mark.parametrize("atype, width", [(atomics.INT, 8), (atomics.UINT, 4), (atomics.BYTES, 2), (atomics.FLOAT, 8),
                                          (atomics.INT, 16)])
def test_read_only_arrays_load_but_refuse_every_write(tmp_path, kind, atype, width):
    data, buffers = read_only_buffers(tmp_path)
    buf = buffers[kind]
    if width == 16 and not LOAD16:  # no true 16-byte load on this CPU
        with pytest.raises(atomics.exc.UnsupportedWidthException, match="objects with a width of 16"):
            atomics.arrayview(buf, atype, width=width)
        return
    a = atomics.arrayview(buf, atype, width=width)
    try:
        assert a.readonly is True
        assert set(a.ops_supported) <= {atomics.OpType.LOAD, atomics.OpType.BIT_TEST}
        assert atomics.OpType.LOAD in a.ops_supported
        n = 32 // width
        first = a.load(0)
        assert a[0] == first and a.load(-1) == a[n - 1]
        got = a.load_all()
        out = bytearray(32)
        a.load_all(out=out)
        assert bytes(out) == data
        assert len(got) == n
        if atype is not atomics.FLOAT:
            assert a.bit_test(0, 0) is bool(data[0] & 1)
        v = {atomics.BYTES: bytes(width), atomics.FLOAT: 1.0}.get(atype, 1)
        attempts = [
            lambda: a.store(0, v), lambda: a.__setitem__(0, v), lambda: a.exchange(0, v),
            lambda: a.cmpxchg_strong(0, first, v), lambda: a.cmpxchg_weak(0, first, v),
            lambda: a.update(0, lambda x: pytest.fail("fn called on read-only memory")),
            lambda: a.store_all(v), lambda: a.store_at([0], v),
            lambda: a.element(0).store(v),
        ]
        if atype is atomics.FLOAT:
            attempts += [lambda: a.fetch_add(0, 1.0), lambda: a.add_at([0], 1.0), lambda: a.max_at([0], 9.0)]
        elif atype is atomics.BYTES:
            attempts += [lambda: a.bin_or(0, v), lambda: a.or_at([0], v), lambda: a.bit_test_set(0, 0)]
        else:
            attempts += [lambda: a.fetch_add(0, 1), lambda: a.inc(0), lambda: a.add_at([0]),
                         lambda: a.xor_at([0], 1), lambda: a.max_at([0], 1), lambda: a.bit_test_set(0, 1),
                         lambda: a.checked_fetch_add(0, 1)]
        for attempt in attempts:
            with pytest.raises(atomics.exc.UnsupportedOperationException, match="readonly"):
                attempt()
        assert bytes(memoryview(buf)) == data
    finally:
        a.release()
        if kind == "mmap.ACCESS_READ":
            buf.close()  # released: no longer pinned


# ---------------------------------------------------------------------------------------
# Refusals that must change nothing (beyond the random ones of the model)
# ---------------------------------------------------------------------------------------


def filled(n=6):
    buf = np.zeros(n + 2, dtype=np.int64)
    buf[:] = np.arange(100, 100 + n + 2)
    a = atomics.arrayview(buf[1:-1], atomics.INT)
    return buf, a


@pytest.mark.parametrize("call", [
    lambda a: a.add_at([0, 1, 6]),
    lambda a: a.add_at([0, -7]),
    lambda a: a.add_at(np.array([0, 1, 1 << 40])),
    lambda a: a.add_at(np.array([0, 2**64 - 1], dtype=np.uint64)),
    lambda a: a.add_at([0, 1 << 64]),
    lambda a: a.add_at([0, -(1 << 200)]),
    lambda a: a.add_at([0, np.int64(-7)]),
    lambda a: a.store_at([5, 6], [1, 2]),
    lambda a: a.store_at([0, 1], [1, 2, 3]),
    lambda a: a.store_at([0, 1], [1]),
    lambda a: a.store_at([0, 1], np.array([1, 2, 3])),
    lambda a: a.store_at([0, 1], []),
    lambda a: a.store_all([1, 2, 3, 4, 5]),
    lambda a: a.store_all([1, 2, 3, 4, 5, 6, 7]),
    lambda a: a.store_all(np.arange(7)),
    lambda a: a.add_at([0, 1], [1, 1 << 63]),
    lambda a: a.add_at([0, 1], np.array([1, 2**63], dtype=np.uint64)),
    lambda a: a.add_at([0, 1], [1, 2.5]),
    lambda a: a.add_at([0, 1], np.array([1.0, 2.0])),
    lambda a: a.add_at([0, 1], [1, None]),
    lambda a: a.add_at([0, 1], "12"),
    lambda a: a.add_at([0, 1.0]),
    lambda a: a.add_at([0, "1"]),
    lambda a: a.add_at([0, None]),
    lambda a: a.add_at(np.array([0.0, 1.0])),
    lambda a: a.add_at(np.array([0, 1], dtype=np.float32)),
    lambda a: a.add_at(np.array([0, 1], dtype=">i8")),
    lambda a: a.add_at(np.array([0, 1, 2, 3], dtype=np.int64)[::2]),
    lambda a: a.add_at([0, 1], np.array([1, 2, 3, 4])[::2]),
    lambda a: a.add_at(5),
    lambda a: a.add_at(None),
    lambda a: a.add_at(object()),
    lambda a: a.add_at([0, 1], object()),
    lambda a: a.store_all(1.5),
    lambda a: a.store_all(None),
    lambda a: a.store_all(1 << 63),
    lambda a: a.store_all(1, atomics.MemoryOrder.ACQUIRE),
    lambda a: a.store_all(1, atomics.MemoryOrder.ACQ_REL),
    lambda a: a.add_at([0], 1, 17),
    lambda a: a.add_at([0], 1, "SEQ_CST"),
    lambda a: a.add_at([0], 1, order=-1),
    lambda a: a.add_at([0], 1, 2, 3),
    lambda a: a.add_at([0], bogus=1),
    lambda a: a.store(6, 1),
    lambda a: a.store(-7, 1),
    lambda a: a.store(0, 1 << 63),
    lambda a: a.fetch_add(0, -(1 << 63) - 1),
    lambda a: a.checked_fetch_add(0, (1 << 63) - 1),
    lambda a: a.checked_fetch_sub(-1, -(1 << 63) + 1),
    lambda a: a.store(0.0, 1),
    lambda a: a.store("0", 1),
    lambda a: a.store(None, 1),
    lambda a: a.inc(np.float64(0.0)),
    lambda a: a.store(0, 1, atomics.MemoryOrder.ACQUIRE),
    lambda a: a.update(0, lambda v: 1 << 63),
    lambda a: a.update(0, lambda v: 1 / 0),
    lambda a: a.cmpxchg_strong(0, 100, 1, atomics.MemoryOrder.RELAXED, atomics.MemoryOrder.SEQ_CST),
    lambda a: a.bit_test_set(0, 64),
    lambda a: a.wait(0, 1 << 63, timeout=0),
])
def test_refused_calls_leave_memory_unchanged(call):
    buf, a = filled()
    before = buf.copy()
    with pytest.raises(Exception) as info:
        call(a)
    assert type(info.value) in (IndexError, TypeError, ValueError, OverflowError, ZeroDivisionError,
                                atomics.exc.MemoryOrderError), repr(info.value)
    assert (buf == before).all(), f"{info.value!r} changed {before} into {buf}"
    a.release()


def test_refusal_messages_name_the_problem():
    a = atomics.array(4, 8, atomics.INT)
    with pytest.raises(IndexError, match="index 4 is out of range for an array of 4 atomics"):
        a.add_at([0, 4])
    with pytest.raises(IndexError, match="index -5 is out of range"):
        a.load(-5)
    with pytest.raises(ValueError, match="'values' has 1 items where 2 are needed"):
        a.store_at([0, 1], [1])
    with pytest.raises(ValueError, match="'values' has 3 items where 4 are needed"):
        a.store_all([1, 2, 3])
    with pytest.raises(TypeError, match="'indices' must hold integers, not floats"):
        a.add_at(np.zeros(2))
    with pytest.raises(TypeError, match="array indices must be integers, not float"):
        a.load(1.0)
    with pytest.raises(ValueError, match="'out' overlaps the array"):
        buf = np.zeros(4, dtype=np.int64)
        with atomics.arrayview(buf, atomics.INT) as v:
            v.load_all(out=buf)


@pytest.mark.parametrize("cfg", INT_CONFIGS, ids=repr)
def test_values_out_of_range_for_the_width_are_refused(cfg):
    a = cfg.new(3)
    a.store_all(cfg.hi)
    for bad in (cfg.hi + 1, cfg.lo - 1, 1 << 200, -(1 << 200)):
        for attempt in (lambda: a.store_all(bad), lambda: a.store_all([0, bad, 0]), lambda: a.add_at([0, 1], bad),
                        lambda: a.store_at([2, 0], [0, bad]), lambda: a.max_at([1], [bad]),
                        lambda: a.store(1, bad), lambda: a.fetch_add(0, bad)):
            with pytest.raises(OverflowError):
                attempt()
    assert list(a.load_all()) == [cfg.hi] * 3
    if cfg.width <= 4:  # numpy buffers of a wider type holding out-of-range values
        wide = np.array([0, cfg.hi + 1], dtype=np.int64)
        with pytest.raises(OverflowError):
            a.store_at([0, 1], wide)
        if not cfg.signed:
            with pytest.raises(OverflowError):
                a.add_at([0, 1], np.array([0, -1], dtype=np.int8))
        assert list(a.load_all()) == [cfg.hi] * 3


def test_bytes_values_must_have_the_width():
    b = atomics.array(3, 4, atomics.BYTES)
    b.store_all(b"abcd")
    for attempt in (lambda: b.store_all(b"abc"), lambda: b.store_all(b"abcdabcdabcdx"),
                    lambda: b.store_all([b"abcd", b"abc", b"abcd"]), lambda: b.or_at([0, 1], [b"\x01" * 4, b"\x01"]),
                    lambda: b.xor_at([0], bytearray(5)), lambda: b.store_at([0], "abcd"),
                    lambda: b.store_at([0], 5), lambda: b.store_all(np.zeros(11, dtype=np.uint8))):
        with pytest.raises((ValueError, TypeError)):
            attempt()
    assert b.load_all() == [b"abcd"] * 3
    b.store_all(np.frombuffer(b"0123456789AB", dtype=np.uint8))
    assert b.load_all() == [b"0123", b"4567", b"89AB"]
    b.store_all(np.array([0x64636261] * 3, dtype=np.uint32))  # any buffer of whole values: its bytes
    assert b.load_all() == [b"abcd"] * 3
