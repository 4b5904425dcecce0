"""Atomics in named shared memory, shared with child processes and other programs.

The one-line way: ``atomics.atomic(8, atomics.INT, shared=True)`` makes an atomic whose
memory is a new shared-memory segment. It pickles by reference, so passing it to a child
process (``Process`` arguments, ``Pool``/``ProcessPoolExecutor`` tasks, queues), under fork,
spawn or forkserver, gives the child an object over the same memory.

Several atomics in one segment::

    seg = SharedSegment.create(size)            # zeroed, mode 0600, unguessable name
    a = seg.atomic(0, 8, atomics.INT)           # data offset, width, atype
    b = seg.atomic(64, 8, atomics.UINT)         # on a cache line of its own
    # elsewhere: SharedSegment.attach(seg.name).atomic(0, 8, atomics.INT)

Lifetimes: a mapping stays valid in every process that holds an object over it, whatever
the others do. The name (what lets a process attach) is removed when the creating process
releases the segment (``close()``, or its last object over it is gone) or ends, unless
``unlink_on_close`` was set to False. "Ends" covers a normal exit (``atexit``) and the end
of a ``multiprocessing`` child under every start method (its finalizers), but not a process
killed by a signal: ``Pool.terminate()`` (which ``with Pool(...)`` calls on exit) kills its
workers, so segments they created keep their names. Nothing depends on
``multiprocessing.resource_tracker``.
The layout is documented in ``docs/shared-memory.md`` for C, C++ and Rust programs.
"""

import atexit
import os
import sys
import weakref

from . import _factory, _native
from ._atypes import BYTES, FLOAT, INT, UINT
from ._native import SharedSegment

__all__ = ["SharedSegment", "attach", "attach_array", "layout"]

CACHE_LINE = 64

# Segments mapped by unpickling, by name, so that many objects share one mapping.
_attached = weakref.WeakValueDictionary()


def _segment(name):
    segment = _attached.get(name)
    if segment is None or segment.closed:
        segment = SharedSegment.attach(name)
        _attached[name] = segment
    return segment


def _rebuild(cls, name, offset, length, width, is_integral, is_signed):
    """Unpickles an atomic (``length`` None) or an array over segment ``name`` (see
    ``__reduce_ex__`` of ``AtomicBase`` and ``AtomicArrayBase``)."""
    obj = cls.__new__(cls)
    if length is None:
        obj._init_segment(_segment(name), offset, width, is_integral, is_signed)
    else:
        obj._init_segment(_segment(name), offset, length, width, is_signed)
    return obj


def _atomic(self, offset, width, atype, **kwargs):
    cls, is_integral, is_signed = _factory.flags(atype, width, kwargs)
    obj = cls.__new__(cls)
    obj._init_segment(self, offset, width, is_integral, is_signed)
    return obj


def _array(self, offset, length, width, atype, **kwargs):
    cls, is_signed = _factory.array_class(atype, kwargs)
    obj = cls.__new__(cls)
    obj._init_segment(self, offset, length, width, is_signed)
    return obj


_atomic.__name__ = _atomic.__qualname__ = "atomic"
_atomic.__doc__ = """The atomic of ``width`` bytes at data ``offset`` (a multiple of the width)
of this segment, of type ``atype`` (as for ``atomics.atomic``)."""
_array.__name__ = _array.__qualname__ = "array"
_array.__doc__ = """The array of ``length`` atomics of ``width`` bytes from data ``offset``
(a multiple of the width) of this segment, of type ``atype`` (as for ``atomics.array``)."""
SharedSegment.atomic = _atomic
SharedSegment.array = _array


_KINDS = {"INT": INT, "UINT": UINT, "BYTES": BYTES, "FLOAT": FLOAT}
# The widths the segment format has for the single atomic of each kind (docs/shared-memory.md).
_WIDTHS = {"INT": (1, 2, 4, 8, 16), "UINT": (1, 2, 4, 8, 16), "BYTES": (1, 2, 4, 8, 16), "FLOAT": (4, 8)}


def attach(name, width=None, atype=None):
    """The atomic of a segment made by ``atomic(width, atype, shared=True)`` in any process,
    by the segment's name (``obj.shared_name``). ``width`` and ``atype``, when given, must
    match what the segment was made for."""
    segment = SharedSegment.attach(name)
    made = _KINDS.get(segment.kind)
    if made is None:
        raise TypeError(f"segment {name} holds a layout of several atomics; use SharedSegment.attach(name).atomic(...)")
    if segment.width not in _WIDTHS[segment.kind] or segment.width > segment.size:
        raise ValueError(f"{name} is not an atomics segment: width {segment.width} for kind {segment.kind} "
                         f"in {segment.size} data bytes")
    if segment.size != segment.width:
        raise ValueError(
            f"segment {name} holds an array of {segment.size // segment.width} {segment.kind} atomics of width "
            f"{segment.width}, not one atomic; use atomics.shared.attach_array(name)"
        )
    if (width is not None and width != segment.width) or (atype is not None and atype is not made):
        asked = f"{getattr(atype, '__name__', atype)} of width {width}"
        raise ValueError(f"segment {name} holds an {segment.kind} of width {segment.width}, not {asked}")
    return segment.atomic(0, segment.width, made)


def attach_array(name, width=None, atype=None):
    """The array of a segment made by ``array(length, width, atype, shared=True)`` in any
    process, by the segment's name (``arr.shared_name``): every atomic of its data. ``width``
    and ``atype``, when given, must match what the segment was made for."""
    segment = SharedSegment.attach(name)
    made = _KINDS.get(segment.kind)
    if made is None:
        raise TypeError(f"segment {name} holds a layout of several atomics; use SharedSegment.attach(name).array(...)")
    if segment.width not in _WIDTHS[segment.kind] or segment.size % segment.width:
        raise ValueError(f"{name} is not an atomics segment: width {segment.width} for kind {segment.kind} "
                         f"in {segment.size} data bytes")
    if (width is not None and width != segment.width) or (atype is not None and atype is not made):
        asked = f"{getattr(atype, '__name__', atype)} of width {width}"
        raise ValueError(f"segment {name} holds {segment.kind} atomics of width {segment.width}, not {asked}")
    return segment.array(0, segment.size // segment.width, segment.width, made)


def layout(widths, cache_line_padded=False):
    """Offsets for atomics of the given widths placed one after another, each aligned to its
    width (or, with ``cache_line_padded``, each on a 64-byte cache line of its own), and the
    segment size they need: ``offsets, size = layout([8, 8, 4])``."""
    offsets, end = [], 0
    for width in widths:
        step = CACHE_LINE if cache_line_padded else width
        end = -(-end // step) * step
        offsets.append(end)
        end += max(width, CACHE_LINE) if cache_line_padded else width
    return offsets, max(end, 1)


atexit.register(_native.unlink_created_segments)

# The process that _unlink_at_exit last prepared.
_exit_prepared_pid = None


def _unlink_at_exit():
    """Called before each segment is created: makes sure this process removes the names of
    the segments it created when it ends. ``atexit`` covers a normal interpreter exit; a
    ``multiprocessing`` child ends with ``os._exit`` under fork and forkserver, which skips
    ``atexit`` but runs the ``multiprocessing`` finalizers registered in the child, so one is
    registered there (once per process)."""
    global _exit_prepared_pid
    pid = os.getpid()
    if _exit_prepared_pid == pid:
        return
    _exit_prepared_pid = pid
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is not None and multiprocessing.parent_process() is not None:
        from multiprocessing import util

        util.Finalize(None, _native.unlink_created_segments, exitpriority=0)
