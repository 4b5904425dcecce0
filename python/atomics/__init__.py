"""Lock-free, address-free atomic operations on memory buffers, for threads and processes.

A drop-in successor of atomics 1.0 with a Rust core: every operation is one native call
performing one hardware atomic.
"""

from ._atypes import ANY, BYTES, INT, INTEGRAL, UINT
from ._enums import MemoryOrder, OpType
from ._native import Alignment, CmpxchgResult
from . import base, ctx, exc, view

__all__ = ["atomic", "atomicview", "ANY", "INTEGRAL", "BYTES", "INT", "UINT", "Alignment", "CmpxchgResult", "MemoryOrder", "OpType"]

__version__ = "2.0.0"

_ATYPE_ERROR = "Type parameter 'atype' must be one of [ANY, INTEGRAL, BYTES, INT, UINT]."


def atomic(width, atype, **kwargs):
    """A new atomic of ``width`` bytes over private zeroed memory.

    ``atype`` is one of ``INT``, ``UINT``, ``BYTES`` (extra keywords ignored, as in atomics
    1.0), ``INTEGRAL`` (needs ``is_signed=``) or ``ANY`` (needs ``is_integral=`` and
    ``is_signed=``).
    """
    if atype is INT:
        return base.AtomicInt(width=width)
    if atype is UINT:
        return base.AtomicUint(width=width)
    if atype is BYTES:
        return base.AtomicBytes(width=width)
    if atype is INTEGRAL:
        return base.AtomicIntegral(width=width, **kwargs)
    if atype is ANY:
        return base.Atomic(width=width, **kwargs)
    raise TypeError(_ATYPE_ERROR)


def atomicview(buffer, atype, **kwargs):
    """A context manager giving an atomic view of ``buffer`` (any C-contiguous object with the
    buffer protocol; its size is the width). The buffer stays pinned until the context exits.
    """
    if atype is INT:
        return ctx.AtomicIntViewContext(buffer=buffer)
    if atype is UINT:
        return ctx.AtomicUintViewContext(buffer=buffer)
    if atype is BYTES:
        return ctx.AtomicBytesViewContext(buffer=buffer)
    if atype is INTEGRAL:
        return ctx.AtomicIntegralViewContext(buffer=buffer, **kwargs)
    if atype is ANY:
        return ctx.AtomicViewContext(buffer=buffer, **kwargs)
    raise TypeError(_ATYPE_ERROR)
