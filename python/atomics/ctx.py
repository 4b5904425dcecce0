"""View contexts: ``with atomicview(buffer, INT) as v: ...``.

A context exports its buffer when made and pins it (the exporter refuses to resize or close)
until the context exits or is released. Views from it share that memory; dropping a view, or
the context itself while open, never releases it for the others.
"""

from ._native import AtomicCore
from .view import AtomicBytesView, AtomicFloatView, AtomicIntegralView, AtomicIntView, AtomicUintView, AtomicView


class AtomicViewContext:
    """The context of an ``AtomicView``."""

    _view_class = AtomicView

    def __init__(self, *, buffer, is_integral, is_signed):
        self._init(buffer, is_integral, is_signed)

    def _init(self, buffer, is_integral, is_signed):
        if "_core" in self.__dict__:
            raise ValueError("AtomicViewContext object cannot be re-initialised.")
        core = AtomicCore(buffer, is_integral, is_signed)
        try:
            # made now, so that a buffer the view refuses (a float view of other than 4 or 8
            # bytes) is refused here, and released at once, rather than by __enter__
            view = self._view_class(core)
        except BaseException:
            core.release()
            raise
        self._core = core
        self._view = view
        self._entered = False
        self._exited = False
        self._released = False

    def __enter__(self):
        if self._entered:
            raise ValueError("Cannot open context multiple times.")
        if self._released:
            raise ValueError("Cannot open context after calling 'release'.")
        self._entered = True
        return self._view

    def __exit__(self, exc_type, exc_val, exc_tb):
        self._exited = True
        self._released = True
        self._core.release()

    def release(self):
        """Releases the buffer now (for every view of this context). Not while open."""
        if self._entered and not self._exited:
            raise ValueError("Cannot call 'release' while context is open.")
        self._released = True
        self._core.release()


class AtomicIntegralViewContext(AtomicViewContext):
    """The context of an ``AtomicIntegralView``."""

    _view_class = AtomicIntegralView

    def __init__(self, *, buffer, is_signed):
        self._init(buffer, True, is_signed)


class AtomicBytesViewContext(AtomicViewContext):
    """The context of an ``AtomicBytesView``."""

    _view_class = AtomicBytesView

    def __init__(self, *, buffer):
        self._init(buffer, False, False)


class AtomicFloatViewContext(AtomicViewContext):
    """The context of an ``AtomicFloatView``."""

    _view_class = AtomicFloatView

    def __init__(self, *, buffer):
        self._init(buffer, False, False)


class AtomicIntViewContext(AtomicIntegralViewContext):
    """The context of an ``AtomicIntView``."""

    _view_class = AtomicIntView

    def __init__(self, *, buffer):
        self._init(buffer, True, True)


class AtomicUintViewContext(AtomicIntegralViewContext):
    """The context of an ``AtomicUintView``."""

    _view_class = AtomicUintView

    def __init__(self, *, buffer):
        self._init(buffer, True, False)
