"""Objects made by ``atomics.atomic()``: their memory, properties, ``ops_supported``, str and
repr, conversions, identity, copies and pickling (docs/spec/atomics-1.0-behaviour.md §5).
"""

import copy
import gc
import operator
import pickle
import weakref

import pytest

import atomics
from atomics import ANY, BYTES, INT, INTEGRAL, UINT, Alignment, OpType
from atomics.base import Atomic, AtomicBytes, AtomicInt

from _api import ALL_OPS, BYTES_OPS, INTEGRAL_KINDS, KINDS, WIDTHS, make, pattern, sample_values


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
