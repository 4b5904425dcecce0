"""The classes of atomic objects: the atype hierarchy, ``isinstance``/``issubclass`` and MRO,
direct construction, re-initialisation and ``signed`` (docs/spec/atomics-1.0-behaviour.md §2).
"""

import pytest

import atomics
from atomics import ANY, BYTES, INT, INTEGRAL, UINT
from atomics.base import Atomic, AtomicBytes, AtomicInt, AtomicIntegral, AtomicUint

from _api import INTEGRAL_KINDS, KINDS, REINIT_MSG, WIDTHS, interpreter_text, make


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
