from typing import overload


from . import base as base
from . import ctx as ctx
from . import exc as exc
from . import shared as shared
from . import sync as sync
from . import view as view
from ._atypes import ANY as ANY
from ._atypes import BYTES as BYTES
from ._atypes import FLOAT as FLOAT
from ._atypes import INT as INT
from ._atypes import INTEGRAL as INTEGRAL
from ._atypes import UINT as UINT
from ._enums import MemoryOrder as MemoryOrder
from ._enums import OpType as OpType
from ._native import Alignment as Alignment
from ._native import CmpxchgResult as CmpxchgResult
from ._native import _Memory
from .arrays import AtomicBytesArray, AtomicFloatArray, AtomicIntArray, AtomicIntegralArray, AtomicUintArray
from .base import Atomic, AtomicBytes, AtomicFloat, AtomicInt, AtomicIntegral, AtomicUint
from .ctx import (
    AtomicBytesViewContext,
    AtomicFloatViewContext,
    AtomicIntegralViewContext,
    AtomicIntViewContext,
    AtomicUintViewContext,
    AtomicViewContext,
)

__all__ = ["atomic", "atomicview", "ANY", "INTEGRAL", "BYTES", "INT", "UINT", "Alignment", "CmpxchgResult", "MemoryOrder", "OpType"]

__version__: str

# atomic(width, atype): the class follows the atype. INT, UINT, BYTES and FLOAT take no
# other keyword (atomics 1.0 ignored any at run time); INTEGRAL needs is_signed, ANY
# is_integral and is_signed. With shared=True the object is the same class, in shared memory.
@overload
def atomic(width: int, atype: type[INT], *, shared: bool = False) -> AtomicInt: ...
@overload
def atomic(width: int, atype: type[UINT], *, shared: bool = False) -> AtomicUint: ...
@overload
def atomic(width: int, atype: type[BYTES], *, shared: bool = False) -> AtomicBytes: ...
@overload
def atomic(width: int, atype: type[FLOAT], *, shared: bool = False) -> AtomicFloat: ...
@overload
def atomic(width: int, atype: type[INTEGRAL], *, shared: bool = False, is_signed: bool) -> AtomicIntegral: ...
@overload
def atomic(width: int, atype: type[ANY], *, shared: bool = False, is_integral: bool, is_signed: bool) -> Atomic: ...

# atomicview(buffer, atype): a context manager of the atype's view (`with ... as v`).
@overload
def atomicview(buffer: _Memory, atype: type[INT]) -> AtomicIntViewContext: ...
@overload
def atomicview(buffer: _Memory, atype: type[UINT]) -> AtomicUintViewContext: ...
@overload
def atomicview(buffer: _Memory, atype: type[BYTES]) -> AtomicBytesViewContext: ...
@overload
def atomicview(buffer: _Memory, atype: type[FLOAT]) -> AtomicFloatViewContext: ...
@overload
def atomicview(buffer: _Memory, atype: type[INTEGRAL], *, is_signed: bool) -> AtomicIntegralViewContext: ...
@overload
def atomicview(buffer: _Memory, atype: type[ANY], *, is_integral: bool, is_signed: bool) -> AtomicViewContext: ...

# array(length, width, atype) and arrayview(buffer, atype): arrays of the atype's family.
@overload
def array(length: int, width: int, atype: type[INT], *, shared: bool = False) -> AtomicIntArray: ...
@overload
def array(length: int, width: int, atype: type[UINT], *, shared: bool = False) -> AtomicUintArray: ...
@overload
def array(length: int, width: int, atype: type[BYTES], *, shared: bool = False) -> AtomicBytesArray: ...
@overload
def array(length: int, width: int, atype: type[FLOAT], *, shared: bool = False) -> AtomicFloatArray: ...
@overload
def array(length: int, width: int, atype: type[INTEGRAL], *, shared: bool = False, is_signed: bool) -> AtomicIntegralArray: ...
@overload
def arrayview(buffer: _Memory, atype: type[INT], *, width: int | None = None) -> AtomicIntArray: ...
@overload
def arrayview(buffer: _Memory, atype: type[UINT], *, width: int | None = None) -> AtomicUintArray: ...
@overload
def arrayview(buffer: _Memory, atype: type[BYTES], *, width: int | None = None) -> AtomicBytesArray: ...
@overload
def arrayview(buffer: _Memory, atype: type[FLOAT], *, width: int | None = None) -> AtomicFloatArray: ...
@overload
def arrayview(buffer: _Memory, atype: type[INTEGRAL], *, width: int | None = None, is_signed: bool) -> AtomicIntegralArray: ...
