"""Hostile arguments (``__index__`` methods that raise, release the memory or call back in,
one-shot iterators, functions that misbehave) and how every argument converts: the
prediction of a call's outcome before it is made. The semantics of the operations are
``_model``'s.
"""

import math
import operator
import sys

import atomics
from atomics import MemoryOrder as MO
from atomics.exc import MemoryOrderError

from _cpu import SIZE_MAX
from _fuzz.run import short
from _model import LOAD_ORDERS, ORDER_VALUES, bounds, float_to_bits, mask_of


# ---------------------------------------------------------------------------------------
# The reference model is _model's; here: how the fuzzer's arguments convert
# ---------------------------------------------------------------------------------------


def family_of_class(cls):
    if issubclass(cls, atomics._native.AtomicIntegralBase):
        return "int"
    if issubclass(cls, atomics._native.AtomicBytesBase):
        return "bytes"
    if issubclass(cls, atomics._native.AtomicFloatBase):
        return "float"
    return "none"


class HostileError(Exception):
    """What the hostile ``__index__`` and ``__iter__`` methods raise."""


class Hostile:
    """An argument that misbehaves. The predictor reads what it does from `as_int` /
    `as_bytes` and never runs its methods; what it did during a call is read from EFFECTS."""

    def as_int(self):
        return ("raise", TypeError)

    def as_bytes(self, cmpxchg):
        return ("raise", TypeError)

    def __repr__(self):
        return type(self).__name__


EFFECTS = []  # (kind, payload) appended by hostile arguments while a call runs


class RaisingIndex(Hostile):
    def __index__(self):
        raise HostileError("hostile __index__")

    def as_int(self):
        return ("raise", HostileError)


class NonIntIndex(Hostile):
    def __index__(self):
        return 1.5

    def as_int(self):
        return ("raise", TypeError)


class HugeIndex(Hostile):
    def __index__(self):
        return 1 << 200

    def as_int(self):
        return ("ok", 1 << 200)


class ReleasingIndex(Hostile):
    """``__index__`` releases the memory of the object being called (closes its context or
    segment) and then returns a valid value."""

    def __init__(self, machine, target, value):
        self.machine, self.target, self.value = machine, target, value

    def __index__(self):
        if self.machine.release_backing(self.target.backing):
            EFFECTS.append(("release", self.target.backing))
        return self.value

    def as_int(self):
        return ("ok", self.value)

    def __repr__(self):
        return f"ReleasingIndex({self.value})"


class ReentrantIndex(Hostile):
    """``__index__`` calls an operation on the very object being called, then returns."""

    def __init__(self, machine, target, value):
        self.machine, self.target, self.value = machine, target, value

    def __index__(self):
        EFFECTS.append(("nested", self.machine.nested_call(self.target)))
        return self.value

    def as_int(self):
        return ("ok", self.value)

    def __repr__(self):
        return f"ReentrantIndex({self.value})"


class OneShotIter(Hostile):
    """An iterator over bytes (compare-exchange accepts any iterable)."""

    def __init__(self, data):
        self.data = bytes(data)
        self.it = iter(self.data)

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.it)

    def as_bytes(self, cmpxchg):
        return ("ok", self.data) if cmpxchg else ("raise", TypeError)

    def __repr__(self):
        return f"OneShotIter({self.data!r})"


class ReleasingIter(OneShotIter):
    def __init__(self, machine, target, data):
        super().__init__(data)
        self.machine, self.target = machine, target

    def __iter__(self):
        if self.machine.release_backing(self.target.backing):
            EFFECTS.append(("release", self.target.backing))
        return self


class ReentrantIter(OneShotIter):
    def __init__(self, machine, target, data):
        super().__init__(data)
        self.machine, self.target = machine, target

    def __iter__(self):
        EFFECTS.append(("nested", self.machine.nested_call(self.target)))
        return self


class RaisingIter(Hostile):
    def __iter__(self):
        raise HostileError("hostile __iter__")

    def as_bytes(self, cmpxchg):
        return ("raise", HostileError) if cmpxchg else ("raise", TypeError)


class RaisingBool(Hostile):
    def __bool__(self):
        raise HostileError("hostile __bool__")


class Raised:
    """An exception's class and message, without its traceback (which would keep frames
    and the objects in them alive)."""

    def __init__(self, e):
        self.cls, self.message = type(e), str(e)

    def __repr__(self):
        return f"{self.cls.__name__}({self.message!r})"


class UpdateFn(Hostile):
    """A function for update(fn). It records each call's argument and what it returned;
    `kind` says what it does: "valid" (a value of the right family), "junk" (returns
    `junk`), "raise", "release" (releases the memory, then returns a valid value), "nested"
    (first call only: an operation on the same atomic, which makes update retry)."""

    def __init__(self, machine, target, kind, rng, junk=None):
        self.machine, self.target, self.kind, self.junk = machine, target, kind, junk
        self.k = rng.getrandbits(8 * target.width)
        self.calls = []

    def valid(self, v):
        t = self.target
        if t.family == "bytes":
            return bytes(b ^ (self.k & 0xFF) for b in v)
        if t.family == "float":
            return v * 0.5 - 1.25
        lo, hi = bounds(t.width, t.signed)
        return lo + (v - lo + self.k) % (hi - lo + 1)

    def __call__(self, v):
        if self.kind == "raise":
            self.calls.append((v, None))
            raise HostileError("hostile update function")
        if self.kind == "release" and self.machine.release_backing(self.target.backing):
            EFFECTS.append(("release", self.target.backing))
        if self.kind == "nested" and not self.calls:
            EFFECTS.append(("nested", self.machine.nested_call(self.target)))
        out = self.junk if self.kind == "junk" else self.valid(v)
        self.calls.append((v, out))
        return out

    def __repr__(self):
        return f"UpdateFn({self.kind}{', ' + short(self.junk, 30) if self.kind == 'junk' else ''})"


class IntSub(int):
    pass


class BytesSub(bytes):
    pass


def conv_int(x, width, signed):
    """How an int argument converts: (bits, None) or (None, exception type)."""
    if isinstance(x, Hostile):
        how, what = x.as_int()
        if how == "raise":
            return None, what
        v = what
    elif isinstance(x, int):
        v = int(x)
    elif hasattr(type(x), "__index__"):  # numpy integers
        try:
            v = operator.index(x)
        except Exception as e:  # noqa: BLE001 - the type is the prediction
            return None, type(e)
    else:
        return None, TypeError
    lo, hi = bounds(width, signed)
    if not lo <= v <= hi:
        return None, OverflowError
    return v & mask_of(width), None


def conv_bytes(x, width, cmpxchg):
    """How a bytes argument converts (any buffer; compare-exchange also takes any iterable,
    as ``PyBytes_FromObject`` does)."""
    if isinstance(x, Hostile):
        how, what = x.as_bytes(cmpxchg)
        if how == "raise":
            return None, what
        data = what
    elif isinstance(x, bytes):
        data = bytes(x)
    else:
        try:
            with memoryview(x) as mv:
                data = mv.tobytes()
        except TypeError:
            data = None
        except ValueError:  # a released memoryview
            return None, ValueError
        if data is None:
            if not cmpxchg:
                return None, TypeError
            # atomics 1.0's order: the length by len() first (a TypeError without one, unless
            # an iterator, measured when converted), then the conversion
            has = lambda name: any(name in vars(k) for k in type(x).__mro__)  # noqa: E731 (not the metaclass's)
            if has("__len__"):
                if len(x) != width:
                    return None, ValueError
            elif not has("__iter__"):
                return None, TypeError
            if isinstance(x, str) or not isinstance(x, (list, tuple, dict)):
                return None, TypeError
            try:
                data = bytes(list(x))
            except (TypeError, ValueError) as e:
                return None, type(e)
    if len(data) != width:
        return None, ValueError
    return int.from_bytes(data, sys.byteorder), None


def conv_float(x, width):
    """How a float argument converts: floats as they are, ints and objects with __float__ or
    __index__ (numpy scalars, Decimal, Fraction) through float(); then rounded to the width."""
    if isinstance(x, Hostile):
        how, what = x.as_int()
        if how == "raise":
            return None, what
        try:
            v = float(what)
        except OverflowError:
            return None, OverflowError
    elif isinstance(x, float):
        v = x
    elif hasattr(type(x), "__float__") or hasattr(type(x), "__index__"):
        try:
            v = float(x)
        except Exception as e:  # noqa: BLE001
            return None, type(e)
    else:
        return None, TypeError
    return float_to_bits(v, width), None


def conv_value(x, t, cmpxchg=False):
    """An operand of target `t`'s family."""
    if t.family == "bytes":
        return conv_bytes(x, t.width, cmpxchg)
    if t.family == "float":
        return conv_float(x, t.width)
    return conv_int(x, t.width, t.signed)


def conv_order(x):
    if x is None:
        return MO.SEQ_CST, None
    if isinstance(x, int):
        v = int(x)
        return (MO(v), None) if v in ORDER_VALUES else (None, ValueError)
    return None, TypeError


def conv_index(x, width):
    if isinstance(x, Hostile):
        how, what = x.as_int()
        if how == "raise":
            return None, what
        v = what
    elif isinstance(x, int):
        v = int(x)
    elif hasattr(type(x), "__index__"):
        try:
            v = operator.index(x)
        except Exception as e:  # noqa: BLE001
            return None, type(e)
    else:
        return None, TypeError
    if not 0 <= v < 8 * width:
        return None, ValueError
    return v, None


def conv_timeout(x):
    """(seconds or math.inf, None) or (None, exception type)."""
    if x is None:
        return math.inf, None
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None, TypeError
    try:
        s = float(x)
    except OverflowError:
        return None, OverflowError
    if math.isnan(s) or s < 0:
        return None, ValueError
    return s, None


def conv_width(x):
    """A width argument as atomics 1.0 takes it: an int (bools and IntEnums included)."""
    if not isinstance(x, int):
        return None, TypeError
    v = int(x)
    if v < 0:
        return None, ValueError
    if v > SIZE_MAX:  # does not fit size_t (32 bits in a 32-bit process)
        return None, OverflowError
    return v, None


def conv_usize(x):
    """A size or offset parsed by PyO3 as usize."""
    if isinstance(x, Hostile) or not hasattr(type(x), "__index__"):
        return None, TypeError
    v = operator.index(x)
    if v < 0 or v > SIZE_MAX:
        return None, OverflowError
    return v, None


def released_first(method, order):
    """What a call on released memory raises: atomics 1.0's released ValueError, before any
    argument is looked at, except bit_test's order, which 1.0 checks first."""
    if method == "bit_test":
        o, err = conv_order(order)
        if err is not None:
            return Prediction().only(err, "'order' (bit_test checks it first)")
        if o not in LOAD_ORDERS:
            return Prediction().only(MemoryOrderError, "'order' (bit_test checks it first)")
    return Prediction().only(ValueError, "released")


class Prediction:
    def __init__(self):
        self.errors = {}  # exception type -> set of reasons
        self.exclusive = False

    def add(self, exc, reason):
        self.errors.setdefault(exc, set()).add(reason)

    def only(self, exc, reason):
        self.errors = {exc: {reason}}
        self.exclusive = True
        return self


# ---------------------------------------------------------------------------------------
