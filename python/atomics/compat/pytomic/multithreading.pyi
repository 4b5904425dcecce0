from typing import SupportsIndex

from ...base import AtomicInt as _AtomicInt
from ...base import AtomicUint as _AtomicUint
from . import _Checked, _Wrapping

__all__ = ["AtomicInt", "AtomicUInt", "AtomicIntUnsafe", "AtomicUIntUnsafe"]

class AtomicInt(_Checked[_AtomicInt]):
    def __init__(self, init_val: SupportsIndex) -> None: ...

class AtomicUInt(_Checked[_AtomicUint]):
    def __init__(self, init_val: SupportsIndex) -> None: ...

class AtomicIntUnsafe(_Wrapping[_AtomicInt]):
    def __init__(self, init_val: SupportsIndex) -> None: ...

class AtomicUIntUnsafe(_Wrapping[_AtomicUint]):
    def __init__(self, init_val: SupportsIndex) -> None: ...
