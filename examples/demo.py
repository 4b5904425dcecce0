"""Several processes count on one shared counter: atomics vs multiprocessing.Value.

Each worker process is started with the spawn method, attaches to one
multiprocessing.shared_memory segment by name, opens an atomic view of its first 8 bytes
and increments it. The total must be exact. Then the same work with
multiprocessing.Value and its lock, for comparison.

Run it with `make demo`.
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from multiprocessing import shared_memory
from multiprocessing.context import SpawnContext
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Barrier
from typing import Callable

import atomics

PROCESSES = 4
INCREMENTS = 250_000


def attach(name: str) -> shared_memory.SharedMemory:
    # Children of multiprocessing share the parent's resource tracker; 3.13 can skip it.
    if sys.version_info >= (3, 13):
        return shared_memory.SharedMemory(name=name, track=False)
    return shared_memory.SharedMemory(name=name)


def first_word(shm: shared_memory.SharedMemory) -> memoryview:
    """A view of the segment's first 8 bytes (release it before closing the segment)."""
    buf = shm.buf
    if buf is None:
        raise ValueError("the segment is closed")
    return buf[:8]


def atomic_worker(segment_name: str, start: Barrier) -> None:
    shm = attach(segment_name)
    window = first_word(shm)
    with atomics.atomicview(buffer=window, atype=atomics.INT) as counter:
        start.wait()
        for _ in range(INCREMENTS):
            counter.inc()
    window.release()
    shm.close()


def value_worker(value: Synchronized[int], start: Barrier) -> None:
    start.wait()
    for _ in range(INCREMENTS):
        with value.get_lock():
            value.value += 1


def run(ctx: SpawnContext, target: Callable[..., None], shared: object) -> float:
    start = ctx.Barrier(PROCESSES + 1)
    workers = [ctx.Process(target=target, args=(shared, start)) for _ in range(PROCESSES)]
    for w in workers:
        w.start()
    start.wait()  # every worker is ready: time only the counting
    began = time.perf_counter()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - began
    if any(w.exitcode != 0 for w in workers):
        sys.exit("a worker failed")
    return elapsed


def main() -> None:
    ctx = multiprocessing.get_context("spawn")
    expected = PROCESSES * INCREMENTS
    print(f"{PROCESSES} processes (spawn) x {INCREMENTS:,} increments of one shared counter\n")

    shm = shared_memory.SharedMemory(create=True, size=8)
    try:
        elapsed_atomic = run(ctx, atomic_worker, shm.name)
        window = first_word(shm)
        with atomics.atomicview(buffer=window, atype=atomics.INT) as counter:
            total_atomic = counter.load()
        window.release()
    finally:
        shm.close()
        shm.unlink()

    value = ctx.Value("q", 0)
    elapsed_value = run(ctx, value_worker, value)
    total_value = value.value

    def rate(seconds: float) -> float:
        return expected / seconds / 1e6

    print(f"  atomics.atomicview + inc()        total {total_atomic:>10,}  "
          f"{elapsed_atomic:6.3f} s  {rate(elapsed_atomic):6.2f} M ops/s")
    print(f"  multiprocessing.Value + its lock  total {total_value:>10,}  "
          f"{elapsed_value:6.3f} s  {rate(elapsed_value):6.2f} M ops/s")
    print(f"\n  expected total {expected:,}; atomics was {elapsed_value / elapsed_atomic:.1f}x faster")
    if total_atomic != expected or total_value != expected:
        sys.exit("WRONG TOTAL")


if __name__ == "__main__":
    main()
