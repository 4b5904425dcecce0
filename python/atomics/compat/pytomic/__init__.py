"""pytomic 0.2.3's API over this package's atomics.

Change the imports and nothing else::

    from atomics.compat.pytomic.multithreading import AtomicInt, AtomicUInt
    from atomics.compat.pytomic.multiprocessing import AtomicIntUnsafe, AtomicUIntUnsafe
    from atomics.compat.pytomic.cpp_limits import C_MAX_INT, C_MIN_INT, C_MAX_UINT

Every object holds one 8-byte atomic (its ``atomic`` property): over private memory in
``multithreading``, in a named shared-memory segment in ``multiprocessing``, so that those
objects pickle by reference and stay shared with child processes under fork, spawn and
forkserver. ``AtomicInt`` and ``AtomicUInt`` raise ``OverflowError`` where a step would leave
the 64-bit range, leaving the value unchanged, and the check is part of the atomic operation;
the ``Unsafe`` classes wrap around. What differs from pytomic is listed in
``docs/migrating-from-pytomic.md``.

Thin by construction: each method is one small function stored on the instance when it is
made, which calls the atomic's method with pytomic's fixed arguments (``obj.load()`` is
``atomic.load()``); it takes exactly pytomic's parameters, so that ``obj.load(1)`` raises
``TypeError`` as pytomic does, where the atomic's ``load`` would take ``1`` as a memory order.
The methods defined on the classes do the same thing and are what a subclass overrides (an
override is then used, and nothing is stored over it) or reaches with ``super()``.
"""

import functools
import operator

from ... import INT, UINT, MemoryOrder
from ... import atomic as _new_atomic
from .cpp_limits import C_MAX_INT, C_MAX_UINT, C_MIN_INT

__all__ = ["multithreading", "multiprocessing", "cpp_limits"]

_RELAXED = MemoryOrder.RELAXED


def _direct(make):
    """Marks a method that each instance replaces by ``make(atomic)``: a callable with the
    same behaviour that goes straight to the atomic."""

    def mark(method):
        method._pytomic_direct = make
        return method

    return mark


# What instances get in place of the methods: functions of pytomic's parameters only.


@functools.lru_cache(maxsize=None)
def _renamed(code, name):
    """``code`` under ``name``, which CPython 3.9 shows in argument errors (later versions
    show the function's ``__qualname__``)."""
    return code.replace(co_name=name)


def _named(function, name):
    function.__name__ = function.__qualname__ = name
    function.__code__ = _renamed(function.__code__, name)
    return function


def _call(name, method):
    """``name()``: ``method()``, refusing any argument."""

    def call():
        return method()

    return _named(call, name)


def _call_with(name, method, arg):
    """``name()``: ``method(arg)``, refusing any argument."""

    def call():
        return method(arg)

    return _named(call, name)


def _store(atomic):
    store = atomic.store

    def call(val):  # pytomic's keyword: store(val=...)
        store(val)

    return _named(call, "store")


def _store_relaxed(atomic):
    store = atomic.store

    def call(val):
        store(val, _RELAXED)

    return _named(call, "store_relaxed")


def _compare_exchange(name, cmpxchg):
    def call(expected, desired):
        return cmpxchg(expected, desired).success

    return _named(call, name)


def _checked_preinc(atomic):
    fetch_add = atomic.checked_fetch_add

    def call():
        return fetch_add(1) + 1

    return _named(call, "preinc")


def _checked_predec(atomic):
    fetch_sub = atomic.checked_fetch_sub

    def call():
        return fetch_sub(1) - 1

    return _named(call, "predec")


def _rebuild(cls, atomic, state):
    """Unpickles an object of the ``multiprocessing`` variant around ``atomic`` (which itself
    unpickled by reference, onto the same shared memory)."""
    obj = cls.__new__(cls)
    obj._attach(atomic)
    if state:
        obj.__dict__.update(state)
    return obj


class _Atomic:
    """What the eight classes share: construction, load/store, compare-exchange."""

    _atype = INT
    _low = C_MIN_INT
    _high = C_MAX_INT
    _shared = False
    _direct_methods = ()  # (name, make) for the methods each instance gets straight

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        direct = []
        for name in dir(cls):
            make = getattr(getattr(cls, name, None), "_pytomic_direct", None)
            if make is not None:  # still the marked method: not overridden by a subclass
                direct.append((name, make))
        cls._direct_methods = tuple(direct)

    def _start(self, init_val):
        """A new atomic holding ``init_val``, range-checked as pytomic checks it (before any
        memory, let alone a shared segment, is made)."""
        init_val = operator.index(init_val)
        if init_val > self._high or init_val < self._low:
            kind = "a signed" if self._atype is INT else "an unsigned"
            raise OverflowError(f"init_val {init_val} does not fit {kind} 64-bit integer")
        atomic = _new_atomic(8, self._atype, shared=self._shared)
        atomic.store(init_val)
        self._attach(atomic)

    def _attach(self, atomic):
        self._atomic = atomic
        methods = self.__dict__
        for name, make in self._direct_methods:
            methods[name] = make(atomic)

    @property
    def atomic(self):
        """The underlying ``atomics`` object, for everything pytomic did not have
        (``fetch_add``, ``exchange``, memory orders, ``wait``/``notify_one``, ...)."""
        return self._atomic

    @_direct(lambda atomic: _call("load", atomic.load))
    def load(self):
        """Reads the value (sequentially consistent)."""
        return self._atomic.load()

    @_direct(lambda atomic: _call_with("load_relaxed", atomic.load, _RELAXED))
    def load_relaxed(self):
        """Reads the value with ``memory_order_relaxed``."""
        return self._atomic.load(_RELAXED)

    @_direct(_store)
    def store(self, val):
        """Writes ``val`` (sequentially consistent); ``OverflowError`` if it does not fit."""
        self._atomic.store(val)

    @_direct(_store_relaxed)
    def store_relaxed(self, val):
        """Writes ``val`` with ``memory_order_relaxed``."""
        self._atomic.store(val, _RELAXED)

    @_direct(lambda atomic: _compare_exchange("compare_exchange_strong", atomic.cmpxchg_strong))
    def compare_exchange_strong(self, expected, desired):
        """Writes ``desired`` if the value equals ``expected``; True if it did."""
        return self._atomic.cmpxchg_strong(expected, desired).success

    @_direct(lambda atomic: _compare_exchange("compare_exchange_weak", atomic.cmpxchg_weak))
    def compare_exchange_weak(self, expected, desired):
        """As ``compare_exchange_strong``, but may fail spuriously (use it in a loop)."""
        return self._atomic.cmpxchg_weak(expected, desired).success

    def free(self):
        """Does nothing. pytomic's ``free()`` released the memory at once (and its destructor
        released it again); here the memory goes with the last object that uses it."""

    def __repr__(self):
        cls = type(self)
        return f"<{cls.__module__}.{cls.__qualname__} value={self._atomic.load()}>"


class _Checked(_Atomic):
    """Steps that raise ``OverflowError``, leaving the value unchanged, at the range's ends."""

    @_direct(_checked_preinc)
    def preinc(self):
        """``++atomic``: adds 1, returning the new value; ``OverflowError`` at the maximum."""
        return self._atomic.checked_fetch_add(1) + 1

    @_direct(lambda atomic: _call_with("postinc", atomic.checked_fetch_add, 1))
    def postinc(self):
        """``atomic++``: adds 1, returning the previous value; ``OverflowError`` at the maximum."""
        return self._atomic.checked_fetch_add(1)

    @_direct(_checked_predec)
    def predec(self):
        """``--atomic``: subtracts 1, returning the new value; ``OverflowError`` at the minimum."""
        return self._atomic.checked_fetch_sub(1) - 1

    @_direct(lambda atomic: _call_with("postdec", atomic.checked_fetch_sub, 1))
    def postdec(self):
        """``atomic--``: subtracts 1, returning the previous value; ``OverflowError`` at the
        minimum."""
        return self._atomic.checked_fetch_sub(1)


class _Wrapping(_Atomic):
    """Steps that wrap around at the range's ends, as C++'s ``std::atomic`` does."""

    @_direct(lambda atomic: _call("preinc", atomic.inc_fetch))
    def preinc(self):
        """``++atomic``: adds 1, wrapping around, returning the new value."""
        return self._atomic.inc_fetch()

    @_direct(lambda atomic: _call("postinc", atomic.fetch_inc))
    def postinc(self):
        """``atomic++``: adds 1, wrapping around, returning the previous value."""
        return self._atomic.fetch_inc()

    @_direct(lambda atomic: _call("predec", atomic.dec_fetch))
    def predec(self):
        """``--atomic``: subtracts 1, wrapping around, returning the new value."""
        return self._atomic.dec_fetch()

    @_direct(lambda atomic: _call("postdec", atomic.fetch_dec))
    def postdec(self):
        """``atomic--``: subtracts 1, wrapping around, returning the previous value."""
        return self._atomic.fetch_dec()


class _Signed:
    _atype = INT
    _low = C_MIN_INT
    _high = C_MAX_INT


class _Unsigned:
    _atype = UINT
    _low = 0
    _high = C_MAX_UINT


from . import cpp_limits, multiprocessing, multithreading  # noqa: E402  (built on the above)
