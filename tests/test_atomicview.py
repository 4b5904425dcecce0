"""``atomicview(buffer, atype)``: the context and view each atype gives, the checks of atype,
keywords and buffer, widths and alignment (docs/spec/atomics-1.0-behaviour.md §3.2).
"""

import array
import sys

import numpy as np
import pytest

import atomics
from atomics import ANY, BYTES, INT, INTEGRAL, UINT, OpType
from atomics.exc import AlignmentError, UnsupportedOperationException, UnsupportedWidthException

from _cpu import CAS16, LOAD16
from _model import BYTES_OPS
from _views import (ALL_OPS, ATYPES, ATYPE_ERROR, ATYPE_NAMES, BUFFER_ERROR, CONTIGUOUS_ERROR, READONLY_OPS,
                    REINIT_CTX, WIDTHS, address, aligned, assert_sixteen_refused, make_ctx, ne, no_pins,
                    sixteen_exists, stable_repr)


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


@pytest.mark.parametrize("atype", [INT, UINT, BYTES, atomics.FLOAT], ids=lambda t: t.__name__)
@pytest.mark.parametrize("width", [4, 8])
def test_atomicview_makes_what_the_context_class_makes(atype, width):
    # atomicview() makes these contexts in one native call, without their __init__
    made = []
    for make in (lambda b: atomics.atomicview(b, atype),
                 lambda b: atomics._factory.row(atype).context(buffer=b)):
        buf = bytearray(width)
        with make(buf) as v:
            v.store(3 if atype is not BYTES else b"\3" * width)
            made.append((type(v).__mro__, v.width, v.readonly, v.ops_supported, str(v), bytes(buf)))
            if atype in (INT, UINT):
                made[-1] += (v.signed, v.fetch_sub(4))
        assert no_pins(buf)
    assert made[0] == made[1]


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


def test_misaligned_example():
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
