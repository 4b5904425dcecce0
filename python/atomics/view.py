"""Atomic views over the buffer of another object. Made by entering a context from
``atomics.atomicview(buffer, atype)``; they operate on the buffer until the context exits."""

from ._atypes import ANY, BYTES, FLOAT, INT, INTEGRAL, UINT
from ._native import AtomicBase as _AtomicBase
from ._native import AtomicBytesBase as _AtomicBytesBase
from ._native import AtomicFloatBase as _AtomicFloatBase
from ._native import AtomicIntegralBase as _AtomicIntegralBase
from ._native import install_operations as _install_operations


class AtomicView(_AtomicBase, ANY):
    """A view with no operations of its own."""

    def __init__(self, core):
        self._init_view(core)


class AtomicIntegralView(_AtomicIntegralBase, AtomicView, INTEGRAL):
    """An integer view whose signedness was chosen by its context."""


class AtomicBytesView(_AtomicBytesBase, AtomicView, BYTES):
    """A view whose value is ``bytes``."""


class AtomicFloatView(_AtomicFloatBase, AtomicView, FLOAT):
    """A view whose value is an IEEE float of 4 or 8 bytes."""


class AtomicIntView(AtomicIntegralView, INT):
    """A signed integer view."""


class AtomicUintView(AtomicIntegralView, UINT):
    """An unsigned integer view."""


# Each class gets descriptors of its own, so that CPython specializes calls on its instances.
for _cls in (AtomicIntegralView, AtomicBytesView, AtomicFloatView, AtomicIntView, AtomicUintView):
    _install_operations(_cls)
del _cls
