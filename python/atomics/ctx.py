"""View contexts: ``with atomicview(buffer, INT) as v: ...``.

A context exports its buffer when made and pins it (the exporter refuses to resize or close)
until the context exits or is released. Views from it share that memory; dropping a view, or
the context itself while open, never releases it for the others.

The classes that take no keywords name the ``is_integral`` and ``is_signed`` their ``__init__``
gives ``_init`` (``_flags``), so that ``atomicview()`` makes them in one native call
(``new_view_context``), without running ``__init__``.
"""

from ._native import AtomicViewContextBase as _AtomicViewContextBase
from .view import AtomicBytesView, AtomicFloatView, AtomicIntegralView, AtomicIntView, AtomicUintView, AtomicView


class AtomicViewContext(_AtomicViewContextBase):
    """The context of an ``AtomicView``. ``__enter__`` gives the view (once), ``__exit__``
    and ``release()`` release the buffer (native: ``AtomicViewContextBase``)."""

    _view_class = AtomicView

    def __init__(self, *, buffer, is_integral, is_signed):
        self._init(buffer, is_integral, is_signed)


class AtomicIntegralViewContext(AtomicViewContext):
    """The context of an ``AtomicIntegralView``."""

    _view_class = AtomicIntegralView

    def __init__(self, *, buffer, is_signed):
        self._init(buffer, True, is_signed)


class AtomicBytesViewContext(AtomicViewContext):
    """The context of an ``AtomicBytesView``."""

    _view_class = AtomicBytesView
    _flags = (False, False)

    def __init__(self, *, buffer):
        self._init(buffer, *self._flags)


class AtomicFloatViewContext(AtomicViewContext):
    """The context of an ``AtomicFloatView``."""

    _view_class = AtomicFloatView
    _flags = (False, False)

    def __init__(self, *, buffer):
        self._init(buffer, *self._flags)


class AtomicIntViewContext(AtomicIntegralViewContext):
    """The context of an ``AtomicIntView``."""

    _view_class = AtomicIntView
    _flags = (True, True)

    def __init__(self, *, buffer):
        self._init(buffer, *self._flags)


class AtomicUintViewContext(AtomicIntegralViewContext):
    """The context of an ``AtomicUintView``."""

    _view_class = AtomicUintView
    _flags = (True, False)

    def __init__(self, *, buffer):
        self._init(buffer, *self._flags)
