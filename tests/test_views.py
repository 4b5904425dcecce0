"""atomicview(), the view contexts (atomics.ctx.*) and the views (atomics.view.*).

Expectations come from the atomics 1.0 behaviour spec (sections 2, 3.2, 4, 5, 7) and the
documented deviations of this implementation (Q2, Q5, Q6, Q11, Q14, width 16).
"""

import array
import copy
import gc
import mmap
import re
import sys
import threading
import time
import uuid
from multiprocessing import shared_memory

import numpy as np
import pytest

import atomics
import atomics.base
import atomics.ctx
import atomics.exc
import atomics.view
from atomics import ANY, BYTES, INT, INTEGRAL, UINT, MemoryOrder, OpType
from atomics.exc import (
    AlignmentError,
    MemoryOrderError,
    UnsupportedOperationException,
    UnsupportedWidthException,
)

from _cpu import CAS16, LOAD16  # width 16, read from the CPU

# Widths with every operation on this CPU; 16-byte views need a 16-byte compare-exchange, and
# read-only ones a true 16-byte load.
WIDTHS = [1, 2, 4, 8] + ([16] if CAS16 else [])


def stable_repr(x):
    """repr without a memory address, so that every process collects the same test ids (the
    emulated runs use pytest-xdist)."""
    return re.sub(r" at 0x[0-9a-f]+", "", repr(x))


def sixteen_exists(readonly):
    return LOAD16 if readonly else CAS16


def assert_sixteen_refused(buffer, name, readonly):
    """Where the CPU has no 16-byte atomic for this access, a 16-byte view is refused (the
    width is checked before the alignment)."""
    with pytest.raises(UnsupportedWidthException) as ei:
        make_ctx(buffer, name)
    assert ei.value.width == 16 and ei.value.readonly is readonly


RELEASED = "Operation forbidden on released AtomicCore object."
ATYPE_ERROR = "Type parameter 'atype' must be one of [ANY, INTEGRAL, BYTES, INT, UINT]."
BUFFER_ERROR = "Keyword argument 'buffer' must support the buffer protocol."
CONTIGUOUS_ERROR = "Keyword argument 'buffer' must be C-contiguous."
RESIZE_ERROR = "Existing exports of data: object cannot be re-sized"
MMAP_CLOSE_ERROR = "cannot close exported pointers exist"
MV_RELEASE_ERROR = "memoryview has 1 exported buffer"
REINIT_CTX = "AtomicViewContext object cannot be re-initialised."
REINIT_VIEW = "AtomicView object cannot be re-initialised."
CORE_TYPE_ERROR = "Positional argument 'core' must have type 'AtomicCore'."
OPEN_TWICE = "Cannot open context multiple times."
OPEN_AFTER_RELEASE = "Cannot open context after calling 'release'."
RELEASE_WHILE_OPEN = "Cannot call 'release' while context is open."

ALL_OPS = sorted(OpType, key=lambda o: o.value)
BYTES_OPS = [o for o in ALL_OPS if o.value < OpType.ADD.value]
READONLY_OPS = [OpType.LOAD, OpType.BIT_TEST]

# atype -> (kwargs for atomicview, context class, view class)
ATYPES = {
    "INT": (INT, {}, atomics.ctx.AtomicIntViewContext, atomics.view.AtomicIntView),
    "UINT": (UINT, {}, atomics.ctx.AtomicUintViewContext, atomics.view.AtomicUintView),
    "BYTES": (BYTES, {}, atomics.ctx.AtomicBytesViewContext, atomics.view.AtomicBytesView),
    "INTEGRAL": (
        INTEGRAL,
        {"is_signed": True},
        atomics.ctx.AtomicIntegralViewContext,
        atomics.view.AtomicIntegralView,
    ),
    "ANY": (ANY, {"is_integral": True, "is_signed": True}, atomics.ctx.AtomicViewContext, atomics.view.AtomicView),
}
ATYPE_NAMES = list(ATYPES)


def make_ctx(buffer, name):
    atype, kwargs, _, _ = ATYPES[name]
    return atomics.atomicview(buffer, atype, **kwargs)


def address(obj):
    """Address of the first byte of a contiguous buffer (independent of the package)."""
    a = np.frombuffer(obj, dtype=np.uint8)
    try:
        return a.__array_interface__["data"][0]
    finally:
        del a


def aligned(width, *, readonly=False, fill=None):
    """A memoryview of `width` bytes whose address is a multiple of 64 (so of `width`)."""
    raw = bytearray(width + 128)
    off = (-address(raw)) % 64
    if fill is not None:
        raw[off : off + width] = fill
    mv = memoryview(raw)
    if readonly:
        mv = mv.toreadonly()
    out = mv[off : off + width]
    assert address(out) % 64 == 0
    return out


def ne(value, width, signed):
    return value.to_bytes(width, sys.byteorder, signed=signed)


def no_pins(ba):
    """True if the bytearray can be resized (nobody holds an export)."""
    try:
        ba.append(0)
    except BufferError:
        return False
    del ba[-1]
    return True


# ---------------------------------------------------------------------------------------
# 3.2 dispatch
# ---------------------------------------------------------------------------------------


class MyInt(INT):
    pass


@pytest.mark.parametrize(
    "atype",
    [
        atomics.base.AtomicInt,
        atomics.base.Atomic,
        atomics.view.AtomicIntView,
        atomics.view.AtomicView,
        atomics.ctx.AtomicIntViewContext,
        MyInt,
        "INT",
        "ANY",
        int,
        bytes,
        None,
        object(),
        INT(),
    ],
    ids=stable_repr,
)
def test_atomicview_bad_atype(atype):
    ba = bytearray(4)
    with pytest.raises(TypeError) as ei:
        atomics.atomicview(ba, atype)
    assert str(ei.value) == ATYPE_ERROR
    assert type(ei.value) is TypeError
    # never acquired
    assert no_pins(ba)


@pytest.mark.parametrize("buffer", [5, "abcd", bytearray(3), None, bytearray(16)[1:5]], ids=repr)
def test_atomicview_atype_checked_before_buffer(buffer):
    with pytest.raises(TypeError) as ei:
        atomics.atomicview(buffer, "INT", is_signed=True)
    assert str(ei.value) == ATYPE_ERROR


@pytest.mark.parametrize("name", ATYPE_NAMES)
def test_atomicview_returns_matching_context_and_view(name):
    _, _, ctx_cls, view_cls = ATYPES[name]
    ctx = make_ctx(bytearray(4), name)
    assert type(ctx) is ctx_cls
    with ctx as v:
        assert type(v) is view_cls
        assert v is not ctx
        assert v.width == 4
        assert v.readonly is False


def test_atomicview_keyword_style():
    ba = bytearray(4)
    with atomics.atomicview(buffer=ba, atype=atomics.UINT) as v:
        assert type(v) is atomics.view.AtomicUintView
        v.store(5)
    assert ba == bytearray(ne(5, 4, False))


@pytest.mark.parametrize("name", ["INT", "UINT", "BYTES"])
def test_atomicview_extra_kwargs_ignored(name):
    atype, _, ctx_cls, view_cls = ATYPES[name]
    ctx = atomics.atomicview(bytearray(4), atype, is_signed=not (name == "INT"), foo=1, is_integral=False)
    assert type(ctx) is ctx_cls
    with ctx as v:
        assert type(v) is view_cls
        if name == "INT":
            assert v.signed is True
        elif name == "UINT":
            assert v.signed is False


@pytest.mark.parametrize(
    "atype, kwargs",
    [
        (INTEGRAL, {}),
        (INTEGRAL, {"is_signed": True, "foo": 1}),
        (INTEGRAL, {"is_integral": True}),
        (ANY, {}),
        (ANY, {"is_signed": True}),
        (ANY, {"is_integral": True}),
        (ANY, {"is_integral": True, "is_signed": True, "foo": 1}),
    ],
)
def test_atomicview_integral_any_kwargs_required(atype, kwargs):
    ba = bytearray(4)
    with pytest.raises(TypeError):
        atomics.atomicview(ba, atype, **kwargs)
    assert no_pins(ba)


@pytest.mark.parametrize("is_signed, stored, raw", [(True, -1, b"\xff" * 4), (False, 2**32 - 1, b"\xff" * 4)])
def test_integral_view_signedness(is_signed, stored, raw):
    ba = bytearray(4)
    with atomics.atomicview(ba, INTEGRAL, is_signed=is_signed) as v:
        assert type(v) is atomics.view.AtomicIntegralView
        assert v.signed is is_signed
        v.store(stored)
        assert bytes(ba) == raw
        assert v.load() == stored
        if not is_signed:
            with pytest.raises(OverflowError, match="can't convert negative int to unsigned"):
                v.store(-1)
        else:
            with pytest.raises(OverflowError, match="int too big to convert"):
                v.store(2**31)


def test_integral_view_signed_is_raw_object():
    with atomics.atomicview(bytearray(4), INTEGRAL, is_signed=1) as v:
        assert type(v.signed) is int and v.signed == 1
        assert str(v) == "AtomicIntegralView(value=0, width=4, readonly=False, signed=1)"


@pytest.mark.parametrize(
    "is_integral, is_signed, expected_ops",
    [(True, True, ALL_OPS), (True, False, ALL_OPS), (False, False, BYTES_OPS), (0, 1, BYTES_OPS), (1, 0, ALL_OPS)],
)
def test_any_view_ops_supported(is_integral, is_signed, expected_ops):
    with atomics.atomicview(bytearray(8), ANY, is_integral=is_integral, is_signed=is_signed) as v:
        assert type(v) is atomics.view.AtomicView
        assert v.ops_supported == expected_ops
        assert not hasattr(v, "load")
        assert not hasattr(v, "store")
        assert str(v) == "AtomicView(width=8, readonly=False)"


@pytest.mark.parametrize("name, expected", [("INT", ALL_OPS), ("UINT", ALL_OPS), ("INTEGRAL", ALL_OPS), ("BYTES", BYTES_OPS)])
@pytest.mark.parametrize("width", WIDTHS)
def test_writable_ops_supported(name, expected, width):
    with make_ctx(aligned(width), name) as v:
        ops = v.ops_supported
        assert type(ops) is list
        assert ops == expected
        assert all(type(o) is OpType for o in ops)
        assert v.ops_supported is not ops


# ---------------------------------------------------------------------------------------
# 3.2 construction steps
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ATYPE_NAMES)
@pytest.mark.parametrize("entered", [False, True])
def test_context_reinit(name, entered):
    _, kwargs, ctx_cls, _ = ATYPES[name]
    ba = bytearray(4)
    ctx = make_ctx(ba, name)
    other = bytearray(8)
    if entered:
        ctx.__enter__()
    # the re-init guard comes before any buffer handling (even for invalid buffers)
    for buf in (other, 5, bytearray(3)):
        with pytest.raises(ValueError) as ei:
            ctx.__init__(buffer=buf, **kwargs)
        assert str(ei.value) == REINIT_CTX
    assert no_pins(other)
    assert type(ctx) is ctx_cls
    ctx.__exit__(None, None, None)
    assert no_pins(ba)
    with pytest.raises(ValueError, match=REINIT_CTX):
        ctx.__init__(buffer=other, **kwargs)


def test_context_constructor_keyword_only():
    with pytest.raises(TypeError):
        atomics.ctx.AtomicIntViewContext(bytearray(4))
    with pytest.raises(TypeError):
        atomics.ctx.AtomicIntegralViewContext(buffer=bytearray(4))
    with pytest.raises(TypeError):
        atomics.ctx.AtomicViewContext(buffer=bytearray(4), is_signed=True)


@pytest.mark.parametrize("name", ATYPE_NAMES)
@pytest.mark.parametrize("buffer", [5, "abcd", [1, 2, 3, 4], None, 4.0, object(), {"a": 1}], ids=stable_repr)
def test_non_buffer_objects(name, buffer):
    with pytest.raises(TypeError) as ei:
        make_ctx(buffer, name)
    assert type(ei.value) is TypeError
    assert str(ei.value) == BUFFER_ERROR


@pytest.mark.parametrize("name", ATYPE_NAMES)
@pytest.mark.parametrize(
    "factory",
    [
        lambda: memoryview(bytearray(16))[::2],
        lambda: memoryview(bytearray(32))[::4],
        lambda: memoryview(bytes(16))[::2],
        lambda: np.zeros(8, np.uint8)[::2],
        lambda: np.zeros(4, np.uint32)[::2],
    ],
    ids=["ba16_step2", "ba32_step4", "bytes16_step2", "np_u8_step2", "np_u32_step2"],
)
def test_non_contiguous_buffer(name, factory):
    buf = factory()
    with pytest.raises(TypeError) as ei:
        make_ctx(buf, name)
    assert type(ei.value) is TypeError
    assert str(ei.value) == CONTIGUOUS_ERROR
    if isinstance(buf, memoryview):
        buf.release()  # nothing left exported


@pytest.mark.parametrize("name", ATYPE_NAMES)
def test_released_memoryview_raises_value_error(name):
    mv = memoryview(bytearray(4))
    mv.release()
    with pytest.raises(ValueError, match="operation forbidden on released memoryview object"):
        make_ctx(mv, name)


@pytest.mark.parametrize(
    "factory, width, signed_ints",
    [
        (lambda: array.array("I", [7]), 4, False),
        (lambda: array.array("H", [1, 2]), 4, False),
        (lambda: array.array("B", [1, 2]), 2, True),
        (lambda: array.array("Q", [1]), 8, False),
        (lambda: array.array("b", [1]), 1, True),
        (lambda: array.array("q", [1]), 8, True),
        (lambda: memoryview(bytearray(8)).cast("I"), 8, False),
        (lambda: memoryview(bytearray(8)).cast("Q"), 8, False),
        (lambda: memoryview(bytearray(8)).cast("q"), 8, True),
        (lambda: memoryview(bytearray(4)).cast("H"), 4, False),
        (lambda: np.zeros(1, np.uint64), 8, False),
        (lambda: np.zeros(1, np.int32), 4, True),
        (lambda: np.zeros(2, np.int16), 4, False),
        (lambda: np.zeros(1, np.uint8), 1, True),
        (lambda: np.zeros(1, np.float64), 8, False),
        (lambda: np.zeros(1, np.float32), 4, False),
        (lambda: np.zeros(4, np.uint8), 4, True),
        (lambda: np.zeros((2, 2), np.uint8), 4, True),
        (lambda: np.zeros(1, np.complex128), 16, False),
        (lambda: np.zeros(2, np.uint64), 16, False),
        (lambda: bytearray(1), 1, True),
        (lambda: bytearray(2), 2, True),
        (lambda: bytes(8), 8, True),
    ],
    ids=lambda x: x if isinstance(x, int) and not isinstance(x, bool) else None,
)
@pytest.mark.parametrize("name", ["INT", "BYTES", "ANY"])
def test_width_is_nbytes(factory, width, signed_ints, name):
    """The width is the buffer's size, whatever its items (1.0). Unlike 1.0, the items must be
    raw bytes or the view's own numbers (``signed_ints``: native signed integers of the
    width, for INT and a signed integral ANY); bytes views take any plain numbers."""
    buf = factory()
    if address(buf) % width:
        pytest.skip("allocator gave a misaligned buffer")
    readonly = memoryview(buf).readonly
    if width == 16 and not sixteen_exists(readonly):  # refused before the format is read
        return assert_sixteen_refused(buf, name, readonly)
    if name != "BYTES" and not signed_ints:
        with pytest.raises(TypeError, match=f"cannot hold signed integer atomics of width {width}: "):
            make_ctx(buf, name)
        return
    with make_ctx(buf, name) as v:
        assert v.width == width
        assert type(v.width) is int
        assert v.readonly is readonly


def test_width_is_nbytes_numpy_values_visible():
    arr = np.zeros(1, np.uint64)
    with atomics.atomicview(arr, UINT) as v:
        v.store(2**64 - 2)
        v.inc()
        assert int(arr[0]) == 2**64 - 1
        arr[0] = 12345
        assert v.load() == 12345

    arr16 = np.zeros(2, np.int16)
    with atomics.atomicview(arr16.view(np.uint8), INT) as v:  # its raw bytes, as one 4-byte int
        v.store(int.from_bytes(np.array([3, -2], np.int16).tobytes(), sys.byteorder, signed=True))
    assert arr16.tolist() == [3, -2]

    raw = bytearray(8)
    mv = memoryview(raw).cast("I")
    with pytest.raises(TypeError, match="format 'I' cannot hold unsigned integer atomics of width 8"):
        atomics.atomicview(mv, UINT)  # two 4-byte items are not one 8-byte integer
    with atomics.atomicview(raw, UINT) as v:
        v.store(2**32 + 5)
    assert mv.tolist() == ([5, 1] if sys.byteorder == "little" else [1, 5])


@pytest.mark.parametrize("name", ATYPE_NAMES)
@pytest.mark.parametrize(
    "factory, width, readonly",
    [
        (lambda: bytearray(3), 3, False),
        (lambda: bytes(3), 3, True),
        (lambda: bytearray(0), 0, False),
        (lambda: bytes(0), 0, True),
        (lambda: bytearray(5), 5, False),
        (lambda: bytearray(6), 6, False),
        (lambda: bytearray(7), 7, False),
        (lambda: bytearray(9), 9, False),
        (lambda: bytes(12), 12, True),
        (lambda: bytearray(15), 15, False),
        (lambda: bytearray(17), 17, False),
        (lambda: bytearray(32), 32, False),
        (lambda: bytes(32), 32, True),
        (lambda: bytearray(64), 64, False),
        (lambda: array.array("I", [1, 2, 3]), 12, False),
        (lambda: memoryview(bytearray(16))[1:4], 3, False),  # misaligned too: width checked first
        (lambda: memoryview(bytes(16))[1:4], 3, True),
    ],
    ids=lambda x: repr(x) if not callable(x) else None,
)
def test_unsupported_width(name, factory, width, readonly):
    buf = factory()
    with pytest.raises(UnsupportedWidthException) as ei:
        make_ctx(buf, name)
    e = ei.value
    ro = " readonly " if readonly else " "
    assert str(e) == f"No operations are supported on{ro}objects with a width of {width}."
    assert e.args == (str(e),)
    assert e.width == width
    assert e.readonly is readonly
    # the buffer was released again
    if isinstance(buf, bytearray):
        assert no_pins(buf)
    elif isinstance(buf, memoryview):
        buf.release()


def test_unsupported_width_messages_exact():
    with pytest.raises(UnsupportedWidthException) as ei:
        atomics.atomicview(bytearray(3), INT)
    assert str(ei.value) == "No operations are supported on objects with a width of 3."
    with pytest.raises(UnsupportedWidthException) as ei:
        atomics.atomicview(bytes(3), INT)
    assert str(ei.value) == "No operations are supported on readonly objects with a width of 3."
    with pytest.raises(UnsupportedWidthException) as ei:
        atomics.atomicview(bytearray(0), BYTES)
    assert str(ei.value) == "No operations are supported on objects with a width of 0."
    with pytest.raises(UnsupportedWidthException) as ei:
        atomics.atomicview(bytearray(32), UINT)
    assert str(ei.value) == "No operations are supported on objects with a width of 32."
    with pytest.raises(UnsupportedWidthException) as ei:
        atomics.atomicview(bytes(32), UINT)
    assert str(ei.value) == "No operations are supported on readonly objects with a width of 32."


MISALIGNED = [(2, 1), (4, 1), (4, 2), (4, 3), (8, 1), (8, 4), (8, 6), (16, 1), (16, 4), (16, 8), (16, 12)]


@pytest.mark.parametrize("name", ATYPE_NAMES)
@pytest.mark.parametrize("width, offset", MISALIGNED)
@pytest.mark.parametrize("readonly", [False, True])
def test_misaligned_buffer(name, width, offset, readonly):
    base = aligned(64, readonly=readonly)
    mv = base[offset : offset + width]
    addr = address(mv)
    assert addr % 64 == offset and addr % width != 0
    if width == 16 and not sixteen_exists(readonly):
        return assert_sixteen_refused(mv, name, readonly)
    with pytest.raises(AlignmentError) as ei:
        make_ctx(mv, name)
    e = ei.value
    assert str(e) == (
        f"The alignment of address {hex(addr)} does not meet the recommended alignment "
        f"requirements for atomic operations on objects with a width of {width}."
    )
    assert e.args == (str(e),)
    assert e.width == width
    assert e.address == addr
    assert e.using_recommended is True
    # the buffer was released again: the slice has no exports left
    mv.release()


def test_misaligned_example_from_brief():
    ba = bytearray(16)
    base = address(ba)
    if base % 4:
        pytest.skip("allocator gave a misaligned bytearray")
    mv = memoryview(ba)[1:5]
    with pytest.raises(AlignmentError) as ei:
        atomics.atomicview(mv, INT)
    assert ei.value.width == 4
    assert ei.value.address == base + 1
    assert ei.value.using_recommended is True
    assert str(ei.value) == (
        f"The alignment of address {hex(base + 1)} does not meet the recommended alignment "
        "requirements for atomic operations on objects with a width of 4."
    )
    mv.release()
    assert no_pins(ba)


@pytest.mark.parametrize("name", ATYPE_NAMES)
@pytest.mark.parametrize("readonly", [False, True])
def test_one_byte_views_never_misaligned(name, readonly):
    raw = bytearray(range(1, 17))
    if readonly:
        raw = bytes(raw)
    whole = memoryview(raw)
    for off in range(16):
        mv = whole[off : off + 1]
        with make_ctx(mv, name) as v:
            assert v.width == 1
            assert v.readonly is readonly
            if name in ("INT", "UINT", "INTEGRAL"):
                assert v.load() == off + 1
            elif name == "BYTES":
                assert v.load() == bytes([off + 1])
        mv.release()
    whole.release()


@pytest.mark.parametrize("name", ["INT", "UINT", "BYTES", "INTEGRAL"])
def test_width16_writable(name):
    mv = aligned(16)
    if not CAS16:
        return assert_sixteen_refused(mv, name, readonly=False)
    with make_ctx(mv, name) as v:
        assert v.width == 16
        assert v.readonly is False
        if name == "BYTES":
            data = bytes(range(16))
            v.store(data)
            assert bytes(mv) == data
            assert v.load() == data
            assert v.exchange(b"\xff" * 16) == data
            assert v.bit_test_reset(127) is True
            assert bytes(mv) == (2**127 - 1).to_bytes(16, sys.byteorder)
        else:
            signed = name != "UINT"
            value = 2**100 + 12345
            v.store(value)
            assert bytes(mv) == ne(value, 16, signed)
            assert v.load() == value
            assert v.fetch_add(1) == value
            assert v.load() == value + 1
            res = v.cmpxchg_strong(value + 1, 7)
            assert res.success is True and res.expected == value + 1
            assert v.load() == 7
            v.dec()
            v.dec()
            v.dec()
            v.dec()
            v.dec()
            v.dec()
            v.dec()
            v.dec()
            assert v.load() == (-1 if signed else 2**128 - 1)
            assert bytes(mv) == b"\xff" * 16
            v.inc()
            assert bytes(mv) == bytes(16)


@pytest.mark.parametrize("name", ["INT", "UINT", "BYTES", "INTEGRAL"])
def test_width16_readonly(name):
    fill = (2**127 + 5).to_bytes(16, sys.byteorder)
    mv = aligned(16, readonly=True, fill=fill)
    assert bytes(mv) == fill and mv.readonly
    if not LOAD16:
        return assert_sixteen_refused(mv, name, readonly=True)
    with make_ctx(mv, name) as v:
        assert v.readonly is True
        assert v.ops_supported == READONLY_OPS
        assert v.bit_test(127) is True
        assert v.bit_test(126) is False
        assert v.bit_test(0) is True
        if name == "BYTES":
            assert v.load() == fill
        elif name == "UINT":
            assert v.load() == 2**127 + 5
        else:
            assert v.load() == int.from_bytes(fill, sys.byteorder, signed=True)
        with pytest.raises(UnsupportedOperationException) as ei:
            v.store(b"\0" * 16 if name == "BYTES" else 0)
        assert str(ei.value) == "Operation STORE is not supported on readonly objects with a width of 16."


# ---------------------------------------------------------------------------------------
# Read-only buffers
# ---------------------------------------------------------------------------------------

RO_DATA = bytes([0x01, 0x82, 0x03, 0x04])


@pytest.fixture
def ro_mmap(tmp_path):
    path = tmp_path / "ro.bin"
    path.write_bytes(RO_DATA)
    with open(path, "rb") as f:
        mm = mmap.mmap(f.fileno(), len(RO_DATA), access=mmap.ACCESS_READ)
    yield mm
    mm.close()


def ro_source(kind, request):
    """(readonly buffer holding RO_DATA, function returning the current underlying bytes)"""
    if kind == "bytes":
        b = bytes(RO_DATA)
        return b, lambda: bytes(b)
    if kind == "toreadonly":
        ba = bytearray(RO_DATA)
        return memoryview(ba).toreadonly(), lambda: bytes(ba)
    if kind == "mmap":
        mm = request.getfixturevalue("ro_mmap")
        return mm, lambda: mm[:]
    if kind == "numpy":
        arr = np.frombuffer(bytearray(RO_DATA), np.uint8).copy()
        arr.setflags(write=False)
        return arr, lambda: arr.tobytes()
    raise AssertionError(kind)


RO_KINDS = ["bytes", "toreadonly", "mmap", "numpy"]

INT_MUTATORS = [
    (OpType.STORE, lambda v: v.store(1)),
    (OpType.EXCHANGE, lambda v: v.exchange(1)),
    (OpType.CMPXCHG_WEAK, lambda v: v.cmpxchg_weak(0, 1)),
    (OpType.CMPXCHG_STRONG, lambda v: v.cmpxchg_strong(0, 1)),
    (OpType.BIT_TEST_COMPL, lambda v: v.bit_test_compl(0)),
    (OpType.BIT_TEST_SET, lambda v: v.bit_test_set(3)),
    (OpType.BIT_TEST_RESET, lambda v: v.bit_test_reset(0)),
    (OpType.OR, lambda v: v.bin_or(0x10)),
    (OpType.XOR, lambda v: v.bin_xor(1)),
    (OpType.AND, lambda v: v.bin_and(0)),
    (OpType.NOT, lambda v: v.bin_not()),
    (OpType.FETCH_OR, lambda v: v.bin_fetch_or(0x10)),
    (OpType.FETCH_XOR, lambda v: v.bin_fetch_xor(1)),
    (OpType.FETCH_AND, lambda v: v.bin_fetch_and(0)),
    (OpType.FETCH_NOT, lambda v: v.bin_fetch_not()),
    (OpType.ADD, lambda v: v.add(1)),
    (OpType.SUB, lambda v: v.sub(1)),
    (OpType.INC, lambda v: v.inc()),
    (OpType.DEC, lambda v: v.dec()),
    (OpType.NEG, lambda v: v.neg()),
    (OpType.FETCH_ADD, lambda v: v.fetch_add(1)),
    (OpType.FETCH_SUB, lambda v: v.fetch_sub(1)),
    (OpType.FETCH_INC, lambda v: v.fetch_inc()),
    (OpType.FETCH_DEC, lambda v: v.fetch_dec()),
    (OpType.FETCH_NEG, lambda v: v.fetch_neg()),
]

Z4 = b"\x00\x00\x00\x00"
BYTES_MUTATORS = [
    (OpType.STORE, lambda v: v.store(Z4)),
    (OpType.EXCHANGE, lambda v: v.exchange(Z4)),
    (OpType.CMPXCHG_WEAK, lambda v: v.cmpxchg_weak(RO_DATA, Z4)),
    (OpType.CMPXCHG_STRONG, lambda v: v.cmpxchg_strong(RO_DATA, Z4)),
    (OpType.BIT_TEST_COMPL, lambda v: v.bit_test_compl(0)),
    (OpType.BIT_TEST_SET, lambda v: v.bit_test_set(3)),
    (OpType.BIT_TEST_RESET, lambda v: v.bit_test_reset(0)),
    (OpType.OR, lambda v: v.bin_or(b"\x10\x10\x10\x10")),
    (OpType.XOR, lambda v: v.bin_xor(b"\x01\x01\x01\x01")),
    (OpType.AND, lambda v: v.bin_and(Z4)),
    (OpType.NOT, lambda v: v.bin_not()),
    (OpType.FETCH_OR, lambda v: v.bin_fetch_or(b"\x10\x10\x10\x10")),
    (OpType.FETCH_XOR, lambda v: v.bin_fetch_xor(b"\x01\x01\x01\x01")),
    (OpType.FETCH_AND, lambda v: v.bin_fetch_and(Z4)),
    (OpType.FETCH_NOT, lambda v: v.bin_fetch_not()),
]


@pytest.mark.parametrize("kind", RO_KINDS)
@pytest.mark.parametrize("name", ATYPE_NAMES)
def test_readonly_view_properties_and_reads(kind, name, request):
    buf, current = ro_source(kind, request)
    ctx = make_ctx(buf, name)
    with ctx as v:
        assert v.readonly is True
        assert v.width == 4
        assert v.ops_supported == READONLY_OPS
        if name == "ANY":
            assert str(v) == "AtomicView(width=4, readonly=True)"
        elif name == "BYTES":
            assert v.load() == RO_DATA
            assert v.load(MemoryOrder.RELAXED) == RO_DATA
            assert bytes(v) == RO_DATA
            assert str(v) == f"AtomicBytesView(value={RO_DATA!s}, width=4, readonly=True)"
        else:
            signed = name != "UINT"
            expected = int.from_bytes(RO_DATA, sys.byteorder, signed=signed)
            assert v.load() == expected
            assert v.load(MemoryOrder.ACQUIRE) == expected
            assert int(v) == expected
            cls = type(v).__name__
            assert str(v) == f"{cls}(value={expected}, width=4, readonly=True, signed={signed})"
        if name != "ANY":
            bits = int.from_bytes(RO_DATA, sys.byteorder)
            for i in range(32):
                assert v.bit_test(i) is bool((bits >> i) & 1)
            assert v.bit_test(1, MemoryOrder.RELAXED) is bool(bits & 2)
    assert current() == RO_DATA


@pytest.mark.parametrize("optype, call", INT_MUTATORS, ids=[o.name for o, _ in INT_MUTATORS])
@pytest.mark.parametrize("name", ["INT", "UINT", "INTEGRAL"])
def test_readonly_int_mutators_unsupported(optype, call, name):
    ba = bytearray(RO_DATA)
    with make_ctx(memoryview(ba).toreadonly(), name) as v:
        with pytest.raises(UnsupportedOperationException) as ei:
            call(v)
        e = ei.value
        assert str(e) == f"Operation {optype.name} is not supported on readonly objects with a width of 4."
        assert e.optype is optype
        assert e.width == 4
        assert e.readonly is True
        assert bytes(ba) == RO_DATA
        assert v.load() == int.from_bytes(RO_DATA, sys.byteorder, signed=name != "UINT")


@pytest.mark.parametrize("optype, call", BYTES_MUTATORS, ids=[o.name for o, _ in BYTES_MUTATORS])
@pytest.mark.parametrize("kind", ["bytes", "toreadonly"])
def test_readonly_bytes_mutators_unsupported(optype, call, kind, request):
    buf, current = ro_source(kind, request)
    with atomics.atomicview(buf, BYTES) as v:
        with pytest.raises(UnsupportedOperationException) as ei:
            call(v)
        e = ei.value
        assert str(e) == f"Operation {optype.name} is not supported on readonly objects with a width of 4."
        assert (e.optype, e.width, e.readonly) == (optype, 4, True)
        assert v.load() == RO_DATA
    assert current() == RO_DATA


@pytest.mark.parametrize("kind", RO_KINDS)
def test_readonly_store_message_exact(kind, request):
    buf, current = ro_source(kind, request)
    with atomics.atomicview(buf, INT) as v:
        with pytest.raises(UnsupportedOperationException) as ei:
            v.store(1)
        assert str(ei.value) == "Operation STORE is not supported on readonly objects with a width of 4."
    assert current() == RO_DATA


RO_PRECEDENCE = [
    # (atype, call, exception type, exact message or None)
    ("INT", lambda v: v.cmpxchg_weak(2**40, 0), OverflowError, "int too big to convert"),
    ("INT", lambda v: v.cmpxchg_strong(0, 2**40), OverflowError, "int too big to convert"),
    ("INT", lambda v: v.cmpxchg_weak(0, 1, MemoryOrder.SEQ_CST, MemoryOrder.RELEASE), UnsupportedOperationException,
     "Operation CMPXCHG_WEAK is not supported on readonly objects with a width of 4."),
    ("UINT", lambda v: v.cmpxchg_strong(-1, 0), OverflowError, "can't convert negative int to unsigned"),
    ("INT", lambda v: v.store(2**40), OverflowError, "int too big to convert"),
    ("UINT", lambda v: v.store(-1), OverflowError, "can't convert negative int to unsigned"),
    ("INT", lambda v: v.store(1, MemoryOrder.ACQUIRE), UnsupportedOperationException,
     "Operation STORE is not supported on readonly objects with a width of 4."),
    ("INT", lambda v: v.store(1, MemoryOrder.ACQ_REL), UnsupportedOperationException,
     "Operation STORE is not supported on readonly objects with a width of 4."),
    ("INT", lambda v: v.store(1.5), TypeError, "'desired' must be an int, not 'float'"),
    ("INT", lambda v: v.exchange(2**40), OverflowError, "int too big to convert"),
    ("INT", lambda v: v.add(2**40), OverflowError, "int too big to convert"),
    ("UINT", lambda v: v.bin_or(-1), OverflowError, "can't convert negative int to unsigned"),
    ("INT", lambda v: v.load(MemoryOrder.RELEASE), MemoryOrderError,
     "RELEASE is not a valid  memory order for a LOAD operation."),
    ("INT", lambda v: v.load(MemoryOrder.ACQ_REL), MemoryOrderError,
     "ACQ_REL is not a valid  memory order for a LOAD operation."),
    # Q2 (deviation): bit_test uses the load rule, order check first
    ("INT", lambda v: v.bit_test(99, MemoryOrder.RELEASE), MemoryOrderError,
     "RELEASE is not a valid  memory order for a BIT_TEST operation."),
    ("BYTES", lambda v: v.bit_test(99, MemoryOrder.ACQ_REL), MemoryOrderError,
     "ACQ_REL is not a valid  memory order for a BIT_TEST operation."),
    ("INT", lambda v: v.bit_test(99, MemoryOrder.ACQUIRE), ValueError, "'index' value out of range."),
    ("INT", lambda v: v.bit_test(32), ValueError, "'index' value out of range."),
    ("INT", lambda v: v.bit_test(-1), ValueError, "'index' value out of range."),
    ("INT", lambda v: v.bit_test_set(99), UnsupportedOperationException,
     "Operation BIT_TEST_SET is not supported on readonly objects with a width of 4."),
    ("BYTES", lambda v: v.bit_test_reset(-1), UnsupportedOperationException,
     "Operation BIT_TEST_RESET is not supported on readonly objects with a width of 4."),
    ("BYTES", lambda v: v.store(b"1", MemoryOrder.ACQUIRE), UnsupportedOperationException,
     "Operation STORE is not supported on readonly objects with a width of 4."),
    ("BYTES", lambda v: v.store(b"12345"), UnsupportedOperationException,
     "Operation STORE is not supported on readonly objects with a width of 4."),
    ("BYTES", lambda v: v.exchange(b"x"), UnsupportedOperationException,
     "Operation EXCHANGE is not supported on readonly objects with a width of 4."),
    ("BYTES", lambda v: v.cmpxchg_strong(b"x", b"y", fail=MemoryOrder.RELEASE), UnsupportedOperationException,
     "Operation CMPXCHG_STRONG is not supported on readonly objects with a width of 4."),
    ("BYTES", lambda v: v.bin_xor(b"x"), UnsupportedOperationException,
     "Operation XOR is not supported on readonly objects with a width of 4."),
    ("BYTES", lambda v: v.load(MemoryOrder.RELEASE), MemoryOrderError,
     "RELEASE is not a valid  memory order for a LOAD operation."),
]


@pytest.mark.parametrize("name, call, exc, msg", RO_PRECEDENCE, ids=[str(i) for i in range(len(RO_PRECEDENCE))])
def test_readonly_error_precedence(name, call, exc, msg):
    ba = bytearray(RO_DATA)
    with make_ctx(memoryview(ba).toreadonly(), name) as v:
        with pytest.raises(exc) as ei:
            call(v)
        assert type(ei.value) is exc
        assert str(ei.value) == msg
    assert bytes(ba) == RO_DATA


# ---------------------------------------------------------------------------------------
# 4. Lifecycle
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ATYPE_NAMES)
def test_enter_twice_while_open(name):
    ctx = make_ctx(bytearray(4), name)
    with ctx:
        with pytest.raises(ValueError) as ei:
            ctx.__enter__()
        assert str(ei.value) == OPEN_TWICE


@pytest.mark.parametrize("name", ATYPE_NAMES)
def test_enter_after_normal_with_block(name):
    ctx = make_ctx(bytearray(4), name)
    with ctx as v:
        pass
    for _ in range(2):
        with pytest.raises(ValueError) as ei:
            ctx.__enter__()
        assert str(ei.value) == OPEN_TWICE
    # release after exit is fine and does not change the message
    assert ctx.release() is None
    with pytest.raises(ValueError, match=OPEN_TWICE):
        ctx.__enter__()


@pytest.mark.parametrize("name", ATYPE_NAMES)
@pytest.mark.parametrize("how", ["release", "exit", "release_twice", "exit_twice"])
def test_enter_after_release_before_entering(name, how):
    ba = bytearray(4)
    ctx = make_ctx(ba, name)
    assert not no_pins(ba)
    for _ in range(2 if how.endswith("twice") else 1):
        if how.startswith("release"):
            assert ctx.release() is None
        else:
            assert ctx.__exit__(None, None, None) is None
    assert no_pins(ba)
    for _ in range(2):
        with pytest.raises(ValueError) as ei:
            ctx.__enter__()
        assert str(ei.value) == OPEN_AFTER_RELEASE


@pytest.mark.parametrize("name", ATYPE_NAMES)
def test_release_while_open(name):
    ba = bytearray(4)
    ctx = make_ctx(ba, name)
    with ctx as v:
        for _ in range(2):
            with pytest.raises(ValueError) as ei:
                ctx.release()
            assert str(ei.value) == RELEASE_WHILE_OPEN
        # still usable and still pinned
        assert v.width == 4
        assert not no_pins(ba)
    assert no_pins(ba)
    assert ctx.release() is None
    assert ctx.release() is None


def test_exit_idempotent_any_time():
    ba = bytearray(4)
    ctx = atomics.atomicview(ba, INT)
    v = ctx.__enter__()
    v.store(3)
    assert ctx.__exit__(None, None, None) is None
    assert ctx.__exit__(None, None, None) is None
    assert ctx.__exit__(KeyError, KeyError("x"), None) is None
    assert no_pins(ba)
    assert ba == bytearray(ne(3, 4, True))
    with pytest.raises(ValueError, match=OPEN_TWICE):
        ctx.__enter__()


def test_exit_returns_none_with_exception_info():
    ctx = atomics.atomicview(bytearray(4), UINT)
    ctx.__enter__()
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        assert ctx.__exit__(*sys.exc_info()) is None


@pytest.mark.parametrize("exc", [KeyError("k"), RuntimeError("r"), ValueError("v"), KeyboardInterrupt()])
def test_exceptions_in_with_block_propagate(exc):
    ba = bytearray(4)
    ctx = atomics.atomicview(ba, INT)
    with pytest.raises(type(exc)) as ei:
        with ctx as v:
            v.store(9)
            raise exc
    assert ei.value is exc
    assert no_pins(ba)
    with pytest.raises(ValueError) as ei2:
        v.load()
    assert str(ei2.value) == RELEASED
    assert ba == bytearray(ne(9, 4, True))


@pytest.mark.parametrize("name", ATYPE_NAMES)
def test_enter_returns_new_view_each_context(name):
    _, _, _, view_cls = ATYPES[name]
    ba = bytearray(4)
    c1 = make_ctx(ba, name)
    c2 = make_ctx(ba, name)
    v1 = c1.__enter__()
    v2 = c2.__enter__()
    assert type(v1) is view_cls and type(v2) is view_cls
    assert v1 is not v2 and v1 is not c1
    if name in ("INT", "UINT", "INTEGRAL"):
        v1.store(77)
        assert v2.load() == 77
        v2.fetch_add(1)
        assert v1.load() == 78
    elif name == "BYTES":
        v1.store(b"abcd")
        assert v2.load() == b"abcd"
    c1.__exit__(None, None, None)
    # the other context still holds the buffer
    assert not no_pins(ba)
    with pytest.raises(ValueError, match=RELEASED):
        v1.width
    assert v2.width == 4
    c2.__exit__(None, None, None)
    assert no_pins(ba)


INT_RELEASED_CALLS = [
    ("width", lambda v: v.width),
    ("readonly", lambda v: v.readonly),
    ("ops_supported", lambda v: v.ops_supported),
    ("signed", lambda v: v.signed),
    ("str", lambda v: str(v)),
    ("format", lambda v: f"{v}"),
    ("int", lambda v: int(v)),
    ("load", lambda v: v.load()),
    ("load_relaxed", lambda v: v.load(MemoryOrder.RELAXED)),
    ("store", lambda v: v.store(1)),
    ("exchange", lambda v: v.exchange(1)),
    ("cmpxchg_weak", lambda v: v.cmpxchg_weak(0, 1)),
    ("cmpxchg_strong", lambda v: v.cmpxchg_strong(0, 1)),
    ("bit_test", lambda v: v.bit_test(0)),
    ("bit_test_acquire", lambda v: v.bit_test(0, MemoryOrder.ACQUIRE)),
    ("bit_test_compl", lambda v: v.bit_test_compl(0)),
    ("bit_test_set", lambda v: v.bit_test_set(0)),
    ("bit_test_reset", lambda v: v.bit_test_reset(0)),
    ("bin_or", lambda v: v.bin_or(1)),
    ("bin_xor", lambda v: v.bin_xor(1)),
    ("bin_and", lambda v: v.bin_and(1)),
    ("bin_not", lambda v: v.bin_not()),
    ("bin_fetch_or", lambda v: v.bin_fetch_or(1)),
    ("bin_fetch_xor", lambda v: v.bin_fetch_xor(1)),
    ("bin_fetch_and", lambda v: v.bin_fetch_and(1)),
    ("bin_fetch_not", lambda v: v.bin_fetch_not()),
    ("add", lambda v: v.add(1)),
    ("sub", lambda v: v.sub(1)),
    ("inc", lambda v: v.inc()),
    ("dec", lambda v: v.dec()),
    ("neg", lambda v: v.neg()),
    ("fetch_add", lambda v: v.fetch_add(1)),
    ("fetch_sub", lambda v: v.fetch_sub(1)),
    ("fetch_inc", lambda v: v.fetch_inc()),
    ("fetch_dec", lambda v: v.fetch_dec()),
    ("fetch_neg", lambda v: v.fetch_neg()),
]

BYTES_RELEASED_CALLS = [
    ("width", lambda v: v.width),
    ("readonly", lambda v: v.readonly),
    ("ops_supported", lambda v: v.ops_supported),
    ("str", lambda v: str(v)),
    ("bytes", lambda v: bytes(v)),
    ("load", lambda v: v.load()),
    ("store", lambda v: v.store(Z4)),
    ("exchange", lambda v: v.exchange(Z4)),
    ("cmpxchg_weak", lambda v: v.cmpxchg_weak(Z4, Z4)),
    ("cmpxchg_strong", lambda v: v.cmpxchg_strong(Z4, Z4)),
    ("bit_test", lambda v: v.bit_test(0)),
    ("bit_test_compl", lambda v: v.bit_test_compl(0)),
    ("bit_test_set", lambda v: v.bit_test_set(0)),
    ("bit_test_reset", lambda v: v.bit_test_reset(0)),
    ("bin_or", lambda v: v.bin_or(Z4)),
    ("bin_xor", lambda v: v.bin_xor(Z4)),
    ("bin_and", lambda v: v.bin_and(Z4)),
    ("bin_not", lambda v: v.bin_not()),
    ("bin_fetch_or", lambda v: v.bin_fetch_or(Z4)),
    ("bin_fetch_not", lambda v: v.bin_fetch_not()),
]

ANY_RELEASED_CALLS = [
    ("width", lambda v: v.width),
    ("readonly", lambda v: v.readonly),
    ("ops_supported", lambda v: v.ops_supported),
    ("str", lambda v: str(v)),
]


def _released_cases():
    for name in ("INT", "UINT", "INTEGRAL"):
        for label, call in INT_RELEASED_CALLS:
            yield pytest.param(name, call, id=f"{name}-{label}")
    for label, call in BYTES_RELEASED_CALLS:
        yield pytest.param("BYTES", call, id=f"BYTES-{label}")
    for label, call in ANY_RELEASED_CALLS:
        yield pytest.param("ANY", call, id=f"ANY-{label}")


@pytest.mark.parametrize("name, call", list(_released_cases()))
@pytest.mark.parametrize("readonly", [False, True])
def test_view_after_exit_raises_released(name, call, readonly):
    ba = bytearray(4)
    buf = memoryview(ba).toreadonly() if readonly else ba
    ctx = make_ctx(buf, name)
    with ctx as v:
        pass
    before = bytes(ba)
    with pytest.raises(ValueError) as ei:
        call(v)
    assert type(ei.value) is ValueError
    assert str(ei.value) == RELEASED
    assert bytes(ba) == before
    assert bool(v) is True


@pytest.mark.parametrize("name", ["INT", "BYTES"])
@pytest.mark.parametrize("order", [MemoryOrder.RELEASE, MemoryOrder.ACQ_REL])
def test_released_bit_test_order_checked_first(name, order):
    ctx = make_ctx(bytearray(4), name)
    with ctx as v:
        pass
    with pytest.raises(MemoryOrderError) as ei:
        v.bit_test(0, order)
    assert str(ei.value) == f"{order.name} is not a valid  memory order for a BIT_TEST operation."
    assert (ei.value.optype, ei.value.order, ei.value.is_fail) == (OpType.BIT_TEST, order, False)


@pytest.mark.parametrize("name", ATYPE_NAMES)
def test_manual_exit_inside_block(name):
    ba = bytearray(4)
    ctx = make_ctx(ba, name)
    with ctx as v:
        assert not no_pins(ba)
        assert ctx.__exit__(None, None, None) is None
        assert no_pins(ba)
        ba.extend(b"1234")  # resizing works now
        with pytest.raises(ValueError, match=RELEASED):
            v.width
        with pytest.raises(ValueError, match=RELEASED):
            str(v)
        with pytest.raises(ValueError, match=OPEN_TWICE):
            ctx.__enter__()
        assert ctx.release() is None
    # the implicit __exit__ was a no-op
    assert len(ba) == 8


@pytest.mark.parametrize("size, start", [(1, 0), (2, 0), (2, 1), (3, 2), (4, 2)])
def test_wait_and_notify_on_a_small_view_at_the_end_of_its_buffer(size, start):
    """A 1- or 2-byte value is waited on through the aligned 4-byte word that holds it, which
    here reaches past the end of the buffer (within the same page): wait and notify work, and
    only the view's bytes change."""
    buf = bytearray(size)
    result = []
    with atomics.atomicview(memoryview(buf)[start:], UINT) as v:
        assert v.wait(1, timeout=0.001) is True  # differs: returns at once
        assert v.wait(0, timeout=0.001) is False  # equal: times out
        waiter = threading.Thread(target=lambda: result.append(v.wait(0, timeout=10)))
        waiter.start()
        time.sleep(0.02)
        v.store(1)
        v.notify_all()
        waiter.join(timeout=20)
        v.notify_one()
    assert result == [True]
    assert buf == bytes(start) + (1).to_bytes(size - start, sys.byteorder)


# ---------------------------------------------------------------------------------------
# Buffer pinning
# ---------------------------------------------------------------------------------------

RESIZES = [
    ("append", lambda ba: ba.append(1)),
    ("extend", lambda ba: ba.extend(b"xy")),
    ("iadd", lambda ba: ba.__iadd__(b"z")),
    ("del", lambda ba: ba.__delitem__(0)),
    ("pop", lambda ba: ba.pop()),
    ("clear", lambda ba: ba.clear()),
    ("slice_grow", lambda ba: ba.__setitem__(slice(0, 1), b"abc")),
]


@pytest.mark.parametrize("resize", [r for _, r in RESIZES], ids=[n for n, _ in RESIZES])
@pytest.mark.parametrize("name", ATYPE_NAMES)
def test_bytearray_pinned_while_context_alive(resize, name):
    ba = bytearray(8)
    ctx = make_ctx(ba, name)
    # not yet entered: already pinned
    with pytest.raises(BufferError) as ei:
        resize(ba)
    assert str(ei.value) == RESIZE_ERROR
    with ctx as v:
        with pytest.raises(BufferError) as ei:
            resize(ba)
        assert str(ei.value) == RESIZE_ERROR
    assert len(ba) == 8
    resize(ba)  # released: works now


def test_bytearray_unpinned_by_release_without_enter():
    ba = bytearray(8)
    ctx = atomics.atomicview(ba, INT)
    with pytest.raises(BufferError):
        ba.append(0)
    ctx.release()
    ba.append(0)
    assert len(ba) == 9


def test_unentered_context_collected_releases():
    ba = bytearray(8)
    ctx = atomics.atomicview(ba, UINT)
    assert not no_pins(ba)
    del ctx
    gc.collect()
    assert no_pins(ba)


def test_mmap_close_pinned():
    mm = mmap.mmap(-1, 8)
    try:
        ctx = atomics.atomicview(mm, UINT)
        with pytest.raises(BufferError) as ei:
            mm.close()
        assert str(ei.value) == MMAP_CLOSE_ERROR
        with ctx as v:
            v.store(0x0102030405060708)
            assert mm[:] == ne(0x0102030405060708, 8, False)
            with pytest.raises(BufferError) as ei:
                mm.close()
            assert str(ei.value) == MMAP_CLOSE_ERROR
        assert not mm.closed
    finally:
        mm.close()
    assert mm.closed


def test_readonly_mmap_close_pinned(ro_mmap):
    ctx = atomics.atomicview(ro_mmap, UINT)
    with ctx as v:
        assert v.readonly is True
        assert v.load() == int.from_bytes(RO_DATA, sys.byteorder)
        with pytest.raises(BufferError) as ei:
            ro_mmap.close()
        assert str(ei.value) == MMAP_CLOSE_ERROR
    ro_mmap.close()
    assert ro_mmap.closed


@pytest.mark.parametrize("name", ATYPE_NAMES)
def test_memoryview_release_pinned(name):
    ba = bytearray(8)
    mv = memoryview(ba)
    ctx = make_ctx(mv, name)
    with pytest.raises(BufferError) as ei:
        mv.release()
    assert str(ei.value) == MV_RELEASE_ERROR
    with ctx:
        with pytest.raises(BufferError) as ei:
            mv.release()
        assert str(ei.value) == MV_RELEASE_ERROR
    mv.release()
    assert no_pins(ba)


def test_with_without_as_keeps_pinned():
    # deviation Q5
    ba = bytearray(4)
    with atomics.atomicview(ba, INT):
        gc.collect()
        with pytest.raises(BufferError) as ei:
            ba.append(0)
        assert str(ei.value) == RESIZE_ERROR
    ba.append(0)
    assert len(ba) == 5


@pytest.mark.parametrize("name", ATYPE_NAMES)
def test_del_view_inside_block_keeps_pinned(name):
    ba = bytearray(4)
    ctx = make_ctx(ba, name)
    with ctx as v:
        del v
        gc.collect()
        with pytest.raises(BufferError, match=RESIZE_ERROR):
            ba.append(0)
        with pytest.raises(ValueError, match=RELEASE_WHILE_OPEN):
            ctx.release()
    ba.append(0)


@pytest.fixture
def unraisable(monkeypatch):
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(u))
    return seen


def test_enter_on_temporary_context(capfd, unraisable):
    # deviation Q6: nothing printed; v keeps the buffer pinned while it lives
    ba = bytearray(4)
    v = atomics.atomicview(ba, INT).__enter__()
    gc.collect()
    out, err = capfd.readouterr()
    assert err == "" and out == ""
    assert unraisable == []
    assert type(v) is atomics.view.AtomicIntView
    v.store(-2)
    assert v.load() == -2
    assert ba == bytearray(ne(-2, 4, True))
    with pytest.raises(BufferError, match=RESIZE_ERROR):
        ba.append(0)
    del v
    gc.collect()
    ba.append(0)
    assert len(ba) == 5
    out, err = capfd.readouterr()
    assert err == "" and unraisable == []


def test_open_context_collected_silently(capfd, unraisable):
    ba = bytearray(8)
    ctx = atomics.atomicview(ba, UINT)
    v = ctx.__enter__()
    del ctx
    gc.collect()
    assert capfd.readouterr().err == ""
    assert unraisable == []
    v.store(11)
    assert v.load() == 11
    assert not no_pins(ba)
    del v
    gc.collect()
    assert no_pins(ba)
    assert capfd.readouterr().err == ""
    assert unraisable == []


@pytest.mark.parametrize("name", ATYPE_NAMES)
def test_copy_of_view_shares_memory(name):
    _, _, _, view_cls = ATYPES[name]
    ba = bytearray(4)
    ctx = make_ctx(ba, name)
    with ctx as v:
        c = copy.copy(v)
        assert type(c) is view_cls
        assert c is not v
        assert c.width == 4
        if name in ("INT", "UINT", "INTEGRAL"):
            c.store(21)
            assert v.load() == 21
            v.inc()
            assert c.load() == 22
        elif name == "BYTES":
            c.store(b"wxyz")
            assert v.load() == b"wxyz"
        del c
        gc.collect()
        assert v.width == 4
        if name in ("INT", "UINT", "INTEGRAL"):
            assert v.load() == 22
        assert not no_pins(ba)
        c2 = copy.copy(v)
    with pytest.raises(ValueError, match=RELEASED):
        c2.width
    with pytest.raises(ValueError, match=RELEASED):
        v.width
    assert no_pins(ba)


def test_copy_outlives_original_view():
    ba = bytearray(4)
    ctx = atomics.atomicview(ba, UINT)
    with ctx as v:
        c = copy.copy(v)
        del v
        gc.collect()
        c.store(5)
        assert c.load() == 5
        assert not no_pins(ba)
    assert no_pins(ba)


@pytest.mark.parametrize("name", ["INT", "BYTES"])
def test_view_pickle_and_deepcopy_type_error(name):
    import pickle

    with make_ctx(bytearray(4), name) as v:
        with pytest.raises(TypeError):
            pickle.dumps(v)
        with pytest.raises(TypeError):
            copy.deepcopy(v)
        assert v.width == 4


# ---------------------------------------------------------------------------------------
# View classes
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "factory, name, kwargs, expected",
    [
        (lambda: array.array("I", [7]), "UINT", {}, "AtomicUintView(value=7, width=4, readonly=False, signed=False)"),
        (lambda: b"\x01\x02", "BYTES", {}, "AtomicBytesView(value=b'\\x01\\x02', width=2, readonly=True)"),
        (lambda: bytearray(4), "ANY", {"is_integral": True, "is_signed": True}, "AtomicView(width=4, readonly=False)"),
        (lambda: bytes(8), "ANY", {"is_integral": False, "is_signed": False}, "AtomicView(width=8, readonly=True)"),
        (lambda: bytearray(b"\xff\xff"), "INT", {}, "AtomicIntView(value=-1, width=2, readonly=False, signed=True)"),
        (lambda: bytearray(b"\xff"), "INTEGRAL", {"is_signed": False},
         "AtomicIntegralView(value=255, width=1, readonly=False, signed=False)"),
        (lambda: bytearray(b"\xff"), "INTEGRAL", {"is_signed": True},
         "AtomicIntegralView(value=-1, width=1, readonly=False, signed=True)"),
        (lambda: bytearray(4), "BYTES", {}, "AtomicBytesView(value=b'\\x00\\x00\\x00\\x00', width=4, readonly=False)"),
        (lambda: bytes(8), "UINT", {}, "AtomicUintView(value=0, width=8, readonly=True, signed=False)"),
    ],
)
def test_view_str(factory, name, kwargs, expected):
    atype = ATYPES[name][0]
    with atomics.atomicview(factory(), atype, **kwargs) as v:
        assert str(v) == expected
        assert f"{v}" == expected
        assert format(v, "") == expected
        r = repr(v)
        assert r != expected
        assert r.startswith("<") and f"{type(v).__name__} object at 0x" in r


def test_view_str_tracks_value():
    ba = bytearray(4)
    with atomics.atomicview(ba, UINT) as v:
        ba[0] = 7
        assert str(v) == f"AtomicUintView(value={int.from_bytes(ba, sys.byteorder)}, width=4, readonly=False, signed=False)"


VIEW_CLASSES = [
    atomics.view.AtomicView,
    atomics.view.AtomicIntegralView,
    atomics.view.AtomicBytesView,
    atomics.view.AtomicIntView,
    atomics.view.AtomicUintView,
]


@pytest.mark.parametrize("cls", VIEW_CLASSES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("arg", [None, 5, bytearray(4), "core", object()], ids=stable_repr)
def test_view_class_requires_core(cls, arg):
    with pytest.raises(TypeError) as ei:
        cls(arg)
    assert str(ei.value) == CORE_TYPE_ERROR


@pytest.mark.parametrize("cls", VIEW_CLASSES, ids=lambda c: c.__name__)
def test_view_class_with_context_or_view_is_not_core(cls):
    ctx = atomics.atomicview(bytearray(4), INT)
    with ctx as v:
        for arg in (ctx, v):
            with pytest.raises(TypeError) as ei:
                cls(arg)
            assert str(ei.value) == CORE_TYPE_ERROR
        with pytest.raises(TypeError):
            cls()


@pytest.mark.parametrize("name", ATYPE_NAMES)
def test_view_reinit(name):
    ctx = make_ctx(bytearray(4), name)
    other = make_ctx(bytearray(8), name)
    with ctx as v:
        with pytest.raises(ValueError) as ei:
            v.__init__(other._core)
        assert str(ei.value) == REINIT_VIEW
        assert v.width == 4
    other.release()


ISINSTANCE = {
    "INT": (atomics.view.AtomicIntView, {ANY, INTEGRAL, INT}, {UINT, BYTES}),
    "UINT": (atomics.view.AtomicUintView, {ANY, INTEGRAL, UINT}, {INT, BYTES}),
    "INTEGRAL": (atomics.view.AtomicIntegralView, {ANY, INTEGRAL}, {INT, UINT, BYTES}),
    "BYTES": (atomics.view.AtomicBytesView, {ANY, BYTES}, {INT, UINT, INTEGRAL}),
    "ANY": (atomics.view.AtomicView, {ANY}, {INT, UINT, INTEGRAL, BYTES}),
}


@pytest.mark.parametrize("name", ATYPE_NAMES)
def test_isinstance_relations(name):
    view_cls, yes, no = ISINSTANCE[name]
    ctx = make_ctx(bytearray(4), name)
    with ctx as v:
        for t in yes:
            assert isinstance(v, t)
        for t in no:
            assert not isinstance(v, t)
        assert isinstance(v, atomics.view.AtomicView)
        assert not isinstance(v, atomics.base.Atomic)
        for cls in (atomics.base.AtomicInt, atomics.base.AtomicUint, atomics.base.AtomicBytes, atomics.base.AtomicIntegral):
            assert not isinstance(v, cls)
        for t in (ANY, INTEGRAL, BYTES, INT, UINT, atomics.view.AtomicView):
            assert not isinstance(ctx, t)
        assert isinstance(ctx, atomics.ctx.AtomicViewContext)
        if name in ("INT", "UINT"):
            assert isinstance(ctx, atomics.ctx.AtomicIntegralViewContext)
            assert isinstance(v, atomics.view.AtomicIntegralView)
        if name == "BYTES":
            assert not isinstance(ctx, atomics.ctx.AtomicIntegralViewContext)
    # MRO order from spec §2.1
    mro = view_cls.__mro__
    chain = {
        "INT": [atomics.view.AtomicIntView, atomics.view.AtomicIntegralView, atomics.view.AtomicView, INT, INTEGRAL, ANY],
        "UINT": [atomics.view.AtomicUintView, atomics.view.AtomicIntegralView, atomics.view.AtomicView, UINT, INTEGRAL, ANY],
        "INTEGRAL": [atomics.view.AtomicIntegralView, atomics.view.AtomicView, INTEGRAL, ANY],
        "BYTES": [atomics.view.AtomicBytesView, atomics.view.AtomicView, BYTES, ANY],
        "ANY": [atomics.view.AtomicView, ANY],
    }[name]
    positions = [mro.index(c) for c in chain]
    assert positions == sorted(positions)
    assert mro[-1] is object


def test_context_class_hierarchy():
    c = atomics.ctx
    assert c.AtomicIntViewContext.__mro__[:3] == (c.AtomicIntViewContext, c.AtomicIntegralViewContext, c.AtomicViewContext)
    assert c.AtomicUintViewContext.__mro__[:3] == (c.AtomicUintViewContext, c.AtomicIntegralViewContext, c.AtomicViewContext)
    assert c.AtomicBytesViewContext.__mro__[:2] == (c.AtomicBytesViewContext, c.AtomicViewContext)
    for cls in (c.AtomicViewContext, c.AtomicIntegralViewContext, c.AtomicBytesViewContext, c.AtomicIntViewContext, c.AtomicUintViewContext):
        assert not issubclass(cls, ANY)


@pytest.mark.parametrize("name, signed", [("INT", True), ("UINT", False)])
def test_view_signed_and_readonly_properties(name, signed):
    with make_ctx(bytearray(4), name) as v:
        assert v.signed is signed
        with pytest.raises(AttributeError):
            v.width = 3
        with pytest.raises(AttributeError):
            v.readonly = True
        with pytest.raises(AttributeError):
            v.signed = not signed
        assert v.width == 4


def test_int_and_bytes_conversions():
    ba = bytearray(ne(-5, 4, True))
    with atomics.atomicview(ba, INT) as v:
        assert int(v) == -5
        with pytest.raises(TypeError):
            bytes(v)
        import operator

        with pytest.raises(TypeError):
            operator.index(v)
    with atomics.atomicview(ba, BYTES) as b:
        assert bytes(b) == bytes(ba)
        with pytest.raises(TypeError):
            int(b)
        assert not hasattr(b, "add")


@pytest.mark.parametrize("name", ["INT", "UINT", "INTEGRAL"])
def test_native_byte_order_store(name):
    ba = bytearray(4)
    with make_ctx(ba, name) as v:
        v.store(0x01020304)
        assert bytes(ba) == (0x01020304).to_bytes(4, sys.byteorder)
        if sys.byteorder == "little":
            assert bytes(ba) == b"\x04\x03\x02\x01"
        ba[:] = b"\x10\x20\x30\x40"
        assert v.load() == int.from_bytes(b"\x10\x20\x30\x40", sys.byteorder)


@pytest.mark.parametrize("name", ["INT", "UINT", "BYTES", "INTEGRAL"])
@pytest.mark.parametrize("index", [0, 7, 8, 9, 17, 31])
def test_bit_index_native(name, index):
    ba = bytearray(4)
    with make_ctx(ba, name) as v:
        assert v.bit_test_set(index) is False
        expected = (1 << index).to_bytes(4, sys.byteorder)
        assert bytes(ba) == expected
        if sys.byteorder == "little":
            exp_le = bytearray(4)
            exp_le[index // 8] = 1 << (index % 8)
            assert bytes(ba) == bytes(exp_le)
        assert v.bit_test(index) is True
        assert v.bit_test_set(index) is True
        assert v.bit_test_compl(index) is True
        assert bytes(ba) == bytes(4)
        assert v.bit_test_compl(index) is False
        assert v.bit_test_reset(index) is True
        assert bytes(ba) == bytes(4)


def test_bit_test_set_9_example():
    ba = bytearray(4)
    with atomics.atomicview(ba, INT) as v:
        v.bit_test_set(9)
    assert bytes(ba) == b"\x00\x02\x00\x00"
    ba = bytearray(4)
    with atomics.atomicview(ba, BYTES) as v:
        v.bit_test_set(9)
        assert v.load() == b"\x00\x02\x00\x00"
    assert bytes(ba) == b"\x00\x02\x00\x00"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["INT", "UINT"])
def test_view_roundtrip_all_widths(width, name):
    signed = name == "INT"
    mv = aligned(width)
    lo = -(2 ** (8 * width - 1)) if signed else 0
    hi = 2 ** (8 * width - 1) - 1 if signed else 2 ** (8 * width) - 1
    with make_ctx(mv, name) as v:
        assert v.width == width
        for value in (lo, hi, 1, 0):
            v.store(value)
            assert bytes(mv) == ne(value, width, signed)
            assert v.load() == value
        v.store(hi)
        v.inc()  # wraps
        assert v.load() == lo
        with pytest.raises(OverflowError):
            v.store(hi + 1)
        assert v.exchange(5) == lo
        assert bytes(mv) == ne(5, width, signed)


# ---------------------------------------------------------------------------------------
# Shared memory
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["UINT", "INT", "BYTES"])
def test_shared_memory_view(name):
    shm = shared_memory.SharedMemory(create=True, size=8, name=f"atv_{uuid.uuid4().hex[:16]}")
    shm2 = None
    ctx = ctx2 = None
    try:
        buf = shm.buf[:8]
        ctx = make_ctx(buf, name)
        with ctx as v:
            assert v.width == 8 and v.readonly is False
            shm2 = shared_memory.SharedMemory(name=shm.name)
            if name == "BYTES":
                v.store(b"ABCDEFGH")
                assert bytes(shm2.buf[:8]) == b"ABCDEFGH"
            else:
                signed = name == "INT"
                value = -0x0102030405060708 if signed else 0x8877665544332211
                v.store(value)
                assert bytes(shm2.buf[:8]) == ne(value, 8, signed)
                buf2 = shm2.buf[:8]
                ctx2 = make_ctx(buf2, name)
                with ctx2 as v2:
                    assert v2.load() == value
                    v2.inc()
                    assert v.load() == value + 1
                    # closing while a view holds the buffer is refused
                    with pytest.raises(BufferError):
                        shm2.close()
                buf2.release()
                with pytest.raises(BufferError):
                    shm.close()
        buf.release()
    finally:
        if ctx is not None:
            ctx.__exit__(None, None, None)
        if ctx2 is not None:
            ctx2.__exit__(None, None, None)
        if shm2 is not None:
            shm2.close()
        shm.close()
        shm.unlink()


# ---------------------------------------------------------------------------------------
# Thread-safety of release
# ---------------------------------------------------------------------------------------

THREAD_OPS = {
    "inc": lambda v: v.inc(),
    "fetch_inc": lambda v: v.fetch_inc(),
    "add1": lambda v: v.add(1),
}


@pytest.mark.parametrize("op", list(THREAD_OPS))
@pytest.mark.parametrize("name", ["UINT", "INT"])
def test_release_while_threads_operate(op, name):
    n = 4
    ba = bytearray(8)
    ctx = make_ctx(ba, name)
    v = ctx.__enter__()
    call = THREAD_OPS[op]
    counts = [0] * n
    released_seen = [False] * n
    errors = []
    started = threading.Barrier(n + 1)
    deadline = time.monotonic() + 10

    def worker(i):
        try:
            started.wait()
            done = 0
            while time.monotonic() < deadline:
                try:
                    call(v)
                except ValueError as e:
                    if str(e) != RELEASED:
                        raise
                    released_seen[i] = True
                    # every further call must fail the same way
                    for _ in range(3):
                        try:
                            call(v)
                        except ValueError as e2:
                            if str(e2) != RELEASED:
                                raise
                        else:
                            raise AssertionError("operation succeeded after release")
                    break
                done += 1
            counts[i] = done
        except BaseException as e:  # re-raised in the main thread
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    started.wait()
    # let the workers make progress (read the raw memory, not via the view)
    while int.from_bytes(ba, sys.byteorder, signed=False) < 2000 and time.monotonic() < deadline:
        time.sleep(0.001)
    ctx.__exit__(None, None, None)
    for t in threads:
        t.join(timeout=15)
        assert not t.is_alive()
    if errors:
        raise errors[0]
    assert all(released_seen), "a worker never observed the release"
    total = int.from_bytes(ba, sys.byteorder, signed=False)
    assert total == sum(counts)
    assert total >= 2000
    assert int.from_bytes(ba, "little") == sum(counts)
    assert no_pins(ba)
