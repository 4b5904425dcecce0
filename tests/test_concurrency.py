"""Threads and processes counting on one atomic: every total must be exact."""

import multiprocessing
import sys
from multiprocessing import shared_memory

import pytest

import atomics

from _workers import count



def widths():
    out = [4, 8]
    try:
        atomics.Alignment(16)
        out.append(16)
    except atomics.exc.UnsupportedWidthException:
        pass
    return out


THREADS = 4
PER_THREAD = 20_000


@pytest.mark.parametrize("width", widths())
@pytest.mark.parametrize("op, step", [("inc", 1), ("fetch_inc", 1), ("add", 1), ("fetch_add", 1),
                                      ("dec", -1), ("fetch_sub", -1)])
def test_threads_on_one_atomic_count_exactly(threads, width, op, step):
    a = atomics.atomic(width, atomics.INT)

    def work(_):
        method = getattr(a, op)
        if op in ("inc", "dec", "fetch_inc"):
            for _ in range(PER_THREAD):
                method()
        else:
            for _ in range(PER_THREAD):
                method(1)

    threads(work, THREADS)
    assert a.load() == step * THREADS * PER_THREAD


def test_threads_through_copies_count_exactly(threads):
    """Per-thread handles (copy.copy) share one memory."""
    import copy

    a = atomics.atomic(8, atomics.UINT)
    handles = [copy.copy(a) for _ in range(THREADS)]

    def work(i):
        h = handles[i]
        for _ in range(PER_THREAD):
            h.inc()

    threads(work, THREADS)
    assert a.load() == THREADS * PER_THREAD


def test_threads_cmpxchg_loop_counts_exactly(threads):
    a = atomics.atomic(8, atomics.INT)

    def work(_):
        for _ in range(5_000):
            res = atomics.CmpxchgResult(success=False, expected=a.load())
            while not res:
                res = a.cmpxchg_weak(expected=res.expected, desired=res.expected + 3)

    threads(work, THREADS)
    assert a.load() == 3 * 5_000 * THREADS


def test_threads_bit_ops_hand_out_each_bit_once(threads):
    """64 threads-worth of bit claims: each bit is won exactly once."""
    a = atomics.atomic(8, atomics.UINT)
    won = [[] for _ in range(THREADS)]

    def work(i):
        for bit in range(64):
            if not a.bit_test_set(bit):
                won[i].append(bit)

    threads(work, THREADS)
    claimed = sorted(b for w in won for b in w)
    assert claimed == list(range(64))
    assert a.load() == 2**64 - 1


def test_threads_on_a_view_count_exactly(threads):
    buf = bytearray(8)
    with atomics.atomicview(buf, atomics.INT) as v:
        threads(lambda _: [v.inc() for _ in range(PER_THREAD)], THREADS)
        assert v.load() == THREADS * PER_THREAD
    assert int.from_bytes(buf, sys.byteorder, signed=True) == THREADS * PER_THREAD


START_METHODS = [m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]


@pytest.mark.parametrize("method", START_METHODS)
@pytest.mark.parametrize("op", ["inc", "fetch_add"])
def test_processes_on_shared_memory_count_exactly(method, op):
    processes, per_process = 3, 100_000
    shm = shared_memory.SharedMemory(create=True, size=64)
    try:
        ctx = multiprocessing.get_context(method)
        barrier = ctx.Barrier(processes)
        args = (shm.name, 0, 8, per_process, op, barrier)
        workers = [ctx.Process(target=count, args=args) for _ in range(processes)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=120)
        assert [w.exitcode for w in workers] == [0] * processes
        total = int.from_bytes(shm.buf[0:8], sys.byteorder, signed=True)
        assert total == processes * per_process
        assert bytes(shm.buf[8:64]) == bytes(56)  # nothing written beside the counter
    finally:
        shm.close()
        shm.unlink()


def test_processes_and_this_process_count_together():
    """Children and the parent increment concurrently through views of one segment."""
    shm = shared_memory.SharedMemory(create=True, size=8)
    try:
        ctx = multiprocessing.get_context("spawn")
        workers = [ctx.Process(target=count, args=(shm.name, 0, 8, 20_000, "inc")) for _ in range(2)]
        for w in workers:
            w.start()
        window = shm.buf[0:8]
        with atomics.atomicview(window, atomics.INT) as v:
            for _ in range(20_000):
                v.dec()
            for w in workers:
                w.join(timeout=120)
            assert [w.exitcode for w in workers] == [0, 0]
            assert v.load() == 2 * 20_000 - 20_000
        window.release()
    finally:
        shm.close()
        shm.unlink()
