"""The public API of objects made by ``atomics.atomic()``, checked against the atomics 1.0
behaviour contract (docs: /work/shared/spec/atomics-1.0-behaviour.md) and this package's
documented deviations from it.

Every expectation below is written from the contract (tables, messages, truth tables), never
derived from the implementation under test. Views and view contexts are tested elsewhere.
"""

import array
import copy
import ctypes
import enum
import gc
import inspect
import operator
import pickle
import re
import subprocess
import sys
import typing
import weakref

import pytest

import atomics
import atomics.base
import atomics.exc
from atomics import ANY, BYTES, INT, INTEGRAL, UINT, Alignment, CmpxchgResult, MemoryOrder, OpType
from atomics.base import Atomic, AtomicBytes, AtomicInt, AtomicIntegral, AtomicUint
from atomics.exc import (
    AlignmentError,
    MemoryOrderError,
    UnsupportedOperationException,
    UnsupportedWidthException,
)

from _cpu import CAS16, SIZE_MAX

# --------------------------------------------------------------------------------------
# Expectations, written out from the contract
# --------------------------------------------------------------------------------------

# Widths with operations on this machine: 1, 2, 4, 8 (C11 types) and 16 where the CPU has a
# 16-byte compare-exchange (documented deviation; read from the CPU, not the library).
WIDTHS = [1, 2, 4, 8] + ([16] if CAS16 else [])
UNSUPPORTED_WIDTHS = [0, 3, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 17, 32, SIZE_MAX // 2 + 1, SIZE_MAX] + (
    [] if CAS16 else [16])
# Widths that do not fit size_t (SIZE_MAX is 2**32 - 1 in a 32-bit process).
OVERFLOWING_WIDTHS = sorted({SIZE_MAX + 1, SIZE_MAX + 5, 2**64, 2**64 + 4, 2**100})

RELAXED, ACQUIRE, RELEASE, ACQ_REL, SEQ_CST = (
    MemoryOrder.RELAXED,
    MemoryOrder.ACQUIRE,
    MemoryOrder.RELEASE,
    MemoryOrder.ACQ_REL,
    MemoryOrder.SEQ_CST,
)
ORDERS = [RELAXED, ACQUIRE, RELEASE, ACQ_REL, SEQ_CST]
ORDER_VALUES = {"RELAXED": 0, "ACQUIRE": 2, "RELEASE": 3, "ACQ_REL": 4, "SEQ_CST": 5}
STORE_OK = {"RELAXED", "RELEASE", "SEQ_CST"}
LOAD_OK = {"RELAXED", "ACQUIRE", "SEQ_CST"}
# succ -> valid failure orders (§6.1 truth table)
FAIL_OK = {
    "RELAXED": {"RELAXED"},
    "ACQUIRE": {"RELAXED", "ACQUIRE"},
    "RELEASE": {"RELAXED", "ACQUIRE"},
    "ACQ_REL": {"RELAXED", "ACQUIRE"},
    "SEQ_CST": {"RELAXED", "ACQUIRE", "SEQ_CST"},
}

OPTYPE_NAMES = [
    "STORE", "LOAD", "EXCHANGE", "CMPXCHG_WEAK", "CMPXCHG_STRONG",
    "BIT_TEST", "BIT_TEST_COMPL", "BIT_TEST_SET", "BIT_TEST_RESET",
    "OR", "XOR", "AND", "NOT", "FETCH_OR", "FETCH_XOR", "FETCH_AND", "FETCH_NOT",
    "ADD", "SUB", "INC", "DEC", "NEG",
    "FETCH_ADD", "FETCH_SUB", "FETCH_INC", "FETCH_DEC", "FETCH_NEG",
    # beyond atomics 1.0 (documented addition):
    "FETCH_MAX", "FETCH_MIN", "ADD_FETCH", "SUB_FETCH", "INC_FETCH", "DEC_FETCH",
    "CHECKED_FETCH_ADD", "CHECKED_FETCH_SUB",
]  # values 1..35 in this order; 1..27 are atomics 1.0's
OPTYPE_FNAMES = {
    "STORE": "fp_store", "LOAD": "fp_load", "EXCHANGE": "fp_exchange",
    "CMPXCHG_WEAK": "fp_cmpxchg_weak", "CMPXCHG_STRONG": "fp_cmpxchg_strong",
    "BIT_TEST": "fp_test", "BIT_TEST_COMPL": "fp_test_compl", "BIT_TEST_SET": "fp_test_set",
    "BIT_TEST_RESET": "fp_test_reset",
    "OR": "fp_or", "XOR": "fp_xor", "AND": "fp_and", "NOT": "fp_not",
    "FETCH_OR": "fp_fetch_or", "FETCH_XOR": "fp_fetch_xor", "FETCH_AND": "fp_fetch_and",
    "FETCH_NOT": "fp_fetch_not",
    "ADD": "fp_add", "SUB": "fp_sub", "INC": "fp_inc", "DEC": "fp_dec", "NEG": "fp_neg",
    "FETCH_ADD": "fp_fetch_add", "FETCH_SUB": "fp_fetch_sub", "FETCH_INC": "fp_fetch_inc",
    "FETCH_DEC": "fp_fetch_dec", "FETCH_NEG": "fp_fetch_neg",
    "FETCH_MAX": "fp_fetch_max", "FETCH_MIN": "fp_fetch_min", "ADD_FETCH": "fp_add_fetch",
    "SUB_FETCH": "fp_sub_fetch", "INC_FETCH": "fp_inc_fetch", "DEC_FETCH": "fp_dec_fetch",
    "CHECKED_FETCH_ADD": "fp_checked_fetch_add", "CHECKED_FETCH_SUB": "fp_checked_fetch_sub",
}
VOWEL_OPTYPES = {"EXCHANGE", "OR", "AND", "ADD", "INC", "ADD_FETCH", "INC_FETCH"}

ALL_OPS = list(range(1, 36))
BYTES_OPS = list(range(1, 18))

ATYPE_MSG = "Type parameter 'atype' must be one of [ANY, INTEGRAL, BYTES, INT, UINT]."
WIDTH_TYPE_MSG = "Keyword argument 'width' must have type 'int'."
REINIT_MSG = "Atomic object cannot be re-initialised."
INDEX_MSG = "'index' value out of range."


def interpreter_text(msg):
    """The interpreter's own argument-error text: before 3.10 it names the bare function
    (`__init__() takes ...`), from 3.10 on its qualified name (`AtomicInt.__init__() ...`)."""
    if sys.version_info >= (3, 10):
        return msg
    return re.sub(r"^\w+\.__init__", "__init__", msg)


def unsupported_width_msg(width, readonly=False):
    ro = " readonly " if readonly else " "
    return f"No operations are supported on{ro}objects with a width of {width}."


def order_msg(optype_name, order_name, is_fail=False):
    fail = "fail " if is_fail else " "
    article = "an" if optype_name in VOWEL_OPTYPES else "a"
    return f"{order_name} is not a valid {fail}memory order for {article} {optype_name} operation."


def len_msg(param):
    return f"'{param}' object length does not match width."


def int_range(width, signed):
    bits = 8 * width
    if signed:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def wrap(x, width, signed):
    m = 1 << (8 * width)
    x %= m
    if signed and x >= m >> 1:
        x -= m
    return x


def sample_values(width, signed):
    lo, hi = int_range(width, signed)
    vals = {lo, lo + 1, 0, 1, hi - 1, hi, hi // 3}
    if signed:
        vals |= {-1, lo // 3}
    return sorted(vals)


# Constructors for every kind of atomic() object: name -> (factory(width), class, atype kwargs)
KINDS = {
    "INT": (lambda w: atomics.atomic(w, INT), AtomicInt),
    "UINT": (lambda w: atomics.atomic(w, UINT), AtomicUint),
    "BYTES": (lambda w: atomics.atomic(w, BYTES), AtomicBytes),
    "INTEGRAL-s": (lambda w: atomics.atomic(w, INTEGRAL, is_signed=True), AtomicIntegral),
    "INTEGRAL-u": (lambda w: atomics.atomic(w, INTEGRAL, is_signed=False), AtomicIntegral),
    "ANY-i": (lambda w: atomics.atomic(w, ANY, is_integral=True, is_signed=True), Atomic),
    "ANY-b": (lambda w: atomics.atomic(w, ANY, is_integral=False, is_signed=False), Atomic),
}
# integral kinds: name -> signed
INTEGRAL_KINDS = {"INT": True, "UINT": False, "INTEGRAL-s": True, "INTEGRAL-u": False}


def make(kind, width):
    return KINDS[kind][0](width)


class IAtom(typing.NamedTuple):
    a: object
    w: int
    signed: bool
    lo: int
    hi: int


@pytest.fixture(params=[(k, w) for k in INTEGRAL_KINDS for w in WIDTHS], ids=lambda p: f"{p[0]}-{p[1]}")
def ia(request):
    kind, w = request.param
    signed = INTEGRAL_KINDS[kind]
    lo, hi = int_range(w, signed)
    return IAtom(make(kind, w), w, signed, lo, hi)


@pytest.fixture(params=WIDTHS, ids=lambda w: f"BYTES-{w}")
def ba(request):
    w = request.param
    return atomics.atomic(w, BYTES), w


def pattern(width, seed=0x5A):
    """Deterministic non-trivial bytes of the given width."""
    return bytes((seed + 37 * i) & 0xFF for i in range(width))


def aligned_view(width, extra_offset=0, size=None):
    """A memoryview of ``size`` (default ``width``) bytes starting at an address that is a
    multiple of 16 plus ``extra_offset``."""
    buf = bytearray(64)
    addr = ctypes.addressof(ctypes.c_char.from_buffer(buf))
    off = (-addr) % 16 + extra_offset
    mv = memoryview(buf)[off:off + (width if size is None else size)]
    return mv


# --------------------------------------------------------------------------------------
# §1 Package layout and exported names
# --------------------------------------------------------------------------------------


def test_all_in_order():
    assert atomics.__all__ == [
        "atomic", "atomicview", "ANY", "INTEGRAL", "BYTES", "INT", "UINT",
        "Alignment", "CmpxchgResult", "MemoryOrder", "OpType",
    ]


@pytest.mark.parametrize("name", ["atomic", "atomicview", "ANY", "INTEGRAL", "BYTES", "INT", "UINT",
                                  "Alignment", "CmpxchgResult", "MemoryOrder", "OpType"])
def test_exported_name_exists(name):
    assert hasattr(atomics, name)


def test_star_import_gives_exactly_all():
    ns = {}
    exec("from atomics import *", ns)
    assert set(ns) - {"__builtins__"} == set(atomics.__all__)


def test_version_deviation():
    # deviation: atomics.__version__ == "2.0.0" (1.0 had none)
    assert atomics.__version__ == "2.0.0"


def test_import_atomics_imports_submodules_deviation():
    # deviation: `import atomics` also imports atomics.base/.view/.ctx/.exc
    code = (
        "import atomics\n"
        "assert atomics.base.AtomicInt and atomics.exc.MemoryOrderError\n"
        "assert atomics.view.AtomicView and atomics.ctx.AtomicViewContext\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


@pytest.mark.parametrize("name", ["Atomic", "AtomicIntegral", "AtomicBytes", "AtomicInt", "AtomicUint"])
def test_base_module_contents(name):
    cls = getattr(atomics.base, name)
    assert isinstance(cls, type)
    assert cls.__name__ == name


@pytest.mark.parametrize("name", ["AlignmentError", "MemoryOrderError", "UnsupportedOperationException",
                                  "UnsupportedWidthException"])
def test_exc_module_contents(name):
    cls = getattr(atomics.exc, name)
    assert isinstance(cls, type) and issubclass(cls, Exception)
    assert cls.__name__ == name


@pytest.mark.parametrize("mod", [atomics.base, atomics.exc])
def test_submodules_have_no_all(mod):
    assert not hasattr(mod, "__all__")


def test_atomic_signature():
    # 1.0's (width, atype, **kwargs), plus the keyword-only `shared=False` of this version.
    params = list(inspect.signature(atomics.atomic).parameters.values())
    assert [p.name for p in params] == ["width", "atype", "shared", "kwargs"]
    assert params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert params[1].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert params[2].kind is inspect.Parameter.KEYWORD_ONLY and params[2].default is False
    assert params[3].kind is inspect.Parameter.VAR_KEYWORD


# --------------------------------------------------------------------------------------
# §2 Class hierarchy
# --------------------------------------------------------------------------------------

# class -> set of everything it is a subclass of (among the atypes and base classes)
SUPERS = {
    AtomicInt: {AtomicInt, AtomicIntegral, Atomic, INT, INTEGRAL, ANY},
    AtomicUint: {AtomicUint, AtomicIntegral, Atomic, UINT, INTEGRAL, ANY},
    AtomicIntegral: {AtomicIntegral, Atomic, INTEGRAL, ANY},
    AtomicBytes: {AtomicBytes, Atomic, BYTES, ANY},
    Atomic: {Atomic, ANY},
}
CANDIDATES = [ANY, INTEGRAL, BYTES, INT, UINT, Atomic, AtomicIntegral, AtomicBytes, AtomicInt, AtomicUint]


@pytest.mark.parametrize("cls", list(SUPERS), ids=lambda c: c.__name__)
@pytest.mark.parametrize("sup", CANDIDATES, ids=lambda c: c.__name__)
def test_issubclass_matrix(cls, sup):
    assert issubclass(cls, sup) is (sup in SUPERS[cls])


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("sup", CANDIDATES, ids=lambda c: c.__name__)
def test_isinstance_matrix(kind, sup):
    cls = KINDS[kind][1]
    a = make(kind, 4)
    assert type(a) is cls
    assert isinstance(a, sup) is (sup in SUPERS[cls])


@pytest.mark.parametrize("kind", list(KINDS))
def test_atomic_objects_are_not_views(kind):
    import atomics.view
    a = make(kind, 4)
    for name in ["AtomicView", "AtomicIntegralView", "AtomicBytesView", "AtomicIntView", "AtomicUintView"]:
        assert not isinstance(a, getattr(atomics.view, name))


PUBLIC_MRO = {
    AtomicInt: [AtomicInt, AtomicIntegral, Atomic, INT, INTEGRAL, ANY, object],
    AtomicUint: [AtomicUint, AtomicIntegral, Atomic, UINT, INTEGRAL, ANY, object],
    AtomicIntegral: [AtomicIntegral, Atomic, INTEGRAL, ANY, object],
    AtomicBytes: [AtomicBytes, Atomic, BYTES, ANY, object],
    Atomic: [Atomic, ANY, object],
}


@pytest.mark.parametrize("cls", list(PUBLIC_MRO), ids=lambda c: c.__name__)
def test_mro_order_of_public_classes(cls):
    known = set(CANDIDATES) | {object}
    assert [c for c in cls.__mro__ if c in known] == PUBLIC_MRO[cls]


def test_atype_hierarchy():
    assert issubclass(BYTES, ANY) and issubclass(INTEGRAL, ANY)
    assert issubclass(INT, INTEGRAL) and issubclass(UINT, INTEGRAL)
    assert issubclass(INT, ANY) and issubclass(UINT, ANY)
    assert not issubclass(BYTES, INTEGRAL) and not issubclass(INTEGRAL, BYTES)
    assert not issubclass(INT, UINT) and not issubclass(UINT, INT)
    assert not issubclass(INT, BYTES) and not issubclass(ANY, INTEGRAL)


@pytest.mark.parametrize("atype", [ANY, INTEGRAL, BYTES, INT, UINT], ids=lambda c: c.__name__)
def test_atypes_instantiable_but_useless(atype):
    obj = atype()
    assert isinstance(obj, ANY)
    with pytest.raises(AttributeError):
        obj.width


@pytest.mark.parametrize("atype", [ANY, INTEGRAL, BYTES, INT, UINT], ids=lambda c: c.__name__)
def test_atype_instance_is_a_plain_useless_object(atype):
    # §2.1 (documented deviation): an atype instance has no state and no operations; its
    # str() is object's (1.0 raised AttributeError about '_core').
    obj = atype()
    assert str(obj).startswith(f"<atomics._atypes.{atype.__name__} object at 0x")
    with pytest.raises(AttributeError):
        obj.width


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        (AtomicInt, {"width": 4}),
        (AtomicUint, {"width": 4}),
        (AtomicBytes, {"width": 4}),
        (AtomicIntegral, {"width": 4, "is_signed": True}),
        (Atomic, {"width": 4, "is_integral": False, "is_signed": False}),
    ],
    ids=lambda x: getattr(x, "__name__", ""),
)
def test_direct_construction_keyword_only(cls, kwargs):
    a = cls(**kwargs)
    assert type(a) is cls
    assert a.width == 4


@pytest.mark.parametrize(
    "cls, args, kwargs, msg",
    [
        (AtomicInt, (4,), {}, "AtomicInt.__init__() takes 1 positional argument but 2 were given"),
        (AtomicUint, (4,), {}, "AtomicUint.__init__() takes 1 positional argument but 2 were given"),
        (AtomicBytes, (4,), {}, "AtomicBytes.__init__() takes 1 positional argument but 2 were given"),
        (AtomicIntegral, (4, True), {}, "AtomicIntegral.__init__() takes 1 positional argument but 3 were given"),
        (Atomic, (4, True, True), {}, "Atomic.__init__() takes 1 positional argument but 4 were given"),
        (AtomicInt, (), {}, "AtomicInt.__init__() missing 1 required keyword-only argument: 'width'"),
        (AtomicUint, (), {}, "AtomicUint.__init__() missing 1 required keyword-only argument: 'width'"),
        (AtomicBytes, (), {}, "AtomicBytes.__init__() missing 1 required keyword-only argument: 'width'"),
        (AtomicIntegral, (), {"width": 4},
         "AtomicIntegral.__init__() missing 1 required keyword-only argument: 'is_signed'"),
        (AtomicIntegral, (), {},
         "AtomicIntegral.__init__() missing 2 required keyword-only arguments: 'width' and 'is_signed'"),
        (Atomic, (), {"width": 4},
         "Atomic.__init__() missing 2 required keyword-only arguments: 'is_integral' and 'is_signed'"),
        (Atomic, (), {},
         "Atomic.__init__() missing 3 required keyword-only arguments: 'width', 'is_integral', and 'is_signed'"),
        (AtomicInt, (), {"width": 4, "is_signed": True},
         "AtomicInt.__init__() got an unexpected keyword argument 'is_signed'"),
        (AtomicBytes, (), {"width": 4, "foo": 1},
         "AtomicBytes.__init__() got an unexpected keyword argument 'foo'"),
    ],
)
def test_constructor_python_type_errors(cls, args, kwargs, msg):
    with pytest.raises(TypeError) as ei:
        cls(*args, **kwargs)
    assert str(ei.value) == interpreter_text(msg)


REINIT_KWARGS = {
    "INT": {"width": 4},
    "UINT": {"width": 4},
    "BYTES": {"width": 4},
    "INTEGRAL-s": {"width": 4, "is_signed": True},
    "INTEGRAL-u": {"width": 4, "is_signed": False},
    "ANY-i": {"width": 4, "is_integral": True, "is_signed": True},
    "ANY-b": {"width": 4, "is_integral": False, "is_signed": False},
}


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("new_width", [4, 8, 3, "x", -1])
def test_reinit_raises_value_error(kind, new_width):
    a = make(kind, 2)
    if kind in INTEGRAL_KINDS:
        a.store(7)
    kwargs = dict(REINIT_KWARGS[kind], width=new_width)
    with pytest.raises(ValueError) as ei:
        a.__init__(**kwargs)
    assert str(ei.value) == REINIT_MSG
    with pytest.raises(ValueError) as ei:
        type(a).__init__(a, **kwargs)
    assert str(ei.value) == REINIT_MSG
    assert a.width == 2
    if kind in INTEGRAL_KINDS:
        assert a.load() == 7


@pytest.mark.parametrize("raw, signed", [(1, True), (0, False), ("yes", True), ("", False), (True, True),
                                         (False, False), ([1], True), (None, False)])
def test_integral_signed_is_raw(raw, signed):
    a = atomics.atomic(4, INTEGRAL, is_signed=raw)
    assert a.signed is raw or (a.signed == raw and type(a.signed) is type(raw))
    assert str(a) == f"AtomicIntegral(value=0, width=4, readonly=False, signed={raw})"
    # only the truthiness decides how values are converted
    if signed:
        a.store(-1)
        assert a.load() == -1
        a.store(2**31 - 1)
        assert a.load() == 2**31 - 1
    else:
        with pytest.raises(OverflowError):
            a.store(-1)
        a.store(2**32 - 1)
        assert a.load() == 2**32 - 1


def test_signed_raw_one_example():
    a = atomics.atomic(4, INTEGRAL, is_signed=1)
    assert a.signed == 1 and type(a.signed) is int
    assert "signed=1" in str(a)
    b = AtomicIntegral(width=4, is_signed=1)
    assert b.signed == 1 and "signed=1" in str(b)


@pytest.mark.parametrize("w", WIDTHS)
def test_signed_of_int_and_uint(w):
    assert atomics.atomic(w, INT).signed is True
    assert atomics.atomic(w, UINT).signed is False


@pytest.mark.parametrize("kind", ["BYTES", "ANY-i", "ANY-b"])
def test_non_integral_have_no_signed(kind):
    assert not hasattr(make(kind, 4), "signed")


# --------------------------------------------------------------------------------------
# §3.1 atomic()
# --------------------------------------------------------------------------------------

DISPATCH = [
    (INT, {}, AtomicInt),
    (UINT, {}, AtomicUint),
    (BYTES, {}, AtomicBytes),
    (INTEGRAL, {"is_signed": True}, AtomicIntegral),
    (ANY, {"is_integral": True, "is_signed": False}, Atomic),
]


@pytest.mark.parametrize("atype, kwargs, cls", DISPATCH, ids=lambda x: getattr(x, "__name__", ""))
@pytest.mark.parametrize("w", WIDTHS)
def test_dispatch(atype, kwargs, cls, w):
    a = atomics.atomic(w, atype, **kwargs)
    assert type(a) is cls
    assert a.width == w
    b = atomics.atomic(width=w, atype=atype, **kwargs)
    assert type(b) is cls and b.width == w


class _SubINT(INT):
    pass


class _SubANY(ANY):
    pass


BAD_ATYPES = [AtomicInt, AtomicUint, AtomicBytes, AtomicIntegral, Atomic, _SubINT, _SubANY, "INT", "int",
              "ANY", int, bytes, None, object, 4, INT(), type(INT)]


@pytest.mark.parametrize("atype", BAD_ATYPES, ids=lambda v: getattr(v, "__name__", type(v).__name__))
def test_bad_atype(atype):
    with pytest.raises(TypeError) as ei:
        atomics.atomic(4, atype)
    assert str(ei.value) == ATYPE_MSG


@pytest.mark.parametrize("width", ["x", 3, -1, 2**70, 4.0])
def test_atype_checked_before_width(width):
    with pytest.raises(TypeError) as ei:
        atomics.atomic(width, "INT", is_signed=True)
    assert str(ei.value) == ATYPE_MSG


@pytest.mark.parametrize("atype, cls, signed", [(INT, AtomicInt, True), (UINT, AtomicUint, False),
                                                (BYTES, AtomicBytes, None)], ids=["INT", "UINT", "BYTES"])
def test_kwargs_ignored_for_int_uint_bytes(atype, cls, signed):
    a = atomics.atomic(4, atype, is_signed=not signed, is_integral=(atype is BYTES), foo="bar", width_=9)
    assert type(a) is cls
    assert a.width == 4
    if signed is not None:
        assert a.signed is signed
        assert a.ops_supported == [OpType(v) for v in ALL_OPS]
    else:
        assert a.ops_supported == [OpType(v) for v in BYTES_OPS]


@pytest.mark.parametrize(
    "atype, kwargs, msg",
    [
        (INTEGRAL, {}, "AtomicIntegral.__init__() missing 1 required keyword-only argument: 'is_signed'"),
        (INTEGRAL, {"is_signed": True, "foo": 1}, "AtomicIntegral.__init__() got an unexpected keyword argument 'foo'"),
        (INTEGRAL, {"is_signed": True, "is_integral": True},
         "AtomicIntegral.__init__() got an unexpected keyword argument 'is_integral'"),
        (ANY, {}, "Atomic.__init__() missing 2 required keyword-only arguments: 'is_integral' and 'is_signed'"),
        (ANY, {"is_signed": True}, "Atomic.__init__() missing 1 required keyword-only argument: 'is_integral'"),
        (ANY, {"is_integral": True}, "Atomic.__init__() missing 1 required keyword-only argument: 'is_signed'"),
        (ANY, {"is_integral": True, "is_signed": True, "foo": 1},
         "Atomic.__init__() got an unexpected keyword argument 'foo'"),
    ],
)
def test_kwargs_required_for_integral_and_any(atype, kwargs, msg):
    with pytest.raises(TypeError) as ei:
        atomics.atomic(4, atype, **kwargs)
    assert str(ei.value) == interpreter_text(msg)


@pytest.mark.parametrize("atype, kwargs", [(INTEGRAL, {}), (ANY, {"is_signed": 1})], ids=["INTEGRAL", "ANY"])
def test_missing_kwargs_before_width_errors(atype, kwargs):
    with pytest.raises(TypeError) as ei:
        atomics.atomic("bad", atype, **kwargs)
    assert "missing 1 required keyword-only argument" in str(ei.value)


@pytest.mark.parametrize("atype, kwargs", [(a, k) for a, k, _ in DISPATCH], ids=lambda x: getattr(x, "__name__", ""))
@pytest.mark.parametrize("width", ["4", 4.0, None, b"\x04", [4], 4j, object()], ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("as_keyword", [False, True])
def test_width_type_error(atype, kwargs, width, as_keyword):
    with pytest.raises(TypeError) as ei:
        if as_keyword:
            atomics.atomic(width=width, atype=atype, **kwargs)
        else:
            atomics.atomic(width, atype, **kwargs)
    assert str(ei.value) == WIDTH_TYPE_MSG


@pytest.mark.parametrize("cls, kwargs", [(AtomicInt, {}), (AtomicUint, {}), (AtomicBytes, {}),
                                         (AtomicIntegral, {"is_signed": False}),
                                         (Atomic, {"is_integral": False, "is_signed": False})],
                         ids=lambda x: getattr(x, "__name__", ""))
def test_width_type_error_direct(cls, kwargs):
    with pytest.raises(TypeError) as ei:
        cls(width=4.0, **kwargs)
    assert str(ei.value) == WIDTH_TYPE_MSG


@pytest.mark.parametrize("atype, kwargs", [(a, k) for a, k, _ in DISPATCH], ids=lambda x: getattr(x, "__name__", ""))
@pytest.mark.parametrize("width", [-1, -2, -4, -8, -(2**63), -(2**64), -(2**100)])
def test_negative_width(atype, kwargs, width):
    with pytest.raises(ValueError) as ei:
        atomics.atomic(width, atype, **kwargs)
    assert str(ei.value) == "Negative width"
    assert type(ei.value) is ValueError


@pytest.mark.parametrize("atype, kwargs", [(a, k) for a, k, _ in DISPATCH], ids=lambda x: getattr(x, "__name__", ""))
@pytest.mark.parametrize("width", OVERFLOWING_WIDTHS)
def test_width_overflows_size_t(atype, kwargs, width):
    with pytest.raises(OverflowError) as ei:
        atomics.atomic(width, atype, **kwargs)
    assert ei.value.args == (width, "Value would overflow size_t")
    assert str(ei.value) == f"({width}, 'Value would overflow size_t')"


def test_width_overflow_exact_str():
    with pytest.raises(OverflowError) as ei:
        atomics.atomic(2**64, INT)
    assert str(ei.value) == "(18446744073709551616, 'Value would overflow size_t')"


@pytest.mark.parametrize("atype, kwargs", [(a, k) for a, k, _ in DISPATCH], ids=lambda x: getattr(x, "__name__", ""))
@pytest.mark.parametrize("width", UNSUPPORTED_WIDTHS)
def test_unsupported_width(atype, kwargs, width):
    with pytest.raises(UnsupportedWidthException) as ei:
        atomics.atomic(width, atype, **kwargs)
    e = ei.value
    assert type(e) is UnsupportedWidthException
    assert e.width == width
    assert e.readonly is False
    assert str(e) == unsupported_width_msg(width)
    assert e.args == (unsupported_width_msg(width),)
    assert repr(e) == f"UnsupportedWidthException(width={width}, readonly=False)"


def test_unsupported_width_examples():
    with pytest.raises(UnsupportedWidthException) as ei:
        atomics.atomic(3, INT)
    assert str(ei.value) == "No operations are supported on objects with a width of 3."
    with pytest.raises(UnsupportedWidthException) as ei:
        atomics.atomic(SIZE_MAX // 2 + 1, BYTES)
    assert str(ei.value) == f"No operations are supported on objects with a width of {SIZE_MAX // 2 + 1}."


@pytest.mark.parametrize("atype, kwargs", [(a, k) for a, k, _ in DISPATCH], ids=lambda x: getattr(x, "__name__", ""))
def test_bool_width(atype, kwargs):
    a = atomics.atomic(True, atype, **kwargs)
    assert a.width == 1 and type(a.width) is int
    with pytest.raises(UnsupportedWidthException) as ei:
        atomics.atomic(False, atype, **kwargs)
    assert ei.value.width == 0


class _MyInt(int):
    pass


@pytest.mark.parametrize("width, expected", [(_MyInt(4), 4), (OpType.LOAD, 2), (MemoryOrder.SEQ_CST, None)])
def test_int_subclass_width(width, expected):
    if expected is None:  # 5 is unsupported
        with pytest.raises(UnsupportedWidthException):
            atomics.atomic(width, INT)
        return
    a = atomics.atomic(width, INT)
    assert a.width == expected


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("w", WIDTHS)
def test_initial_value_zero(kind, w):
    a = make(kind, w)
    if kind in INTEGRAL_KINDS:
        assert a.load() == 0 and type(a.load()) is int
    elif kind == "BYTES":
        assert a.load() == b"\x00" * w and type(a.load()) is bytes


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("w", WIDTHS)
def test_private_memory_aligned(kind, w):
    a = make(kind, w)
    assert type(a._address) is int
    assert a._address % Alignment(w).recommended == 0
    assert a._address % w == 0


def test_private_memory_not_shared():
    a, b = atomics.atomic(8, INT), atomics.atomic(8, INT)
    assert a._address != b._address
    a.store(5)
    assert b.load() == 0


# --------------------------------------------------------------------------------------
# §5 Properties and special methods
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("w", WIDTHS)
def test_width_readonly(kind, w):
    a = make(kind, w)
    assert a.width == w and type(a.width) is int
    assert a.readonly is False


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("w", WIDTHS)
def test_ops_supported(kind, w):
    a = make(kind, w)
    ops = a.ops_supported
    assert type(ops) is list
    assert all(type(op) is OpType for op in ops)
    integral = kind in INTEGRAL_KINDS or kind == "ANY-i"
    expected = ALL_OPS if integral else BYTES_OPS
    assert [int(op) for op in ops] == expected
    assert len(ops) == (35 if integral else 17)
    assert ops == sorted(ops)


def test_ops_supported_is_a_new_list():
    a = atomics.atomic(4, INT)
    ops = a.ops_supported
    assert a.ops_supported is not ops
    ops.clear()
    assert len(a.ops_supported) == 35


@pytest.mark.parametrize("is_integral, n", [(True, 35), (1, 35), ("x", 35), ([0], 35),
                                            (False, 17), (0, 17), ("", 17), (None, 17), ([], 17)])
@pytest.mark.parametrize("is_signed", [True, False])
def test_any_ops_supported_by_is_integral(is_integral, n, is_signed):
    a = atomics.atomic(8, ANY, is_integral=is_integral, is_signed=is_signed)
    assert [int(op) for op in a.ops_supported] == list(range(1, n + 1))
    b = Atomic(width=8, is_integral=is_integral, is_signed=is_signed)
    assert len(b.ops_supported) == n


@pytest.mark.parametrize("kind", ["ANY-i", "ANY-b"])
def test_any_has_no_operations(kind):
    a = make(kind, 4)
    for name in ["store", "load", "exchange", "cmpxchg_weak", "cmpxchg_strong", "bit_test", "bit_test_set",
                 "bin_or", "bin_not", "add", "inc", "fetch_neg"]:
        assert not hasattr(a, name), name


def test_bytes_has_no_arithmetic():
    b = atomics.atomic(4, BYTES)
    for name in ["add", "sub", "inc", "dec", "neg", "fetch_add", "fetch_sub", "fetch_inc", "fetch_dec",
                 "fetch_neg"]:
        with pytest.raises(AttributeError):
            getattr(b, name)


@pytest.mark.parametrize("w", WIDTHS)
def test_str_formats(w):
    assert str(atomics.atomic(w, INT)) == f"AtomicInt(value=0, width={w}, readonly=False, signed=True)"
    assert str(atomics.atomic(w, UINT)) == f"AtomicUint(value=0, width={w}, readonly=False, signed=False)"
    assert (str(atomics.atomic(w, INTEGRAL, is_signed=False))
            == f"AtomicIntegral(value=0, width={w}, readonly=False, signed=False)")
    assert (str(atomics.atomic(w, INTEGRAL, is_signed=True))
            == f"AtomicIntegral(value=0, width={w}, readonly=False, signed=True)")
    zero = b"\x00" * w
    assert str(atomics.atomic(w, BYTES)) == f"AtomicBytes(value={zero!s}, width={w}, readonly=False)"
    assert str(atomics.atomic(w, ANY, is_integral=True, is_signed=True)) == f"Atomic(width={w}, readonly=False)"
    assert str(atomics.atomic(w, ANY, is_integral=0, is_signed=0)) == f"Atomic(width={w}, readonly=False)"


def test_str_examples():
    assert str(atomics.atomic(4, INT)) == "AtomicInt(value=0, width=4, readonly=False, signed=True)"
    assert str(atomics.atomic(4, BYTES)) == r"AtomicBytes(value=b'\x00\x00\x00\x00', width=4, readonly=False)"
    assert str(atomics.atomic(4, ANY, is_integral=False, is_signed=False)) == "Atomic(width=4, readonly=False)"
    assert (str(atomics.atomic(4, INTEGRAL, is_signed=False))
            == "AtomicIntegral(value=0, width=4, readonly=False, signed=False)")


def test_str_shows_value(ia):
    for v in (ia.lo, ia.hi, 1):
        ia.a.store(v)
        name = type(ia.a).__name__
        assert str(ia.a) == f"{name}(value={v}, width={ia.w}, readonly=False, signed={ia.signed})"


def test_str_shows_bytes_value(ba):
    b, w = ba
    val = b"'\"\\ab\x00\xff\n"[:w].ljust(w, b"z")
    b.store(val)
    assert str(b) == f"AtomicBytes(value={val!s}, width={w}, readonly=False)"


def test_str_uses_runtime_class_name():
    class MyInt(AtomicInt):
        pass

    class MyBytes(AtomicBytes):
        pass

    m = MyInt(width=4)
    m.store(-3)
    assert str(m) == "MyInt(value=-3, width=4, readonly=False, signed=True)"
    assert str(MyBytes(width=2)) == r"MyBytes(value=b'\x00\x00', width=2, readonly=False)"


@pytest.mark.parametrize("kind", list(KINDS))
def test_format_and_fstring(kind):
    a = make(kind, 4)
    assert format(a, "") == str(a)
    assert f"{a}" == str(a)
    with pytest.raises(TypeError) as ei:
        format(a, "d")
    assert str(ei.value) == f"unsupported format string passed to {type(a).__name__}.__format__"


@pytest.mark.parametrize("kind", list(KINDS))
def test_default_repr(kind):
    a = make(kind, 4)
    r = repr(a)
    name = type(a).__name__
    assert r.startswith("<") and r.endswith(">")
    assert f"{name} object at 0x" in r
    assert r != str(a)


def test_int_conversion(ia):
    for v in sample_values(ia.w, ia.signed):
        ia.a.store(v)
        assert int(ia.a) == v and type(int(ia.a)) is int


@pytest.mark.parametrize("kind", ["BYTES", "ANY-i", "ANY-b"])
def test_int_of_non_integral_raises(kind):
    with pytest.raises(TypeError):
        int(make(kind, 4))


def test_bytes_conversion(ba):
    b, w = ba
    assert bytes(b) == b"\x00" * w
    b.store(pattern(w))
    assert bytes(b) == pattern(w) and type(bytes(b)) is bytes


@pytest.mark.parametrize("kind", ["INT", "UINT", "INTEGRAL-s", "ANY-i", "ANY-b"])
def test_bytes_of_non_bytes_raises(kind):
    a = make(kind, 4)
    with pytest.raises(TypeError) as ei:
        bytes(a)
    assert str(ei.value) == f"cannot convert '{type(a).__name__}' object to bytes"


def test_bytes_of_atomic_int_message():
    with pytest.raises(TypeError) as ei:
        bytes(atomics.atomic(4, INT))
    assert str(ei.value) == "cannot convert 'AtomicInt' object to bytes"


@pytest.mark.parametrize("kind", list(KINDS))
def test_no_index_no_float(kind):
    a = make(kind, 4)
    if kind in INTEGRAL_KINDS:
        a.store(1)
    with pytest.raises(TypeError):
        operator.index(a)
    with pytest.raises(TypeError):
        hex(a)
    with pytest.raises(TypeError):
        [10, 20][a]
    with pytest.raises(TypeError):
        float(a)
    with pytest.raises(TypeError):
        range(a)


@pytest.mark.parametrize("kind", list(KINDS))
def test_identity_equality_and_hash(kind):
    a = make(kind, 4)
    b = make(kind, 4)
    assert a == a and not (a != a)
    assert a != b and not (a == b)
    assert (a == 0) is False and (a == b"\x00" * 4) is False
    c = copy.copy(a)
    assert a != c
    assert hash(a) == hash(a)
    assert len({a, b, c}) == 3
    with pytest.raises(TypeError):
        a < 1
    with pytest.raises(TypeError):
        a < b


@pytest.mark.parametrize("kind", list(KINDS))
def test_always_truthy(kind):
    a = make(kind, 4)
    assert bool(a) is True
    assert a


@pytest.mark.parametrize("kind", list(KINDS))
def test_no_arithmetic_dunders(kind):
    a = make(kind, 4)
    with pytest.raises(TypeError):
        a + 1
    with pytest.raises(TypeError):
        -a
    with pytest.raises(TypeError):
        a | 1
    b = a
    with pytest.raises(TypeError):
        b += 1
    assert b is a


@pytest.mark.parametrize("kind, prop", [(k, p) for k in KINDS for p in ("width", "readonly", "ops_supported", "signed")
                                        if p != "signed" or k in INTEGRAL_KINDS])
def test_properties_read_only(kind, prop):
    a = make(kind, 4)
    before = getattr(a, prop)
    with pytest.raises(AttributeError):
        setattr(a, prop, 3)
    with pytest.raises(AttributeError):
        delattr(a, prop)
    assert getattr(a, prop) == before


@pytest.mark.parametrize("kind", list(KINDS))
def test_instance_dict_and_weakref(kind):
    a = make(kind, 4)
    a.foo = 42
    assert a.foo == 42
    assert vars(a)["foo"] == 42
    assert isinstance(a.__dict__, dict)
    r = weakref.ref(a)
    assert r() is a
    del a
    gc.collect()
    assert r() is None


@pytest.mark.parametrize("kind", list(KINDS))
def test_not_context_managers(kind):
    a = make(kind, 4)
    assert not hasattr(a, "release")
    assert not hasattr(a, "__enter__")
    with pytest.raises((TypeError, AttributeError)):
        with a:
            pass


# --------------------------------------------------------------------------------------
# §6 Enums
# --------------------------------------------------------------------------------------


def test_memory_order_members():
    assert issubclass(MemoryOrder, enum.IntEnum)
    assert [(m.name, m.value) for m in MemoryOrder] == list(ORDER_VALUES.items())
    for name, value in ORDER_VALUES.items():
        assert MemoryOrder[name] == value
        assert MemoryOrder(value) is MemoryOrder[name]
        assert int(MemoryOrder[name]) == value
    assert MemoryOrder.SEQ_CST == 5
    assert sorted([SEQ_CST, RELAXED, ACQ_REL]) == [RELAXED, ACQ_REL, SEQ_CST]
    assert len({m: 1 for m in MemoryOrder}) == 5


@pytest.mark.parametrize("value", [1, 6, -1])
def test_memory_order_invalid_value(value):
    with pytest.raises(ValueError) as ei:
        MemoryOrder(value)
    assert str(ei.value) == f"{value} is not a valid MemoryOrder"


@pytest.mark.skipif(sys.version_info < (3, 11), reason="IntEnum str() changed in 3.11")
def test_memory_order_str():
    assert str(SEQ_CST) == "5"
    assert str(RELAXED) == "0"


@pytest.mark.parametrize("order", ORDERS, ids=lambda o: o.name)
def test_memory_order_validity(order):
    assert order.is_valid_store_order() is (order.name in STORE_OK)
    assert order.is_valid_load_order() is (order.name in LOAD_OK)


@pytest.mark.parametrize("succ", ORDERS, ids=lambda o: o.name)
@pytest.mark.parametrize("fail", ORDERS, ids=lambda o: o.name)
def test_memory_order_fail_validity(succ, fail):
    assert fail.is_valid_fail_order(succ) is (fail.name in FAIL_OK[succ.name])


def test_is_valid_fail_order_needs_member():
    with pytest.raises(AttributeError):
        RELAXED.is_valid_fail_order(5)


def test_optype_members():
    assert issubclass(OpType, enum.IntEnum)
    assert [m.name for m in OpType] == OPTYPE_NAMES
    assert [m.value for m in OpType] == ALL_OPS
    assert len(OpType) == 35


@pytest.mark.parametrize("value, name", list(enumerate(OPTYPE_NAMES, start=1)))
def test_optype_value_fname_cname(value, name):
    op = OpType(value)
    assert op.name == name and OpType[name] is op
    assert op.fname == OPTYPE_FNAMES[name]
    if value <= 2:
        expected_cname = None
    elif value <= 5:
        expected_cname = "xchg_ops"
    elif value <= 9:
        expected_cname = "bitwise_ops"
    elif value <= 17:
        expected_cname = "binary_ops"
    else:
        expected_cname = "arithmetic_ops"
    assert op.cname == expected_cname


def test_optype_examples():
    assert OpType.BIT_TEST_SET.fname == "fp_test_set"
    assert OpType.FETCH_ADD.fname == "fp_fetch_add"
    assert OpType.STORE.cname is None and OpType.LOAD.cname is None


# --------------------------------------------------------------------------------------
# §7 Operations: integral family
# --------------------------------------------------------------------------------------


def test_store_load_roundtrip(ia):
    for v in sample_values(ia.w, ia.signed):
        assert ia.a.store(v) is None
        got = ia.a.load()
        assert got == v and type(got) is int


def test_store_load_all_orders(ia):
    for order in ORDERS:
        if order.name in STORE_OK:
            assert ia.a.store(int(order) + 1, order) is None
            assert ia.a.load() == int(order) + 1
            assert ia.a.store(desired=3, order=order) is None
        if order.name in LOAD_OK:
            assert ia.a.load(order) == ia.a.load(order=order)


def _out_of_range(ia):
    """(value, message) pairs that int.to_bytes rejects."""
    out = [(ia.hi + 1, "int too big to convert"), (2**200, "int too big to convert")]
    if ia.signed:
        out += [(ia.lo - 1, "int too big to convert"), (-(2**200), "int too big to convert")]
    else:
        out += [(-1, "can't convert negative int to unsigned"), (-(2**200), "can't convert negative int to unsigned")]
    return out


INT_VALUE_OPS = [
    ("store", "desired"), ("exchange", "desired"),
    ("bin_or", "value"), ("bin_xor", "value"), ("bin_and", "value"),
    ("bin_fetch_or", "value"), ("bin_fetch_xor", "value"), ("bin_fetch_and", "value"),
    ("add", "value"), ("sub", "value"), ("fetch_add", "value"), ("fetch_sub", "value"),
]


def test_int_conversion_overflow(ia):
    ia.a.store(1)
    for bad, msg in _out_of_range(ia):
        for op, _ in INT_VALUE_OPS:
            with pytest.raises(OverflowError) as ei:
                getattr(ia.a, op)(bad)
            assert str(ei.value) == msg, (op, bad)
        with pytest.raises(OverflowError) as ei:
            ia.a.cmpxchg_strong(bad, 0)
        assert str(ei.value) == msg
        with pytest.raises(OverflowError) as ei:
            ia.a.cmpxchg_weak(1, bad)
        assert str(ei.value) == msg
    assert ia.a.load() == 1


def test_uint_rejects_negative_operands():
    a = atomics.atomic(4, UINT)
    with pytest.raises(OverflowError) as ei:
        a.add(-1)
    assert str(ei.value) == "can't convert negative int to unsigned"
    with pytest.raises(OverflowError):
        a.bin_xor(-1)
    a.sub(1)
    assert a.load() == 2**32 - 1


class _Idx:
    def __index__(self):
        return 7


@pytest.mark.parametrize("value, expected", [(True, 1), (False, 0), (_MyInt(9), 9), (OpType.LOAD, 2),
                                             (MemoryOrder.SEQ_CST, 5), (_Idx(), 7)],
                         ids=["True", "False", "int-subclass", "OpType", "MemoryOrder", "__index__"])
def test_int_like_values_accepted(ia, value, expected):
    ia.a.store(value)
    got = ia.a.load()
    assert got == expected and type(got) is int
    assert ia.a.exchange(value) == expected
    ia.a.add(value)
    assert ia.a.load() == wrap(2 * expected, ia.w, ia.signed)


def test_numpy_ints_accepted(ia):
    np = pytest.importorskip("numpy")
    ia.a.store(np.int8(5))
    assert ia.a.load() == 5 and type(ia.a.load()) is int
    ia.a.add(np.uint8(3))
    assert ia.a.load() == 8
    assert ia.a.bit_test(np.int64(3)) is True


@pytest.mark.parametrize("bad", [1.5, 1.0, "1", None, b"\x01", [1], 1j], ids=repr)
def test_int_value_type_errors(bad):
    # deviation Q11: TypeError naming the argument
    a = atomics.atomic(4, INT)
    tname = type(bad).__name__
    for op, param in INT_VALUE_OPS:
        with pytest.raises(TypeError) as ei:
            getattr(a, op)(bad)
        assert str(ei.value) == f"'{param}' must be an int, not '{tname}'", op
    for op in ("cmpxchg_weak", "cmpxchg_strong"):
        with pytest.raises(TypeError) as ei:
            getattr(a, op)(bad, 0)
        assert str(ei.value) == f"'expected' must be an int, not '{tname}'"
        with pytest.raises(TypeError) as ei:
            getattr(a, op)(0, bad)
        assert str(ei.value) == f"'desired' must be an int, not '{tname}'"
    assert a.load() == 0


def test_operand_none_raises_type_error(ia):
    for op in ("bin_or", "bin_xor", "bin_and", "bin_fetch_or", "bin_fetch_xor", "bin_fetch_and",
               "add", "sub", "fetch_add", "fetch_sub"):
        with pytest.raises(TypeError):
            getattr(ia.a, op)(value=None)


def test_store_order_validation(ia):
    ia.a.store(9)
    for order in ORDERS:
        if order.name in STORE_OK:
            ia.a.store(5, order)
            assert ia.a.load() == 5
            ia.a.store(9)
            continue
        with pytest.raises(MemoryOrderError) as ei:
            ia.a.store(5, order)
        e = ei.value
        assert e.optype is OpType.STORE and e.order is order and e.is_fail is False
        assert str(e) == order_msg("STORE", order.name)
        assert ia.a.load() == 9


def test_store_order_error_example():
    with pytest.raises(MemoryOrderError) as ei:
        atomics.atomic(4, INT).store(1, MemoryOrder.ACQUIRE)
    assert str(ei.value) == "ACQUIRE is not a valid  memory order for a STORE operation."


def test_load_order_validation(ia):
    ia.a.store(3)
    for order in ORDERS:
        if order.name in LOAD_OK:
            assert ia.a.load(order) == 3
            continue
        with pytest.raises(MemoryOrderError) as ei:
            ia.a.load(order)
        e = ei.value
        assert e.optype is OpType.LOAD and e.order is order and e.is_fail is False
        assert str(e) == order_msg("LOAD", order.name)


def test_store_conversion_before_order(ia):
    with pytest.raises(OverflowError):
        ia.a.store(ia.hi + 1, ACQUIRE)
    with pytest.raises(TypeError):
        ia.a.store(1.5, ACQ_REL)


def test_exchange(ia):
    prev = 0
    for order in ORDERS:  # no order validation
        for v in sample_values(ia.w, ia.signed):
            got = ia.a.exchange(v, order)
            assert got == prev and type(got) is int
            prev = v
    assert ia.a.exchange(desired=1, order=RELAXED) == prev
    assert ia.a.load() == 1


def _strong_or_weak(a, op, *args, **kwargs):
    """Weak cmpxchg may fail spuriously: retry a success-expected weak call a few times."""
    for _ in range(1000):
        r = getattr(a, op)(*args, **kwargs)
        if r.success or op == "cmpxchg_strong":
            return r
    return r


@pytest.mark.parametrize("op", ["cmpxchg_weak", "cmpxchg_strong"])
def test_integral_cmpxchg_semantics(ia, op):
    vals = sample_values(ia.w, ia.signed)
    cur = 0
    for v in vals:
        other = wrap(cur + 1, ia.w, ia.signed)
        # failure: memory differs from expected
        r = getattr(ia.a, op)(other, v)
        assert type(r) is CmpxchgResult
        assert r.success is False
        assert r.expected == cur and type(r.expected) is int
        assert ia.a.load() == cur
        # success
        r = _strong_or_weak(ia.a, op, cur, v)
        assert r.success is True
        assert r.expected == cur and type(r.expected) is int
        assert ia.a.load() == v
        cur = v


@pytest.mark.parametrize("op", ["cmpxchg_weak", "cmpxchg_strong"])
def test_integral_cmpxchg_keywords(op):
    a = atomics.atomic(8, INT)
    r = _strong_or_weak(a, op, expected=0, desired=5, success=SEQ_CST, failure=RELAXED)
    assert r.success is True and a.load() == 5
    with pytest.raises(TypeError) as ei:
        getattr(a, op)(5, 6, succ=SEQ_CST)
    assert "unexpected keyword argument 'succ'" in str(ei.value)
    with pytest.raises(TypeError) as ei:
        getattr(a, op)(5, 6, fail=SEQ_CST)
    assert "unexpected keyword argument 'fail'" in str(ei.value)
    assert a.load() == 5


@pytest.mark.parametrize("op, optype", [("cmpxchg_weak", "CMPXCHG_WEAK"), ("cmpxchg_strong", "CMPXCHG_STRONG")])
@pytest.mark.parametrize("succ", ORDERS, ids=lambda o: o.name)
@pytest.mark.parametrize("fail", ORDERS, ids=lambda o: o.name)
def test_integral_cmpxchg_fail_order_table(op, optype, succ, fail):
    a = atomics.atomic(4, INT)
    a.store(3)
    if fail.name in FAIL_OK[succ.name]:
        r = _strong_or_weak(a, op, 3, 4, succ, fail)
        assert r.success is True and a.load() == 4
        r = getattr(a, op)(3, 5, success=succ, failure=fail)
        assert r.success is False and r.expected == 4
        return
    for exp in (3, 99):  # raised whatever the memory holds
        with pytest.raises(MemoryOrderError) as ei:
            getattr(a, op)(exp, 4, succ, fail)
        e = ei.value
        assert e.optype is OpType[optype] and e.order is fail and e.is_fail is True
        assert str(e) == order_msg(optype, fail.name, is_fail=True)
    assert a.load() == 3


def test_cmpxchg_fail_order_examples():
    a = atomics.atomic(4, UINT)
    with pytest.raises(MemoryOrderError) as ei:
        a.cmpxchg_strong(0, 1, success=RELAXED, failure=SEQ_CST)
    assert str(ei.value) == "SEQ_CST is not a valid fail memory order for a CMPXCHG_STRONG operation."
    with pytest.raises(MemoryOrderError) as ei:
        a.cmpxchg_weak(0, 1, failure=RELEASE)
    assert str(ei.value) == "RELEASE is not a valid fail memory order for a CMPXCHG_WEAK operation."
    # RELEASE success + ACQUIRE failure is accepted (numeric comparison, Q20)
    assert a.cmpxchg_strong(0, 1, success=RELEASE, failure=ACQUIRE).success is True


@pytest.mark.parametrize("op", ["cmpxchg_weak", "cmpxchg_strong"])
def test_integral_cmpxchg_precedence(ia, op):
    f = getattr(ia.a, op)
    ia.a.store(1)
    # conv(expected) -> conv(desired) -> fail order
    with pytest.raises(OverflowError):
        f(ia.hi + 1, 2**300, RELAXED, SEQ_CST)
    with pytest.raises(OverflowError):
        f(ia.hi + 1, 1.5, RELAXED, SEQ_CST)
    with pytest.raises(TypeError) as ei:
        f(1.5, ia.hi + 1, RELAXED, SEQ_CST)
    assert "'expected'" in str(ei.value)
    with pytest.raises(OverflowError):
        f(1, ia.hi + 1, RELAXED, SEQ_CST)
    with pytest.raises(MemoryOrderError):
        f(1, 2, RELAXED, SEQ_CST)
    assert ia.a.load() == 1


def test_bit_ops(ia):
    a, w = ia.a, ia.w
    for i in sorted(i for i in {0, 1, 7, 8, 8 * w // 2, 8 * w - 1} if i < 8 * w):
        a.store(0)
        assert a.bit_test(i) is False
        assert a.bit_test_set(i) is False
        assert a.load() == wrap(1 << i, w, ia.signed)
        assert a.bit_test(i) is True
        assert a.bit_test_set(i) is True
        assert a.bit_test_compl(i) is True
        assert a.load() == 0
        assert a.bit_test_compl(i) is False
        assert a.load() == wrap(1 << i, w, ia.signed)
        assert a.bit_test_reset(i) is True
        assert a.load() == 0
        assert a.bit_test_reset(i) is False
        assert a.load() == 0
        # other bits are untouched
        full = wrap(-1, w, ia.signed)
        a.store(full)
        assert a.bit_test_reset(i) is True
        assert a.load() == wrap(((1 << 8 * w) - 1) ^ (1 << i), w, ia.signed)
        assert a.bit_test(index=i, order=SEQ_CST) is False


def test_bit_index_bool_accepted():
    a = atomics.atomic(2, UINT)
    assert a.bit_test_set(True) is False
    assert a.load() == 2
    assert a.bit_test(False) is False


def _bit_ops(a):
    return [a.bit_test, a.bit_test_compl, a.bit_test_set, a.bit_test_reset]


def test_bit_index_range(ia):
    ia.a.store(5)
    for bad in (-1, -8, 8 * ia.w, 8 * ia.w + 1, 2**70, -(2**70)):
        for f in _bit_ops(ia.a):
            with pytest.raises(ValueError) as ei:
                f(bad)
            assert str(ei.value) == INDEX_MSG
    assert ia.a.load() == 5


def test_bit_index_float_type_error():
    a = atomics.atomic(4, INT)
    for f in _bit_ops(a):
        with pytest.raises(TypeError) as ei:
            f(1.0)
        assert str(ei.value) == "'index' must be an int, not 'float'"


@pytest.mark.parametrize("w", WIDTHS)
@pytest.mark.parametrize("kind", ["INT", "BYTES"])
def test_bit_test_order_load_rule(w, kind):
    # deviation Q2: bit_test validates with the LOAD rule, order before index
    a = make(kind, w)
    for order in ORDERS:
        if order.name in LOAD_OK:
            assert a.bit_test(0, order) is False
            with pytest.raises(ValueError) as ei:
                a.bit_test(8 * w, order)
            assert str(ei.value) == INDEX_MSG
            continue
        for index in (0, 8 * w, -1):
            with pytest.raises(MemoryOrderError) as ei:
                a.bit_test(index, order)
            e = ei.value
            assert e.optype is OpType.BIT_TEST and e.order is order and e.is_fail is False
            assert str(e) == order_msg("BIT_TEST", order.name)


def test_bit_test_release_message():
    with pytest.raises(MemoryOrderError) as ei:
        atomics.atomic(4, UINT).bit_test(0, MemoryOrder.RELEASE)
    assert str(ei.value) == "RELEASE is not a valid  memory order for a BIT_TEST operation."


@pytest.mark.parametrize("kind", ["INT", "UINT", "BYTES"])
def test_modifying_bit_ops_accept_every_order(kind):
    a = make(kind, 4)
    for order in ORDERS:
        assert a.bit_test_set(3, order) is False
        assert a.bit_test_compl(3, order) is True
        assert a.bit_test_compl(3, order=order) is False
        assert a.bit_test_reset(index=3, order=order) is True


def test_binary_ops(ia):
    a, w, s = ia.a, ia.w, ia.signed
    m = (1 << 8 * w) - 1
    vals = sample_values(w, s)
    for x in vals:
        for y in vals[::2]:
            ux, uy = x & m, y & m
            for op, fn in (("or", operator.or_), ("xor", operator.xor), ("and", operator.and_)):
                a.store(x)
                assert getattr(a, "bin_" + op)(y) is None
                assert a.load() == wrap(fn(ux, uy), w, s)
                a.store(x)
                got = getattr(a, "bin_fetch_" + op)(y)
                assert got == x and type(got) is int
                assert a.load() == wrap(fn(ux, uy), w, s)
        a.store(x)
        assert a.bin_not() is None
        assert a.load() == wrap(~ux & m, w, s)
        a.store(x)
        assert a.bin_fetch_not() == x
        assert a.load() == wrap(~ux & m, w, s)


def test_int_bin_not_is_minus_x_minus_one():
    a = atomics.atomic(4, INT)
    for x in (0, 5, -7, 2**31 - 1, -(2**31)):
        a.store(x)
        a.bin_not()
        assert a.load() == -x - 1


def test_signed_bin_xor_minus_one():
    a = atomics.atomic(2, INT)
    a.store(0x1234)
    a.bin_xor(-1)
    assert a.load() == ~0x1234


def test_binary_ops_accept_every_order(ia):
    a = ia.a
    for order in ORDERS:
        a.store(0)
        a.bin_or(6, order)
        a.bin_xor(value=3, order=order)
        assert a.bin_fetch_and(7, order) == 5
        a.bin_and(value=1, order=order)
        assert a.bin_fetch_or(2, order) == 1
        assert a.bin_fetch_xor(1, order) == 3
        a.bin_not(order)
        assert a.bin_fetch_not(order=order) == wrap(~2, ia.w, ia.signed)
        assert a.load() == 2


def test_arithmetic_ops(ia):
    a, w, s = ia.a, ia.w, ia.signed
    vals = sample_values(w, s)
    for x in vals:
        for y in (v for v in vals if v >= 0):
            a.store(x)
            assert a.add(y) is None
            assert a.load() == wrap(x + y, w, s)
            a.store(x)
            assert a.sub(y) is None
            assert a.load() == wrap(x - y, w, s)
            a.store(x)
            got = a.fetch_add(y)
            assert got == x and type(got) is int
            assert a.load() == wrap(x + y, w, s)
            a.store(x)
            assert a.fetch_sub(y) == x
            assert a.load() == wrap(x - y, w, s)
        for name, delta in (("inc", 1), ("dec", -1)):
            a.store(x)
            assert getattr(a, name)() is None
            assert a.load() == wrap(x + delta, w, s)
            a.store(x)
            assert getattr(a, "fetch_" + name)() == x
            assert a.load() == wrap(x + delta, w, s)
        a.store(x)
        assert a.neg() is None
        assert a.load() == wrap(-x, w, s)
        a.store(x)
        assert a.fetch_neg() == x
        assert a.load() == wrap(-x, w, s)


def test_arithmetic_wrapping_examples():
    a = atomics.atomic(4, INT)
    a.store(2**31 - 1)
    a.inc()
    assert a.load() == -(2**31)
    a.neg()
    assert a.load() == -(2**31)
    u = atomics.atomic(4, UINT)
    u.sub(1)
    assert u.load() == 2**32 - 1
    u.store(1)
    u.neg()
    assert u.load() == 4294967295
    u.neg()
    assert u.load() == 1
    u8 = atomics.atomic(8, UINT)
    u8.store(2**64 - 1)
    u8.add(1)
    assert u8.load() == 0
    i1 = atomics.atomic(1, INT)
    i1.store(-128)
    i1.dec()
    assert i1.load() == 127


def test_arithmetic_ops_accept_every_order(ia):
    a = ia.a
    for order in ORDERS:
        a.store(5)
        a.add(2, order)
        a.sub(value=1, order=order)
        a.inc(order)
        a.dec(order=order)
        assert a.fetch_add(1, order) == 6
        assert a.fetch_sub(1, order) == 7
        assert a.fetch_inc(order) == 6
        assert a.fetch_dec(order) == 7
        a.neg(order)
        assert a.fetch_neg(order=order) == wrap(-6, ia.w, ia.signed)
        assert a.load() == 6


@pytest.mark.parametrize("op", ["neg", "inc", "dec", "fetch_neg", "fetch_inc", "fetch_dec", "bin_not",
                                "bin_fetch_not"])
def test_operandless_with_int_order_deviation(op):
    # deviation Q11: a plain int order is its MemoryOrder value; 1 is not a valid one
    a = atomics.atomic(4, INT)
    with pytest.raises(ValueError) as ei:
        getattr(a, op)(1)
    assert str(ei.value) == "1 is not a valid MemoryOrder"
    assert a.load() == 0
    getattr(a, op)(0)
    getattr(a, op)(5)


# --------------------------------------------------------------------------------------
# §7 / Q11: order arguments (deviation)
# --------------------------------------------------------------------------------------


def test_int_orders_accepted():
    a = atomics.atomic(4, INT)
    for name, value in ORDER_VALUES.items():
        if name in STORE_OK:
            a.store(value + 10, value)
            assert a.load() == value + 10
        else:
            with pytest.raises(MemoryOrderError) as ei:
                a.store(1, value)
            assert ei.value.order == value
            assert str(ei.value) == order_msg("STORE", name)
        if name in LOAD_OK:
            assert a.load(value) == a.load()
        else:
            with pytest.raises(MemoryOrderError):
                a.load(value)
        a.exchange(1, value)
    a.store(1)
    assert a.cmpxchg_strong(1, 2, 5, 0).success is True
    with pytest.raises(MemoryOrderError):
        a.cmpxchg_strong(2, 3, 0, 5)


def test_none_order_means_seq_cst():
    a = atomics.atomic(4, INT)
    a.store(3, None)
    assert a.load(None) == 3
    assert a.exchange(4, None) == 3
    assert a.cmpxchg_strong(4, 5, None, None).success is True
    assert a.bit_test(0, None) is True
    a.inc(None)
    assert a.fetch_add(1, None) == 6
    b = atomics.atomic(2, BYTES)
    b.store(b"ab", None)
    assert b.load(None) == b"ab"
    assert b.cmpxchg_strong(b"ab", b"cd", succ=None, fail=None).success is True


def test_none_failure_order_with_relaxed_success_is_seq_cst():
    # None means SEQ_CST, which is not a valid failure order for a RELAXED success
    a = atomics.atomic(4, INT)
    with pytest.raises(MemoryOrderError) as ei:
        a.cmpxchg_weak(0, 1, success=RELAXED, failure=None)
    assert ei.value.order is SEQ_CST


@pytest.mark.parametrize("bad", ["SEQ_CST", 5.0, b"\x05", [5]], ids=repr)
def test_order_wrong_type(bad):
    tname = type(bad).__name__
    a = atomics.atomic(4, INT)
    b = atomics.atomic(4, BYTES)
    calls = [
        ("order", lambda: a.store(1, bad)), ("order", lambda: a.load(bad)), ("order", lambda: a.exchange(1, bad)),
        ("order", lambda: a.bit_test(0, bad)), ("order", lambda: a.bit_test_set(0, bad)),
        ("order", lambda: a.bin_or(1, bad)), ("order", lambda: a.inc(bad)), ("order", lambda: a.fetch_neg(bad)),
        ("success", lambda: a.cmpxchg_strong(0, 1, success=bad)),
        ("failure", lambda: a.cmpxchg_weak(0, 1, failure=bad)),
        ("order", lambda: b.store(b"abcd", bad)), ("order", lambda: b.load(bad)),
        ("order", lambda: b.bin_not(bad)),
        ("succ", lambda: b.cmpxchg_strong(b"\0" * 4, b"abcd", succ=bad)),
        ("fail", lambda: b.cmpxchg_weak(b"\0" * 4, b"abcd", fail=bad)),
    ]
    for param, call in calls:
        with pytest.raises(TypeError) as ei:
            call()
        assert str(ei.value) == f"'{param}' must be a MemoryOrder, not '{tname}'"
    assert a.load() == 0 and b.load() == b"\0" * 4


@pytest.mark.parametrize("bad", [1, 6, -1, 2**70])
def test_order_invalid_int_value(bad):
    a = atomics.atomic(4, UINT)
    b = atomics.atomic(4, BYTES)
    for call in (lambda: a.store(1, bad), lambda: a.load(bad), lambda: a.exchange(1, bad),
                 lambda: a.add(1, bad), lambda: a.cmpxchg_strong(0, 1, bad, RELAXED),
                 lambda: a.cmpxchg_strong(0, 1, SEQ_CST, bad), lambda: a.bit_test_reset(0, bad),
                 lambda: b.exchange(b"abcd", bad), lambda: b.cmpxchg_weak(b"\0" * 4, b"abcd", succ=bad)):
        with pytest.raises(ValueError) as ei:
            call()
        assert str(ei.value) == f"{bad} is not a valid MemoryOrder"
    assert a.load() == 0 and b.load() == b"\0" * 4


# --------------------------------------------------------------------------------------
# §7 Operations: bytes family
# --------------------------------------------------------------------------------------


def _bytes_like_inputs(w):
    p = pattern(w)
    out = [p, bytearray(p), memoryview(p), array.array("B", p), memoryview(bytearray(p)).toreadonly()]
    if w % 2 == 0:  # Q12: checked by nbytes
        out.append(array.array("H", p))
    if w % 4 == 0:
        out.append(memoryview(bytearray(p)).cast("I"))
    return out


def test_bytes_store_load(ba):
    b, w = ba
    for src in _bytes_like_inputs(w):
        b.store(b"\0" * w)
        assert b.store(src) is None
        got = b.load()
        assert got == pattern(w) and type(got) is bytes and len(got) == w
    for order in ORDERS:
        if order.name in STORE_OK:
            b.store(desired=b"\x01" * w, order=order)
        if order.name in LOAD_OK:
            assert b.load(order=order) == b"\x01" * w


def test_bytes_operands_sized_by_nbytes_q12():
    # deviation Q12: array('I', [x]) has len 1 but 4 bytes -> accepted for width 4
    b = atomics.atomic(4, BYTES)
    b.store(array.array("I", [0x01020304]))
    assert b.load() == (0x01020304).to_bytes(4, sys.byteorder)
    assert b.exchange(array.array("H", [1, 2])) == (0x01020304).to_bytes(4, sys.byteorder)
    assert b.load() == (1).to_bytes(2, sys.byteorder) + (2).to_bytes(2, sys.byteorder)
    b.bin_xor(memoryview(bytearray(b"\xff" * 4)).cast("I"))
    assert b.load() == bytes(x ^ 0xFF for x in (1).to_bytes(2, sys.byteorder) + (2).to_bytes(2, sys.byteorder))
    with pytest.raises(ValueError) as ei:
        b.store(array.array("H", [1, 2, 3, 4]))  # len 4 == width, but 8 bytes
    assert str(ei.value) == len_msg("desired")


def test_bytes_load_returns_fresh_bytes(ba):
    b, w = ba
    b.store(pattern(w))
    x, y = b.load(), b.load()
    assert x == y == pattern(w)
    b.store(b"\0" * w)
    assert x == pattern(w)


def test_bytes_exchange(ba):
    b, w = ba
    prev = b"\0" * w
    for order in ORDERS:  # no order validation
        for src in _bytes_like_inputs(w):
            b.store(prev)
            got = b.exchange(src, order)
            assert got == prev and type(got) is bytes
            assert b.load() == pattern(w)
        prev = bytes(reversed(pattern(w, seed=int(order))))
        b.store(prev)
    assert b.exchange(desired=b"\x07" * w, order=ACQ_REL) == prev


@pytest.mark.parametrize("w", WIDTHS)
def test_bytes_store_order_validation(w):
    b = atomics.atomic(w, BYTES)
    for order in ORDERS:
        if order.name in STORE_OK:
            continue
        # order is checked before the length and the type of `desired`
        for desired in (b"\x01" * w, b"\x01" * (w + 1), b"", 1, "x" * w, None):
            with pytest.raises(MemoryOrderError) as ei:
                b.store(desired, order)
            e = ei.value
            assert e.optype is OpType.STORE and e.order is order and e.is_fail is False
            assert str(e) == order_msg("STORE", order.name)
    assert b.load() == b"\0" * w


def test_bytes_store_order_before_length_example():
    with pytest.raises(MemoryOrderError):
        atomics.atomic(4, BYTES).store(b"1", MemoryOrder.ACQUIRE)


@pytest.mark.parametrize("w", WIDTHS)
def test_bytes_load_order_validation(w):
    b = atomics.atomic(w, BYTES)
    for order in ORDERS:
        if order.name in LOAD_OK:
            assert b.load(order) == b"\0" * w
            continue
        with pytest.raises(MemoryOrderError) as ei:
            b.load(order)
        assert ei.value.optype is OpType.LOAD and ei.value.order is order and ei.value.is_fail is False
        assert str(ei.value) == order_msg("LOAD", order.name)


BYTES_VALUE_OPS = [
    ("store", "desired"), ("exchange", "desired"),
    ("bin_or", "value"), ("bin_xor", "value"), ("bin_and", "value"),
    ("bin_fetch_or", "value"), ("bin_fetch_xor", "value"), ("bin_fetch_and", "value"),
]


def _wrong_sizes(w):
    out = [b"", b"\x01" * (w - 1), b"\x01" * (w + 1), bytearray(2 * w), memoryview(b"\x01" * (w + 3))]
    out.append(array.array("H", [1] * w))  # Q12: len == w but nbytes == 2w
    if w >= 2:
        out.append(array.array("B", [1] * (w - 1)))
    return [x for x in out if (memoryview(x).nbytes != w)]


def test_bytes_length_errors(ba):
    b, w = ba
    b.store(pattern(w))
    for op, param in BYTES_VALUE_OPS:
        for bad in _wrong_sizes(w):
            with pytest.raises(ValueError) as ei:
                getattr(b, op)(bad)
            assert str(ei.value) == len_msg(param), (op, bad)
    assert b.load() == pattern(w)


def test_bytes_length_error_messages():
    b = atomics.atomic(4, BYTES)
    with pytest.raises(ValueError) as ei:
        b.store(b"123")
    assert str(ei.value) == "'desired' object length does not match width."
    with pytest.raises(ValueError) as ei:
        b.bin_or(b"12345")
    assert str(ei.value) == "'value' object length does not match width."
    with pytest.raises(ValueError) as ei:
        b.cmpxchg_strong(b"123", b"1234")
    assert str(ei.value) == "'expected' object length does not match width."
    with pytest.raises(ValueError) as ei:
        b.cmpxchg_weak(b"1234", b"123")
    assert str(ei.value) == "'desired' object length does not match width."


@pytest.mark.parametrize("bad", [1, 0, None, 1.5, "x", [0], (0,), {0: 0}], ids=repr)
def test_bytes_operand_type_errors(ba, bad):
    b, w = ba
    if isinstance(bad, (str, list, tuple)):
        bad = bad * w  # right length, wrong kind
    tname = type(bad).__name__
    for op, param in BYTES_VALUE_OPS:
        with pytest.raises(TypeError) as ei:
            getattr(b, op)(bad)
        assert str(ei.value) == f"'{param}' must be a bytes-like object, not '{tname}'", op
    assert b.load() == b"\0" * w


def test_bytes_store_int_message():
    with pytest.raises(TypeError) as ei:
        atomics.atomic(4, BYTES).store(1)
    assert str(ei.value) == "'desired' must be a bytes-like object, not 'int'"


def test_bytes_binary_ops(ba):
    b, w = ba
    x = pattern(w, 0x3C)
    ys = [pattern(w, 0xA5), b"\xff" * w, b"\0" * w]
    fns = {"or": operator.or_, "xor": operator.xor, "and": operator.and_}
    for y in ys:
        for name, fn in fns.items():
            want = bytes(fn(p, q) for p, q in zip(x, y))
            b.store(x)
            assert getattr(b, "bin_" + name)(y) is None
            assert b.load() == want
            b.store(x)
            got = getattr(b, "bin_fetch_" + name)(bytearray(y))
            assert got == x and type(got) is bytes
            assert b.load() == want
    want = bytes(~p & 0xFF for p in x)
    b.store(x)
    assert b.bin_not() is None
    assert b.load() == want
    got = b.bin_fetch_not()
    assert got == want and type(got) is bytes
    assert b.load() == x
    for order in ORDERS:  # no order validation
        b.bin_or(b"\0" * w, order)
        b.bin_xor(value=b"\0" * w, order=order)
        b.bin_and(b"\xff" * w, order)
        b.bin_not(order)
        b.bin_not(order=order)
        assert b.bin_fetch_or(b"\0" * w, order) == x
        assert b.bin_fetch_xor(b"\0" * w, order) == x
        assert b.bin_fetch_and(b"\xff" * w, order) == x
        b.bin_fetch_not(order)
        assert b.bin_fetch_not(order=order) == bytes(~p & 0xFF for p in x)


def test_bytes_bit_ops_lsb_first(ba):
    b, w = ba
    for i in sorted({0, 1, 7, 8, 9, 8 * w - 1}):
        if i >= 8 * w:
            continue
        want = bytearray(w)
        want[i // 8] = 1 << (i % 8)
        b.store(b"\0" * w)
        assert b.bit_test_set(i) is False
        assert b.load() == bytes(want)
        assert b.bit_test(i) is True
        assert b.bit_test_compl(i) is True
        assert b.load() == b"\0" * w
        assert b.bit_test_compl(i) is False
        assert b.bit_test_reset(i) is True
        assert b.load() == b"\0" * w
        assert b.bit_test_reset(i) is False
    for bad in (-1, 8 * w, 8 * w + 7):
        for f in _bit_ops(b):
            with pytest.raises(ValueError) as ei:
                f(bad)
            assert str(ei.value) == INDEX_MSG


def test_bytes_bit_examples():
    b = atomics.atomic(4, BYTES)
    b.bit_test_set(9)
    assert b.load() == b"\x00\x02\x00\x00"
    b.store(b"\0" * 4)
    b.bit_test_set(31)
    assert b.load() == b"\x00\x00\x00\x80"


@pytest.mark.parametrize("op", ["cmpxchg_weak", "cmpxchg_strong"])
def test_bytes_cmpxchg_semantics(ba, op):
    b, w = ba
    x, y = pattern(w, 1), pattern(w, 2)
    b.store(x)
    r = getattr(b, op)(y, b"\xee" * w)
    assert type(r) is CmpxchgResult and r.success is False
    assert r.expected == x and type(r.expected) is bytes
    assert b.load() == x
    for exp_in in (x, bytearray(x), memoryview(x), array.array("B", x), list(x), tuple(x)):
        b.store(x)
        r = _strong_or_weak(b, op, exp_in, y)
        assert r.success is True
        assert r.expected == x and type(r.expected) is bytes
        assert b.load() == y
        r = getattr(b, op)(exp_in, list(y))
        assert r.success is False and r.expected == y and type(r.expected) is bytes


@pytest.mark.parametrize("op", ["cmpxchg_weak", "cmpxchg_strong"])
def test_bytes_cmpxchg_keywords(op):
    b = atomics.atomic(4, BYTES)
    r = _strong_or_weak(b, op, expected=b"\0" * 4, desired=b"abcd", succ=SEQ_CST, fail=ACQUIRE)
    assert r.success is True and b.load() == b"abcd"
    with pytest.raises(TypeError) as ei:
        getattr(b, op)(b"abcd", b"efgh", success=SEQ_CST)
    assert "unexpected keyword argument 'success'" in str(ei.value)
    with pytest.raises(TypeError) as ei:
        getattr(b, op)(b"abcd", b"efgh", failure=SEQ_CST)
    assert "unexpected keyword argument 'failure'" in str(ei.value)
    assert b.load() == b"abcd"


@pytest.mark.parametrize("op, optype", [("cmpxchg_weak", "CMPXCHG_WEAK"), ("cmpxchg_strong", "CMPXCHG_STRONG")])
@pytest.mark.parametrize("succ", ORDERS, ids=lambda o: o.name)
@pytest.mark.parametrize("fail", ORDERS, ids=lambda o: o.name)
def test_bytes_cmpxchg_fail_order_table(op, optype, succ, fail):
    b = atomics.atomic(2, BYTES)
    b.store(b"ab")
    if fail.name in FAIL_OK[succ.name]:
        r = _strong_or_weak(b, op, b"ab", b"cd", succ, fail)
        assert r.success is True and b.load() == b"cd"
        r = getattr(b, op)(b"ab", b"ef", succ=succ, fail=fail)
        assert r.success is False and r.expected == b"cd"
        return
    for exp in (b"ab", b"zz"):
        with pytest.raises(MemoryOrderError) as ei:
            getattr(b, op)(exp, b"cd", succ, fail)
        e = ei.value
        assert e.optype is OpType[optype] and e.order is fail and e.is_fail is True
        assert str(e) == order_msg(optype, fail.name, is_fail=True)
    assert b.load() == b"ab"


@pytest.mark.parametrize("op", ["cmpxchg_weak", "cmpxchg_strong"])
def test_bytes_cmpxchg_precedence(ba, op):
    b, w = ba
    f = getattr(b, op)
    good, short, longer = b"\0" * w, b"\0" * (w - 1), b"\0" * (w + 1)
    # len(expected) -> len(desired) -> fail order
    with pytest.raises(ValueError) as ei:
        f(short, longer, RELAXED, SEQ_CST)
    assert str(ei.value) == len_msg("expected")
    with pytest.raises(ValueError) as ei:
        f(longer, good, RELAXED, SEQ_CST)
    assert str(ei.value) == len_msg("expected")
    with pytest.raises(ValueError) as ei:
        f(good, short, RELAXED, SEQ_CST)
    assert str(ei.value) == len_msg("desired")
    with pytest.raises(ValueError) as ei:
        f(good, longer, RELAXED, ACQ_REL)
    assert str(ei.value) == len_msg("desired")
    with pytest.raises(MemoryOrderError):
        f(good, good, RELAXED, SEQ_CST)
    with pytest.raises(ValueError) as ei:
        f(list(short), good)
    assert str(ei.value) == len_msg("expected")
    if w % 2 == 0:  # Q12: size in bytes, not len()
        with pytest.raises(ValueError) as ei:
            f(array.array("H", [0] * w), good)
        assert str(ei.value) == len_msg("expected")
        assert f(array.array("H", [0] * (w // 2)), good).success is True
    assert b.load() == good


@pytest.mark.parametrize("bad", ["x", 4, None, 1.5], ids=repr)
def test_bytes_cmpxchg_type_errors(bad):
    b = atomics.atomic(4, BYTES)
    if isinstance(bad, str):
        bad = bad * 4
    for op in ("cmpxchg_weak", "cmpxchg_strong"):
        with pytest.raises(TypeError):
            getattr(b, op)(bad, b"abcd")
        with pytest.raises(TypeError):
            getattr(b, op)(b"\0" * 4, bad)
    assert b.load() == b"\0" * 4


@pytest.mark.parametrize("op", ["cmpxchg_weak", "cmpxchg_strong"])
def test_q1_cached_single_byte_objects_not_corrupted(op):
    # deviation Q1: the caller's bytes object is never mutated
    b = atomics.atomic(1, BYTES)
    b.store(b"\x05")
    r = getattr(b, op)(b"\x00", b"\x01")
    assert r.success is False
    assert r.expected == b"\x05"
    assert b"\x00"[0] == 0
    assert bytes([0])[0] == 0
    assert list(b"\x00") == [0] and list(bytes([0])) == [0]
    assert b"\x00" != b"\x05"
    assert bytes([0]) != b"\x05"
    assert b"\x00" == bytes(1)
    assert b.load() == b"\x05"


@pytest.mark.parametrize("op", ["cmpxchg_weak", "cmpxchg_strong"])
@pytest.mark.parametrize("w", [w for w in WIDTHS if w > 1])
def test_q1_expected_is_fresh(op, w):
    b = atomics.atomic(w, BYTES)
    b.store(pattern(w))
    exp = bytes(bytearray(w))  # a fresh exact bytes object of zeros
    r = getattr(b, op)(exp, b"\x01" * w)
    assert r.success is False
    assert r.expected == pattern(w) and r.expected is not exp
    assert exp == b"\0" * w and exp[0] == 0
    ba_exp = bytearray(w)
    r = getattr(b, op)(ba_exp, b"\x01" * w)
    assert r.success is False and ba_exp == bytearray(w)
    assert type(r.expected) is bytes
    exp2 = bytes(bytearray(pattern(w)))
    r = _strong_or_weak(b, op, exp2, b"\x01" * w)
    assert r.success is True
    assert r.expected == pattern(w) and type(r.expected) is bytes and r.expected is not exp2
    assert exp2 == pattern(w)


# --------------------------------------------------------------------------------------
# §7.5 CmpxchgResult
# --------------------------------------------------------------------------------------


def test_cmpxchg_result_construction():
    r = CmpxchgResult(True, 5)
    assert r.success is True and r.expected == 5
    r = CmpxchgResult(success=False, expected=b"ab")
    assert r.success is False and r.expected == b"ab"
    r = CmpxchgResult(False, expected=3)
    assert r.success is False and r.expected == 3
    obj = object()
    r = CmpxchgResult("no", obj)  # no validation
    assert r.success == "no" and r.expected is obj


def test_cmpxchg_result_writable_attributes():
    r = CmpxchgResult(True, 1)
    r.success = False
    r.expected = b"\x01"
    assert r.success is False and r.expected == b"\x01"
    assert repr(r) == r"CmpxchgResult(success=False, expected=b'\x01')"


def test_cmpxchg_result_bool():
    assert bool(CmpxchgResult(True, 0)) is True
    assert bool(CmpxchgResult(False, 1)) is False
    r = CmpxchgResult(False, 1)
    assert not r
    r.success = True
    assert r


def test_cmpxchg_result_bool_needs_bool():
    with pytest.raises(TypeError):
        bool(CmpxchgResult(1, 0))


def test_cmpxchg_result_iteration():
    r = CmpxchgResult(True, 99)
    ok, val = r
    assert ok is True and val == 99
    assert tuple(r) == (True, 99)
    assert list(CmpxchgResult(success=False, expected=b"x")) == [False, b"x"]
    with pytest.raises(TypeError):
        r[0]
    with pytest.raises(TypeError):
        len(r)


def test_cmpxchg_result_repr_str():
    r = CmpxchgResult(success=True, expected=99)
    assert repr(r) == "CmpxchgResult(success=True, expected=99)"
    assert str(r) == repr(r)
    r = CmpxchgResult(False, b"\xf1\xfd\xff\xfe")
    assert repr(r) == r"CmpxchgResult(success=False, expected=b'\xf1\xfd\xff\xfe')"
    assert str(r) == repr(r)
    # fields formatted with str(), not repr()
    assert repr(CmpxchgResult("a", "b")) == "CmpxchgResult(success=a, expected=b)"


def test_cmpxchg_result_repr_uses_runtime_class():
    class MyResult(CmpxchgResult):
        pass

    assert repr(MyResult(True, 1)) == "MyResult(success=True, expected=1)"


def test_cmpxchg_result_generic():
    alias = CmpxchgResult[int]
    assert alias is not None
    CmpxchgResult[bytes]
    r = alias(True, 1)  # typing aliases are callable
    assert r.expected == 1


def test_cmpxchg_result_no_eq():
    a, b = CmpxchgResult(True, 1), CmpxchgResult(True, 1)
    assert a != b and a == a
    assert hash(a) == hash(a)
    assert len({a, b}) == 2


def test_cmpxchg_result_pickles_and_copies_as_its_fields():
    """1.0's CmpxchgResult was a plain class: pickle and copy kept both fields."""
    r = CmpxchgResult(False, b"\x01\x02")
    for other in (pickle.loads(pickle.dumps(r)), copy.copy(r), copy.deepcopy(r)):
        assert type(other) is CmpxchgResult and other is not r
        assert other.success is False and other.expected == b"\x01\x02"
    a = atomics.atomic(8, INT)
    res = a.cmpxchg_strong(1, 2)
    back = pickle.loads(pickle.dumps(res))
    assert (back.success, back.expected) == (False, 0)


def test_cmpxchg_result_deleted_attributes_raise_attribute_error():
    r = CmpxchgResult(True, 1)
    del r.expected
    with pytest.raises(AttributeError, match="expected"):
        r.expected
    with pytest.raises(AttributeError):
        tuple(r)
    with pytest.raises(AttributeError):
        repr(r)
    assert r  # success is still there
    del r.success
    with pytest.raises(AttributeError, match="success"):
        bool(r)
    r.success, r.expected = False, 2
    assert tuple(r) == (False, 2)


def test_cmpxchg_result_subclass_keeps_its_own_attributes_and_properties():
    class Tagged(CmpxchgResult):
        def __init__(self, success, expected, tag="t"):
            self.tag = tag

        def __new__(cls, success, expected, tag="t"):
            return super().__new__(cls, success, expected)

    r = Tagged(True, 5, tag="x")
    assert (r.tag, r.success, r.expected, bool(r), tuple(r)) == ("x", True, 5, True, (True, 5))
    assert repr(r) == "Tagged(success=True, expected=5)"

    class Inverted(CmpxchgResult):
        @property
        def success(self):
            return False

    assert not Inverted(True, 1) and tuple(Inverted(True, 1)) == (False, 1)


def test_cmpxchg_results_hold_and_release_their_references():
    """Each result holds a reference to its `expected` until it is dropped (none leaks)."""
    a = atomics.atomic(8, INT)
    value = 2**41 + 12345
    a.store(value)
    expected = int(str(value))  # an object of its own, not a cached constant
    before = sys.getrefcount(expected)
    results = [a.cmpxchg_strong(expected, value) for _ in range(100)]
    assert all(r.expected is expected for r in results)
    assert sys.getrefcount(expected) == before + 100
    del results
    assert sys.getrefcount(expected) == before
    failed = [CmpxchgResult(False, expected) for _ in range(10)]
    assert sys.getrefcount(expected) == before + 10
    for r in failed:
        r.expected = None
    assert sys.getrefcount(expected) == before


def test_readme_cmpxchg_loop():
    a = atomics.atomic(width=4, atype=atomics.INT)
    a.store(3)
    k = 7
    res = atomics.CmpxchgResult(success=False, expected=a.load())
    while not res:
        res = a.cmpxchg_weak(expected=res.expected, desired=res.expected * k)
    assert a.load() == 21
    assert res.success is True and res.expected == 3


def test_readme_cmpxchg_loop_threads():
    import threading

    a = atomics.atomic(8, UINT)
    n, per = 4, 2000

    def work():
        for _ in range(per):
            res = atomics.CmpxchgResult(success=False, expected=a.load())
            while not res:
                res = a.cmpxchg_weak(expected=res.expected, desired=res.expected + 1)

    ts = [threading.Thread(target=work) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert a.load() == n * per


# --------------------------------------------------------------------------------------
# §8 Alignment
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("w", WIDTHS)
def test_alignment_values(w):
    al = Alignment(w)
    assert (al.width, al.recommended, al.minimum, al.size_within) == (w, w, 1, 0)
    assert str(al) == f"Alignment(width={w}, recommended={w}, minimum=1, size_within=0)"


def test_alignment_str_example():
    assert str(Alignment(8)) == "Alignment(width=8, recommended=8, minimum=1, size_within=0)"


def test_alignment_attributes_writable():
    al = Alignment(4)
    al.width = 9
    al.recommended = 3
    al.minimum = 2
    al.size_within = 16
    assert (al.width, al.recommended, al.minimum, al.size_within) == (9, 3, 2, 16)
    assert str(al) == "Alignment(width=9, recommended=3, minimum=2, size_within=16)"


def test_alignment_no_repr_no_eq():
    a, b = Alignment(4), Alignment(4)
    assert a != b and a == a
    assert repr(a).startswith("<") and "Alignment object at 0x" in repr(a)


def test_alignment_errors():
    with pytest.raises(ValueError) as ei:
        Alignment(-1)
    assert str(ei.value) == "Negative width"
    for width in OVERFLOWING_WIDTHS:
        with pytest.raises(OverflowError) as ei:
            Alignment(width)
        assert ei.value.args == (width, "Value would overflow size_t")
    for bad in ("4", 4.0):  # deviation
        with pytest.raises(TypeError) as ei:
            Alignment(bad)
        assert str(ei.value) == WIDTH_TYPE_MSG


@pytest.mark.parametrize("w", UNSUPPORTED_WIDTHS)
def test_alignment_unsupported_width(w):
    with pytest.raises(UnsupportedWidthException) as ei:
        Alignment(w)
    assert ei.value.width == w and ei.value.readonly is False
    assert str(ei.value) == unsupported_width_msg(w)


@pytest.mark.parametrize("w", WIDTHS)
@pytest.mark.parametrize("readonly", [False, True])
def test_alignment_is_valid(w, readonly):
    al = Alignment(w)
    good = aligned_view(w)
    bad = aligned_view(w, extra_offset=1)
    if readonly:
        good, bad = good.toreadonly(), bad.toreadonly()
    for buf in (good, bad):
        assert al.is_valid(buf, using_recommended=False) is True
        assert al.is_valid_minimum(buf) is True
    assert al.is_valid(good) is True
    assert al.is_valid(good, using_recommended=True) is True
    assert al.is_valid_recommended(good) is True
    expected_bad = w == 1  # 1-byte objects are always aligned
    assert al.is_valid(bad) is expected_bad
    assert al.is_valid(bad, using_recommended=True) is expected_bad
    assert al.is_valid_recommended(bad) is expected_bad
    for off in range(1, 16):
        v = aligned_view(w, extra_offset=off)
        assert al.is_valid(v) is (off % w == 0)
        assert al.is_valid_minimum(v) is True


def test_alignment_is_valid_brief_example():
    mv = memoryview(bytearray(32))[1:9]
    al = Alignment(8)
    assert al.is_valid(mv) is False
    assert al.is_valid_recommended(mv) is False
    assert al.is_valid_minimum(mv) is True


def test_alignment_using_recommended_keyword_only():
    with pytest.raises(TypeError):
        Alignment(4).is_valid(aligned_view(4), True)


@pytest.mark.parametrize("w", WIDTHS)
def test_alignment_width_mismatch(w):
    al = Alignment(w)
    msg = f"Positional argument 'buffer' does not have matching width of {w}."
    for size in (0, w - 1, w + 1, 2 * w):
        if size == w or size < 0:
            continue
        buf = aligned_view(w, size=size)
        for call in (lambda: al.is_valid(buf), lambda: al.is_valid(buf, using_recommended=False),
                     lambda: al.is_valid_recommended(buf), lambda: al.is_valid_minimum(buf)):
            with pytest.raises(ValueError) as ei:
                call()
            assert str(ei.value) == msg


def test_alignment_width_mismatch_uses_nbytes():
    al = Alignment(4)
    assert isinstance(al.is_valid(array.array("H", [1, 2])), bool)  # 4 bytes
    with pytest.raises(ValueError):
        al.is_valid(array.array("H", [1, 2, 3, 4]))


@pytest.mark.parametrize("bad", [5, "abcd", [1, 2, 3, 4], None, 4.0], ids=repr)
def test_alignment_non_buffer(bad):
    al = Alignment(4)
    for f in (al.is_valid, al.is_valid_recommended, al.is_valid_minimum):
        with pytest.raises(TypeError) as ei:
            f(bad)
        assert str(ei.value) == "Positional argument 'buffer' must support the buffer protocol."


def test_alignment_non_contiguous_buffer():
    # Q14 (documented deviation): TypeError, not the raw BufferError
    with pytest.raises(TypeError, match=r"^Positional argument 'buffer' must be C-contiguous\.$"):
        Alignment(8).is_valid(memoryview(bytearray(16))[::2])


def test_alignment_releases_buffer():
    buf = bytearray(8)
    Alignment(8).is_valid(buf)
    Alignment(8).is_valid_minimum(buf)
    buf.append(1)  # no export remains
    assert len(buf) == 9


# --------------------------------------------------------------------------------------
# §9 Exceptions
# --------------------------------------------------------------------------------------

EXC_CLASSES = [AlignmentError, MemoryOrderError, UnsupportedOperationException, UnsupportedWidthException]


@pytest.mark.parametrize("cls", EXC_CLASSES, ids=lambda c: c.__name__)
def test_exceptions_subclass_exception_directly(cls):
    assert cls.__bases__ == (Exception,)
    assert not issubclass(cls, (ValueError, TypeError, ArithmeticError, LookupError))


EXC_EXAMPLES = [
    (AlignmentError, (8, 0x7F17D3550851), {"using_recommended": True},
     {"width": 8, "address": 0x7F17D3550851, "using_recommended": True},
     "The alignment of address 0x7f17d3550851 does not meet the recommended alignment requirements for "
     "atomic operations on objects with a width of 8.",
     "AlignmentError(width=8, address=139740306540625, using_recommended=True)"),
    (AlignmentError, (4, 139740306540625), {"using_recommended": False},
     {"width": 4, "address": 139740306540625, "using_recommended": False},
     "The alignment of address 0x7f17d3550851 does not meet the minimum alignment requirements for "
     "atomic operations on objects with a width of 4.",
     "AlignmentError(width=4, address=139740306540625, using_recommended=False)"),
    (MemoryOrderError, (OpType.STORE, MemoryOrder.ACQUIRE), {"is_fail": False},
     {"optype": OpType.STORE, "order": MemoryOrder.ACQUIRE, "is_fail": False},
     "ACQUIRE is not a valid  memory order for a STORE operation.",
     "MemoryOrderError(optype=OpType.STORE, order=MemoryOrder.ACQUIRE, is_fail=False)"),
    (MemoryOrderError, (OpType.EXCHANGE, MemoryOrder.RELEASE), {"is_fail": False},
     {"optype": OpType.EXCHANGE, "order": MemoryOrder.RELEASE, "is_fail": False},
     "RELEASE is not a valid  memory order for an EXCHANGE operation.",
     "MemoryOrderError(optype=OpType.EXCHANGE, order=MemoryOrder.RELEASE, is_fail=False)"),
    (MemoryOrderError, (OpType.CMPXCHG_WEAK, MemoryOrder.RELEASE), {"is_fail": True},
     {"optype": OpType.CMPXCHG_WEAK, "order": MemoryOrder.RELEASE, "is_fail": True},
     "RELEASE is not a valid fail memory order for a CMPXCHG_WEAK operation.",
     "MemoryOrderError(optype=OpType.CMPXCHG_WEAK, order=MemoryOrder.RELEASE, is_fail=True)"),
    (UnsupportedWidthException, (3,), {"readonly": False}, {"width": 3, "readonly": False},
     "No operations are supported on objects with a width of 3.",
     "UnsupportedWidthException(width=3, readonly=False)"),
    (UnsupportedWidthException, (3,), {"readonly": True}, {"width": 3, "readonly": True},
     "No operations are supported on readonly objects with a width of 3.",
     "UnsupportedWidthException(width=3, readonly=True)"),
    (UnsupportedOperationException, (OpType.STORE, 4), {"readonly": True},
     {"optype": OpType.STORE, "width": 4, "readonly": True},
     "Operation STORE is not supported on readonly objects with a width of 4.",
     "UnsupportedOperationException(optype=OpType.STORE, width=4, readonly=True)"),
    (UnsupportedOperationException, (OpType.ADD, 3), {"readonly": False},
     {"optype": OpType.ADD, "width": 3, "readonly": False},
     "Operation ADD is not supported on  objects with a width of 3.",
     "UnsupportedOperationException(optype=OpType.ADD, width=3, readonly=False)"),
]


@pytest.mark.parametrize("cls, args, kwargs, attrs, msg, rep", EXC_EXAMPLES)
def test_exception_examples(cls, args, kwargs, attrs, msg, rep):
    e = cls(*args, **kwargs)
    for k, v in attrs.items():
        assert getattr(e, k) == v and type(getattr(e, k)) is type(v)
    assert str(e) == msg
    assert e.args == (msg,)
    assert repr(e) == rep
    with pytest.raises(cls):
        raise e


@pytest.mark.parametrize("cls, args, kwargs, attrs, msg, rep", EXC_EXAMPLES)
@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_exception_pickle_roundtrip(cls, args, kwargs, attrs, msg, rep, protocol):
    # deviation Q15: exceptions pickle
    e = cls(*args, **kwargs)
    e2 = pickle.loads(pickle.dumps(e, protocol))
    assert type(e2) is cls
    for k, v in attrs.items():
        assert getattr(e2, k) == v
    assert str(e2) == msg and e2.args == (msg,) and repr(e2) == rep
    e3 = copy.deepcopy(e)
    assert str(e3) == msg and repr(e3) == rep


@pytest.mark.parametrize(
    "cls, args, kwargs",
    [
        (AlignmentError, (8, 1, True), {}),
        (AlignmentError, (8, 1), {}),
        (AlignmentError, (8,), {"using_recommended": True}),
        (MemoryOrderError, (OpType.STORE, MemoryOrder.ACQUIRE, False), {}),
        (MemoryOrderError, (OpType.STORE, MemoryOrder.ACQUIRE), {}),
        (UnsupportedWidthException, (3, False), {}),
        (UnsupportedWidthException, (3,), {}),
        (UnsupportedWidthException, (), {"readonly": False}),
        (UnsupportedOperationException, (OpType.ADD, 3, False), {}),
        (UnsupportedOperationException, (OpType.ADD, 3), {}),
        (UnsupportedOperationException, ("message",), {}),
    ],
)
def test_exception_constructor_signatures(cls, args, kwargs):
    with pytest.raises(TypeError):
        cls(*args, **kwargs)


def test_exception_constructors_accept_keywords():
    assert UnsupportedWidthException(width=3, readonly=True).width == 3
    assert AlignmentError(width=2, address=3, using_recommended=True).address == 3
    assert MemoryOrderError(optype=OpType.LOAD, order=RELEASE, is_fail=False).optype is OpType.LOAD
    assert UnsupportedOperationException(optype=OpType.NEG, width=1, readonly=False).width == 1


@pytest.mark.parametrize("optype", list(OpType), ids=lambda o: o.name)
@pytest.mark.parametrize("is_fail", [False, True])
def test_memory_order_error_article(optype, is_fail):
    e = MemoryOrderError(optype, MemoryOrder.ACQ_REL, is_fail=is_fail)
    article = "an" if optype.name in VOWEL_OPTYPES else "a"
    fail = "fail " if is_fail else " "
    assert str(e) == f"ACQ_REL is not a valid {fail}memory order for {article} {optype.name} operation."


@pytest.mark.parametrize("optype", list(OpType), ids=lambda o: o.name)
@pytest.mark.parametrize("readonly", [False, True])
def test_unsupported_operation_message(optype, readonly):
    e = UnsupportedOperationException(optype, 16, readonly=readonly)
    ro = "readonly " if readonly else " "
    assert str(e) == f"Operation {optype.name} is not supported on {ro}objects with a width of 16."
    assert e.args == (str(e),)


@pytest.mark.parametrize("address", [0, 1, 0x10, 0xDEADBEEF, 2**64 - 1])
def test_alignment_error_message_hex(address):
    e = AlignmentError(16, address, using_recommended=True)
    assert str(e) == (f"The alignment of address {hex(address)} does not meet the recommended alignment "
                      f"requirements for atomic operations on objects with a width of 16.")
    assert repr(e) == f"AlignmentError(width=16, address={address}, using_recommended=True)"


def test_raised_exceptions_are_the_exported_classes():
    with pytest.raises(atomics.exc.UnsupportedWidthException):
        atomics.atomic(3, UINT)
    with pytest.raises(atomics.exc.MemoryOrderError):
        atomics.atomic(1, UINT).load(RELEASE)


# --------------------------------------------------------------------------------------
# §10 Pickling and copying
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_raises_type_error(kind, protocol):
    with pytest.raises(TypeError):
        pickle.dumps(make(kind, 4), protocol)


@pytest.mark.parametrize("kind", list(KINDS))
def test_deepcopy_raises_type_error(kind):
    with pytest.raises(TypeError):
        copy.deepcopy(make(kind, 4))
    with pytest.raises(TypeError):
        copy.deepcopy([make(kind, 4)])


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("w", WIDTHS)
def test_copy_shares_memory(kind, w):
    a = make(kind, w)
    c = copy.copy(a)
    assert type(c) is type(a) and c is not a
    assert c._address == a._address
    assert c.width == a.width == w
    assert c.ops_supported == a.ops_supported
    if kind in INTEGRAL_KINDS:
        assert c.signed == a.signed
        a.store(5)
        assert c.load() == 5
        c.inc()
        assert a.load() == 6
    elif kind == "BYTES":
        a.store(pattern(w))
        assert c.load() == pattern(w)
        c.bin_not()
        assert a.load() == bytes(~x & 0xFF for x in pattern(w))


@pytest.mark.parametrize("kind", ["INT", "UINT", "INTEGRAL-s", "BYTES"])
def test_dropping_copy_keeps_original_usable(kind):
    # deviation Q5: dropping a copy never releases the memory for other holders
    a = make(kind, 8)
    c = copy.copy(a)
    c2 = copy.copy(c)
    del c
    gc.collect()
    value = 11 if kind != "BYTES" else b"\x0b" * 8
    a.store(value)
    assert a.load() == value
    assert c2.load() == value
    del c2
    gc.collect()
    a.store(value)
    assert a.load() == value
    assert str(a)


@pytest.mark.parametrize("kind", ["INT", "BYTES"])
def test_dropping_original_keeps_copy_usable(kind):
    a = make(kind, 4)
    c = copy.copy(a)
    del a
    gc.collect()
    value = -3 if kind == "INT" else b"\xfd\xff\xff\xff"
    c.store(value)
    assert c.load() == value
    assert bytes(c) == value if kind == "BYTES" else int(c) == value
