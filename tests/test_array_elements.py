"""Arrays of atomics: ``element(i)`` objects, and releasing array views.
"""

import copy
import gc
import mmap
import pickle
import weakref

import pytest

import atomics
from atomics.shared import SharedSegment

from _arrays import SMALL_CONFIGS

pytestmark = pytest.mark.usefixtures("no_segment_leaks")  # (conftest.py)


# ---------------------------------------------------------------------------------------
# element(i)
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("cfg", SMALL_CONFIGS, ids=repr)
def test_elements_share_the_array_memory(cfg):
    a = cfg.new(4)
    e = a.element(-1)
    assert type(e) is cfg.element_cls and e.width == cfg.width and e.readonly is False
    v = {"int": cfg.hi, "bytes": b"\x5a" * cfg.width, "float": 2.5}[cfg.family]
    e.store(v)
    assert a[3] == v and a.load(-1) == v
    a.store(3, {"int": cfg.lo, "bytes": b"\x01" * cfg.width, "float": -0.5}[cfg.family])
    assert e.load() == a[3]
    c = copy.copy(e)
    assert c.load() == a[3]
    assert a.element(0).load() == a[0]


def test_elements_of_a_view_are_released_with_it():
    buf = bytearray(32)
    a = atomics.arrayview(buf, atomics.INT, width=8)
    e = a.element(1)
    e2 = copy.copy(e)
    e.store(5)
    assert buf[8] == 5
    a.release()
    assert a.released
    for obj in (e, e2):
        with pytest.raises(ValueError, match="released"):
            obj.load()
        with pytest.raises(ValueError, match="released"):
            obj.store(1)
    with pytest.raises(ValueError, match="released"):
        a.element(0)
    buf.extend(b"x")  # nothing pins the buffer any more
    assert buf[8] == 5


def test_element_objects_keep_private_memory_alive():
    a = atomics.array(3, 8, atomics.INT)
    e = a.element(2)
    r = weakref.ref(a)
    del a
    gc.collect()
    assert r() is None
    e.store(7)  # the memory lives while an element uses it
    assert e.load() == 7 and e.fetch_add(1) == 7 and e.load() == 8


def test_elements_of_shared_arrays_pickle_by_reference():
    a = atomics.array(4, 8, atomics.INT, shared=True)
    e = a.element(2)
    assert e.shared_name == a.shared_name and e.shared_offset == 16
    f = pickle.loads(pickle.dumps(e))
    f.store(-9)
    assert a[2] == -9
    with pytest.raises(TypeError):
        pickle.dumps(atomics.array(2, 8, atomics.INT).element(0))


# ---------------------------------------------------------------------------------------
# Releasing views
# ---------------------------------------------------------------------------------------


def test_released_views_refuse_everything_and_unpin_the_buffer():
    buf = bytearray(16)
    a = atomics.arrayview(buf, atomics.UINT, width=4)
    a.store_all(9)
    with a:
        pass
    assert a.released and repr(a).startswith("<released")
    attempts = [lambda: a.load(0), lambda: a.store(0, 1), lambda: a[0], lambda: a.__setitem__(0, 1),
                lambda: a.load_all(), lambda: a.load_all(out=bytearray(16)), lambda: a.store_all(1),
                lambda: a.add_at([0]), lambda: a.store_at([0], 1), lambda: a.max_at([0], 1), lambda: len(a),
                lambda: a.width, lambda: a.nbytes, lambda: a.readonly, lambda: a.ops_supported,
                lambda: a.signed, lambda: a.element(0), lambda: list(a), lambda: a.fetch_add(0, 1),
                lambda: a.wait(0, 9, timeout=0), lambda: a.notify_all(0), lambda: a.update(0, lambda v: v),
                lambda: a.cmpxchg_strong(0, 9, 1), lambda: a.bit_test(0, 0)]
    for attempt in attempts:
        with pytest.raises(ValueError, match="released"):
            attempt()
    a.release()  # idempotent
    buf.extend(b"1234")  # no longer pinned
    assert buf[:16] == bytes([9, 0, 0, 0]) * 4


def test_a_view_pins_its_buffer_until_released():
    buf = bytearray(16)
    a = atomics.arrayview(buf, atomics.INT, width=8)
    with pytest.raises(BufferError):
        buf.extend(b"x")
    del a
    gc.collect()
    buf.extend(b"x")  # the last reference going releases it too
    with mmap.mmap(-1, 64) as mm:
        v = atomics.arrayview(mm, atomics.INT, width=8)
        with pytest.raises(BufferError):
            mm.close()
        v.release()


def test_release_does_not_affect_private_or_shared_arrays():
    for a in (atomics.array(2, 8, atomics.INT), atomics.array(2, 8, atomics.INT, shared=True)):
        a.release()
        with a:
            a.inc(0)
        assert a.released is False and a[0] == 1


def test_closing_a_segment_releases_its_arrays():
    seg = SharedSegment.create(64)
    a = seg.array(0, 8, 8, atomics.INT)
    a.store_all(3)
    seg.close()
    with pytest.raises(ValueError, match="released"):
        a.load(0)
    with pytest.raises(ValueError, match="released"):
        a.add_at([0])
    with pytest.raises(ValueError):
        pickle.dumps(a)
