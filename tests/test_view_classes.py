"""The view classes (``atomics.view.*``): str, construction, isinstance relations, properties,
byte order; views of shared memory; releasing while other threads operate.
"""

import array
import sys
import threading
import time
import uuid
from multiprocessing import shared_memory

import pytest

import atomics
from atomics import ANY, BYTES, INT, INTEGRAL, UINT

from _views import (ATYPES, ATYPE_NAMES, CORE_TYPE_ERROR, REINIT_VIEW, RELEASED, WIDTHS, aligned, make_ctx, ne,
                    stable_repr)


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
