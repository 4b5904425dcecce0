"""``atomics.exc``: the exception classes, their constructors, messages and pickling
(docs/spec/atomics-1.0-behaviour.md §9).
"""

import copy
import pickle

import pytest

import atomics
from atomics import UINT, MemoryOrder, OpType
from atomics.exc import (AlignmentError, MemoryOrderError, UnsupportedOperationException,
                         UnsupportedWidthException)

from _api import RELEASE, VOWEL_OPTYPES


EXC_CLASSES = [AlignmentError, MemoryOrderError, UnsupportedOperationException, UnsupportedWidthException]


@pytest.mark.parametrize("cls", EXC_CLASSES, ids=lambda c: c.__name__)
def test_exceptions_subclass_exception_directly(cls):
    assert cls.__bases__ == (Exception,)
    assert not issubclass(cls, (ValueError, TypeError, ArithmeticError, LookupError))


EXC_EXAMPLES = [
    (AlignmentError, (8, 0x7F17D3550851), {"using_recommended": True},
     {"width": 8, "address": 0x7F17D3550851, "using_recommended": True},
     "The alignment of address 0x7f17d3550851 does not meet the recommended alignment requirements for "
     "atomic operations on objects with a width of 8.",
     "AlignmentError(width=8, address=139740306540625, using_recommended=True)"),
    (AlignmentError, (4, 139740306540625), {"using_recommended": False},
     {"width": 4, "address": 139740306540625, "using_recommended": False},
     "The alignment of address 0x7f17d3550851 does not meet the minimum alignment requirements for "
     "atomic operations on objects with a width of 4.",
     "AlignmentError(width=4, address=139740306540625, using_recommended=False)"),
    (MemoryOrderError, (OpType.STORE, MemoryOrder.ACQUIRE), {"is_fail": False},
     {"optype": OpType.STORE, "order": MemoryOrder.ACQUIRE, "is_fail": False},
     "ACQUIRE is not a valid  memory order for a STORE operation.",
     "MemoryOrderError(optype=OpType.STORE, order=MemoryOrder.ACQUIRE, is_fail=False)"),
    (MemoryOrderError, (OpType.EXCHANGE, MemoryOrder.RELEASE), {"is_fail": False},
     {"optype": OpType.EXCHANGE, "order": MemoryOrder.RELEASE, "is_fail": False},
     "RELEASE is not a valid  memory order for an EXCHANGE operation.",
     "MemoryOrderError(optype=OpType.EXCHANGE, order=MemoryOrder.RELEASE, is_fail=False)"),
    (MemoryOrderError, (OpType.CMPXCHG_WEAK, MemoryOrder.RELEASE), {"is_fail": True},
     {"optype": OpType.CMPXCHG_WEAK, "order": MemoryOrder.RELEASE, "is_fail": True},
     "RELEASE is not a valid fail memory order for a CMPXCHG_WEAK operation.",
     "MemoryOrderError(optype=OpType.CMPXCHG_WEAK, order=MemoryOrder.RELEASE, is_fail=True)"),
    (UnsupportedWidthException, (3,), {"readonly": False}, {"width": 3, "readonly": False},
     "No operations are supported on objects with a width of 3.",
     "UnsupportedWidthException(width=3, readonly=False)"),
    (UnsupportedWidthException, (3,), {"readonly": True}, {"width": 3, "readonly": True},
     "No operations are supported on readonly objects with a width of 3.",
     "UnsupportedWidthException(width=3, readonly=True)"),
    (UnsupportedOperationException, (OpType.STORE, 4), {"readonly": True},
     {"optype": OpType.STORE, "width": 4, "readonly": True},
     "Operation STORE is not supported on readonly objects with a width of 4.",
     "UnsupportedOperationException(optype=OpType.STORE, width=4, readonly=True)"),
    (UnsupportedOperationException, (OpType.ADD, 3), {"readonly": False},
     {"optype": OpType.ADD, "width": 3, "readonly": False},
     "Operation ADD is not supported on  objects with a width of 3.",
     "UnsupportedOperationException(optype=OpType.ADD, width=3, readonly=False)"),
]


@pytest.mark.parametrize("cls, args, kwargs, attrs, msg, rep", EXC_EXAMPLES)
def test_exception_examples(cls, args, kwargs, attrs, msg, rep):
    e = cls(*args, **kwargs)
    for k, v in attrs.items():
        assert getattr(e, k) == v and type(getattr(e, k)) is type(v)
    assert str(e) == msg
    assert e.args == (msg,)
    assert repr(e) == rep
    with pytest.raises(cls):
        raise e


@pytest.mark.parametrize("cls, args, kwargs, attrs, msg, rep", EXC_EXAMPLES)
@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_exception_pickle_roundtrip(cls, args, kwargs, attrs, msg, rep, protocol):
    # deviation Q15: exceptions pickle
    e = cls(*args, **kwargs)
    e2 = pickle.loads(pickle.dumps(e, protocol))
    assert type(e2) is cls
    for k, v in attrs.items():
        assert getattr(e2, k) == v
    assert str(e2) == msg and e2.args == (msg,) and repr(e2) == rep
    e3 = copy.deepcopy(e)
    assert str(e3) == msg and repr(e3) == rep


@pytest.mark.parametrize(
    "cls, args, kwargs",
    [
        (AlignmentError, (8, 1, True), {}),
        (AlignmentError, (8, 1), {}),
        (AlignmentError, (8,), {"using_recommended": True}),
        (MemoryOrderError, (OpType.STORE, MemoryOrder.ACQUIRE, False), {}),
        (MemoryOrderError, (OpType.STORE, MemoryOrder.ACQUIRE), {}),
        (UnsupportedWidthException, (3, False), {}),
        (UnsupportedWidthException, (3,), {}),
        (UnsupportedWidthException, (), {"readonly": False}),
        (UnsupportedOperationException, (OpType.ADD, 3, False), {}),
        (UnsupportedOperationException, (OpType.ADD, 3), {}),
        (UnsupportedOperationException, ("message",), {}),
    ],
)
def test_exception_constructor_signatures(cls, args, kwargs):
    with pytest.raises(TypeError):
        cls(*args, **kwargs)


def test_exception_constructors_accept_keywords():
    assert UnsupportedWidthException(width=3, readonly=True).width == 3
    assert AlignmentError(width=2, address=3, using_recommended=True).address == 3
    assert MemoryOrderError(optype=OpType.LOAD, order=RELEASE, is_fail=False).optype is OpType.LOAD
    assert UnsupportedOperationException(optype=OpType.NEG, width=1, readonly=False).width == 1


@pytest.mark.parametrize("optype", list(OpType), ids=lambda o: o.name)
@pytest.mark.parametrize("is_fail", [False, True])
def test_memory_order_error_article(optype, is_fail):
    e = MemoryOrderError(optype, MemoryOrder.ACQ_REL, is_fail=is_fail)
    article = "an" if optype.name in VOWEL_OPTYPES else "a"
    fail = "fail " if is_fail else " "
    assert str(e) == f"ACQ_REL is not a valid {fail}memory order for {article} {optype.name} operation."


@pytest.mark.parametrize("optype", list(OpType), ids=lambda o: o.name)
@pytest.mark.parametrize("readonly", [False, True])
def test_unsupported_operation_message(optype, readonly):
    e = UnsupportedOperationException(optype, 16, readonly=readonly)
    ro = "readonly " if readonly else " "
    assert str(e) == f"Operation {optype.name} is not supported on {ro}objects with a width of 16."
    assert e.args == (str(e),)


@pytest.mark.parametrize("address", [0, 1, 0x10, 0xDEADBEEF, 2**64 - 1])
def test_alignment_error_message_hex(address):
    e = AlignmentError(16, address, using_recommended=True)
    assert str(e) == (f"The alignment of address {hex(address)} does not meet the recommended alignment "
                      f"requirements for atomic operations on objects with a width of 16.")
    assert repr(e) == f"AlignmentError(width=16, address={address}, using_recommended=True)"


def test_raised_exceptions_are_the_exported_classes():
    with pytest.raises(atomics.exc.UnsupportedWidthException):
        atomics.atomic(3, UINT)
    with pytest.raises(atomics.exc.MemoryOrderError):
        atomics.atomic(1, UINT).load(RELEASE)


# --------------------------------------------------------------------------------------
# §10 Pickling and copying
# --------------------------------------------------------------------------------------
