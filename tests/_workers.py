"""Functions run in child processes (importable by spawn and forkserver children)."""

import os
from multiprocessing import shared_memory
import sys

import atomics


def attach(name):
    """Attaches to the parent's segment. Children of multiprocessing share the parent's
    resource tracker, so an attach before 3.13 (which registers the name again) is harmless;
    3.13 can skip tracking altogether."""
    if sys.version_info >= (3, 13):
        return shared_memory.SharedMemory(name=name, track=False)
    return shared_memory.SharedMemory(name=name)


def count(name, offset, width, n, op, barrier=None):
    """Performs `op` (an integer read-modify-write method name) n times on the counter at
    `offset` of segment `name`, after waiting at `barrier` so that all workers overlap."""
    shm = attach(name)
    try:
        window = shm.buf[offset:offset + width]
        with atomics.atomicview(window, atomics.INT) as counter:
            method = getattr(counter, op)
            if barrier is not None:
                barrier.wait(timeout=60)
            if op in ("inc", "dec", "fetch_inc", "fetch_dec"):
                for _ in range(n):
                    method()
            else:
                for _ in range(n):
                    method(1)
        window.release()
    finally:
        shm.close()


def inc_shared(counter, n, barrier=None):
    """Increments a pickled-by-reference shared atomic n times."""
    if barrier is not None:
        barrier.wait(timeout=60)
    for _ in range(n):
        counter.inc()


def inc_shared_task(args):
    """Pool/executor task: (counter, n) -> n."""
    counter, n = args
    for _ in range(n):
        counter.inc()
    return n


def from_queue(queue, n):
    """Takes a shared atomic from a queue and increments it n times."""
    counter = queue.get(timeout=60)
    for _ in range(n):
        counter.inc()


def tally(total, progress, stop):
    """Increments `total` then this worker's `progress` until `stop` is set (or killed)."""
    while not stop.load():
        total.inc()
        progress.inc()


def orphan_maker(out, n, ready):
    """Creates a shared atomic, hands it to the test (through `out`) and to a grandchild that
    increments it only after this process has exited, then exits."""
    import multiprocessing

    counter = atomics.atomic(8, atomics.INT, shared=True)
    ctx = multiprocessing.get_context("spawn")
    attached = ctx.Event()
    child = ctx.Process(target=after_parent_exits, args=(counter, n, os.getpid(), attached))
    child.start()
    out.put(counter)
    ready.wait(timeout=60)  # the test maps it now
    attached.wait(timeout=60)  # and so does the grandchild
    del counter  # the creator's last object: the name goes; other mappings stay valid
    # Exit at once: multiprocessing would otherwise wait here for the grandchild.
    os._exit(0)


def after_parent_exits(counter, n, parent_pid, attached):
    attached.set()  # `counter` was unpickled (mapped) before this function ran
    import time

    deadline = time.monotonic() + 60
    while _alive(parent_pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    for _ in range(n):
        counter.inc()


def _alive(pid):
    if sys.platform == "win32":  # os.kill(pid, 0) would end the process there
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x00100000, False, pid)  # SYNCHRONIZE
        if not handle:
            return False
        try:
            return kernel32.WaitForSingleObject(handle, 0) == 0x102  # WAIT_TIMEOUT: running
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def pong(ball, rounds, ready):
    """Ping-pong partner: says it runs, then waits for each odd value and answers with the next even one."""
    ready.store(1)
    ready.notify_all()
    for i in range(rounds):
        mine = 2 * i + 1
        while ball.load() != mine:
            if not ball.wait(2 * i, timeout=10):
                raise SystemExit(f"no ping {mine} within 10 s (value {ball.load()})")
        ball.store(mine + 1)
        ball.notify_one()


def wait_then_report(word, old, out):
    """Waits (with a timeout) for `word` to leave `old`; reports what it saw."""
    out.put((word.wait(old, timeout=20), word.load()))


def set_event_later(event, delay):
    import time

    time.sleep(delay)
    event.set()


def guarded_section(sem, inside, most, rounds):
    """Enters the semaphore-guarded section `rounds` times, recording the peak occupancy."""
    import time

    for _ in range(rounds):
        assert sem.acquire(timeout=20)
        now = inside.fetch_inc() + 1
        while True:
            peak = most.load()
            if now <= peak or most.cmpxchg_strong(peak, now):
                break
        time.sleep(0.0005)
        inside.fetch_dec()
        sem.release()


# What make_segments / segments_task created, kept until the process ends, so that only the
# end of the process can remove the segments' names.
_KEPT = []


def _make_segments():
    from atomics.shared import SharedSegment

    made = [atomics.atomic(8, atomics.INT, shared=True), SharedSegment.create(16),
            atomics.array(4, 8, atomics.UINT, shared=True)]
    _KEPT.extend(made)
    return [made[0].shared_name, made[1].name, made[2].shared_name]


def make_segments(out):
    """Creates a shared atomic, a segment and a shared array, and sends their names."""
    out.put(_make_segments())


def segments_task(_):
    """A pool task: creates segments and returns their names."""
    return _make_segments()
