"""``atomics.atomic(width, atype, **kwargs)``: the class each atype gives, and the checks of
atype, keywords and width, in atomics 1.0's order (docs/spec/atomics-1.0-behaviour.md §3.1).
"""

import pytest

import atomics
from atomics import ANY, BYTES, INT, INTEGRAL, UINT, MemoryOrder, OpType
from atomics.base import Atomic, AtomicBytes, AtomicInt, AtomicIntegral, AtomicUint
from atomics.exc import UnsupportedWidthException

from _api import (ALL_OPS, ATYPE_MSG, BYTES_OPS, OVERFLOWING_WIDTHS, SIZE_MAX, UNSUPPORTED_WIDTHS, WIDTHS, WIDTH_TYPE_MSG, IntSubclass,
                  interpreter_text, unsupported_width_msg)


DISPATCH = [
    (INT, {}, AtomicInt),
    (UINT, {}, AtomicUint),
    (BYTES, {}, AtomicBytes),
    (INTEGRAL, {"is_signed": True}, AtomicIntegral),
    (ANY, {"is_integral": True, "is_signed": False}, Atomic),
]


@pytest.mark.parametrize("atype, kwargs, cls", DISPATCH, ids=lambda x: getattr(x, "__name__", ""))
@pytest.mark.parametrize("w", WIDTHS)
def test_dispatch(atype, kwargs, cls, w):
    a = atomics.atomic(w, atype, **kwargs)
    assert type(a) is cls
    assert a.width == w
    b = atomics.atomic(width=w, atype=atype, **kwargs)
    assert type(b) is cls and b.width == w


@pytest.mark.parametrize("atype", [INT, UINT, BYTES, atomics.FLOAT], ids=lambda t: t.__name__)
@pytest.mark.parametrize("w", [4, 8])
@pytest.mark.parametrize("shared", [False, True])
def test_atomic_makes_what_the_class_makes(atype, w, shared):
    # atomic() makes these in one native call, without their __init__
    cls = atomics._factory.row(atype).atomic
    made = []
    for a in (atomics.atomic(w, atype, shared=shared), cls(width=w)):
        a.store(3 if atype is not BYTES else b"\3" * w)
        made.append((type(a).__mro__, a.width, a.readonly, a.ops_supported, str(a)))
        if atype in (INT, UINT):
            made[-1] += (a.signed, a.fetch_sub(4))
    assert made[0] == made[1]


class _SubINT(INT):
    pass


class _SubANY(ANY):
    pass


BAD_ATYPES = [AtomicInt, AtomicUint, AtomicBytes, AtomicIntegral, Atomic, _SubINT, _SubANY, "INT", "int",
              "ANY", int, bytes, None, object, 4, INT(), type(INT)]


@pytest.mark.parametrize("atype", BAD_ATYPES, ids=lambda v: getattr(v, "__name__", type(v).__name__))
def test_bad_atype(atype):
    with pytest.raises(TypeError) as ei:
        atomics.atomic(4, atype)
    assert str(ei.value) == ATYPE_MSG


@pytest.mark.parametrize("width", ["x", 3, -1, 2**70, 4.0])
def test_atype_checked_before_width(width):
    with pytest.raises(TypeError) as ei:
        atomics.atomic(width, "INT", is_signed=True)
    assert str(ei.value) == ATYPE_MSG


@pytest.mark.parametrize("atype, cls, signed", [(INT, AtomicInt, True), (UINT, AtomicUint, False),
                                                (BYTES, AtomicBytes, None)], ids=["INT", "UINT", "BYTES"])
def test_kwargs_ignored_for_int_uint_bytes(atype, cls, signed):
    a = atomics.atomic(4, atype, is_signed=not signed, is_integral=(atype is BYTES), foo="bar", width_=9)
    assert type(a) is cls
    assert a.width == 4
    if signed is not None:
        assert a.signed is signed
        assert a.ops_supported == [OpType(v) for v in ALL_OPS]
    else:
        assert a.ops_supported == [OpType(v) for v in BYTES_OPS]


@pytest.mark.parametrize(
    "atype, kwargs, msg",
    [
        (INTEGRAL, {}, "AtomicIntegral.__init__() missing 1 required keyword-only argument: 'is_signed'"),
        (INTEGRAL, {"is_signed": True, "foo": 1}, "AtomicIntegral.__init__() got an unexpected keyword argument 'foo'"),
        (INTEGRAL, {"is_signed": True, "is_integral": True},
         "AtomicIntegral.__init__() got an unexpected keyword argument 'is_integral'"),
        (ANY, {}, "Atomic.__init__() missing 2 required keyword-only arguments: 'is_integral' and 'is_signed'"),
        (ANY, {"is_signed": True}, "Atomic.__init__() missing 1 required keyword-only argument: 'is_integral'"),
        (ANY, {"is_integral": True}, "Atomic.__init__() missing 1 required keyword-only argument: 'is_signed'"),
        (ANY, {"is_integral": True, "is_signed": True, "foo": 1},
         "Atomic.__init__() got an unexpected keyword argument 'foo'"),
    ],
)
def test_kwargs_required_for_integral_and_any(atype, kwargs, msg):
    with pytest.raises(TypeError) as ei:
        atomics.atomic(4, atype, **kwargs)
    assert str(ei.value) == interpreter_text(msg)


@pytest.mark.parametrize("atype, kwargs", [(INTEGRAL, {}), (ANY, {"is_signed": 1})], ids=["INTEGRAL", "ANY"])
def test_missing_kwargs_before_width_errors(atype, kwargs):
    with pytest.raises(TypeError) as ei:
        atomics.atomic("bad", atype, **kwargs)
    assert "missing 1 required keyword-only argument" in str(ei.value)


@pytest.mark.parametrize("atype, kwargs", [(a, k) for a, k, _ in DISPATCH], ids=lambda x: getattr(x, "__name__", ""))
@pytest.mark.parametrize("width", ["4", 4.0, None, b"\x04", [4], 4j, object()], ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("as_keyword", [False, True])
def test_width_type_error(atype, kwargs, width, as_keyword):
    with pytest.raises(TypeError) as ei:
        if as_keyword:
            atomics.atomic(width=width, atype=atype, **kwargs)
        else:
            atomics.atomic(width, atype, **kwargs)
    assert str(ei.value) == WIDTH_TYPE_MSG


@pytest.mark.parametrize("cls, kwargs", [(AtomicInt, {}), (AtomicUint, {}), (AtomicBytes, {}),
                                         (AtomicIntegral, {"is_signed": False}),
                                         (Atomic, {"is_integral": False, "is_signed": False})],
                         ids=lambda x: getattr(x, "__name__", ""))
def test_width_type_error_direct(cls, kwargs):
    with pytest.raises(TypeError) as ei:
        cls(width=4.0, **kwargs)
    assert str(ei.value) == WIDTH_TYPE_MSG


@pytest.mark.parametrize("atype, kwargs", [(a, k) for a, k, _ in DISPATCH], ids=lambda x: getattr(x, "__name__", ""))
@pytest.mark.parametrize("width", [-1, -2, -4, -8, -(2**63), -(2**64), -(2**100)])
def test_negative_width(atype, kwargs, width):
    with pytest.raises(ValueError) as ei:
        atomics.atomic(width, atype, **kwargs)
    assert str(ei.value) == "Negative width"
    assert type(ei.value) is ValueError


@pytest.mark.parametrize("atype, kwargs", [(a, k) for a, k, _ in DISPATCH], ids=lambda x: getattr(x, "__name__", ""))
@pytest.mark.parametrize("width", OVERFLOWING_WIDTHS)
def test_width_overflows_size_t(atype, kwargs, width):
    with pytest.raises(OverflowError) as ei:
        atomics.atomic(width, atype, **kwargs)
    assert ei.value.args == (width, "Value would overflow size_t")
    assert str(ei.value) == f"({width}, 'Value would overflow size_t')"


def test_width_overflow_exact_str():
    with pytest.raises(OverflowError) as ei:
        atomics.atomic(2**64, INT)
    assert str(ei.value) == "(18446744073709551616, 'Value would overflow size_t')"


@pytest.mark.parametrize("atype, kwargs", [(a, k) for a, k, _ in DISPATCH], ids=lambda x: getattr(x, "__name__", ""))
@pytest.mark.parametrize("width", UNSUPPORTED_WIDTHS)
def test_unsupported_width(atype, kwargs, width):
    with pytest.raises(UnsupportedWidthException) as ei:
        atomics.atomic(width, atype, **kwargs)
    e = ei.value
    assert type(e) is UnsupportedWidthException
    assert e.width == width
    assert e.readonly is False
    assert str(e) == unsupported_width_msg(width)
    assert e.args == (unsupported_width_msg(width),)
    assert repr(e) == f"UnsupportedWidthException(width={width}, readonly=False)"


def test_unsupported_width_examples():
    with pytest.raises(UnsupportedWidthException) as ei:
        atomics.atomic(3, INT)
    assert str(ei.value) == "No operations are supported on objects with a width of 3."
    with pytest.raises(UnsupportedWidthException) as ei:
        atomics.atomic(SIZE_MAX // 2 + 1, BYTES)
    assert str(ei.value) == f"No operations are supported on objects with a width of {SIZE_MAX // 2 + 1}."


@pytest.mark.parametrize("atype, kwargs", [(a, k) for a, k, _ in DISPATCH], ids=lambda x: getattr(x, "__name__", ""))
def test_bool_width(atype, kwargs):
    a = atomics.atomic(True, atype, **kwargs)
    assert a.width == 1 and type(a.width) is int
    with pytest.raises(UnsupportedWidthException) as ei:
        atomics.atomic(False, atype, **kwargs)
    assert ei.value.width == 0


@pytest.mark.parametrize("width, expected", [(IntSubclass(4), 4), (OpType.LOAD, 2), (MemoryOrder.SEQ_CST, None)])
def test_int_subclass_width(width, expected):
    if expected is None:  # 5 is unsupported
        with pytest.raises(UnsupportedWidthException):
            atomics.atomic(width, INT)
        return
    a = atomics.atomic(width, INT)
    assert a.width == expected
