"""pytomic 0.2.3's ``pytomic.multithreading``: atomics over memory private to the process.

``AtomicInt``/``AtomicUInt`` (signed/unsigned 64-bit) raise ``OverflowError`` where a step
would leave the range, leaving the value unchanged; ``AtomicIntUnsafe``/``AtomicUIntUnsafe``
wrap around. For objects shared with child processes, use ``multiprocessing`` instead.
"""

from . import _Checked, _Signed, _Unsigned, _Wrapping

__all__ = ["AtomicInt", "AtomicUInt", "AtomicIntUnsafe", "AtomicUIntUnsafe"]


class _Private:
    _shared = False

    def __init__(self, init_val):
        self._start(init_val)

    def __reduce__(self):
        raise TypeError(
            f"cannot pickle or copy '{type(self).__name__}' object: its memory is private to this "
            "process; use atomics.compat.pytomic.multiprocessing for objects shared with other processes"
        )


class AtomicInt(_Signed, _Private, _Checked):
    """A signed 64-bit atomic integer; ``OverflowError`` (value unchanged) at the limits."""


class AtomicUInt(_Unsigned, _Private, _Checked):
    """An unsigned 64-bit atomic integer; ``OverflowError`` (value unchanged) at the limits."""


class AtomicIntUnsafe(_Signed, _Private, _Wrapping):
    """A signed 64-bit atomic integer whose steps wrap around."""


class AtomicUIntUnsafe(_Unsigned, _Private, _Wrapping):
    """An unsigned 64-bit atomic integer whose steps wrap around."""
