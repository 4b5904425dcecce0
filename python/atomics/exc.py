"""The exceptions of atomics 1.0, with its messages (double spaces included).

Unlike atomics 1.0, they pickle: ``__reduce__`` rebuilds them from their attributes.
"""


def _rebuild(cls, args, kwargs):
    return cls(*args, **kwargs)


def _enum_repr(value) -> str:
    name = getattr(value, "name", None)
    return f"{type(value).__name__}.{name}" if name is not None else repr(value)


class AlignmentError(Exception):
    """The buffer's address is not aligned to the atomic's width."""

    def __init__(self, width: int, address: int, *, using_recommended: bool):
        self.width = width
        self.address = address
        self.using_recommended = using_recommended
        kind = "recommended" if using_recommended else "minimum"
        super().__init__(
            f"The alignment of address {hex(address)} does not meet the {kind} alignment "
            f"requirements for atomic operations on objects with a width of {width}."
        )

    def __repr__(self) -> str:
        return (
            f"AlignmentError(width={self.width!r}, address={self.address!r}, "
            f"using_recommended={self.using_recommended!r})"
        )

    def __reduce__(self):
        return _rebuild, (type(self), (self.width, self.address), {"using_recommended": self.using_recommended})


class MemoryOrderError(Exception):
    """The memory order is not valid for the operation."""

    def __init__(self, optype, order, *, is_fail: bool):
        self.optype = optype
        self.order = order
        self.is_fail = is_fail
        fail = "fail " if is_fail else " "
        article = "an" if optype.name[0] in "AEIOU" else "a"
        super().__init__(f"{order.name} is not a valid {fail}memory order for {article} {optype.name} operation.")

    def __repr__(self) -> str:
        return (
            f"MemoryOrderError(optype={_enum_repr(self.optype)}, order={_enum_repr(self.order)}, "
            f"is_fail={self.is_fail!r})"
        )

    def __reduce__(self):
        return _rebuild, (type(self), (self.optype, self.order), {"is_fail": self.is_fail})


class UnsupportedWidthException(Exception):
    """No operation at all exists for objects of this width (and access)."""

    def __init__(self, width: int, *, readonly: bool):
        self.width = width
        self.readonly = readonly
        ro = " readonly " if readonly else " "
        super().__init__(f"No operations are supported on{ro}objects with a width of {width}.")

    def __repr__(self) -> str:
        return f"UnsupportedWidthException(width={self.width!r}, readonly={self.readonly!r})"

    def __reduce__(self):
        return _rebuild, (type(self), (self.width,), {"readonly": self.readonly})


class UnsupportedOperationException(Exception):
    """The operation does not exist for this object (a write on read-only memory, ...)."""

    def __init__(self, optype, width: int, *, readonly: bool):
        self.optype = optype
        self.width = width
        self.readonly = readonly
        ro = "readonly " if readonly else " "
        super().__init__(f"Operation {optype.name} is not supported on {ro}objects with a width of {width}.")

    def __repr__(self) -> str:
        return (
            f"UnsupportedOperationException(optype={_enum_repr(self.optype)}, width={self.width!r}, "
            f"readonly={self.readonly!r})"
        )

    def __reduce__(self):
        return _rebuild, (type(self), (self.optype, self.width), {"readonly": self.readonly})
