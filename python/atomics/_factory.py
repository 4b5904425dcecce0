"""The one table of atypes, and what makes atomics, views and arrays from it.

For each atype: the class of its atomics, of its view contexts and of its arrays, and whether
it takes keywords (``INTEGRAL`` takes ``is_signed``, ``ANY`` ``is_integral`` and
``is_signed``; atomics 1.0 ignores any given to the others). ``atomics.atomic``,
``atomicview``, ``array``, ``arrayview``, ``SharedSegment.atomic`` and ``.array`` all look
their atype up here.
"""

from typing import NamedTuple

from . import arrays, base, ctx
from ._atypes import ANY, BYTES, FLOAT, INT, INTEGRAL, UINT
from ._native import new_atomic, new_view_context


class Row(NamedTuple):
    atomic: type
    context: type
    array: "type | None"
    keywords: bool


TABLE = (
    (INT, Row(base.AtomicInt, ctx.AtomicIntViewContext, arrays.AtomicIntArray, False)),
    (UINT, Row(base.AtomicUint, ctx.AtomicUintViewContext, arrays.AtomicUintArray, False)),
    (BYTES, Row(base.AtomicBytes, ctx.AtomicBytesViewContext, arrays.AtomicBytesArray, False)),
    (INTEGRAL, Row(base.AtomicIntegral, ctx.AtomicIntegralViewContext, arrays.AtomicIntegralArray, True)),
    (ANY, Row(base.Atomic, ctx.AtomicViewContext, None, True)),
    (FLOAT, Row(base.AtomicFloat, ctx.AtomicFloatViewContext, arrays.AtomicFloatArray, False)),
)

ATYPE_ERROR = "Type parameter 'atype' must be one of [ANY, INTEGRAL, BYTES, INT, UINT]."  # (or FLOAT)
ARRAY_ATYPE_ERROR = "Type parameter 'atype' must be one of [INTEGRAL, BYTES, INT, UINT, FLOAT] for an array."


def row(atype):
    """The table's row of ``atype``, compared by identity (subclasses and look-alikes are
    refused with atomics 1.0's ``TypeError``)."""
    for known, found in TABLE:
        if atype is known:
            return found
    raise TypeError(ATYPE_ERROR)


class _Flags:
    """Stands in for a new object in its class's ``__init__``, keeping what ``__init__`` gives
    ``_init_owned``."""

    def _init_owned(self, width, is_integral, is_signed):
        self.is_integral, self.is_signed = is_integral, is_signed


def flags(atype, width, kwargs):
    """(class, is_integral, is_signed) of an atomic of ``atype``: the class's ``_flags``, or
    for an atype that takes keywords, what its ``__init__`` makes of them exactly as
    ``atomic()`` passes them, so that they are checked the same way (the same ``TypeError``
    for a missing or unknown one)."""
    found = row(atype)
    if not found.keywords:
        return (found.atomic, *found.atomic._flags)
    stand_in = _Flags()
    found.atomic.__init__(stand_in, width=width, **kwargs)
    return found.atomic, stand_in.is_integral, stand_in.is_signed


def atomic(width, atype, *, shared=False, **kwargs):
    """A new atomic of ``width`` bytes over zeroed memory.

    ``atype`` is one of ``INT``, ``UINT``, ``BYTES``, ``FLOAT`` (widths 4 and 8; extra keywords
    ignored, as in atomics 1.0), ``INTEGRAL`` (needs ``is_signed=``) or ``ANY`` (needs
    ``is_integral=`` and ``is_signed=``).

    With ``shared=True`` the memory is a new named shared-memory segment: the object pickles
    by reference, so child processes given it (under fork, spawn or forkserver) operate on
    the same memory; see ``atomics.shared``. Otherwise the memory is private to the process.
    """
    found = row(atype)
    if shared:
        cls, is_integral, is_signed = flags(atype, width, kwargs)
        obj = cls.__new__(cls)
        obj._init_new_segment(width, is_integral, is_signed)
        return obj
    if found.keywords:
        return found.atomic(width=width, **kwargs)
    return new_atomic(found.atomic, width)  # what atomic(width=width) makes


def atomicview(buffer, atype, **kwargs):
    """A context manager giving an atomic view of ``buffer`` (any C-contiguous object with the
    buffer protocol; its size is the width). The buffer stays pinned until the context exits.
    """
    found = row(atype)
    if found.keywords:
        return found.context(buffer=buffer, **kwargs)
    return new_view_context(found.context, buffer)  # what context(buffer=buffer) makes


def array_class(atype, kwargs):
    """(array class, is_signed) for an array of ``atype`` given keywords ``kwargs``."""
    allowed = ("is_signed",) if atype is INTEGRAL else ()
    for key in kwargs:
        if key not in allowed:
            raise TypeError(f"an array of {getattr(atype, '__name__', atype)} got an unexpected keyword argument '{key}'")
    found = None
    for known, candidate in TABLE:
        if atype is known:
            found = candidate
    if found is None or found.array is None:
        raise TypeError(ARRAY_ATYPE_ERROR)
    if atype is INTEGRAL:
        if "is_signed" not in kwargs:
            raise TypeError("an array of INTEGRAL needs the keyword argument 'is_signed'")
        return found.array, kwargs["is_signed"]
    return found.array, atype is INT


def array(length, width, atype, *, shared=False, **kwargs):
    """A new array of ``length`` atomics of ``width`` bytes each, zeroed.

    ``atype`` is ``INT``, ``UINT``, ``BYTES``, ``FLOAT`` or ``INTEGRAL`` (with
    ``is_signed=``). Every operation of an atomic exists with the element's index first
    (``a.fetch_add(i, 1)``), plus bulk operations over many indices (``a.add_at(indices)``,
    ``a.load_all()``); see ``atomics.arrays``. With ``shared=True`` the memory is a new
    shared-memory segment and the array pickles by reference, as ``atomic(..., shared=True)``.
    """
    cls, is_signed = array_class(atype, kwargs)
    obj = cls.__new__(cls)
    if shared:
        obj._init_new_segment(length, width, is_signed)
    else:
        obj._init_owned(length, width, is_signed)
    return obj


def arrayview(buffer, atype, *, width=None, **kwargs):
    """An array of atomics over ``buffer`` (any C-contiguous object with the buffer protocol:
    a numpy array, ``bytearray``, ``mmap``, shared memory), whose size must be a multiple of
    ``width`` (by default the buffer's item size: 8 for a numpy ``int64`` array). The buffer
    stays pinned until ``release()``; use it as a context manager to release on exit::

        with atomics.arrayview(counts, atomics.INT) as a:
            a.add_at(indices)
    """
    cls, is_signed = array_class(atype, kwargs)
    if width is None:
        with memoryview(buffer) as m:
            width = m.itemsize
    obj = cls.__new__(cls)
    obj._init_view(buffer, width, is_signed)
    return obj
