"""The limits of pytomic's 64-bit integers, as ``pytomic.cpp_limits`` 0.2.3 exports them."""

__all__ = ["C_MAX_INT", "C_MIN_INT", "C_MAX_UINT"]

C_MAX_INT = (1 << 63) - 1  # INT64_MAX
C_MIN_INT = -(1 << 63)  # INT64_MIN
C_MAX_UINT = (1 << 64) - 1  # UINT64_MAX
