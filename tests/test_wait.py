"""wait / notify: blocking until an atomic changes, across threads and processes."""

import multiprocessing
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import atomics
from atomics.sync import Event, Lock, Semaphore

import _workers

SPAWN = multiprocessing.get_context("spawn")


@pytest.mark.parametrize("width", [1, 2, 4, 8])
@pytest.mark.parametrize("atype", [atomics.INT, atomics.UINT, atomics.BYTES])
def test_a_store_and_notify_wake_a_waiting_thread(width, atype):
    a = atomics.atomic(width, atype)
    old = bytes(width) if atype is atomics.BYTES else 0
    new = b"\x01" * width if atype is atomics.BYTES else 1
    result = []
    waiter = threading.Thread(target=lambda: result.append(a.wait(old, timeout=10)))
    waiter.start()
    time.sleep(0.02)
    a.store(new)
    a.notify_all()
    waiter.join(timeout=20)
    assert result == [True]


def test_wait_returns_at_once_when_the_value_already_differs():
    a = atomics.atomic(4, atomics.INT)
    a.store(5)
    start = time.monotonic()
    assert a.wait(4) is True
    assert time.monotonic() - start < 1


@pytest.mark.parametrize("timeout", [0, 0.001, 0.05, 0.2])
def test_timeouts_are_kept_to_a_few_milliseconds(timeout):
    # Never early, and late by less than 50 ms in the best of three waits: a wait that
    # overshoots by design (a whole sleep slice, a rounded-up deadline) is late every time,
    # while a busy machine's scheduler only sometimes is.
    a = atomics.atomic(8, atomics.INT)
    took = []
    for _ in range(3):
        start = time.monotonic()
        assert a.wait(0, timeout=timeout) is False
        took.append(time.monotonic() - start)
    assert all(t >= timeout for t in took), took
    assert min(took) < timeout + 0.05, took


def test_the_gil_is_released_while_waiting():
    a = atomics.atomic(4, atomics.UINT)
    done = []
    waiter = threading.Thread(target=lambda: done.append(a.wait(0, timeout=10)))
    waiter.start()
    time.sleep(0.01)
    spins = 0
    deadline = time.monotonic() + 0.2
    while time.monotonic() < deadline:  # this thread keeps running Python meanwhile
        spins += 1
    assert spins > 10_000
    a.store(1)
    a.notify_one()
    waiter.join(timeout=10)
    assert done == [True]


def test_notify_all_wakes_every_waiter():
    a = atomics.atomic(4, atomics.UINT)
    results = []
    waiters = [threading.Thread(target=lambda: results.append(a.wait(0, timeout=10))) for _ in range(8)]
    for w in waiters:
        w.start()
    time.sleep(0.05)
    a.store(1)
    a.notify_all()
    for w in waiters:
        w.join(timeout=20)
    assert results == [True] * 8


def test_notify_all_wakes_waiting_processes():
    word = atomics.atomic(4, atomics.UINT, shared=True)
    out = SPAWN.Queue()
    children = [SPAWN.Process(target=_workers.wait_then_report, args=(word, 0, out)) for _ in range(3)]
    for c in children:
        c.start()
    time.sleep(0.5)  # let them block
    word.store(7)
    word.notify_all()
    reports = [out.get(timeout=30) for _ in children]
    for c in children:
        c.join(timeout=30)
    assert reports == [(True, 7)] * 3


def test_a_change_of_the_high_half_of_eight_bytes_wakes_a_process():
    word = atomics.atomic(8, atomics.UINT, shared=True)
    word.store(3)
    out = SPAWN.Queue()
    child = SPAWN.Process(target=_workers.wait_then_report, args=(word, 3, out))
    child.start()
    time.sleep(0.5)
    word.store(3 | 1 << 33)  # the low 4 bytes stay 3
    word.notify_one()
    assert out.get(timeout=30) == (True, 3 | 1 << 33)
    child.join(timeout=30)


def test_ping_pong_between_two_processes_loses_no_wake_up():
    rounds = 3000
    ball = atomics.atomic(8, atomics.UINT, shared=True)
    ready = atomics.atomic(4, atomics.UINT, shared=True)
    partner = SPAWN.Process(target=_workers.pong, args=(ball, rounds, ready))
    partner.start()
    # A spawned interpreter can take many seconds to start under emulation on a busy machine:
    # the rounds start once it runs, so that each round's timeout measures a wake-up only.
    deadline = time.monotonic() + 120
    while not ready.load():
        assert partner.is_alive() and time.monotonic() < deadline, "the partner did not start"
        ready.wait(0, timeout=0.5)
    for i in range(rounds):
        ball.store(2 * i + 1)
        ball.notify_one()
        while ball.load() != 2 * i + 2:
            assert ball.wait(2 * i + 1, timeout=10), f"no pong {2 * i + 2} within 10 s"
    partner.join(timeout=30)
    assert partner.exitcode == 0
    assert ball.load() == 2 * rounds


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT, which Windows processes cannot be sent")
def test_ctrl_c_ends_a_wait_promptly(tmp_path):
    script = tmp_path / "waiter.py"
    script.write_text(textwrap.dedent("""
        import signal, sys, atomics
        # Python installs its Ctrl-C handler only if SIGINT was not ignored at startup, and a
        # shell ignores it for background jobs (`make test &`): install it in any case.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        a = atomics.atomic(4, atomics.INT)
        print("waiting", flush=True)
        try:
            a.wait(0)  # no timeout
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            raise
    """))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "waiting"
        time.sleep(0.2)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        # The wait's end is timed, not the interpreter's exit after it (slow under emulation).
        assert proc.stdout.readline().strip() == "interrupted"
        ended = time.monotonic()
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()  # never leave a waiter behind, whatever failed
        proc.wait()
    assert ended - sent < 1.0
    assert proc.returncode != 0 and "KeyboardInterrupt" in err


@pytest.mark.parametrize("bad, error", [(-1, ValueError), (-0.5, ValueError), (float("nan"), ValueError),
                                         ("1", TypeError), (True, TypeError), ([], TypeError)])
def test_bad_timeouts_are_clear_errors(bad, error):
    a = atomics.atomic(4, atomics.INT)
    with pytest.raises(error, match="'timeout' must be"):
        a.wait(0, timeout=bad)


def test_wrong_old_values_and_widths_are_refused():
    with pytest.raises(OverflowError):
        atomics.atomic(1, atomics.UINT).wait(256)
    with pytest.raises(TypeError):
        atomics.atomic(4, atomics.INT).wait(b"1234")
    with pytest.raises(ValueError):
        atomics.atomic(4, atomics.BYTES).wait(b"12")
    try:
        big = atomics.atomic(16, atomics.INT)
    except atomics.exc.UnsupportedWidthException:
        return
    with pytest.raises(NotImplementedError, match="width of 16"):
        big.wait(0)


def test_releasing_a_view_wakes_its_waiters_with_a_clear_error():
    buf = bytearray(4)
    ctx = atomics.atomicview(buf, atomics.UINT)
    view = ctx.__enter__()
    errors = []

    def waiter():
        try:
            view.wait(0)
        except ValueError as e:
            errors.append(str(e))

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.05)
    ctx.__exit__(None, None, None)  # frees the export only once the waiter has left
    t.join(timeout=10)
    assert errors == ["Operation forbidden on released AtomicCore object."]
    buf.append(0)


def test_read_only_views_can_wait():
    with atomics.atomicview(bytes(4), atomics.UINT) as v:
        assert v.wait(0, timeout=0.01) is False
        assert v.wait(1) is True
        v.notify_all()


def test_event_between_processes():
    event = Event()
    assert not event.is_set() and event.wait(timeout=0.01) is False
    setter = SPAWN.Process(target=_workers.set_event_later, args=(event, 0.2))
    setter.start()
    assert event.wait(timeout=30) is True and event.is_set()
    setter.join(timeout=30)
    event.clear()
    assert not event.is_set()


def test_semaphore_bounds_processes_in_a_section():
    sem = Semaphore(2)
    inside = atomics.atomic(4, atomics.INT, shared=True)
    most = atomics.atomic(4, atomics.INT, shared=True)
    workers = [SPAWN.Process(target=_workers.guarded_section, args=(sem, inside, most, 100)) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert [w.exitcode for w in workers] == [0] * 4
    assert 1 <= most.load() <= 2 and inside.load() == 0 and sem.value() == 2


def test_lock_and_semaphore_behave_like_threading():
    lock = Lock()
    assert lock.acquire() and lock.locked()
    assert lock.acquire(blocking=False) is False
    assert lock.acquire(timeout=0.02) is False
    lock.release()
    assert not lock.locked()
    with lock:
        assert lock.locked()
    sem = Semaphore(0)
    threading.Timer(0.05, sem.release).start()
    assert sem.acquire(timeout=10) is True
    with pytest.raises(ValueError):
        Semaphore(-1)
    with pytest.raises(ValueError):
        sem.acquire(blocking=False, timeout=1)


def test_releasing_an_unlocked_lock_raises_and_changes_nothing():
    lock = Lock()
    with pytest.raises(RuntimeError, match="release unlocked lock"):
        lock.release()
    assert lock.acquire(blocking=False) is True  # exclusion holds: one acquire, not two
    assert lock.acquire(blocking=False) is False
    lock.release()
    with pytest.raises(RuntimeError):
        lock.release()
    assert not lock.locked()


def test_only_one_of_racing_releases_of_a_lock_succeeds(threads):
    lock = Lock()
    for _ in range(50):
        assert lock.acquire(timeout=10)
        outcomes = []
        threads(lambda i: outcomes.append(_release(lock)), 4)
        assert sorted(outcomes) == ["raised"] * 3 + ["released"]
        assert not lock.locked()


def _release(lock):
    try:
        lock.release()
    except RuntimeError:
        return "raised"
    return "released"


def test_a_semaphore_refuses_a_release_past_its_bound():
    top = 2**32 - 1
    sem = Semaphore(top)
    with pytest.raises(ValueError, match="released too many times"):
        sem.release()
    assert sem.value() == top  # not wrapped to 0
    assert sem.acquire(blocking=False) and sem.value() == top - 1
    with pytest.raises(ValueError, match="released too many times"):
        sem.release(2)
    sem.release()
    assert sem.value() == top
    with pytest.raises(ValueError, match="initial value"):
        Semaphore(top + 1)
