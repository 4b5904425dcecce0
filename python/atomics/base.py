"""Atomic objects over private memory (zero-initialised, freed with the last object that
uses it). Build them with ``atomics.atomic(width, atype)``.

The classes that take no keywords name the ``is_integral`` and ``is_signed`` their ``__init__``
gives ``_init_owned`` (``_flags``), so that ``atomic()`` makes them in one native call
(``new_atomic``), without running ``__init__``.
"""

from ._atypes import ANY, BYTES, FLOAT, INT, INTEGRAL, UINT
from ._native import AtomicBase as _AtomicBase
from ._native import AtomicBytesBase as _AtomicBytesBase
from ._native import AtomicFloatBase as _AtomicFloatBase
from ._native import AtomicIntegralBase as _AtomicIntegralBase
from ._native import install_operations as _install_operations


class Atomic(_AtomicBase, ANY):
    """An atomic with no operations of its own (``atomic(width, ANY, ...)``)."""

    def __init__(self, *, width, is_integral, is_signed):
        self._init_owned(width, is_integral, is_signed)


class AtomicIntegral(_AtomicIntegralBase, Atomic, INTEGRAL):
    """An integer atomic whose signedness is chosen at construction."""

    def __init__(self, *, width, is_signed):
        self._init_owned(width, True, is_signed)


class AtomicBytes(_AtomicBytesBase, Atomic, BYTES):
    """An atomic whose value is ``bytes``."""

    _flags = (False, False)

    def __init__(self, *, width):
        self._init_owned(width, *self._flags)


class AtomicFloat(_AtomicFloatBase, Atomic, FLOAT):
    """An atomic IEEE float of 4 (f32) or 8 (f64) bytes."""

    _flags = (False, False)

    def __init__(self, *, width):
        self._init_owned(width, *self._flags)


class AtomicInt(AtomicIntegral, INT):
    """A signed integer atomic."""

    _flags = (True, True)

    def __init__(self, *, width):
        self._init_owned(width, *self._flags)


class AtomicUint(AtomicIntegral, UINT):
    """An unsigned integer atomic."""

    _flags = (True, False)

    def __init__(self, *, width):
        self._init_owned(width, *self._flags)


# Each class gets descriptors of its own, so that CPython specializes calls on its instances.
for _cls in (AtomicIntegral, AtomicBytes, AtomicFloat, AtomicInt, AtomicUint):
    _install_operations(_cls)
del _cls
