"""What type checkers see of the public API.

``tests/test_typing.py`` checks this file with ``mypy --strict`` and ``pyright`` in strict
mode: every ``assert_type`` must hold, and every line marked ``# type: ignore[code]`` (mypy)
and ``# pyright: ignore[rule]`` (pyright) must be that error, since an ignore that is not
needed is an error itself. It also runs this file, where ``assert_type`` checks the value's
class, so that what the stubs claim holds at run time too; a line that must be an error runs
inside ``refused(...)`` when the run time refuses it as well.
"""

from __future__ import annotations

import array
import ctypes
from collections.abc import Generator, Iterator, MutableSequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

import atomics
import atomics.exc
import atomics.sync
from atomics import ANY, BYTES, FLOAT, INT, INTEGRAL, UINT, Alignment, CmpxchgResult, MemoryOrder, OpType
from atomics.arrays import AtomicBytesArray, AtomicFloatArray, AtomicIntArray, AtomicIntegralArray, AtomicUintArray
from atomics.base import Atomic, AtomicBytes, AtomicFloat, AtomicInt, AtomicIntegral, AtomicUint
from atomics.compat.pytomic import multiprocessing as pytomic_mp
from atomics.compat.pytomic import multithreading as pytomic_mt
from atomics.ctx import (
    AtomicBytesViewContext,
    AtomicFloatViewContext,
    AtomicIntegralViewContext,
    AtomicIntViewContext,
    AtomicUintViewContext,
    AtomicViewContext,
)
from atomics.shared import SharedSegment, attach, attach_array, layout
from atomics.view import AtomicBytesView, AtomicFloatView, AtomicIntegralView, AtomicIntView, AtomicUintView, AtomicView

if TYPE_CHECKING:
    from typing_extensions import assert_type
else:

    def assert_type(value, expected):
        """At run time: the value is of the class the type checkers see."""
        check(value, expected)
        return value

    def check(value, expected):
        import typing

        if isinstance(expected, str):  # a type not subscriptable at run time: its class
            expected = eval(expected.partition("[")[0], globals())
        if expected is None:
            assert value is None, value
            return
        origin, args = typing.get_origin(expected), typing.get_args(expected)
        if origin is Union:
            assert any(_matches(value, arg) for arg in args), (value, expected)
        elif origin is None:
            assert isinstance(value, expected), (value, expected)
        else:
            # (array.array is registered as a MutableSequence from Python 3.10 on)
            assert isinstance(value, origin) or (origin is MutableSequence and isinstance(value, array.array)), (
                value, expected)
            if origin is tuple:
                assert len(value) == len(args), (value, expected)
                for item, arg in zip(value, args):
                    check(item, arg)
            elif origin is CmpxchgResult:
                check(value.expected, args[0])
            elif origin in (list, MutableSequence, Iterator) and args:
                for item in value:
                    check(item, args[0])

    def _matches(value, expected):
        try:
            check(value, expected)
        except AssertionError:
            return False
        return True


@contextmanager
def refused(kind: type[Exception]) -> Generator[None, None, None]:
    """The block raises ``kind`` at run time."""
    try:
        yield
    except kind:
        return
    raise AssertionError(f"{kind.__name__} not raised")


# ---------------------------------------------------------------------------------------
# atomic(): the class follows the atype; so do the values of its operations
# ---------------------------------------------------------------------------------------

i = atomics.atomic(8, INT)
assert_type(i, AtomicInt)
assert_type(atomics.atomic(width=4, atype=UINT), AtomicUint)
assert_type(atomics.atomic(2, BYTES), AtomicBytes)
assert_type(atomics.atomic(8, FLOAT), AtomicFloat)
assert_type(atomics.atomic(4, INTEGRAL, is_signed=False), AtomicIntegral)
assert_type(atomics.atomic(4, ANY, is_integral=True, is_signed=True), Atomic)
assert_type(atomics.atomic(8, INT, shared=True), AtomicInt)
assert_type(atomics.atomic(4, FLOAT, shared=True), AtomicFloat)
assert_type(atomics.atomic(1, INTEGRAL, shared=True, is_signed=True), AtomicIntegral)

assert_type(i.load(), int)
assert_type(i.load(MemoryOrder.ACQUIRE), int)
assert_type(i.store(5), None)
assert_type(i.store(5, order=MemoryOrder.RELEASE), None)
assert_type(i.exchange(6), int)
assert_type(i.cmpxchg_weak(6, 7), CmpxchgResult[int])
assert_type(i.cmpxchg_strong(expected=7, desired=8, success=MemoryOrder.SEQ_CST, failure=MemoryOrder.RELAXED),
            CmpxchgResult[int])
assert_type(i.cmpxchg_strong(8, 9).expected, int)
assert_type(i.cmpxchg_strong(9, 9).success, bool)
assert_type(i.bit_test(0), bool)
assert_type(i.bit_test_set(3, MemoryOrder.RELAXED), bool)
assert_type(i.fetch_add(1), int)
assert_type(i.add_fetch(np.int64(1)), int)  # integer-like operands (__index__)
assert_type(i.checked_fetch_sub(1), int)
assert_type(i.inc(), None)
assert_type(i.bin_fetch_xor(-1), int)
assert_type(i.fetch_max(100), int)
assert_type(i.update(lambda v: v * 2), tuple[int, int])
assert_type(i.wait(0, timeout=0), bool)
assert_type(i.notify_all(), None)
assert_type(int(i), int)
assert_type(i.width, int)
assert_type(i.readonly, bool)
assert_type(i.signed, bool)
assert_type(i.ops_supported, list[OpType])
assert_type(i.shared_name, Optional[str])

b = atomics.atomic(4, BYTES)
assert_type(b.load(), bytes)
assert_type(b.exchange(b"abcd"), bytes)
assert_type(b.exchange(bytearray(4)), bytes)
assert_type(b.cmpxchg_strong(bytes(4), b"wxyz", succ=MemoryOrder.SEQ_CST, fail=MemoryOrder.ACQUIRE), CmpxchgResult[bytes])
assert_type(b.cmpxchg_weak([119, 120, 121, 122], memoryview(b"1234")).expected, bytes)
assert_type(b.bin_fetch_or(b"\x01\x00\x00\x00"), bytes)
assert_type(b.bit_test_reset(0), bool)
assert_type(bytes(b), bytes)
assert_type(b.update(lambda v: v[::-1]), tuple[bytes, bytes])

f = atomics.atomic(8, FLOAT)
assert_type(f.load(), float)
assert_type(f.store(1), None)  # an int is a float operand
assert_type(f.store(np.float32(1.5)), None)
assert_type(f.fetch_add(2.5), float)
assert_type(f.fetch_max(float("nan")), float)
assert_type(f.cmpxchg_strong(4.0, -0.0), CmpxchgResult[float])
assert_type(f.update(lambda v: v / 2), tuple[float, float])
assert_type(float(f), float)

res = CmpxchgResult(success=False, expected=i.load())  # 1.0's compare-exchange loop
while not res:
    res = i.cmpxchg_weak(expected=res.expected, desired=res.expected * 7)
assert_type(res, CmpxchgResult[int])

# The atypes as annotations: every INT object (an atomic or a view) has INT's operations.


def bump(counter: INT) -> int:
    return counter.fetch_add(1)


def describe(obj: ANY) -> str:
    return f"{obj.width} bytes, read-only: {obj.readonly}"


def first_bit(obj: Union[INTEGRAL, BYTES]) -> bool:
    return obj.bit_test(0)


assert_type(bump(i), int)
assert_type(describe(b), str)
assert_type(first_bit(b), bool)

# ---------------------------------------------------------------------------------------
# atomicview(): a context manager of the atype's view
# ---------------------------------------------------------------------------------------

memory = bytearray(8)
assert_type(atomics.atomicview(memory, INT), AtomicIntViewContext)
assert_type(atomics.atomicview(buffer=memory, atype=UINT), AtomicUintViewContext)
assert_type(atomics.atomicview(memory, BYTES), AtomicBytesViewContext)
assert_type(atomics.atomicview(memory, FLOAT), AtomicFloatViewContext)
assert_type(atomics.atomicview(memory, INTEGRAL, is_signed=True), AtomicIntegralViewContext)
assert_type(atomics.atomicview(memory, ANY, is_integral=False, is_signed=False), AtomicViewContext)

with atomics.atomicview(memory, UINT) as u:
    assert_type(u, AtomicUintView)
    assert_type(u.load(), int)
    assert_type(u.fetch_inc(), int)
with atomics.atomicview(memory, INT) as v:
    assert_type(v, AtomicIntView)
    assert_type(bump(v), int)
with atomics.atomicview(memory, INTEGRAL, is_signed=False) as w:
    assert_type(w, AtomicIntegralView)
with atomics.atomicview(memoryview(memory)[:4], BYTES) as bv:
    assert_type(bv, AtomicBytesView)
    assert_type(bv.load(), bytes)
with atomics.atomicview(memory, FLOAT) as fv:
    assert_type(fv, AtomicFloatView)
    assert_type(fv.load(), float)
with atomics.atomicview(memory, ANY, is_integral=True, is_signed=True) as av:
    assert_type(av, AtomicView)
with atomics.atomicview(np.zeros(1, np.int64), INT) as nv:  # numpy arrays are buffers
    assert_type(nv.inc(), None)
context = atomics.atomicview(array.array("i", [7]), INT)
assert_type(context.release(), None)

# ---------------------------------------------------------------------------------------
# Arrays: elements of the family's type
# ---------------------------------------------------------------------------------------

hist = atomics.array(16, 8, INT)
assert_type(hist, AtomicIntArray)
assert_type(atomics.array(16, 4, UINT), AtomicUintArray)
assert_type(atomics.array(4, 2, BYTES), AtomicBytesArray)
assert_type(atomics.array(4, 8, FLOAT, shared=True), AtomicFloatArray)
assert_type(atomics.array(4, 4, INTEGRAL, is_signed=True), AtomicIntegralArray)
assert_type(hist[3], int)
assert_type(hist.load(3), int)
assert_type(hist.fetch_add(3, 1), int)
assert_type(hist.cmpxchg_strong(3, 1, 2), CmpxchgResult[int])
assert_type(hist.bit_test(3, 0), bool)
assert_type(hist.element(3), AtomicInt)
assert_type(hist.element(3).load(), int)
assert_type(hist.add_at([1, 1, 2]), None)
assert_type(hist.add_at(np.array([1, 2, 3]), 5), None)
assert_type(hist.load_all(), MutableSequence[int])
out: np.ndarray[Any, np.dtype[np.int64]] = np.empty(16, np.int64)
assert_type(hist.load_all(out=out), np.ndarray[Any, np.dtype[np.int64]])
assert_type(hist.load_all(array.array("q", bytes(128))), "array.array[int]")
assert_type(len(hist), int)
assert_type(list(hist), list[int])
hist[0] = 5
counts = np.zeros(16, dtype=np.uint32)
with atomics.arrayview(counts, UINT) as counted:
    assert_type(counted, AtomicUintArray)
    assert_type(counted.element(0), AtomicUint)
assert_type(atomics.arrayview(bytearray(8), BYTES, width=4).load(0), bytes)
assert_type(atomics.arrayview(bytearray(8), FLOAT, width=4)[1], float)
assert_type(atomics.arrayview(bytearray(8), INTEGRAL, width=2, is_signed=False).element(0), AtomicIntegral)
assert_type(atomics.array(2, 4, FLOAT).load_all(), "array.array[float]")  # subscriptable at run time from 3.12
assert_type(atomics.array(2, 2, BYTES).load_all(), list[bytes])

# ---------------------------------------------------------------------------------------
# atomics.shared, atomics.sync, the enums, Alignment and the exceptions
# ---------------------------------------------------------------------------------------

with SharedSegment.create(64) as segment:
    assert_type(segment.name, str)
    assert_type(segment.atomic(0, 8, INT), AtomicInt)
    assert_type(segment.atomic(8, 8, FLOAT), AtomicFloat)
    assert_type(segment.atomic(16, 4, INTEGRAL, is_signed=False), AtomicIntegral)
    assert_type(segment.array(32, 4, 4, UINT), AtomicUintArray)
shared = atomics.atomic(8, UINT, shared=True)
name = shared.shared_name
assert name is not None
assert_type(attach(name, atype=UINT), AtomicUint)
assert_type(attach(name, 8, UINT), AtomicUint)
assert_type(attach(name), Union[AtomicInt, AtomicUint, AtomicBytes, AtomicFloat])
shared_array = atomics.array(4, 8, INT, shared=True)
assert shared_array.shared_name is not None
assert_type(attach_array(shared_array.shared_name, atype=INT), AtomicIntArray)
assert_type(layout([8, 8, 4]), tuple[list[int], int])

event = atomics.sync.Event()
assert_type(event.wait(0.01), bool)
assert_type(atomics.sync.Semaphore(2).acquire(timeout=1), bool)
assert_type(atomics.sync.Semaphore(word=atomics.atomic(4, UINT, shared=True)).value(), int)
lock = atomics.sync.Lock()
with lock:
    assert_type(lock.locked(), bool)

assert_type(MemoryOrder.SEQ_CST.is_valid_load_order(), bool)
assert_type(OpType.FETCH_ADD.fname, str)
assert_type(Alignment(8).recommended, int)
assert_type(Alignment(8).is_valid(bytearray(8)), bool)
try:
    i.store(1, MemoryOrder.ACQUIRE)
except atomics.exc.MemoryOrderError as error:
    assert_type(error.order, MemoryOrder)
    assert_type(error.optype, OpType)

# ---------------------------------------------------------------------------------------
# atomics.compat.pytomic
# ---------------------------------------------------------------------------------------

counter = pytomic_mt.AtomicInt(0)
assert_type(counter.preinc(), int)
assert_type(counter.load(), int)
assert_type(counter.compare_exchange_strong(1, 2), bool)
assert_type(counter.atomic, AtomicInt)
assert_type(pytomic_mt.AtomicUIntUnsafe(0).atomic, AtomicUint)
shared_counter = pytomic_mp.AtomicUInt(5)
assert_type(shared_counter.postdec(), int)
assert_type(shared_counter.raw_val, ctypes.c_uint64)
assert_type(shared_counter.shared_name, str)
assert_type(pytomic_mp.AtomicIntUnsafe(-1).raw_val, ctypes.c_int64)

# ---------------------------------------------------------------------------------------
# Mistakes the type checkers flag (and the run time refuses, where it does)
# ---------------------------------------------------------------------------------------

with refused(TypeError):
    i.store("x")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
with refused(TypeError):
    i.store(1.5)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
with refused(TypeError):
    i.fetch_add(None)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
with refused(TypeError):
    i.load("SEQ_CST")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
with refused(TypeError):
    b.store(1234)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
with refused(TypeError):
    f.store("1.5")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
with refused(TypeError):
    b.cmpxchg_weak(b"1234", b"5678", success=MemoryOrder.SEQ_CST)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
with refused(AttributeError):
    b.inc()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
with refused(AttributeError):
    f.bit_test(0)  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
with refused(AttributeError):
    atomics.atomic(4, ANY, is_integral=True, is_signed=True).load()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
with refused(AttributeError):
    atomics.atomicview(memory, INT).load()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
with refused(TypeError):
    atomics.atomic(8, INTEGRAL)  # type: ignore[arg-type]  # pyright: ignore[reportCallIssue, reportArgumentType]
with refused(TypeError):
    atomics.atomic(8, "INT")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
with refused(TypeError):
    atomics.atomicview(5, INT)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
with refused(TypeError):
    atomics.array(4, 8, ANY, is_integral=True, is_signed=True)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]
with refused(TypeError):
    hist.load()  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
with refused(TypeError):
    counter.load(1)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
with refused(TypeError):
    counter.preinc(MemoryOrder.RELAXED)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]



class Index:
    def __index__(self) -> int:
        return 1


if TYPE_CHECKING:  # accepted at run time, but not what the program meant
    text: str = i.load()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    atomics.sync.Event(word=atomics.atomic(4, BYTES))  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    bump(atomics.atomic(8, UINT))  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    # compare-exchange hands `expected` back in its result on success: an int, not any
    # integer-like object (which the other operands may be)
    i.cmpxchg_weak(Index(), 2)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
assert_type(i.cmpxchg_weak(1, Index()), CmpxchgResult[int])
