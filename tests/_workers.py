"""Functions run in child processes (importable by spawn and forkserver children)."""

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
