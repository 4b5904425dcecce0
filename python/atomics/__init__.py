"""Lock-free, address-free atomic operations on memory buffers, for threads and processes.

A drop-in successor of atomics 1.0 with a Rust core: every operation is one native call
performing one hardware atomic.
"""

from ._atypes import ANY, BYTES, FLOAT, INT, INTEGRAL, UINT
from ._enums import MemoryOrder, OpType
from ._native import Alignment, CmpxchgResult
from . import arrays, base, ctx, exc, shared, view
from ._factory import array, arrayview, atomic, atomicview
from . import sync

__all__ = ["atomic", "atomicview", "ANY", "INTEGRAL", "BYTES", "INT", "UINT", "Alignment", "CmpxchgResult", "MemoryOrder", "OpType"]

__version__ = "2.0.0"
