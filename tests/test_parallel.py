"""Stress under real parallelism (free-threaded CPython runs these threads in parallel; with
the GIL they interleave at bytecode boundaries). Every total is exact and every worker error
is re-raised."""

import copy
import sys
import threading

import pytest

import atomics

THREADS = 4
N = 20_000


def supported_widths():
    widths = [1, 2, 4, 8]
    try:
        atomics.Alignment(16)
        widths.append(16)
    except atomics.exc.UnsupportedWidthException:
        pass
    return widths


def wrap(value, width, signed):
    bits = 8 * width
    value %= 1 << bits
    if signed and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


@pytest.mark.parametrize("width", supported_widths())
@pytest.mark.parametrize("atype", [atomics.INT, atomics.UINT])
def test_every_arithmetic_operation_in_parallel_sums_exactly(threads, width, atype):
    """Each thread mixes add, sub, inc, dec and their fetch forms; the net effect is known."""
    a = atomics.atomic(width, atype)
    signed = atype is atomics.INT

    def work(i):
        h = copy.copy(a) if i % 2 else a  # half through a per-thread handle
        for k in range(N):
            h.add(3)
            h.fetch_sub(1)
            h.inc()
            h.fetch_dec()
            h.fetch_add(2)
            h.sub(2)
            h.fetch_inc()
            h.dec()
            # net per round: +3 -1 +1 -1 +2 -2 +1 -1 = +2

    threads(work, THREADS)
    assert a.load() == wrap(2 * N * THREADS, width, signed)


@pytest.mark.parametrize("width", supported_widths())
def test_bitwise_operations_in_parallel_leave_each_threads_bits_exact(threads, width):
    """Thread i owns bit i: it sets, toggles and clears only that bit, through or/xor/and and
    the bit_test forms, while the others do the same on theirs."""
    a = atomics.atomic(width, atomics.UINT)
    full = (1 << (8 * width)) - 1
    nthreads = min(THREADS, 8 * width)
    counts = [0] * nthreads

    def work(i):
        mask = 1 << i
        for _ in range(N // 4):
            a.bin_or(mask)
            assert a.bit_test(i)
            a.bin_xor(mask)
            assert not a.bin_fetch_and(full ^ mask) & mask
            assert not a.bit_test_set(i)
            assert a.bit_test_compl(i)
            assert not a.bit_test_reset(i)
            assert a.bin_fetch_xor(mask) & mask == 0
            assert a.bin_fetch_or(mask) & mask
            a.bin_and(full ^ mask)
            counts[i] += 1

    threads(work, nthreads)
    assert a.load() == 0
    assert counts == [N // 4] * nthreads


def test_not_and_neg_in_parallel_are_involutions(threads):
    """Each thread applies bin_not and neg an even number of times: the value comes back."""
    a = atomics.atomic(8, atomics.INT)
    a.store(123456789)

    def work(i):
        op = a.bin_not if i % 2 else a.neg
        for _ in range(2 * N):
            op()

    # not and neg do not commute with each other, so run each kind on its own.
    threads(lambda i: work(0), THREADS)
    assert a.load() == 123456789
    threads(lambda i: work(1), THREADS)
    assert a.load() == 123456789


def test_exchange_in_parallel_loses_no_value(threads):
    """Every value put in with exchange comes out exactly once (by a later exchange or at
    the end)."""
    a = atomics.atomic(8, atomics.UINT)
    a.store(0)
    seen = [[] for _ in range(THREADS)]

    def work(i):
        for k in range(N // 2):
            seen[i].append(a.exchange(i * N + k + 1))

    threads(work, THREADS)
    out = sorted(v for s in seen for v in s) + [a.load()]
    expected = sorted([0] + [i * N + k + 1 for i in range(THREADS) for k in range(N // 2)])
    assert sorted(out) == expected


@pytest.mark.parametrize("atype, step", [(atomics.INT, 1), (atomics.BYTES, None)])
def test_cmpxchg_loops_in_parallel_count_exactly(threads, atype, step):
    a = atomics.atomic(8, atype)

    def work(_):
        for _ in range(N // 4):
            while True:
                old = a.load()
                if atype is atomics.BYTES:
                    new = (int.from_bytes(old, sys.byteorder) + 1).to_bytes(8, sys.byteorder)
                else:
                    new = old + step
                if a.cmpxchg_weak(old, new):
                    break

    threads(work, THREADS)
    value = a.load()
    if atype is atomics.BYTES:
        value = int.from_bytes(value, sys.byteorder)
    assert value == THREADS * (N // 4)


def test_views_made_used_and_released_in_parallel_count_exactly(threads):
    """Threads open their own contexts on one buffer, count, and exit, concurrently.

    Each thread exports through a memoryview of its own: CPython 3.13t counts the exports of
    one bytearray non-atomically, so concurrent exports of the same bytearray object can
    leave it believing it is still exported (a CPython race, reproducible with plain
    memoryviews)."""
    buf = bytearray(8)
    windows = [memoryview(buf) for _ in range(THREADS)]
    rounds, per_round = 50, 200

    def work(i):
        for _ in range(rounds):
            with atomics.atomicview(windows[i], atomics.UINT) as v:
                for _ in range(per_round):
                    v.inc()

    threads(work, THREADS)
    assert int.from_bytes(buf, sys.byteorder) == THREADS * rounds * per_round
    for w in windows:
        w.release()  # raises BufferError if an export of ours were still held
    buf.append(0)


def test_release_while_other_threads_operate_is_clean(threads):
    """One thread exits the context while others hammer the view: every call either
    completes (and is counted) or raises the released ValueError; nothing else happens."""
    for _ in range(20):
        buf = bytearray(8)
        ctx = atomics.atomicview(buf, atomics.INT)
        view = ctx.__enter__()
        done = [0] * THREADS
        started = threading.Barrier(THREADS + 1)

        def work(i):
            started.wait()
            while True:
                try:
                    view.inc()
                except ValueError as e:
                    assert str(e) == "Operation forbidden on released AtomicCore object."
                    return
                done[i] += 1

        workers = [threading.Thread(target=lambda i=i: _catch(work, i, errors)) for i in range(THREADS)]
        errors = []
        for w in workers:
            w.start()
        started.wait()
        ctx.__exit__(None, None, None)
        for w in workers:
            w.join()
        if errors:
            raise errors[0]
        assert int.from_bytes(buf, sys.byteorder) == sum(done)
        buf.append(0)  # released: resizable again


def _catch(fn, i, errors):
    try:
        fn(i)
    except BaseException as e:  # re-raised by the main thread
        errors.append(e)


def test_atomics_constructed_in_parallel_are_independent(threads):
    made = [[] for _ in range(THREADS)]

    def work(i):
        for k in range(500):
            a = atomics.atomic(8, atomics.INT)
            a.store(i * 1000 + k)
            made[i].append(a)

    threads(work, THREADS)
    for i, objs in enumerate(made):
        assert [a.load() for a in objs] == [i * 1000 + k for k in range(500)]


def test_cmpxchg_result_attributes_written_and_read_in_parallel(threads):
    """Two threads replace a result's attributes while two read them (whole, unpacked and as
    a truth value): every read gives a value written, and no reference is lost or dropped
    twice."""
    r = atomics.CmpxchgResult(False, 0)
    values = [object() for _ in range(8)]
    before = [sys.getrefcount(v) for v in values]

    def work(i):
        for k in range(N):
            if i < 2:
                r.expected = values[(k + i) % len(values)]
                r.success = bool(k & 1)
            else:
                expected = r.expected
                assert expected == 0 or expected in values
                success, expected = r
                assert success in (True, False) and (expected == 0 or expected in values)
                bool(r)

    threads(work, THREADS)
    r.expected = None
    assert [sys.getrefcount(v) for v in values] == before
