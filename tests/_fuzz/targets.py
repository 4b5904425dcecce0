"""What the fuzzer holds (atomics and views as *targets* over their memory, segment files,
backings) and the pools of valid and hostile values it draws each parameter from.
"""

import array
import ctypes
import decimal
import fractions
import math
import mmap
import os
import stat
import struct
import sys

import atomics
from atomics import MemoryOrder as MO, OpType

from _fuzz.arguments import (BytesSub, HugeIndex, IntSub, NonIntIndex, OneShotIter, RaisingIndex,
                             RaisingIter, ReentrantIndex, ReentrantIter, ReleasingIndex, ReleasingIter,
                             UpdateFn)
from _fuzz.run import SHM, TAG
from _model import ALL_ORDERS, bits_to_float, bounds, decode, mask_of

try:
    import numpy as np
except ImportError:  # pragma: no cover - numpy is optional
    np = None


# What the fuzzer holds
# ---------------------------------------------------------------------------------------


class Cell:
    """The model of one atomic's memory: its bit pattern."""

    __slots__ = ("u", "width")

    def __init__(self, width, u=0):
        self.width, self.u = width, u

    def raw(self):
        return self.u.to_bytes(self.width, sys.byteorder)


class SegmentFile:
    """A segment this process made, seen through an independent read-only mmap of its
    /dev/shm file (which stays valid after the name is removed)."""

    def __init__(self, name, size, width, kind):
        self.name, self.size = name, size
        self.cells = {}  # data offset -> Cell
        self.header = (b"atomics\0" + struct.pack("=IIQII", 1, 64, size, width, kind)).ljust(64, b"\0")
        path = os.path.join(SHM, name.lstrip("/"))
        fd = os.open(path, os.O_RDONLY)
        try:
            st_ = os.fstat(fd)
            self.mode, self.uid = stat.S_IMODE(st_.st_mode), st_.st_uid
            self.map = mmap.mmap(fd, 64 + size, access=mmap.ACCESS_READ)
        finally:
            os.close(fd)
        self.kept = False  # unlink_on_close set to False: the test removes the name itself

    def path(self):
        return os.path.join(SHM, self.name.lstrip("/"))

    def expected(self):
        data = bytearray(self.size)
        for offset, cell in self.cells.items():
            data[offset:offset + cell.width] = cell.raw()
        return self.header + bytes(data)


class Backing:
    """What one or more targets' memory belongs to, as the test sees it."""

    def __init__(self, kind, readonly=False):
        self.kind = kind  # owned | view | segment | uninit
        self.readonly = readonly
        self.released = False
        self.ctx = None  # view: its context
        self.passed = None  # view: the object given to atomicview (pin checks)
        self.passed_released = False
        self.reader = None  # view: () -> bytes of the whole underlying buffer
        self.snapshot = None  # view: bytes of the whole buffer at creation
        self.regions = []  # view: (offset in the buffer, Cell)
        self.address = None  # view: address of the region
        self.seg = None  # segment: the SharedSegment object (None when there is none to close)
        self.file = None  # segment: its SegmentFile
        self.owner = False  # segment: releasing it removes the name
        self.keep = []  # objects that must live as long as the backing (files, mmaps)
        self.array = None  # array view: an array object over it (release() releases them all)
        self.base = None  # array view: the writable object the buffer is part of, if any
        self.base_address = None  # array view: the address of `base`

    def expected_buffer(self):
        data = bytearray(self.snapshot)
        for offset, cell in self.regions:
            data[offset:offset + cell.width] = cell.raw()
        return bytes(data)


class Target:
    def __init__(self, obj, backing, cell, width, family, signed, signed_obj, readonly, integral, label):
        self.obj, self.backing, self.cell = obj, backing, cell
        self.width, self.family, self.signed = width, family, signed
        self.signed_obj, self.readonly, self.integral = signed_obj, readonly, integral
        self.label = label
        self.address = None  # when not the backing's (an array's element)
        self.dummy = False  # an element of an empty array (for a call the model refuses)

    @property
    def alive(self):
        return self.backing.kind != "uninit" and not self.backing.released

    def value(self):
        return decode(self.cell.u, self.width, self.family, self.signed)

    def __repr__(self):
        return f"<{self.label} w={self.width} {self.family}{' ro' if self.readonly else ''}{'' if self.alive else ' released'}>"


def address_of(obj):
    """The address of a buffer's first byte (writable buffers, bytes and numpy arrays)."""
    if np is not None and isinstance(obj, np.ndarray):
        return obj.ctypes.data
    if isinstance(obj, bytes):
        return ctypes.cast(ctypes.c_char_p(obj), ctypes.c_void_p).value
    c = (ctypes.c_char * len(obj)).from_buffer(obj)
    try:
        return ctypes.addressof(c)
    finally:
        del c


def shm_names():
    """This session's segments in /dev/shm."""
    try:
        return {n for n in os.listdir(SHM) if n.startswith("atomics_" + TAG)}
    except FileNotFoundError:  # pragma: no cover - not Linux
        return set()


# ---------------------------------------------------------------------------------------
# Argument pools: valid and hostile values for each kind of parameter
# ---------------------------------------------------------------------------------------


def int_operand_pool(m, t, rng):
    """(valid values, hostile values) for an integer operand of target `t`."""
    w, signed = t.width, t.signed
    lo, hi = bounds(w, signed)
    bits = 8 * w
    current = t.value() if t.family == "int" else 0
    valid = [
        lambda: rng.randint(lo, hi), lambda: rng.randint(lo, hi), lambda: rng.randint(lo, hi),
        lambda: current, lambda: current, lambda: lo, lambda: hi, lambda: 0, lambda: 1,
        lambda: hi - 1, lambda: lo + 1, lambda: True, lambda: False,
        lambda: MO.SEQ_CST, lambda: OpType.FETCH_NEG, lambda: IntSub(rng.randint(0, min(hi, 100))),
    ]
    hostile = [
        lambda: -1, lambda: hi + 1, lambda: lo - 1, lambda: 1 << bits, lambda: -(1 << bits), lambda: 1 << 64,
        lambda: -(1 << 63) - 1, lambda: 1 << 128, lambda: -(1 << 200), lambda: 1 << 1000,
        lambda: 1.0, lambda: float("nan"), lambda: float("inf"), lambda: -0.0, lambda: None,
        lambda: "1", lambda: b"\x01" * w, lambda: bytearray(w), lambda: [1], lambda: (1,),
        lambda: object(), lambda: 1j, lambda: decimal.Decimal(1), lambda: fractions.Fraction(1, 1),
        lambda: RaisingIndex(), lambda: NonIntIndex(), lambda: HugeIndex(),
        lambda: ReleasingIndex(m, t, rng.randint(max(lo, 0), min(hi, 3))),
        lambda: ReentrantIndex(m, t, rng.randint(max(lo, 0), min(hi, 3))),
    ]
    if np is not None:
        valid += [lambda: np.int64(max(lo, -(1 << 63)) if rng.random() < 0.5 else min(hi, (1 << 63) - 1)),
                  lambda: np.uint8(min(hi, 255))]
        hostile += [lambda: np.uint64(min(hi, (1 << 64) - 1)), lambda: np.int8(-1), lambda: np.uint8(255),
                    lambda: np.float64(1.0), lambda: np.bool_(True), lambda: np.array([1])]
    return valid, hostile


def bytes_operand_pool(m, t, rng, cmpxchg):
    """(valid values, hostile values) for a bytes operand of target `t`."""
    w = t.width
    current = t.cell.raw()

    def rand():
        return rng.randbytes(w)

    def strided():
        return memoryview(bytearray(rand() * 2))[::2]

    def released():
        mv = memoryview(bytearray(w))
        mv.release()
        return mv

    valid = [
        rand, rand, rand, lambda: current, lambda: current, lambda: bytes(w), lambda: b"\xff" * w,
        lambda: bytearray(rand()), lambda: memoryview(rand()), lambda: memoryview(bytearray(rand())).toreadonly(),
        strided, lambda: array.array("B", rand()), lambda: BytesSub(rand()),
    ]
    if cmpxchg:
        valid += [lambda: list(current), lambda: list(rand()), lambda: tuple(rand()), lambda: OneShotIter(rand())]
    hostile = [
        lambda: bytes(w - 1), lambda: bytes(w + 1), lambda: b"", lambda: bytes(2 * w), lambda: "a" * w,
        lambda: None, lambda: 0, lambda: w, lambda: 1.5, released, lambda: [256] * w, lambda: ["a"] * w,
        lambda: list(rand())[:-1], lambda: RaisingIndex(), lambda: RaisingIter(), lambda: OneShotIter(rand()),
        lambda: list(rand()), lambda: dict.fromkeys(range(w)),
        lambda: ReleasingIter(m, t, rand()), lambda: ReentrantIter(m, t, rand()), lambda: object(),
        lambda: array.array("H", rand() + rand()),  # len() == width, nbytes == 2 * width
    ]
    if w % 2 == 0:
        valid.append(lambda: array.array("H", rand()))
    if w % 4 == 0:
        valid.append(lambda: array.array("I", rand()))
    if np is not None:
        valid += [lambda: np.frombuffer(rand(), dtype=np.uint8).copy(),
                  lambda: np.frombuffer(rand() * 2, dtype=np.uint8)[::2]]
        scalar = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}.get(w)
        if scalar is not None:
            valid.append(lambda: scalar(rng.randint(0, mask_of(w))))
    return valid, hostile


def float_operand_pool(m, t, rng):
    """(valid values, hostile values) for a float operand of target `t`."""
    w = t.width
    current = t.value() if t.family == "float" else 0.0
    snan = struct.unpack("=d", struct.pack("=Q", 0x7FF4000000000001))[0]
    specials = [0.0, -0.0, 1.0, -1.5, 0.1, 1e-45, 5e-324, 3.4028235e38, 3.5e38, 1e300, -1e300,
                math.inf, -math.inf, math.nan, -math.nan, snan]
    valid = [
        lambda: rng.uniform(-1e6, 1e6), lambda: rng.choice(specials), lambda: rng.choice(specials),
        lambda: current, lambda: current, lambda: bits_to_float(rng.getrandbits(8 * w), w),
        lambda: rng.randint(-1000, 1000), lambda: True, lambda: IntSub(3), lambda: MO.SEQ_CST,
        lambda: decimal.Decimal("2.5"), lambda: fractions.Fraction(1, 3), lambda: 1 << 200,
    ]
    hostile = [
        lambda: "1.0", lambda: None, lambda: b"x", lambda: bytearray(8), lambda: [1.0], lambda: (1.0,),
        lambda: 1j, lambda: 10 ** 400, lambda: -(10 ** 400), lambda: object(), lambda: RaisingIndex(),
        lambda: NonIntIndex(), lambda: HugeIndex(), lambda: ReleasingIndex(m, t, 1),
        lambda: ReentrantIndex(m, t, 2), lambda: OneShotIter(bytes(w)),
    ]
    if np is not None:
        valid += [lambda: np.float64(rng.uniform(-10, 10)), lambda: np.float32(0.1), lambda: np.int64(5),
                  lambda: np.uint8(3), lambda: np.float16(1.5)]
    return valid, hostile


def update_pool(m, t, rng):
    """(valid, hostile) functions for update(fn)."""
    valid_junk = {"int": [lambda: True, lambda: IntSub(1)], "bytes": [lambda: bytearray(t.width), lambda: memoryview(bytes(t.width))],
                  "float": [lambda: 2, lambda: decimal.Decimal("0.5")]}.get(t.family, [])
    lo, hi = bounds(t.width, t.signed)
    junk = {"int": [hi + 1, lo - 1, 1.5, "x", None, b"\0", RaisingIndex()],
            "bytes": [bytes(t.width + 1), b"", [0] * t.width, "x" * t.width, None, 0],
            "float": ["x", None, 10 ** 400, 1j, b"\0" * 8, RaisingIndex()]}.get(t.family, [None])
    valid = [lambda: UpdateFn(m, t, "valid", rng), lambda: UpdateFn(m, t, "valid", rng),
             lambda: UpdateFn(m, t, "nested", rng)]
    valid += [(lambda make=make: UpdateFn(m, t, "junk", rng, make())) for make in valid_junk]
    hostile = [lambda: UpdateFn(m, t, "junk", rng, rng.choice(junk)), lambda: UpdateFn(m, t, "raise", rng),
               lambda: UpdateFn(m, t, "release", rng), lambda: 5, lambda: None, lambda: "fn",
               lambda: (lambda: 0), lambda: (lambda a, b: 0)]
    return valid, hostile


def order_pool(rng):
    valid = [
        lambda: rng.choice(ALL_ORDERS), lambda: rng.choice(ALL_ORDERS), lambda: rng.choice(ALL_ORDERS),
        lambda: MO.SEQ_CST, lambda: MO.RELAXED, lambda: int(rng.choice(ALL_ORDERS)), lambda: None,
        lambda: False, lambda: OpType.LOAD, lambda: IntSub(5),
    ]
    hostile = [
        lambda: 1, lambda: 6, lambda: -1, lambda: 1 << 64, lambda: 1 << 100, lambda: -(1 << 100),
        lambda: True, lambda: "SEQ_CST", lambda: 5.0, lambda: b"\x05", lambda: MO, lambda: [5],
        lambda: object(), lambda: RaisingIndex(), lambda: OpType.STORE,
    ] + ([lambda: np.int64(5)] if np is not None else [])
    return valid, hostile


def index_pool(m, t, rng):
    bits = 8 * t.width
    valid = [
        lambda: rng.randrange(bits), lambda: rng.randrange(bits), lambda: rng.randrange(bits),
        lambda: 0, lambda: bits - 1, lambda: True, lambda: False, lambda: IntSub(1),
    ] + ([lambda: np.int64(rng.randrange(bits))] if np is not None else [])
    hostile = [
        lambda: bits, lambda: -1, lambda: 1 << 63, lambda: 1 << 64, lambda: -(1 << 64), lambda: 1 << 200,
        lambda: 1.0, lambda: None, lambda: "0", lambda: RaisingIndex(), lambda: NonIntIndex(), lambda: HugeIndex(),
        lambda: ReleasingIndex(m, t, rng.randrange(bits)), lambda: ReentrantIndex(m, t, rng.randrange(bits)),
    ] + ([lambda: np.uint8(bits)] if np is not None else [])
    return valid, hostile


def timeout_pool(rng):
    valid = [lambda: 0, lambda: 0.0, lambda: -0.0, lambda: 1e-4, lambda: 0.0005, lambda: 1e-300,
             lambda: None, lambda: math.inf, lambda: 1e300, lambda: 1 << 100]
    hostile = [
        lambda: 10 ** 400, lambda: -1, lambda: -1e-9, lambda: math.nan, lambda: True, lambda: False,
        lambda: "0", lambda: [0], lambda: decimal.Decimal("0.001"), lambda: fractions.Fraction(1, 1000),
        lambda: 1j,
    ]
    if np is not None:
        valid.append(lambda: np.float64(0.0002))
        hostile.append(lambda: np.int64(0))
    return valid, hostile


ANY_POOL = [lambda: None, lambda: 0, lambda: 1, lambda: -1, lambda: 1 << 70, lambda: 2.5, lambda: "x",
            lambda: b"\0", lambda: [], lambda: object(), lambda: MO.RELEASE, lambda: RaisingIndex()]


# ---------------------------------------------------------------------------------------
# The state machine
# ---------------------------------------------------------------------------------------

ATYPES = [  # (label, atype, kwargs)
    ("INT", atomics.INT, {}),
    ("UINT", atomics.UINT, {}),
    ("BYTES", atomics.BYTES, {}),
    ("INTEGRAL", atomics.INTEGRAL, {"is_signed": True}),
    ("INTEGRAL", atomics.INTEGRAL, {"is_signed": 0}),
    ("INTEGRAL", atomics.INTEGRAL, {"is_signed": [1]}),
    ("ANY", atomics.ANY, {"is_integral": 1, "is_signed": False}),
    ("INT", atomics.INT, {"is_signed": False}),  # ignored, as in atomics 1.0
    ("FLOAT", atomics.FLOAT, {}),
    ("FLOAT", atomics.FLOAT, {}),
]


def atype_facts(atype, kwargs):
    """(family, signed, signed object, integral flag, segment kind) of an atype."""
    if atype is atomics.INT:
        return "int", True, True, True, 1
    if atype is atomics.UINT:
        return "int", False, False, True, 2
    if atype is atomics.BYTES:
        return "bytes", False, False, False, 3
    if atype is atomics.FLOAT:
        return "float", False, None, False, 4
    if atype is atomics.INTEGRAL:
        s = kwargs["is_signed"]
        return "int", bool(s), s, True, 1 if s else 2
    s = kwargs["is_signed"]
    integral = bool(kwargs["is_integral"])
    return "none", bool(s), s, integral, (1 if s else 2) if integral else 3


VIEW_BASES = ["bytearray", "bytearray", "bytearray-whole", "mmap", "mmap-whole", "numpy",
              "bytes", "toreadonly", "mmap-access-read", "mmap-prot-read"]


# ---------------------------------------------------------------------------------------
