"""The enums of atomics 1.0: memory orders and operation types."""

import enum

from . import _native


class MemoryOrder(enum.IntEnum):
    """C11 memory orders (``consume``, 1, is deliberately absent)."""

    RELAXED = 0
    ACQUIRE = 2
    RELEASE = 3
    ACQ_REL = 4
    SEQ_CST = 5

    def is_valid_store_order(self) -> bool:
        """RELAXED, RELEASE or SEQ_CST."""
        return _native.is_valid_store_order(self.value)

    def is_valid_load_order(self) -> bool:
        """RELAXED, ACQUIRE or SEQ_CST."""
        return _native.is_valid_load_order(self.value)

    def is_valid_fail_order(self, succ: "MemoryOrder") -> bool:
        """Whether this order may be the failure order of a compare-exchange whose success
        order is ``succ``: a load order no stronger than ``succ``."""
        return _native.is_valid_fail_order(self.value, succ.value)


class OpType(enum.IntEnum):
    """Every atomic operation, numbered from 1 (1 to 27 as in atomics 1.0)."""

    STORE = 1
    LOAD = 2
    EXCHANGE = 3
    CMPXCHG_WEAK = 4
    CMPXCHG_STRONG = 5
    BIT_TEST = 6
    BIT_TEST_COMPL = 7
    BIT_TEST_SET = 8
    BIT_TEST_RESET = 9
    OR = 10
    XOR = 11
    AND = 12
    NOT = 13
    FETCH_OR = 14
    FETCH_XOR = 15
    FETCH_AND = 16
    FETCH_NOT = 17
    ADD = 18
    SUB = 19
    INC = 20
    DEC = 21
    NEG = 22
    FETCH_ADD = 23
    FETCH_SUB = 24
    FETCH_INC = 25
    FETCH_DEC = 26
    FETCH_NEG = 27
    # Beyond atomics 1.0:
    FETCH_MAX = 28
    FETCH_MIN = 29
    ADD_FETCH = 30
    SUB_FETCH = 31
    INC_FETCH = 32
    DEC_FETCH = 33
    CHECKED_FETCH_ADD = 34
    CHECKED_FETCH_SUB = 35

    @property
    def fname(self) -> str:
        """``"fp_"`` + the lower-case name without a leading ``bit_`` (atomics 1.0's C
        function name)."""
        name = self.name.lower()
        return "fp_" + (name[len("bit_"):] if name.startswith("bit_") else name)

    @property
    def cname(self) -> "str | None":
        """The group of C operations this belongs to (None for STORE and LOAD)."""
        if self.value <= 2:
            return None
        if self.value <= 5:
            return "xchg_ops"
        if self.value <= 9:
            return "bitwise_ops"
        if self.value <= 17:
            return "binary_ops"
        return "arithmetic_ops"
