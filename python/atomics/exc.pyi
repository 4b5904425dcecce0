from typing import Any

from ._enums import MemoryOrder, OpType

class AlignmentError(Exception):
    width: int
    address: int
    using_recommended: bool
    def __init__(self, width: int, address: int, *, using_recommended: bool) -> None: ...
    def __reduce__(self) -> tuple[Any, ...]: ...

class MemoryOrderError(Exception):
    optype: OpType
    order: MemoryOrder
    is_fail: bool
    def __init__(self, optype: OpType, order: MemoryOrder, *, is_fail: bool) -> None: ...
    def __reduce__(self) -> tuple[Any, ...]: ...

class UnsupportedWidthException(Exception):
    width: int
    readonly: bool
    def __init__(self, width: int, *, readonly: bool) -> None: ...
    def __reduce__(self) -> tuple[Any, ...]: ...

class UnsupportedOperationException(Exception):
    optype: OpType
    width: int
    readonly: bool
    def __init__(self, optype: OpType, width: int, *, readonly: bool) -> None: ...
    def __reduce__(self) -> tuple[Any, ...]: ...
