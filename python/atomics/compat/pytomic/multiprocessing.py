"""pytomic 0.2.3's ``pytomic.multiprocessing``: atomics shared with child processes.

Each object lives in a named shared-memory segment of its own
(``atomics.atomic(8, ..., shared=True)``) and pickles by reference: a child process given it
(``Process`` arguments, ``Pool``/``ProcessPoolExecutor`` tasks, queues) operates on the same
memory under fork, spawn and forkserver alike. (pytomic's objects were shared under fork only:
they could not be pickled.) Module-level objects are shared with forked children only: a
spawn or forkserver child re-imports the module and makes new ones, so pass the object.

``AtomicInt``/``AtomicUInt`` raise ``OverflowError`` where a step would leave the range,
leaving the value unchanged; ``AtomicIntUnsafe``/``AtomicUIntUnsafe`` wrap around.
"""

import ctypes

from . import _Checked, _rebuild, _Signed, _Unsigned, _Wrapping

__all__ = ["AtomicInt", "AtomicUInt", "AtomicIntUnsafe", "AtomicUIntUnsafe"]


class _Shared:
    _shared = True
    _ctype = ctypes.c_int64

    def __init__(self, init_val, memory_view=None):
        # pytomic 0.2.3 accepts `memory_view` and ignores it; so does this.
        self._start(init_val)

    @property
    def raw_val(self):
        """A ctypes integer over the same 8 bytes, as pytomic's ``RawValue``: its ``value``
        is a plain, not an atomic, access. It keeps the memory mapped while it lives."""
        raw = self._ctype.from_address(self._atomic._address)
        raw._atomic = self._atomic
        return raw

    @property
    def shared_name(self):
        """The name of the shared-memory segment (see ``atomics.shared.attach``)."""
        return self._atomic.shared_name

    def __reduce__(self):
        # By reference: the atomic pickles as its segment's name. Attributes a subclass
        # added travel along; the methods stored on the instance are made again.
        skip = {name for name, _ in self._direct_methods}
        skip.add("_atomic")
        state = {k: v for k, v in self.__dict__.items() if k not in skip}
        return _rebuild, (type(self), self._atomic, state)

    def __repr__(self):
        cls = type(self)
        return f"<{cls.__module__}.{cls.__qualname__} value={self._atomic.load()} shared_name={self.shared_name!r}>"


class _SharedUnsigned(_Unsigned):
    _ctype = ctypes.c_uint64


class AtomicInt(_Signed, _Shared, _Checked):
    """A signed 64-bit atomic integer in shared memory; ``OverflowError`` (value unchanged)
    at the limits."""


class AtomicUInt(_SharedUnsigned, _Shared, _Checked):
    """An unsigned 64-bit atomic integer in shared memory; ``OverflowError`` (value
    unchanged) at the limits."""


class AtomicIntUnsafe(_Signed, _Shared, _Wrapping):
    """A signed 64-bit atomic integer in shared memory whose steps wrap around."""


class AtomicUIntUnsafe(_SharedUnsigned, _Shared, _Wrapping):
    """An unsigned 64-bit atomic integer in shared memory whose steps wrap around."""
