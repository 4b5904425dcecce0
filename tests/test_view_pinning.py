"""A view pins its buffer: a bytearray cannot resize, an mmap cannot close and a memoryview
cannot release while a context holds it, and can once it is released or collected; copies
of views share the memory.
"""

import copy
import gc
import mmap
import sys

import pytest

import atomics
from atomics import INT, UINT

from _views import (ATYPES, ATYPE_NAMES, MMAP_CLOSE_ERROR, MV_RELEASE_ERROR, RELEASED, RELEASE_WHILE_OPEN,
                    RESIZE_ERROR, make_ctx, ne, no_pins)


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
