"""Synchronisation between threads and processes, built on atomics and wait/notify.

Each class is a thin layer over one 4-byte atomic in shared memory (``atomic(4, UINT,
shared=True)``), so it pickles by reference: pass it to child processes under fork, spawn or
forkserver, or build it over memory you place yourself (``Event(counter)`` with any 4-byte
integral atomic or view). They follow their ``threading`` namesakes and are meant as
examples of the pattern: change the value, then notify; wait while it is unchanged.
"""

import time

from ._atypes import UINT
from ._factory import atomic

__all__ = ["Event", "Semaphore", "Lock"]

# The most units a semaphore's 4-byte unsigned counter holds.
_MAX_UNITS = 2**32 - 1


def _word(word):
    return atomic(4, UINT, shared=True) if word is None else word


def _remaining(deadline):
    return None if deadline is None else max(0.0, deadline - time.monotonic())


class Event:
    """``threading.Event`` across processes: a flag (0 or 1) that wakes its waiters when set."""

    def __init__(self, word=None):
        self._flag = _word(word)

    def is_set(self):
        return self._flag.load() == 1

    def set(self):
        self._flag.store(1)
        self._flag.notify_all()

    def clear(self):
        self._flag.store(0)

    def wait(self, timeout=None):
        """True once the flag is set, False if ``timeout`` seconds pass first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._flag.load() == 0:
            if not self._flag.wait(0, _remaining(deadline)):
                return self.is_set()
        return True


class Semaphore:
    """``threading.Semaphore`` across processes: a counter that ``acquire`` decrements, waiting
    while it is zero, and ``release`` increments, waking a waiter.

    The counter is bounded by its word (4294967295 for the default 4-byte word): a release
    that would pass the bound raises ``ValueError`` and changes nothing, as
    ``threading.BoundedSemaphore`` does at its bound."""

    def __init__(self, value=1, word=None):
        if value < 0:
            raise ValueError("semaphore initial value must be >= 0")
        if word is None and value > _MAX_UNITS:
            raise ValueError(f"semaphore initial value must be <= {_MAX_UNITS}")
        self._count = _word(word)
        if word is None:
            self._count.store(value)

    def acquire(self, blocking=True, timeout=None):
        """Takes one unit: True, or False if not ``blocking`` / ``timeout`` passed first."""
        if not blocking and timeout is not None:
            raise ValueError("can't specify timeout for non-blocking acquire")
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            count = self._count.load()
            if count > 0:
                if self._count.cmpxchg_weak(count, count - 1):
                    return True
                continue
            remaining = _remaining(deadline)
            if not blocking or remaining == 0:
                return False
            self._count.wait(0, remaining)

    def release(self, n=1):
        """Returns ``n`` units, waking up to ``n`` waiters. ``ValueError`` (and no change)
        if the counter would pass its bound."""
        if n < 1:
            raise ValueError("n must be one or more")
        try:
            self._count.checked_fetch_add(n)  # one atomic step: refused, nothing is added
        except OverflowError:
            raise ValueError("Semaphore released too many times") from None
        if n == 1:
            self._count.notify_one()
        else:
            self._count.notify_all()

    def value(self):
        """The units available now."""
        return self._count.load()

    __enter__ = acquire

    def __exit__(self, *exc):
        self.release()


class Lock(Semaphore):
    """``threading.Lock`` across processes (a semaphore of one unit, released by anyone).
    Releasing an unlocked lock raises ``RuntimeError``, as ``threading.Lock`` does."""

    def __init__(self, word=None):
        super().__init__(1, word)

    def release(self):
        """Unlocks, waking a waiter; ``RuntimeError`` if it is not locked."""
        if not self._count.cmpxchg_strong(0, 1):  # one atomic step: locked (0) -> unlocked (1)
            raise RuntimeError("release unlocked lock")
        self._count.notify_one()

    def locked(self):
        return self._count.load() == 0
