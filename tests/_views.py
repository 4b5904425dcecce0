"""What the tests of views expect, written out from atomics 1.0's behaviour contract
(docs/spec/atomics-1.0-behaviour.md, sections 2, 3.2, 4, 5, 7) and the documented deviations
of this implementation (Q2, Q5, Q6, Q11, Q14, width 16), and the helpers they share.
"""

import re
import sys

import numpy as np
import pytest

import atomics
from atomics import ANY, BYTES, INT, INTEGRAL, UINT
from atomics.exc import UnsupportedWidthException

from _cpu import CAS16, LOAD16  # width 16, read from the CPU
from _model import INTEGRAL_OPS, READ_ONLY_OPS

# Widths with every operation on this CPU; 16-byte views need a 16-byte compare-exchange, and
# read-only ones a true 16-byte load.
WIDTHS = [1, 2, 4, 8] + ([16] if CAS16 else [])


def stable_repr(x):
    """repr without a memory address, so that every process collects the same test ids (the
    emulated runs use pytest-xdist)."""
    return re.sub(r" at 0x[0-9a-f]+", "", repr(x))


def sixteen_exists(readonly):
    return LOAD16 if readonly else CAS16


def assert_sixteen_refused(buffer, name, readonly):
    """Where the CPU has no 16-byte atomic for this access, a 16-byte view is refused (the
    width is checked before the alignment)."""
    with pytest.raises(UnsupportedWidthException) as ei:
        make_ctx(buffer, name)
    assert ei.value.width == 16 and ei.value.readonly is readonly


RELEASED = "Operation forbidden on released AtomicCore object."
ATYPE_ERROR = "Type parameter 'atype' must be one of [ANY, INTEGRAL, BYTES, INT, UINT]."
BUFFER_ERROR = "Keyword argument 'buffer' must support the buffer protocol."
CONTIGUOUS_ERROR = "Keyword argument 'buffer' must be C-contiguous."
RESIZE_ERROR = "Existing exports of data: object cannot be re-sized"
MMAP_CLOSE_ERROR = "cannot close exported pointers exist"
MV_RELEASE_ERROR = "memoryview has 1 exported buffer"
REINIT_CTX = "AtomicViewContext object cannot be re-initialised."
REINIT_VIEW = "AtomicView object cannot be re-initialised."
CORE_TYPE_ERROR = "Positional argument 'core' must have type 'AtomicCore'."
OPEN_TWICE = "Cannot open context multiple times."
OPEN_AFTER_RELEASE = "Cannot open context after calling 'release'."
RELEASE_WHILE_OPEN = "Cannot call 'release' while context is open."

ALL_OPS = INTEGRAL_OPS
READONLY_OPS = READ_ONLY_OPS

# atype -> (kwargs for atomicview, context class, view class)
ATYPES = {
    "INT": (INT, {}, atomics.ctx.AtomicIntViewContext, atomics.view.AtomicIntView),
    "UINT": (UINT, {}, atomics.ctx.AtomicUintViewContext, atomics.view.AtomicUintView),
    "BYTES": (BYTES, {}, atomics.ctx.AtomicBytesViewContext, atomics.view.AtomicBytesView),
    "INTEGRAL": (
        INTEGRAL,
        {"is_signed": True},
        atomics.ctx.AtomicIntegralViewContext,
        atomics.view.AtomicIntegralView,
    ),
    "ANY": (ANY, {"is_integral": True, "is_signed": True}, atomics.ctx.AtomicViewContext, atomics.view.AtomicView),
}
ATYPE_NAMES = list(ATYPES)


def make_ctx(buffer, name):
    atype, kwargs, _, _ = ATYPES[name]
    return atomics.atomicview(buffer, atype, **kwargs)


def address(obj):
    """Address of the first byte of a contiguous buffer (independent of the package)."""
    a = np.frombuffer(obj, dtype=np.uint8)
    try:
        return a.__array_interface__["data"][0]
    finally:
        del a


def aligned(width, *, readonly=False, fill=None):
    """A memoryview of `width` bytes whose address is a multiple of 64 (so of `width`)."""
    raw = bytearray(width + 128)
    off = (-address(raw)) % 64
    if fill is not None:
        raw[off : off + width] = fill
    mv = memoryview(raw)
    if readonly:
        mv = mv.toreadonly()
    out = mv[off : off + width]
    assert address(out) % 64 == 0
    return out


def ne(value, width, signed):
    return value.to_bytes(width, sys.byteorder, signed=signed)


def no_pins(ba):
    """True if the bytearray can be resized (nobody holds an export)."""
    try:
        ba.append(0)
    except BufferError:
        return False
    del ba[-1]
    return True


Z4 = b"\x00\x00\x00\x00"
