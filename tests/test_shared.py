"""Atomics in named shared memory: shared with children under every start method, with
pools and executors, by name from unrelated processes; safe lifetimes; nothing leaked."""

import concurrent.futures
import multiprocessing
import os
import pickle
import signal
import stat
import subprocess
import sys
import threading
import time

import pytest

import atomics
from atomics.shared import SharedSegment, attach, layout

import _workers
from _cpu import SIZE_MAX

METHODS = [m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]
SHM = "/dev/shm"


def segments():
    from conftest import our_segments

    return our_segments()


@pytest.fixture(autouse=True)
def no_leaks():
    before = segments()
    yield
    for _ in range(100):  # children may still be exiting
        if segments() <= before:
            break
        time.sleep(0.05)
    assert segments() - before == set(), "shared-memory segments leaked"


@pytest.mark.parametrize("method", METHODS)
def test_children_given_a_shared_atomic_count_exactly(method):
    ctx = multiprocessing.get_context(method)
    counter = atomics.atomic(8, atomics.INT, shared=True)
    barrier = ctx.Barrier(3)
    workers = [ctx.Process(target=_workers.inc_shared, args=(counter, 50_000, barrier)) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    assert counter.load() == 150_000


@pytest.mark.parametrize("method", METHODS)
def test_pool_tasks_count_exactly(method):
    counter = atomics.atomic(4, atomics.UINT, shared=True)
    with multiprocessing.get_context(method).Pool(3) as pool:
        done = pool.map(_workers.inc_shared_task, [(counter, 2_000)] * 12)
    assert sum(done) == counter.load() == 24_000


@pytest.mark.parametrize("method", METHODS)
def test_process_pool_executor_tasks_count_exactly(method):
    counter = atomics.atomic(8, atomics.INT, shared=True)
    context = multiprocessing.get_context(method)
    with concurrent.futures.ProcessPoolExecutor(3, mp_context=context) as pool:
        done = list(pool.map(_workers.inc_shared_task, [(counter, 2_000)] * 9))
    assert sum(done) == counter.load() == 18_000


@pytest.mark.parametrize("method", METHODS)
def test_an_atomic_sent_through_a_queue_is_the_same_memory(method):
    ctx = multiprocessing.get_context(method)
    counter = atomics.atomic(2, atomics.UINT, shared=True)
    queue = ctx.Queue()
    worker = ctx.Process(target=_workers.from_queue, args=(queue, 1_000))
    worker.start()
    queue.put(counter)
    worker.join(timeout=120)
    assert worker.exitcode == 0
    assert counter.load() == 1_000


def test_a_child_that_outlives_its_parent_still_works():
    ctx = multiprocessing.get_context("spawn")
    out, ready = ctx.Queue(), ctx.Event()
    parent = ctx.Process(target=_workers.orphan_maker, args=(out, 10_000, ready))
    parent.start()
    counter = out.get(timeout=60)  # mapped here while the creator still names it
    ready.set()
    parent.join(timeout=60)
    assert parent.exitcode == 0
    deadline = time.monotonic() + 60
    while counter.load() < 10_000 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert counter.load() == 10_000
    with pytest.raises(FileNotFoundError):
        attach(counter.shared_name)  # the creator's exit removed the name


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="kills a worker with SIGKILL (POSIX)")
def test_a_worker_killed_mid_run_leaves_the_counter_consistent():
    ctx = multiprocessing.get_context("fork" if "fork" in METHODS else "spawn")
    with SharedSegment.create(64 * 6) as seg:
        _kill_one_of_four(ctx, seg)


def _kill_one_of_four(ctx, seg):
    stop = seg.atomic(0, 8, atomics.UINT)
    total = seg.atomic(64, 8, atomics.UINT)
    progress = [seg.atomic(64 * (i + 2), 8, atomics.UINT) for i in range(4)]
    workers = [ctx.Process(target=_workers.tally, args=(total, progress[i], stop)) for i in range(4)]
    for w in workers:
        w.start()
    while min(p.load() for p in progress) < 1_000:
        time.sleep(0.001)
    os.kill(workers[0].pid, signal.SIGKILL)
    workers[0].join(timeout=60)
    killed_at = progress[0].load()
    time.sleep(0.05)
    assert progress[0].load() == killed_at  # dead
    survivors_then = [p.load() for p in progress[1:]]
    time.sleep(0.05)
    assert all(p.load() > s for p, s in zip(progress[1:], survivors_then))  # unaffected
    stop.store(1)
    for w in workers[1:]:
        w.join(timeout=60)
    assert workers[0].exitcode == -signal.SIGKILL
    assert [w.exitcode for w in workers[1:]] == [0, 0, 0]
    # Each increment of `total` is followed by one of the worker's `progress`; the killed
    # worker may have died between the two, so `total` is at most one ahead.
    assert total.load() - sum(p.load() for p in progress) in (0, 1)


def test_an_unrelated_process_attaches_by_name():
    counter = atomics.atomic(8, atomics.INT, shared=True)
    counter.store(40)
    code = "import sys, atomics; a = atomics.shared.attach(sys.argv[1], 8, atomics.INT); a.inc(); a.inc(); print(a.load())"
    done = subprocess.run([sys.executable, "-c", code, counter.shared_name], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "42" and counter.load() == 42


def test_segments_are_private_fresh_and_short_named():
    a = atomics.atomic(8, atomics.INT, shared=True)
    b = atomics.atomic(8, atomics.INT, shared=True)
    for obj in (a, b):
        name = obj.shared_name
        assert name.startswith("/atomics_") and len(name) <= 31
        if os.path.isdir(SHM):  # Linux shows segments as files
            assert stat.S_IMODE(os.stat(os.path.join(SHM, name[1:])).st_mode) == 0o600
    assert a.shared_name != b.shared_name
    assert (a.shared_offset, b.shared_offset) == (0, 0)


def test_private_memory_refuses_to_pickle_and_names_the_alternative():
    for obj in (atomics.atomic(8, atomics.INT), atomics.atomic(4, atomics.BYTES)):
        with pytest.raises(TypeError, match=r"private to this process.*shared=True"):
            pickle.dumps(obj)
    with atomics.atomicview(bytearray(8), atomics.INT) as view, pytest.raises(TypeError):
        pickle.dumps(view)


@pytest.mark.parametrize("atype", [atomics.INT, atomics.UINT, atomics.BYTES])
@pytest.mark.parametrize("width", [1, 2, 4, 8])
def test_every_atype_and_width_round_trips_through_pickle(atype, width):
    a = atomics.atomic(width, atype, shared=True)
    b = pickle.loads(pickle.dumps(a))
    assert type(b) is type(a) and b.width == width and b.shared_name == a.shared_name
    if atype is atomics.BYTES:
        b.store(bytes(range(1, width + 1)))
        assert a.load() == bytes(range(1, width + 1))
    else:
        b.store(1)
        a.inc()
        assert b.load() == 2


def test_attaching_with_the_wrong_width_type_or_segment_is_refused():
    a = atomics.atomic(8, atomics.INT, shared=True)
    with pytest.raises(ValueError, match="holds an INT of width 8"):
        attach(a.shared_name, 4, atomics.INT)
    with pytest.raises(ValueError, match="holds an INT of width 8"):
        attach(a.shared_name, 8, atomics.UINT)
    with pytest.raises(FileNotFoundError):
        attach("/atomics_nosuchsegment")
    from multiprocessing import shared_memory

    foreign = shared_memory.SharedMemory(create=True, size=128)
    try:
        with pytest.raises(ValueError, match="not an atomics segment"):
            SharedSegment.attach("/" + foreign.name.lstrip("/"))
    finally:
        foreign.close()
        foreign.unlink()
    with SharedSegment.create(16) as seg, pytest.raises(TypeError, match="layout"):
        attach(seg.name)


def test_layout_aligns_and_pads():
    assert layout([1, 8, 4, 2]) == ([0, 8, 16, 20], 22)
    assert layout([8, 8, 16], cache_line_padded=True) == ([0, 64, 128], 192)
    with SharedSegment.create(layout([4, 8], cache_line_padded=True)[1]) as seg:
        with pytest.raises(atomics.exc.AlignmentError):
            seg.atomic(4, 8, atomics.INT)
        with pytest.raises(ValueError, match="does not fit"):
            seg.atomic(128, 8, atomics.INT)
        seg.atomic(64, 8, atomics.INT).store(-1)
        assert seg.atomic(64, 8, atomics.UINT).load() == 2**64 - 1


def test_sizes_and_offsets_near_size_max_never_wrap():
    """Sums of sizes and offsets that pass SIZE_MAX (2**32 - 1 in a 32-bit process) are
    refused, never wrapped around into small ones."""
    with pytest.raises(OSError):
        SharedSegment.create(SIZE_MAX - 8)  # plus the 64-byte header
    with SharedSegment.create(64) as seg:
        for offset in (SIZE_MAX - 7, SIZE_MAX - 3, SIZE_MAX // 2 + 1):
            with pytest.raises(ValueError, match="does not fit"):
                seg.atomic(offset - offset % 4, 4, atomics.INT)
            with pytest.raises(ValueError, match="does not fit"):
                seg.array(offset - offset % 8, 2, 8, atomics.INT)
        with pytest.raises((MemoryError, ValueError)):
            seg.array(0, SIZE_MAX // 8 + 2, 8, atomics.INT)  # the byte count passes SIZE_MAX


def test_closing_while_threads_operate_is_clean(threads):
    seg = SharedSegment.create(8)
    counter = seg.atomic(0, 8, atomics.UINT)
    done = [0] * 4
    started = threading.Barrier(5)

    def work(i):
        started.wait()
        while True:
            try:
                counter.inc()
            except ValueError as e:
                assert str(e) == "Operation forbidden on released AtomicCore object."
                return
            done[i] += 1

    runner = threading.Thread(target=lambda: threads(work, 4))
    runner.start()
    started.wait()
    time.sleep(0.01)
    seg.close()
    runner.join()
    assert seg.closed and sum(done) > 0
    with pytest.raises(ValueError):
        counter.load()


def test_unlink_keeps_mappings_and_keep_keeps_the_name():
    seg = SharedSegment.create(8)
    a = seg.atomic(0, 8, atomics.INT)
    seg.unlink()
    a.inc()  # still mapped
    assert a.load() == 1
    with pytest.raises(FileNotFoundError):
        SharedSegment.attach(seg.name)
    seg.close()

    if sys.platform == "win32":
        return  # a Windows name lives only while some process holds the segment (docs/shared-memory.md)
    kept = SharedSegment.create(8)
    assert kept.unlink_on_close
    kept.unlink_on_close = False
    name = kept.name
    kept.close()
    again = SharedSegment.attach(name)  # the name outlived the close
    again.unlink()
    again.close()


def test_the_name_goes_with_the_creators_last_object():
    a = atomics.atomic(8, atomics.INT, shared=True)
    name = a.shared_name
    b = pickle.loads(pickle.dumps(a))  # a second mapping in this process
    del a
    import gc

    gc.collect()
    # b is a separate mapping that does not own the name; the creator's object is gone.
    with pytest.raises(FileNotFoundError):
        attach(name)
    b.inc()
    assert b.load() == 1


@pytest.mark.parametrize("method", METHODS)
def test_segments_made_in_a_child_lose_their_names_when_it_ends(method):
    """A fork or forkserver child ends with os._exit, which skips atexit: the names of the
    segments it made (and kept until the end) go when it ends all the same."""
    ctx = multiprocessing.get_context(method)
    out = ctx.Queue()
    child = ctx.Process(target=_workers.make_segments, args=(out,))
    child.start()
    names = out.get(timeout=120)
    child.join(timeout=120)
    assert child.exitcode == 0
    assert not {name.lstrip("/") for name in names} & segments(), "a child's segments kept their names"


@pytest.mark.parametrize("method", METHODS)
def test_segments_made_in_pool_workers_lose_their_names_when_the_pool_closes(method):
    """Workers of a pool closed and joined end normally; (``terminate()``, which ``with Pool()``
    calls, kills them, and their segments keep their names: docs/shared-memory.md)."""
    ctx = multiprocessing.get_context(method)
    pool = ctx.Pool(2)
    try:
        names = [n for made in pool.map(_workers.segments_task, range(4), chunksize=1) for n in made]
    finally:
        pool.close()
        pool.join()
    assert len(names) == 12
    assert not {name.lstrip("/") for name in names} & segments(), "pool workers' segments kept their names"
