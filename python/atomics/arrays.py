"""Arrays of atomics: ``length`` atomics of one width and type over one buffer.

Build them with ``atomics.array(length, width, atype)`` (private zeroed memory, or a new
shared-memory segment with ``shared=True``), ``atomics.arrayview(buffer, atype)`` (any
C-contiguous buffer: a numpy array, ``bytearray``, ``mmap``, ``shared_memory.SharedMemory.buf``)
or ``segment.array(offset, length, width, atype)`` (part of a ``SharedSegment``).

Every operation of a single atomic exists on an array with the element's index first
(``a.fetch_add(i, 1)``, ``a.load(i)``, ``a.cmpxchg_strong(i, expected, desired)``,
``a.wait(i, old)``, ...; a bit operation's bit is named ``bit``), bounds checked, and a
negative index counts from the end. ``a[i]`` loads and ``a[i] = v`` stores.

The bulk operations process many elements in one call, each element one hardware atomic:
``load_all(out=None)``, ``store_all(values)``, ``store_at(indices, values)`` and, as the
family allows, ``add_at``, ``sub_at``, ``max_at``, ``min_at``, ``or_at``, ``and_at`` and
``xor_at(indices, values)``. ``indices`` is a buffer of integers (a numpy index array) or a
sequence; ``values`` one value for every index or one per index. Everything is checked before
the first element is written, so a refused call changes nothing; an index that repeats is
applied each time it appears (``a.add_at(idx)`` is a histogram of ``idx``). A bulk operation
is not a transaction: other threads see its elements change one by one, in an unspecified
order.
"""

from ._native import AtomicBytesArrayBase as _AtomicBytesArrayBase
from ._native import AtomicFloatArrayBase as _AtomicFloatArrayBase
from ._native import AtomicIntegralArrayBase as _AtomicIntegralArrayBase
from ._native import install_operations as _install_operations
from . import base

__all__ = ["AtomicIntegralArray", "AtomicIntArray", "AtomicUintArray", "AtomicBytesArray", "AtomicFloatArray"]


class _Elements:
    __slots__ = ()
    _element_class = None

    def element(self, index):
        """The atomic at ``index`` as an atomic object of its own, sharing the array's memory
        (and released with it, for an array view)."""
        cls = self._element_class
        obj = cls.__new__(cls)
        obj._init_element(self, index)
        return obj

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


class AtomicIntegralArray(_Elements, _AtomicIntegralArrayBase):
    """An array of integer atomics whose signedness is chosen at construction."""

    _element_class = base.AtomicIntegral

    def __init__(self, *, length, width, is_signed):
        self._init_owned(length, width, is_signed)


class AtomicIntArray(AtomicIntegralArray):
    """An array of signed integer atomics."""

    _element_class = base.AtomicInt

    def __init__(self, *, length, width):
        self._init_owned(length, width, True)


class AtomicUintArray(AtomicIntegralArray):
    """An array of unsigned integer atomics."""

    _element_class = base.AtomicUint

    def __init__(self, *, length, width):
        self._init_owned(length, width, False)


class AtomicBytesArray(_Elements, _AtomicBytesArrayBase):
    """An array of atomics whose values are ``bytes``."""

    _element_class = base.AtomicBytes

    def __init__(self, *, length, width):
        self._init_owned(length, width, False)


class AtomicFloatArray(_Elements, _AtomicFloatArrayBase):
    """An array of IEEE float atomics of 4 or 8 bytes."""

    _element_class = base.AtomicFloat

    def __init__(self, *, length, width):
        self._init_owned(length, width, False)


for _cls in (AtomicIntegralArray, AtomicIntArray, AtomicUintArray, AtomicBytesArray, AtomicFloatArray):
    _install_operations(_cls)
del _cls
