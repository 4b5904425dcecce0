"""Views of read-only buffers (bytes, ``memoryview.toreadonly()``, mmaps opened
``ACCESS_READ``, read-only numpy arrays): reads work, every write is refused, in atomics 1.0's
order of checks.
"""

import mmap
import sys

import numpy as np
import pytest

import atomics
from atomics import BYTES, INT, UINT, MemoryOrder, OpType
from atomics.exc import MemoryOrderError, UnsupportedOperationException

from _views import ATYPE_NAMES, MMAP_CLOSE_ERROR, READONLY_OPS, Z4, make_ctx


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
