"""What the tests of views expect, written out from atomics 1.0's behaviour contract
(docs/spec/atomics-1.0-behaviour.md, sections 2, 3.2, 4, 5, 7) and the documented deviations
of this implementation (Q2, Q5, Q6, Q11, Q14, width 16), and the helpers they share.
"""

import sys

import numpy as np

import atomics
from atomics import ANY, BYTES, INT, INTEGRAL, UINT

from _model import INTEGRAL_OPS, READ_ONLY_OPS


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
