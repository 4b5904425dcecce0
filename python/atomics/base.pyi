from ._atypes import ANY, BYTES, FLOAT, INT, INTEGRAL, UINT
from ._native import AtomicBase as _AtomicBase
from ._native import AtomicBytesBase as _AtomicBytesBase
from ._native import AtomicFloatBase as _AtomicFloatBase
from ._native import AtomicIntegralBase as _AtomicIntegralBase

class Atomic(_AtomicBase, ANY):
    def __init__(self, *, width: int, is_integral: bool, is_signed: bool) -> None: ...

class AtomicIntegral(_AtomicIntegralBase, Atomic, INTEGRAL):
    def __init__(self, *, width: int, is_signed: bool) -> None: ...

class AtomicBytes(_AtomicBytesBase, Atomic, BYTES):
    def __init__(self, *, width: int) -> None: ...

class AtomicFloat(_AtomicFloatBase, Atomic, FLOAT):
    def __init__(self, *, width: int) -> None: ...

class AtomicInt(AtomicIntegral, INT):
    def __init__(self, *, width: int) -> None: ...

class AtomicUint(AtomicIntegral, UINT):
    def __init__(self, *, width: int) -> None: ...
