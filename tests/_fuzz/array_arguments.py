"""Arrays of atomics in the fuzzer: array targets, element proxies, hostile indices, sequences
and buffer exporters, and how indices and values convert.
"""

import operator
import sys
import types

import atomics
from atomics import arrays as aarrays, base as abase

from _fuzz.arguments import EFFECTS, Hostile, HostileError, conv_bytes, conv_float, conv_int
from _fuzz.run import short
from _fuzz.targets import Cell, Target
from _model import bits_to_float, bounds, decode, float_to_bits, mask_of


# Arrays of atomics (atomics.array, arrayview, SharedSegment.array): the reference
# ---------------------------------------------------------------------------------------

MAX_ARRAYS = 5
ARRAY_ATYPES = [  # (label, atype, kwargs)
    ("INT", atomics.INT, {}),
    ("UINT", atomics.UINT, {}),
    ("BYTES", atomics.BYTES, {}),
    ("FLOAT", atomics.FLOAT, {}),
    ("FLOAT", atomics.FLOAT, {}),
    ("INTEGRAL", atomics.INTEGRAL, {"is_signed": True}),
    ("INTEGRAL", atomics.INTEGRAL, {"is_signed": 0}),
    ("INTEGRAL", atomics.INTEGRAL, {"is_signed": [1]}),
]
ARRAY_CLASS = {"INT": aarrays.AtomicIntArray, "UINT": aarrays.AtomicUintArray, "BYTES": aarrays.AtomicBytesArray,
               "FLOAT": aarrays.AtomicFloatArray, "INTEGRAL": aarrays.AtomicIntegralArray}
# the class of a.element(i), by the array's class (docs/arrays.md: an AtomicInt, ...)
ELEMENT_CLASS = {aarrays.AtomicIntArray: abase.AtomicInt, aarrays.AtomicUintArray: abase.AtomicUint,
                 aarrays.AtomicBytesArray: abase.AtomicBytes, aarrays.AtomicFloatArray: abase.AtomicFloat,
                 aarrays.AtomicIntegralArray: abase.AtomicIntegral}
ARRAY_CLASSES = list(ELEMENT_CLASS)
KIND_ATYPE = {1: ("INT", atomics.INT), 2: ("UINT", atomics.UINT), 3: ("BYTES", atomics.BYTES), 4: ("FLOAT", atomics.FLOAT)}
AT_PARAMS = ("indices", "values", "order")
# bulk method -> (parameters, how many are required)
BULK = {"load_all": (("out", "order"), 0), "store_all": (("values", "order"), 1), "store_at": (AT_PARAMS, 2),
        **{name: (AT_PARAMS, 1) for name in ("add_at", "sub_at", "max_at", "min_at", "or_at", "and_at", "xor_at")}}
BULK_FAMILY = {
    "int": set(BULK),
    "bytes": {"load_all", "store_all", "store_at", "or_at", "and_at", "xor_at"},
    "float": {"load_all", "store_all", "store_at", "add_at", "sub_at", "max_at", "min_at"},
    "none": set(),
}
BULK_NAMES = sorted(BULK)
FLOAT_AT = {"add_at": "fetch_add", "sub_at": "fetch_sub", "max_at": "fetch_max", "min_at": "fetch_min"}
ARRAY_MISC = ["getitem", "getitem", "setitem", "setitem", "delitem", "len", "iter", "element", "element", "width",
              "nbytes", "readonly", "released", "ops_supported", "signed", "_address", "shared", "repr", "copy",
              "deepcopy", "pickle", "reinit", "with", "release"]


def defining_class(cls, method):
    """The class whose descriptor `cls.method` is: it takes instances of that class (the
    bulk operations are defined once per family, the others on each class)."""
    return next(k for k in cls.__mro__ if method in vars(k))


def array_family_of_class(cls):
    if issubclass(cls, atomics._native.AtomicIntegralArrayBase):
        return "int"
    if issubclass(cls, atomics._native.AtomicBytesArrayBase):
        return "bytes"
    if issubclass(cls, atomics._native.AtomicFloatArrayBase):
        return "float"
    return "none"


class ArrayTarget:
    """An array object and the model of its memory: one Cell per element (shared with its
    copies, its element objects and, in a segment, the segment's model)."""

    def __init__(self, obj, backing, cells, width, family, signed, signed_obj, readonly, label, address=None,
                 offset=None):
        self.obj, self.backing, self.cells = obj, backing, cells
        self.width, self.family, self.signed, self.signed_obj = width, family, signed, signed_obj
        self.readonly, self.label = readonly, label
        self.address = address  # of element 0, when the test knows it (views of its own buffers)
        self.offset = offset  # data offset in its segment

    @property
    def alive(self):
        return self.backing.kind != "uninit" and not self.backing.released

    @property
    def n(self):
        return len(self.cells)

    @property
    def nbytes(self):
        return self.n * self.width

    def values(self):
        return [decode(c.u, self.width, self.family, self.signed) for c in self.cells]

    def raw(self):
        return b"".join(c.raw() for c in self.cells)

    def element_target(self, i):
        """A Target for element i, called through the array (`ElementProxy`); i None: an
        index the model refuses (any element stands in for the prediction of the others)."""
        cell = self.cells[i] if i is not None else (self.cells[0] if self.cells else Cell(self.width))
        t = Target(ElementProxy(self.obj, 0 if i is None else i), self.backing, cell, self.width, self.family,
                   self.signed, self.signed_obj, self.readonly, self.family == "int", f"{self.label}[{i}]")
        t.dummy = not self.cells
        return t

    def __repr__(self):
        return (f"<{self.label} n={self.n} w={self.width} {self.family}{' ro' if self.readonly else ''}"
                f"{'' if self.alive else ' released'}>")


class ElementProxy:
    """Element `index` of an array, as if it were an atomic: ``proxy.fetch_inc()`` calls
    ``array.fetch_inc(index)`` (nested calls and the model's reads go through it)."""

    __slots__ = ("array", "index")

    def __init__(self, array_obj, index):
        self.array, self.index = array_obj, index

    def __getattr__(self, name):
        method, index = getattr(self.array, name), self.index
        return lambda *args, **kwargs: method(index, *args, **kwargs)


class PlainIndex(Hostile):
    """An int-like object (as numpy integers are): ``__index__`` returns `value`."""

    def __init__(self, value):
        self.value = value

    def __index__(self):
        return self.value

    def as_int(self):
        return ("ok", self.value)

    def __repr__(self):
        return f"PlainIndex({self.value!r})"


GENERATORS = {}  # id of a generator made by SeqArg.generator() -> its SeqArg (read by the predictor)


class SeqArg(Hostile):
    """An iterable of `items` (iterating it runs a generator). Before item `at` (at
    len(items): when exhausted) it does `action`: "raise" (HostileError), "release" (releases
    the memory of `target`) or "nested" (an operation on `target`)."""

    def __init__(self, items, action=None, at=0, machine=None, target=None):
        self.items, self.action, self.at = list(items), action, at
        self.machine, self.target = machine, target

    def __iter__(self):
        return self.generator()

    def generator(self):
        g = self._run()
        GENERATORS[id(g)] = self
        return g

    def _run(self):
        for k, x in enumerate(self.items):
            if k == self.at:
                self._act()
            yield x
        if self.at >= len(self.items):
            self._act()

    def _act(self):
        if self.action == "raise":
            raise HostileError("hostile iterator")
        if self.action == "release" and self.machine.release_backing(self.target.backing):
            EFFECTS.append(("release", self.target.backing))
        if self.action == "nested":
            EFFECTS.append(("nested", self.machine.nested_call(self.target)))

    def __repr__(self):
        what = f", {self.action} at {self.at}" if self.action else ""
        return f"SeqArg({short(self.items, 60)}{what})"


def conv_element_index(x, n):
    """An element index (any int, or an object with __index__; negative ones count from the
    end): (index in range(n), None) or (None, exception type)."""
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
        except Exception as e:  # noqa: BLE001 - the type is the prediction
            return None, type(e)
    else:
        return None, TypeError
    if not -n <= v < n:
        return None, IndexError
    return v % n, None


PYTHON_BUFFERS = sys.version_info >= (3, 12)  # classes can export buffers (__buffer__)


class ReleasingExporter(Hostile):
    """A buffer exporter written in Python (3.12+): exporting releases the memory of
    `target`, then gives `content`'s buffer. Before 3.12 it is not a buffer at all."""

    def __init__(self, machine, target, content):
        self.machine, self.target, self.content = machine, target, content

    def __buffer__(self, flags):
        if self.machine.release_backing(self.target.backing):
            EFFECTS.append(("release", self.target.backing))
        return memoryview(self.content)

    def __release_buffer__(self, view):
        view.release()

    def __repr__(self):
        return f"ReleasingExporter({short(self.content, 60)})"


def readable(x):
    """What to read x's bytes through without running an argument's code."""
    return x.content if isinstance(x, ReleasingExporter) else x


def buffer_of(x):
    """None when x is not a buffer; ("error", exception type) when it cannot be exported
    C-contiguous (released, strided); else ("ok", ndim, format, itemsize, bytes)."""
    if isinstance(x, ReleasingExporter) and PYTHON_BUFFERS:
        x = x.content
    if isinstance(x, (Hostile, types.GeneratorType)):
        return None
    try:
        mv = memoryview(x)
    except TypeError:
        return None
    except ValueError:  # a released memoryview
        return ("error", ValueError)
    with mv:
        if not mv.c_contiguous:
            return ("error", ValueError)
        return ("ok", mv.ndim, mv.format, mv.itemsize, mv.tobytes())


def buffer_numbers(fmt, itemsize, data):
    """The numbers in a buffer as the bulk operations read them: [("i", int) or ("f", float)],
    or None for a format they refuse (anything but native integers, bool, float32/64)."""
    native = "<=" if sys.byteorder == "little" else ">!="
    if len(fmt) == 1:
        code = fmt
    elif len(fmt) == 2 and (fmt[0] == "@" or fmt[0] in native):
        code = fmt[1]
    else:
        return None
    if code not in "bBhHiIlLqQnN?fd":
        return None
    if code in "fd":
        if itemsize != (4 if code == "f" else 8):
            return None
        return [("f", bits_to_float(int.from_bytes(data[k:k + itemsize], sys.byteorder), itemsize))
                for k in range(0, len(data), itemsize)]
    if itemsize not in (1, 2, 4, 8):
        return None
    signed = code in "bhilqn"
    return [("i", int.from_bytes(data[k:k + itemsize], sys.byteorder, signed=signed))
            for k in range(0, len(data), itemsize)]


def iteration_of(x):
    """(items, action, at) of iterating x as the predictor reads it (never running an
    argument's code), or None when x is not iterable."""
    if isinstance(x, types.GeneratorType):
        x = GENERATORS[id(x)]
    if isinstance(x, SeqArg):
        return x.items, x.action, x.at
    if isinstance(x, (list, tuple, range, str, dict, set, frozenset)):
        return list(x), None, 0
    return None


def conv_indices(x, n):
    """An `indices` argument (a buffer of integers or an iterable of int-likes): (element
    indices, no errors) or (None, exception types)."""
    buf = buffer_of(x)
    if buf is not None:
        if buf[0] == "error":
            return None, {buf[1]}
        nums = buffer_numbers(buf[2], buf[3], buf[4])
        if nums is None:
            return None, {TypeError}
        errs, out = set(), []
        for kind, v in nums:
            if kind == "f":
                errs.add(TypeError)
            elif -n <= v < n:
                out.append(v % n)
            else:
                errs.add(IndexError)
        return (None, errs) if errs else (out, errs)
    it = iteration_of(x)
    if it is None:
        return None, {TypeError}
    items, action, at = it
    errs, out = set(), []
    if action == "raise":
        items = items[:at]
        errs.add(HostileError)
    for item in items:
        i, err = conv_element_index(item, n)
        if err is not None:
            errs.add(err)
        out.append(i)
    return (None, errs) if errs else (out, errs)


def conv_bulk_values(x, family, w, signed):
    """A `values` argument: (("same", bits) or ("each", [bits]), no errors) or (None,
    exception types). One value of the family is one value for every index (numpy scalars
    included; for bytes, any buffer of exactly the width); otherwise a buffer of numbers (of
    bytes, `width` per value) or an iterable of values."""

    def one(v):
        if family == "int":
            bits, err = conv_int(v, w, signed)
        elif family == "float":
            bits, err = conv_float(v, w)
        else:
            bits, err = conv_bytes(v, w, False)
        return (("same", bits), set()) if err is None else (None, {err})

    if ((family == "int" and isinstance(x, int)) or (family == "float" and isinstance(x, (int, float)))
            or (family == "bytes" and isinstance(x, bytes) and len(x) == w)):
        return one(x)
    buf = buffer_of(x)
    if buf is not None:
        if buf[0] == "error":
            return None, {buf[1]}
        _, ndim, fmt, itemsize, data = buf
        if family == "bytes":
            if len(data) == w:
                return ("same", int.from_bytes(data, sys.byteorder)), set()
            if len(data) % w:
                return None, {ValueError}
            return ("each", [int.from_bytes(data[k:k + w], sys.byteorder) for k in range(0, len(data), w)]), set()
        if ndim == 0:
            return one(x)
        nums = buffer_numbers(fmt, itemsize, data)
        if nums is None:
            return None, {TypeError}
        errs, out = set(), []
        lo, hi = bounds(w, signed)
        for kind, v in nums:
            if family == "float":
                out.append(float_to_bits(float(v), w))
            elif kind == "f":
                errs.add(TypeError)
            elif lo <= v <= hi:
                out.append(v & mask_of(w))
            else:
                errs.add(OverflowError)
        return (None, errs) if errs else (("each", out), errs)
    if (family == "int" and hasattr(x, "__index__")) or (
            family == "float" and (hasattr(x, "__float__") or hasattr(x, "__index__"))):
        return one(x)
    it = iteration_of(x)
    if it is None:
        return None, {TypeError}
    items, action, at = it
    errs, out = set(), []
    if action == "raise":
        items = items[:at]
        errs.add(HostileError)
    for item in items:
        conv, err = one(item)
        errs |= err
        out.append(conv and conv[1])
    return (None, errs) if errs else (("each", out), errs)
