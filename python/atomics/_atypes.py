"""The atomic types ("atypes") of atomics 1.0: selectors for ``atomic()`` and
``atomicview()`` (compared by identity) and the classes ``isinstance`` checks against.

    ANY
    ├── BYTES
    ├── FLOAT      (beyond atomics 1.0)
    └── INTEGRAL
        ├── INT
        └── UINT

They hold no state (``__slots__ = ()``) so that they can sit beside the native base classes.
"""


class ANY:
    """Any atomic object or view: ``width``, ``readonly``, ``ops_supported``."""

    __slots__ = ()


class BYTES(ANY):
    """Atomics whose value is ``bytes`` of ``width`` bytes."""

    __slots__ = ()


class INTEGRAL(ANY):
    """Atomics whose value is an integer, with arithmetic."""

    __slots__ = ()


class INT(INTEGRAL):
    """Signed integer atomics."""

    __slots__ = ()


class UINT(INTEGRAL):
    """Unsigned integer atomics."""

    __slots__ = ()


class FLOAT(ANY):
    """Atomics whose value is an IEEE float of 4 or 8 bytes (beyond atomics 1.0)."""

    __slots__ = ()
