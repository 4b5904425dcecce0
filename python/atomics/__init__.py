"""Lock-free, address-free atomic operations on memory buffers, for threads and processes.

A drop-in successor of atomics 1.0 with a Rust core: every operation is one native call
performing one hardware atomic.
"""

from ._atypes import ANY, BYTES, FLOAT, INT, INTEGRAL, UINT
from ._enums import MemoryOrder, OpType
from ._native import Alignment, CmpxchgResult
from . import base, ctx, exc, shared, view
from . import arrays as _arrays
from .shared import new as _new_shared

__all__ = ["atomic", "atomicview", "ANY", "INTEGRAL", "BYTES", "INT", "UINT", "Alignment", "CmpxchgResult", "MemoryOrder", "OpType"]

__version__ = "2.0.0"

_ATYPE_ERROR = "Type parameter 'atype' must be one of [ANY, INTEGRAL, BYTES, INT, UINT]."  # (or FLOAT)

# atype -> (atomic class, view context class, whether extra keywords are passed on; atomics
# 1.0 ignores them for INT, UINT and BYTES).
_CLASSES = (
    (INT, base.AtomicInt, ctx.AtomicIntViewContext, False),
    (UINT, base.AtomicUint, ctx.AtomicUintViewContext, False),
    (BYTES, base.AtomicBytes, ctx.AtomicBytesViewContext, False),
    (INTEGRAL, base.AtomicIntegral, ctx.AtomicIntegralViewContext, True),
    (ANY, base.Atomic, ctx.AtomicViewContext, True),
    (FLOAT, base.AtomicFloat, ctx.AtomicFloatViewContext, False),
)


def _classes(atype):
    for row in _CLASSES:
        if atype is row[0]:  # by identity: subclasses and look-alikes are refused
            return row[1:]
    raise TypeError(_ATYPE_ERROR)


def atomic(width, atype, *, shared=False, **kwargs):
    """A new atomic of ``width`` bytes over zeroed memory.

    ``atype`` is one of ``INT``, ``UINT``, ``BYTES``, ``FLOAT`` (widths 4 and 8; extra keywords
    ignored, as in atomics 1.0), ``INTEGRAL`` (needs ``is_signed=``) or ``ANY`` (needs
    ``is_integral=`` and ``is_signed=``).

    With ``shared=True`` the memory is a new named shared-memory segment: the object pickles
    by reference, so child processes given it (under fork, spawn or forkserver) operate on
    the same memory; see ``atomics.shared``. Otherwise the memory is private to the process.
    """
    cls, _, passes_kwargs = _classes(atype)
    if shared:
        return _new_shared(width, atype, kwargs)
    return cls(width=width, **kwargs) if passes_kwargs else cls(width=width)


def atomicview(buffer, atype, **kwargs):
    """A context manager giving an atomic view of ``buffer`` (any C-contiguous object with the
    buffer protocol; its size is the width). The buffer stays pinned until the context exits.
    """
    _, context, passes_kwargs = _classes(atype)
    return context(buffer=buffer, **kwargs) if passes_kwargs else context(buffer=buffer)


def array(length, width, atype, *, shared=False, **kwargs):
    """A new array of ``length`` atomics of ``width`` bytes each, zeroed.

    ``atype`` is ``INT``, ``UINT``, ``BYTES``, ``FLOAT`` or ``INTEGRAL`` (with
    ``is_signed=``). Every operation of an atomic exists with the element's index first
    (``a.fetch_add(i, 1)``), plus bulk operations over many indices (``a.add_at(indices)``,
    ``a.load_all()``); see ``atomics.arrays``. With ``shared=True`` the memory is a new
    shared-memory segment and the array pickles by reference, as ``atomic(..., shared=True)``.
    """
    return _arrays.new(length, width, atype, shared=shared, kwargs=kwargs)


def arrayview(buffer, atype, *, width=None, **kwargs):
    """An array of atomics over ``buffer`` (any C-contiguous object with the buffer protocol:
    a numpy array, ``bytearray``, ``mmap``, shared memory), whose size must be a multiple of
    ``width`` (by default the buffer's item size: 8 for a numpy ``int64`` array). The buffer
    stays pinned until ``release()``; use it as a context manager to release on exit::

        with atomics.arrayview(counts, atomics.INT) as a:
            a.add_at(indices)
    """
    return _arrays.view(buffer, atype, width, kwargs)


from . import sync  # noqa: E402  (built on atomic(), defined above)
