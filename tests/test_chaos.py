"""Chaos across processes: ticket takers killed with SIGKILL at random moments.

Worker processes take tickets with ``fetch_inc`` on one shared counter
(``atomics.atomic(8, atomics.UINT, shared=True)``, given to them by reference under fork,
spawn and forkserver) and send every ticket they get to the parent at once, one 8-byte
``write`` per ticket on a pipe of their own (a pipe write of 8 bytes is atomic: a killed
worker's last ticket is either wholly sent or not at all). The parent kills random workers
with SIGKILL at random moments -- while the interpreter starts, while it unpickles the
counter, between a ``fetch_inc`` and its ``write`` -- and starts replacements; a monitor
process samples the counter meanwhile. Then:

- every ticket handed out is unique, and each worker's tickets increase;
- every ticket is below the final counter, and tickets taken but never reported number at
  most one per killed worker (the one between ``fetch_inc`` and ``write``);
- the counter never went backwards (the monitor compared every sample with the previous);
- every surviving worker finishes its loop and exits 0 when asked to stop;
- no shared-memory segment of this session is left in /dev/shm.

Short by default (about a second per start method). ``ATOMICS_CHAOS_SECONDS`` (per start
method), ``ATOMICS_CHAOS_WORKERS`` and ``ATOMICS_CHAOS_REPORT=path`` (JSON figures) for long
runs: ``make chaos``.
"""

import json
import multiprocessing
import multiprocessing.connection
import os
import random
import signal
import sys
import time

import pytest

import atomics

try:
    import numpy as np
except ImportError:  # pragma: no cover - numpy is optional
    np = None

SECONDS = float(os.environ.get("ATOMICS_CHAOS_SECONDS", "1.2"))
WORKERS = int(os.environ.get("ATOMICS_CHAOS_WORKERS", "4"))
REPORT = os.environ.get("ATOMICS_CHAOS_REPORT")
METHODS = [m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]
DONE = b"\xff" * 8  # end of a worker's stream (no ticket gets that high)
LIMIT = 1 << 40

FIGURES = {}


# -- the child processes (module-level, so that spawn and forkserver children find them) -------


def take_tickets(counter, stop, conn):
    """Takes tickets until told to stop, writing each one to the pipe at once."""
    fd = conn.fileno()
    taken = 0
    while not stop.load() and taken < LIMIT:
        ticket = counter.fetch_inc()
        os.write(fd, ticket.to_bytes(8, "little"))
        taken += 1
    os.write(fd, DONE)


def monitor(counter, stop, samples, regressions):
    """Samples the counter until told to stop; counts samples and any step backwards."""
    last = counter.load()
    samples.inc()  # (the parent starts the clock once the monitor is up)
    while not stop.load():
        now = counter.load()
        if now < last:
            regressions.inc()
        last = now
        samples.inc()


# -- the parent -----------------------------------------------------------------------------


def our_segments():
    from conftest import our_segments as ours

    return ours()


class Seen:
    """Tickets seen so far: a bitmap (numpy) or a set."""

    def __init__(self):
        self.count = 0
        self.bits = np.zeros(1 << 20, dtype=bool) if np is not None else set()

    def add(self, tickets, who):
        """Adds a worker's next tickets (in the order it took them)."""
        if not len(tickets):
            return
        self.count += len(tickets) // 8
        if np is not None:
            arr = np.frombuffer(tickets, dtype="<u8")
            assert (np.diff(arr.astype(np.int64)) > 0).all() if len(arr) > 1 else True, f"{who}: tickets not increasing"
            top = int(arr.max())
            if top >= len(self.bits):
                grown = np.zeros(max(2 * len(self.bits), top + 1), dtype=bool)
                grown[:len(self.bits)] = self.bits
                self.bits = grown
            assert not self.bits[arr].any(), f"{who}: a ticket was handed out twice: {arr[self.bits[arr]][:5]}"
            self.bits[arr] = True
        else:
            values = [int.from_bytes(tickets[i:i + 8], "little") for i in range(0, len(tickets), 8)]
            assert values == sorted(set(values)), f"{who}: tickets not increasing"
            twice = self.bits.intersection(values)
            assert not twice, f"{who}: tickets handed out twice: {sorted(twice)[:5]}"
            self.bits.update(values)

    def below(self, n):
        if np is not None:
            return not self.bits[n:].any()
        return all(t < n for t in self.bits)


class Worker:
    def __init__(self, proc, reader, started):
        self.proc, self.reader, self.started = proc, reader, started
        self.pending = b""
        self.last = -1
        self.tickets = 0
        self.done = False
        self.killed = False
        self.kill_at = None
        self.finished = False
        os.set_blocking(reader.fileno(), False)

    def drain(self, seen):
        """Reads what the worker wrote so far and checks it."""
        chunks = [self.pending]
        while True:
            try:
                data = os.read(self.reader.fileno(), 1 << 16)
            except BlockingIOError:
                break
            if not data:
                break
            chunks.append(data)
        data = b"".join(chunks)
        usable = len(data) - len(data) % 8
        data, self.pending = data[:usable], data[usable:]
        if data.endswith(DONE):
            assert not self.done, "two end markers"
            self.done = True
            data = data[:-8]
        assert DONE not in [data[i:i + 8] for i in range(0, len(data), 8)], "data after the end marker"
        if data:
            first = int.from_bytes(data[:8], "little")
            assert first > self.last, f"worker {self.proc.pid}: ticket {first} after {self.last}"
            self.last = int.from_bytes(data[-8:], "little")
            self.tickets += len(data) // 8
            seen.add(data, f"worker {self.proc.pid}")


def run_chaos(method, seconds, n_workers, seed):
    rng = random.Random(seed)
    ctx = multiprocessing.get_context(method)
    before = our_segments()
    counter = atomics.atomic(8, atomics.UINT, shared=True)
    stop = atomics.atomic(1, atomics.UINT, shared=True)
    samples = atomics.atomic(8, atomics.UINT, shared=True)
    regressions = atomics.atomic(8, atomics.UINT, shared=True)
    names = {a.shared_name.lstrip("/") for a in (counter, stop, samples, regressions)}
    assert names <= our_segments() - before
    seen = Seen()
    workers, finished = [], []
    watcher = ctx.Process(target=monitor, args=(counter, stop, samples, regressions))
    watcher.start()

    def start_worker():
        reader, writer = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=take_tickets, args=(counter, stop, writer))
        proc.start()
        writer.close()
        w = Worker(proc, reader, time.monotonic())
        # a random moment: during start-up (interpreter, import, unpickling) now and then,
        # mostly while it takes tickets (set once its first ticket arrives)
        if rng.random() < 0.2:
            w.kill_at = w.started + rng.uniform(0, 0.3)
        workers.append(w)

    def finish(w):
        # drain while it exits: a worker blocked on a full pipe could not see `stop`
        deadline = time.monotonic() + 60
        while w.proc.exitcode is None and time.monotonic() < deadline:
            multiprocessing.connection.wait([w.reader, w.proc.sentinel], timeout=0.05)
            w.drain(seen)
            w.proc.join(0)
        assert w.proc.exitcode is not None, f"worker {w.proc.pid} does not exit"
        w.drain(seen)
        w.reader.close()
        w.finished = True
        workers.remove(w)
        finished.append(w)

    try:
        return chaos_loop(rng, seconds, n_workers, start_worker, finish, workers, finished, seen, before, watcher,
                          counter, stop, samples, regressions)
    finally:
        stop.store(1)
        for w in workers + [watcher]:  # after a failure: nothing is left running
            proc = getattr(w, "proc", w)
            if proc.is_alive():
                proc.kill()
                proc.join(10)


def chaos_loop(rng, seconds, n_workers, start_worker, finish, workers, finished, seen, before, watcher,
               counter, stop, samples, regressions):
    for _ in range(n_workers):
        start_worker()
    # the clock starts once the monitor watches and a worker has taken tickets (a spawned
    # interpreter takes a while to start)
    ready_by = time.monotonic() + 120
    while (samples.load() == 0 or counter.load() == 0) and time.monotonic() < ready_by:
        time.sleep(0.01)
    assert samples.load() and counter.load(), "the monitor or the workers never started"
    deadline = time.monotonic() + seconds
    kills = 0
    while time.monotonic() < deadline:
        ready = multiprocessing.connection.wait([w.reader for w in workers] + [w.proc.sentinel for w in workers],
                                                timeout=0.005)
        for w in list(workers):
            if w.reader in ready:
                w.drain(seen)
                if w.kill_at is None and w.tickets:
                    w.kill_at = time.monotonic() + rng.expovariate(1 / 0.04)
            if w.proc.sentinel in ready and not w.proc.is_alive():
                finish(w)  # died on its own: checked below (only killed ones may die)
        now = time.monotonic()
        for w in list(workers):
            if w.kill_at is not None and now >= w.kill_at:
                os.kill(w.proc.pid, signal.SIGKILL)
                w.killed = True
                kills += 1
                finish(w)
                start_worker()
    stop.store(1)
    for w in list(workers):
        finish(w)
    watcher.join(60)
    assert watcher.exitcode == 0, f"monitor exited with {watcher.exitcode}"

    total = counter.load()
    killed = [w for w in finished if w.killed]
    survivors = [w for w in finished if not w.killed]
    for w in killed:
        assert w.proc.exitcode in (-signal.SIGKILL, 0), (w.proc.pid, w.proc.exitcode)
    for w in survivors:
        assert w.proc.exitcode == 0, f"survivor {w.proc.pid} exited with {w.proc.exitcode}"
        assert w.done, f"survivor {w.proc.pid} did not finish its loop"
    assert seen.below(total), "a ticket above the final counter"
    lost = total - seen.count
    assert 0 <= lost <= len(killed), f"{lost} tickets taken but never reported, with {len(killed)} workers killed"
    assert regressions.load() == 0, f"the counter went backwards {regressions.load()} times"
    assert samples.load() > 0
    figures = {
        "seconds": seconds, "workers started": len(finished), "killed with SIGKILL": len(killed),
        "killed during start-up": sum(1 for w in killed if w.tickets == 0),
        "survivors (exit 0)": len(survivors), "tickets checked": seen.count, "counter": total,
        "tickets lost with their killed taker": lost, "monitor samples": samples.load(),
        "counter went backwards": regressions.load(),
    }
    return figures


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="kills workers with SIGKILL (POSIX)")
@pytest.mark.parametrize("method", METHODS)
def test_killed_ticket_takers_never_break_the_counter(method, request):
    ours = our_segments()
    figures = run_chaos(method, SECONDS, WORKERS, seed=int.from_bytes(os.urandom(4), "little"))
    # the counter, the stop flag and the monitor's figures went with the last object over them:
    # nothing of this session is left in /dev/shm, whoever was killed
    left = our_segments() - ours
    assert not left, f"shared-memory segments leaked: {left}"
    figures["segments leaked"] = len(left)
    FIGURES[method] = figures
    assert figures["killed with SIGKILL"] >= 1 and figures["tickets checked"] > 0, figures


@pytest.fixture(scope="module", autouse=True)
def report(request):
    yield
    if not FIGURES:
        return
    total = {k: sum(f[k] for f in FIGURES.values()) for k in next(iter(FIGURES.values()))}
    line = (f"chaos: {total['killed with SIGKILL']} workers killed with SIGKILL "
            f"({total['killed during start-up']} during start-up), {total['survivors (exit 0)']} survivors, "
            f"{total['tickets checked']} tickets checked unique, {total['monitor samples']} monitor samples, "
            f"{total['counter went backwards']} steps backwards, 0 segments leaked ({', '.join(FIGURES)})")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)
    if REPORT:
        with open(REPORT, "w") as f:
            json.dump({"per start method": FIGURES, "total": total,
                       "python": sys.version.split()[0]}, f, indent=2)
