__all__ = ["C_MAX_INT", "C_MIN_INT", "C_MAX_UINT"]

C_MAX_INT: int
C_MIN_INT: int
C_MAX_UINT: int
