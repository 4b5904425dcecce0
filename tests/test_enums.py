"""``MemoryOrder`` and ``OpType`` (docs/spec/atomics-1.0-behaviour.md §6).
"""

import enum
import sys

import pytest

from atomics import MemoryOrder, OpType

from _api import (ACQ_REL, ALL_OPS, FAIL_OK, LOAD_OK, OPTYPE_FNAMES, OPTYPE_NAMES, ORDERS, ORDER_VALUES,
                  RELAXED, SEQ_CST, STORE_OK)


def test_memory_order_members():
    assert issubclass(MemoryOrder, enum.IntEnum)
    assert [(m.name, m.value) for m in MemoryOrder] == list(ORDER_VALUES.items())
    for name, value in ORDER_VALUES.items():
        assert MemoryOrder[name] == value
        assert MemoryOrder(value) is MemoryOrder[name]
        assert int(MemoryOrder[name]) == value
    assert MemoryOrder.SEQ_CST == 5
    assert sorted([SEQ_CST, RELAXED, ACQ_REL]) == [RELAXED, ACQ_REL, SEQ_CST]
    assert len({m: 1 for m in MemoryOrder}) == 5


@pytest.mark.parametrize("value", [1, 6, -1])
def test_memory_order_invalid_value(value):
    with pytest.raises(ValueError) as ei:
        MemoryOrder(value)
    assert str(ei.value) == f"{value} is not a valid MemoryOrder"


@pytest.mark.skipif(sys.version_info < (3, 11), reason="IntEnum str() changed in 3.11")
def test_memory_order_str():
    assert str(SEQ_CST) == "5"
    assert str(RELAXED) == "0"


@pytest.mark.parametrize("order", ORDERS, ids=lambda o: o.name)
def test_memory_order_validity(order):
    assert order.is_valid_store_order() is (order.name in STORE_OK)
    assert order.is_valid_load_order() is (order.name in LOAD_OK)


@pytest.mark.parametrize("succ", ORDERS, ids=lambda o: o.name)
@pytest.mark.parametrize("fail", ORDERS, ids=lambda o: o.name)
def test_memory_order_fail_validity(succ, fail):
    assert fail.is_valid_fail_order(succ) is (fail.name in FAIL_OK[succ.name])


def test_is_valid_fail_order_needs_member():
    with pytest.raises(AttributeError):
        RELAXED.is_valid_fail_order(5)


def test_optype_members():
    assert issubclass(OpType, enum.IntEnum)
    assert [m.name for m in OpType] == OPTYPE_NAMES
    assert [m.value for m in OpType] == ALL_OPS
    assert len(OpType) == 35


@pytest.mark.parametrize("value, name", list(enumerate(OPTYPE_NAMES, start=1)))
def test_optype_value_fname_cname(value, name):
    op = OpType(value)
    assert op.name == name and OpType[name] is op
    assert op.fname == OPTYPE_FNAMES[name]
    if value <= 2:
        expected_cname = None
    elif value <= 5:
        expected_cname = "xchg_ops"
    elif value <= 9:
        expected_cname = "bitwise_ops"
    elif value <= 17:
        expected_cname = "binary_ops"
    else:
        expected_cname = "arithmetic_ops"
    assert op.cname == expected_cname


def test_optype_examples():
    assert OpType.BIT_TEST_SET.fname == "fp_test_set"
    assert OpType.FETCH_ADD.fname == "fp_fetch_add"
    assert OpType.STORE.cname is None and OpType.LOAD.cname is None


# --------------------------------------------------------------------------------------
# §7 Operations: integral family
# --------------------------------------------------------------------------------------
