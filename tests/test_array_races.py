"""Arrays of atomics: races on the object (a view released from another thread, an
``__index__`` that releases it mid-call), exact totals from threads, and wait/notify on an
element. The multi-process tests are in ``test_arrays_processes.py``.
"""

import mmap
import sys
import threading
import time

import pytest

import atomics

from _arrays import RELEASED, SMALL_CONFIGS
from _cpu import CAS16

np = pytest.importorskip("numpy")

pytestmark = pytest.mark.usefixtures("no_segment_leaks")  # (conftest.py)


# ---------------------------------------------------------------------------------------
# Races on the object
# ---------------------------------------------------------------------------------------


def test_an_index_conversion_that_releases_the_view_mid_call():
    """Python code run while the arguments are parsed (an ``__index__``) releases the view:
    the call raises ValueError and nothing was written, or it completed; never a crash."""
    for target in ("indices", "values", "element index", "element value", "store_all values", "bit", "update fn"):
        buf = np.zeros(8, dtype=np.int64)
        a = atomics.arrayview(buf, atomics.INT)

        class Releasing:
            def __init__(self, i):
                self.i = i

            def __index__(self):
                a.release()
                return self.i

        with pytest.raises(ValueError, match="released"):
            if target == "indices":
                a.add_at([0, 1, Releasing(2), 3])
            elif target == "values":
                a.add_at([0, 1, 2], [1, Releasing(1), 1])
            elif target == "element index":
                a.fetch_add(Releasing(3), 1)
            elif target == "element value":
                a.fetch_add(3, Releasing(1))
            elif target == "update fn":
                a.update(5, lambda v: Releasing(9).__index__())
            elif target == "store_all values":
                a.store_all([1] * 7 + [Releasing(1)])
            else:
                a.bit_test_set(0, Releasing(3))
        assert a.released
        assert not buf.any(), target


def test_an_indices_iterator_that_releases_the_view_then_continues():
    buf = np.zeros(4, dtype=np.int64)
    a = atomics.arrayview(buf, atomics.INT)

    def gen():
        yield 0
        yield 1
        a.release()
        yield 2

    with pytest.raises(ValueError, match="released"):
        a.add_at(gen())
    assert not buf.any()


@pytest.mark.skipif(sys.version_info < (3, 12), reason="Python classes export buffers from 3.12")
@pytest.mark.parametrize("role", ["indices", "values", "store_all values", "out"])
def test_a_python_buffer_exporter_that_releases_the_view(role):
    buf = np.zeros(4, dtype=np.int64)
    a = atomics.arrayview(buf, atomics.INT)
    content = np.array([0, 1, 2, 3], dtype=np.int64)
    released_buffers = []

    class Exporter:
        def __buffer__(self, flags):
            a.release()
            return memoryview(content)

        def __release_buffer__(self, view):
            released_buffers.append(view)
            view.release()

    with pytest.raises(ValueError, match="released"):
        if role == "indices":
            a.add_at(Exporter())
        elif role == "values":
            a.add_at([0, 1, 2, 3], Exporter())
        elif role == "store_all values":
            a.store_all(Exporter())
        else:
            a.load_all(out=Exporter())
    assert not buf.any()
    assert list(content) == [0, 1, 2, 3]  # nothing was written into `out` either
    assert len(released_buffers) == 1  # the export was given back


def test_load_all_of_a_released_view_leaves_out_alone():
    buf = np.arange(4, dtype=np.int64)
    a = atomics.arrayview(buf, atomics.INT)
    out = np.zeros(4, dtype=np.int64)
    a.load_all(out=out, order=atomics.MemoryOrder.ACQUIRE)
    assert list(out) == [0, 1, 2, 3]
    out[:] = -1
    a.release()
    with pytest.raises(ValueError, match="released"):
        a.load_all(out=out)
    assert list(out) == [-1] * 4


@pytest.mark.parametrize("round", range(3))
@pytest.mark.parametrize("kind", ["numpy", "mmap"])
def test_a_view_released_from_another_thread_while_threads_operate(kind, round):
    """Workers run bulk and element operations on a view while the main thread releases it
    (and, for an mmap, unmaps the memory at once: an operation still running on it would
    crash). Every call either completes or raises the released ValueError, and the buffer
    holds exactly the effect of the calls that completed."""
    n, workers = 16, 4
    if kind == "numpy":
        buf = np.zeros(n, dtype=np.int64)
        a = atomics.arrayview(buf, atomics.INT)
    else:
        mm = mmap.mmap(-1, n * 8)
        a = atomics.arrayview(mm, atomics.INT, width=8)
    done = [0] * workers  # completed calls per worker
    started = threading.Barrier(workers + 1)
    progress = atomics.atomic(8, atomics.INT)
    errors = []
    idx = np.arange(n, dtype=np.intp)
    big = np.tile(idx, 2000)  # a long bulk call: +2000 everywhere

    def work(w):
        try:
            started.wait()
            k = 0
            while True:
                try:
                    kind = k % 5
                    if kind == 4:
                        a.add_at(big)
                    elif kind == 0:
                        a.add_at(idx)  # +1 everywhere
                    elif kind == 1:
                        a.fetch_add(w, n)  # +n on element w
                    elif kind == 2:
                        a.load_all()
                        a.add_at([w + 4] * 3, 1)  # +3 on element w + 4
                    else:
                        e = a.element(w + 8)
                        e.inc()  # +1 on element w + 8
                except ValueError as exc:
                    assert RELEASED in str(exc), exc
                    break
                done[w] += 1
                k += 1
                progress.inc()
        except BaseException as exc:
            errors.append(exc)

    ts = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for t in ts:
        t.start()
    started.wait()
    while progress.load() < 400 * (round + 1) and all(t.is_alive() for t in ts):
        pass
    a.release()
    if kind == "mmap":
        buf = np.frombuffer(mm[:], dtype=np.int64)  # after release() returns, nothing writes
        mm.close()  # unmapped: fails (BufferError) if anything still pins it
    for t in ts:
        t.join(60)
        assert not t.is_alive()
    if errors:
        raise errors[0]
    want = np.zeros(n, dtype=np.int64)
    for w in range(workers):
        # worker w completed calls 0..done[w]-1, kinds cycling 0, 1, 2, 3, 4
        for k in range(done[w]):
            kind = k % 5
            if kind == 4:
                want += 2000
            elif kind == 0:
                want += 1
            elif kind == 1:
                want[w] += n
            elif kind == 2:
                want[w + 4] += 3
            else:
                want[w + 8] += 1
    # only completed calls count: one that raised must have written nothing
    assert (buf == want).all(), (list(buf), list(want))


def test_release_while_a_thread_waits_on_an_element():
    buf = np.zeros(4, dtype=np.int32)
    a = atomics.arrayview(buf, atomics.INT)
    outcome = []

    def waiter():
        try:
            outcome.append(a.wait(2, 0))  # no timeout: only a release ends it
        except ValueError as exc:
            outcome.append(exc)

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.05)  # most likely inside wait() by now; if not, wait() finds it released
    a.release()
    t.join(60)
    assert not t.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], ValueError) and RELEASED in str(outcome[0])


# ---------------------------------------------------------------------------------------
# Threads: exact totals
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [1, 4, 8])
def test_threads_add_at_random_indices_exact_histogram(threads, width):
    n, per = 64, 20
    rng = np.random.default_rng(width)
    batches = [[rng.integers(-n, n, size=500) for _ in range(per)] for _ in range(4)]
    a = atomics.array(n, width, atomics.UINT)

    def work(i):
        for idx in batches[i]:
            a.add_at(idx)

    threads(work, 4)
    all_idx = np.concatenate([np.concatenate(b) for b in batches]) % n
    want = [int(c) % (1 << (8 * width)) for c in np.bincount(np.asarray(all_idx, np.intp), minlength=n)]
    assert list(a.load_all()) == want


def test_threads_on_one_view_exact_totals(threads):
    counts = np.zeros(32, dtype=np.int64)
    rng = np.random.default_rng(7)
    batches = [rng.integers(0, 32, size=(25, 400)) for _ in range(4)]
    with atomics.arrayview(counts, atomics.INT) as a:
        def work(i):
            for row in batches[i]:
                a.add_at(row, 2)
                a.sub_at(row[:100])

        threads(work, 4)
    hist = lambda idx: np.bincount(idx.ravel().astype(np.intp), minlength=32)  # noqa: E731
    want = sum(2 * hist(b) - hist(b[:, :100]) for b in batches)
    assert (counts == want).all()


@pytest.mark.parametrize("cfg", [c for c in SMALL_CONFIGS if c.family == "int" and c.width >= 2], ids=repr)
def test_threads_fetch_add_per_element_exact(threads, cfg):
    n, rounds = 8, 2000
    a = cfg.new(n)
    seen = [[] for _ in range(4)]

    def work(t):
        for k in range(rounds):
            seen[t].append(a.fetch_add(k % n, 1))
            a.inc(-1)

    threads(work, 4)
    total = 4 * rounds
    want = [total // n] * n
    want[-1] += total
    assert list(a.load_all()) == want
    # the previous values returned for an element are all distinct: no increment was lost
    for e in range(n - 1):
        mine = sorted(v for t in range(4) for k, v in enumerate(seen[t]) if k % n == e)
        assert mine == list(range(total // n))


def test_threads_float_add_at_exact(threads):
    f = atomics.array(4, 8, atomics.FLOAT)

    def work(i):
        for _ in range(500):
            f.add_at([0, 1, 2, 3, i], 0.5)

    threads(work, 4)
    assert list(f.load_all()) == [4 * 250.0 + 250.0] * 4


@pytest.mark.skipif(not CAS16, reason="no 16-byte atomics on this CPU")
def test_threads_store_at_never_tear_width16(threads):
    a = atomics.array(4, 16, atomics.UINT)
    patterns = [int.from_bytes(bytes([p]) * 16, "little") for p in (0x11, 0x22, 0x33, 0x44)]
    bad = []

    def work(i):
        for k in range(3000):
            a.store_at([k % 4, (k + 1) % 4], patterns[i])
            for v in a.load_all():
                if v not in patterns and v != 0:
                    bad.append(v)

    threads(work, 4)
    assert bad == []


def test_threads_update_and_cmpxchg_on_elements(threads):
    a = atomics.array(3, 8, atomics.INT)

    def work(i):
        for _ in range(1000):
            a.update(0, lambda v: v + 2)
            while True:
                cur = a.load(1)
                if a.cmpxchg_weak(1, cur, cur + 3):
                    break
            a.checked_fetch_add(2, 1)

    threads(work, 4)
    assert list(a.load_all()) == [8000, 12000, 4000]


# ---------------------------------------------------------------------------------------
# wait / notify on elements
# ---------------------------------------------------------------------------------------


def test_wait_notify_on_an_element_across_threads():
    a = atomics.array(8, 4, atomics.INT)
    result = []

    def waiter():
        result.append(a.wait(5, 0, timeout=30))
        result.append(a.load(5))

    t = threading.Thread(target=waiter)
    t.start()
    a.store(4, 1)  # a neighbour changing does not end the wait (checked below: value seen)
    a.notify_all(4)
    a.store(5, 42)
    a.notify_one(5)
    t.join(60)
    assert not t.is_alive()
    assert result == [True, 42]
    assert a.wait(5, 0, timeout=0) is True
    assert a.wait(5, 42, timeout=0.01) is False
    assert a.wait(-3, 42, timeout=0) is False
    with pytest.raises(IndexError):
        a.wait(8, 0, timeout=0)
    with pytest.raises(IndexError):
        a.notify_one(-9)


def test_ping_pong_between_threads_on_two_elements():
    a = atomics.array(2, 4, atomics.UINT)
    rounds = 200
    errors = []

    def pong():
        try:
            for r in range(rounds):
                while a.load(0) != r + 1:
                    a.wait(0, r, timeout=10)
                a.store(1, r + 1)
                a.notify_one(1)
        except BaseException as e:
            errors.append(e)

    t = threading.Thread(target=pong)
    t.start()
    for r in range(rounds):
        a.store(0, r + 1)
        a.notify_one(0)
        while a.load(1) != r + 1 and t.is_alive():
            a.wait(1, r, timeout=10)
    t.join(60)
    if errors:
        raise errors[0]
    assert list(a.load_all()) == [rounds, rounds]


def test_wait_on_float_and_bytes_elements():
    f = atomics.array(2, 8, atomics.FLOAT)
    assert f.wait(1, 0.0, timeout=0.01) is False
    assert f.wait(1, -0.0, timeout=0) is True  # compares bits
    b = atomics.array(2, 2, atomics.BYTES)
    assert b.wait(0, b"\0\0", timeout=0.01) is False
    assert b.wait(0, b"\0\1", timeout=0) is True
