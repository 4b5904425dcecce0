"""On released memory every operation raises atomics 1.0's
``ValueError('Operation forbidden on released AtomicCore object.')`` before it looks at its
arguments (spec §4, §7.1-7.2): a bad argument, of any kind, never wins over the release, and
no argument's ``__index__``, ``__float__``, ``__len__``, buffer or callable is touched.

Checked for every operation of every family on views (writable and read-only), atomics in a
closed shared-memory segment, ``element(i)`` objects of a released array view, and released
arrays (by index, the bulk operations, ``a[i]`` and ``a[i] = v``), with each argument in turn
bad in every way. The one exception is 1.0's: ``bit_test`` checks its order first.

Also here: the bytes compare-exchange checks its operands' lengths, then its orders, and only
then converts its operands (spec §7.2).
"""

import pytest

import atomics
from atomics import BYTES, FLOAT, INT, INTEGRAL, UINT, MemoryOrder, OpType
from atomics.exc import MemoryOrderError, UnsupportedOperationException
from atomics.shared import SharedSegment

RELEASED = "Operation forbidden on released AtomicCore object."
SEQ_CST = MemoryOrder.SEQ_CST


class Spy:
    """An argument that records every attempt to read it."""

    def __init__(self):
        self.touched = []

    def __index__(self):
        self.touched.append("__index__")
        return 0

    def __float__(self):
        self.touched.append("__float__")
        return 0.0

    def __len__(self):
        self.touched.append("__len__")
        return 4

    def __iter__(self):
        self.touched.append("__iter__")
        return iter([0, 0, 0, 0])

    def __buffer__(self, flags):
        self.touched.append("__buffer__")
        return memoryview(bytes(4))

    def __call__(self, *args):
        self.touched.append("__call__")
        return args[0] if args else None

    def __repr__(self):
        return "Spy()"


# family -> (atype, keywords, width)
FAMILIES = {
    "INT": (INT, {}, 8),
    "UINT": (UINT, {}, 2),
    "INTEGRAL": (INTEGRAL, {"is_signed": True}, 4),
    "BYTES": (BYTES, {}, 4),
    "FLOAT": (FLOAT, {}, 8),
}


def family_of(name):
    return "bytes" if name == "BYTES" else "float" if name == "FLOAT" else "int"


# What each parameter is: a good value and the bad ones (each bad in its own way).
def good(role, family, width):
    return {
        "value": {"int": 0, "bytes": bytes(width), "float": 0.0}[family],
        "order": SEQ_CST,
        "bit": 0,
        "fn": lambda v: v,
        "timeout": 0.0,
        "index": 0,
        "indices": [0],
        "values": {"int": [0], "bytes": [bytes(width)], "float": [0.0]}[family],
        "out": None,
    }[role]


def bad(role, family, width):
    """Bad values for a parameter (a new Spy each time, so that touches are per call)."""
    return {
        "value": {
            "int": [2**200, -(2**200), "x", 1.5, None, Spy()],
            "bytes": [b"x", bytes(width + 1), 5, "x", [300] * width, None, Spy()],
            "float": ["x", None, 10**400, Spy()],
        }[family],
        "order": [99, -1, 1, "x", 1.5, Spy()],
        "bit": [10**6, -1, 10**30, "x", 1.5, None, Spy()],
        "fn": [5, None, Spy()],
        "timeout": ["x", -1.0, float("nan"), Spy()],
        "index": [10**6, -(10**6), 10**30, "x", 1.5, None, Spy()],
        "indices": [[10**6], ["x"], [1.5], "x", 5, Spy()],
        "values": {
            "int": [[2**200], ["x"], "x", Spy()],
            "bytes": [[b"x"], [5], b"x", Spy()],
            "float": [["x"], "x", Spy()],
        }[family],
        "out": [bytearray(1), bytes(64), "x", 5, Spy()],
    }[role]


# The parameters of every operation of an atomic (an array's take the element's index first).
VALUE_ORDER = ("value", "order")
ORDER = ("order",)
OPERATIONS = {
    "store": VALUE_ORDER,
    "load": ORDER,
    "exchange": VALUE_ORDER,
    "cmpxchg_weak": ("value", "value", "order", "order"),
    "cmpxchg_strong": ("value", "value", "order", "order"),
    "bit_test": ("bit", "order"),
    "bit_test_compl": ("bit", "order"),
    "bit_test_set": ("bit", "order"),
    "bit_test_reset": ("bit", "order"),
    "update": ("fn",),
    "wait": ("value", "timeout"),
    "notify_one": (),
    "notify_all": (),
    **{name: VALUE_ORDER for name in (
        "bin_or", "bin_xor", "bin_and", "bin_fetch_or", "bin_fetch_xor", "bin_fetch_and",
        "add", "sub", "fetch_add", "fetch_sub", "fetch_max", "fetch_min", "add_fetch", "sub_fetch",
        "checked_fetch_add", "checked_fetch_sub")},
    **{name: ORDER for name in (
        "bin_not", "bin_fetch_not", "inc", "dec", "neg", "fetch_inc", "fetch_dec", "fetch_neg",
        "inc_fetch", "dec_fetch")},
}
BULK = {
    "load_all": ("out", "order"),
    "store_all": ("values", "order"),
    "store_at": ("indices", "values", "order"),
    **{name: ("indices", "values", "order") for name in
       ("add_at", "sub_at", "max_at", "min_at", "or_at", "and_at", "xor_at")},
}


def operations_of(obj):
    """The operations installed on ``obj``'s class: each must be in the tables above."""
    names = {n for n, v in vars(type(obj)).items() if callable(v) and not n.startswith("_")}
    names -= {"element"}
    unknown = names - set(OPERATIONS) - set(BULK)
    assert not unknown, f"add {sorted(unknown)} to this test's tables"
    return sorted(names)


def calls(roles, family, width, skip=()):
    """Argument tuples with each parameter in turn bad (the others good), then all bad."""
    goods = [good(role, family, width) for role in roles]
    for i, role in enumerate(roles):
        if role in skip:
            continue
        for value in bad(role, family, width):
            args = list(goods)
            args[i] = value
            yield args
    if roles and not skip:
        yield [bad(role, family, width)[-1] for role in roles]


def released_objects(name, kind):
    """(object, buffer whose bytes must not change or None, whether it is an array) of
    family ``name``, released."""
    atype, kwargs, width = FAMILIES[name]
    if kind in ("view", "readonly view"):
        memory = bytearray(range(1, width + 1))
        buf = memory if kind == "view" else memoryview(memory).toreadonly()
        with atomics.atomicview(buf, atype, **kwargs) as v:
            pass
        return v, memory, False
    if kind == "segment atomic":
        seg = SharedSegment.create(64)
        obj = seg.atomic(0, width, atype, **kwargs)
        seg.close()
        return obj, None, False
    if kind == "segment array":
        if name == "INTEGRAL":
            kwargs = {"is_signed": True}
        seg = SharedSegment.create(64)
        arr = seg.array(0, 4, width, atype, **kwargs)
        seg.close()
        return arr, None, True
    memory = bytearray(range(1, 4 * width + 1))
    arr = atomics.arrayview(memory, atype, width=width, **kwargs)
    element = arr.element(1)
    arr.release()
    return (element, memory, False) if kind == "array element" else (arr, memory, True)


KINDS = ["view", "readonly view", "segment atomic", "array element", "array view", "segment array"]


def check(desc, call, memory, spies, failures, expected=RELEASED):
    before = bytes(memory) if memory is not None else None
    try:
        call()
    except ValueError as e:
        if type(e) is not ValueError or str(e) != expected:
            failures.append(f"{desc}: {type(e).__name__}: {e}")
    except Exception as e:  # noqa: BLE001 - reported below
        failures.append(f"{desc}: {type(e).__name__}: {e}")
    else:
        failures.append(f"{desc}: returned")
    touched = [t for spy in spies for t in spy.touched]
    if touched:
        failures.append(f"{desc}: touched {touched}")
    if memory is not None and bytes(memory) != before:
        failures.append(f"{desc}: memory changed")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", list(FAMILIES))
def test_every_operation_refuses_released_memory_before_its_arguments(name, kind):
    obj, memory, is_array = released_objects(name, kind)
    family, width = family_of(name), FAMILIES[name][2]
    failures, count = [], 0
    for method in operations_of(obj):
        if method in BULK:
            roles = BULK[method]
        else:
            roles = (("index",) if is_array else ()) + OPERATIONS[method]
        # 1.0's one exception: bit_test checks its order before anything else.
        skip = ("order",) if method == "bit_test" else ()
        for args in calls(roles, family, width, skip):
            spies = [a for a in args if isinstance(a, Spy)]
            desc = f"{kind} {name}.{method}{tuple(args)!r}"
            check(desc, lambda: getattr(obj, method)(*args), memory, spies, failures)
            count += 1
    if is_array:
        for index in [0] + bad("index", family, width):
            spies = [index] if isinstance(index, Spy) else []
            check(f"{kind} {name}[{index!r}]", lambda: obj[index], memory, spies, failures)
            for value in [good("value", family, width)] + bad("value", family, width):
                spies = [a for a in (index, value) if isinstance(a, Spy)]
                desc = f"{kind} {name}[{index!r}] = {value!r}"

                def setitem():
                    obj[index] = value

                check(desc, setitem, memory, spies, failures)
                count += 1
    assert count > 50
    assert not failures, "\n".join(failures[:40]) + f"\n({len(failures)} of {count} calls)"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", list(FAMILIES))
def test_properties_and_conversions_of_released_memory(name, kind):
    obj, memory, is_array = released_objects(name, kind)
    failures = []
    reads = {"width": lambda: obj.width, "readonly": lambda: obj.readonly,
             "ops_supported": lambda: obj.ops_supported}
    if is_array:
        reads.update({"len": lambda: len(obj), "iter": lambda: list(obj)})
    else:
        reads["str"] = lambda: str(obj)
        convert = {"INT": int, "UINT": int, "INTEGRAL": int, "BYTES": bytes, "FLOAT": float}[name]
        reads[convert.__name__] = lambda: convert(obj)
    if name in ("INT", "UINT", "INTEGRAL"):
        reads["signed"] = lambda: obj.signed
    for what, read in reads.items():
        check(f"{kind} {name}: {what}", read, memory, [], failures)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("order", [MemoryOrder.RELEASE, MemoryOrder.ACQ_REL, "x"])
@pytest.mark.parametrize("kind", KINDS)
def test_bit_test_checks_its_order_first_on_released_memory(kind, order):
    """atomics 1.0's exception (spec §4): bit_test's order check runs before anything
    touches the memory (1.0 applied the store rule; this version the load rule)."""
    obj, _, is_array = released_objects("INT", kind)
    index = (0,) if is_array else ()
    expected = TypeError if order == "x" else MemoryOrderError
    with pytest.raises(expected):
        obj.bit_test(*index, 0, order)
    with pytest.raises(ValueError, match=RELEASED):
        obj.bit_test(*index, 10**6, MemoryOrder.ACQUIRE)  # a valid order: the release comes next


# ---------------------------------------------------------------------------------------
# The bytes compare-exchange: support, lengths, orders, then conversion (spec §7.2)
# ---------------------------------------------------------------------------------------


class Measured:
    """An operand of the right length (``len()``) whose conversion must not start."""

    def __init__(self, length):
        self.length, self.iterated = length, False

    def __len__(self):
        return self.length

    def __iter__(self):
        self.iterated = True
        return iter([0] * self.length)


BAD_ORDERS = [
    # (success, failure, exception type)
    (MemoryOrder.RELAXED, SEQ_CST, MemoryOrderError),
    (MemoryOrder.ACQUIRE, MemoryOrder.RELEASE, MemoryOrderError),
    (SEQ_CST, "x", TypeError),
    ("x", SEQ_CST, TypeError),
    (SEQ_CST, 99, ValueError),
]


def bytes_targets(width=4):
    """(description, callable(expected, desired, succ, fail), memory) for the bytes
    compare-exchanges of a view and of an array's element."""
    for op in ("cmpxchg_weak", "cmpxchg_strong"):
        memory = bytearray(b"\x01\x02\x03\x04"[:width])
        ctx = atomics.atomicview(memory, BYTES)
        view = ctx.__enter__()
        yield f"view.{op}", getattr(view, op), memory
        arr_memory = bytearray(range(1, 2 * width + 1))
        arr = atomics.arrayview(arr_memory, BYTES, width=width)
        method = getattr(arr, op)
        yield f"array.{op}", (lambda m: lambda *a, **k: m(1, *a, **k))(method), arr_memory


@pytest.mark.parametrize("succ, fail, error", BAD_ORDERS)
def test_bytes_cmpxchg_checks_orders_before_converting_operands(succ, fail, error):
    operands = [
        [300, 0, 0, 0],  # bytes() would raise ValueError
        [0, 0, 0, "x"],  # bytes() would raise TypeError
        "abcd",  # bytes() would raise TypeError (a str of the right length)
    ]
    for desc, cmpxchg, memory in bytes_targets():
        before = bytes(memory)
        for operand in operands:
            for args in ((operand, b"\0" * 4), (b"\0" * 4, operand)):
                with pytest.raises(error) as ei:
                    cmpxchg(*args, succ=succ, fail=fail)
                assert type(ei.value) is error, f"{desc}{args}: {ei.value!r}"
        spy = Measured(4)
        with pytest.raises(error):
            cmpxchg(spy, Measured(4), succ, fail)
        assert not spy.iterated, f"{desc}: converted an operand before checking the orders"
        assert bytes(memory) == before


def test_bytes_cmpxchg_order_error_names_the_operation():
    for desc, cmpxchg, _ in bytes_targets():
        with pytest.raises(MemoryOrderError) as ei:
            cmpxchg([300, 0, 0, 0], b"\0" * 4, MemoryOrder.RELAXED, SEQ_CST)
        op = OpType.CMPXCHG_WEAK if "weak" in desc else OpType.CMPXCHG_STRONG
        assert (ei.value.optype, ei.value.order, ei.value.is_fail) == (op, SEQ_CST, True)
        assert str(ei.value) == f"SEQ_CST is not a valid fail memory order for a {op.name} operation."


def test_bytes_cmpxchg_checks_lengths_before_orders():
    bad_orders = (MemoryOrder.RELAXED, SEQ_CST)
    for desc, cmpxchg, _ in bytes_targets():
        for expected, desired, name in [
            (b"x", b"1234", "expected"),
            (b"12345", [300] * 4, "expected"),
            (b"1234", b"x", "desired"),
            ([1, 2, 3, 4], [300] * 3, "desired"),
            (Measured(3), b"1234", "expected"),
        ]:
            with pytest.raises(ValueError) as ei:
                cmpxchg(expected, desired, *bad_orders)
            assert str(ei.value) == f"'{name}' object length does not match width.", desc
        # An operand without a length (an iterator, which 1.0 refused with len()'s
        # TypeError) is measured when converted, after the orders.
        with pytest.raises(MemoryOrderError):
            cmpxchg(iter(b"12"), b"1234", *bad_orders)
        with pytest.raises(ValueError, match="'expected' object length does not match width."):
            cmpxchg(iter(b"12"), b"1234")
        with pytest.raises(TypeError):
            cmpxchg(5, b"1234", *bad_orders)


def test_bytes_cmpxchg_on_read_only_memory_refuses_before_lengths():
    with atomics.atomicview(memoryview(bytearray(4)).toreadonly(), BYTES) as v:
        with pytest.raises(UnsupportedOperationException):
            v.cmpxchg_weak(b"x", [300], MemoryOrder.RELAXED, SEQ_CST)


def test_bytes_cmpxchg_still_converts_what_it_accepts():
    """After the checks, every operand 1.0 accepted still works: lists of ints, bytearray,
    memoryview, a `Measured` operand iterated once."""
    with atomics.atomicview(bytearray(b"\x01\x02\x03\x04"), BYTES) as v:
        assert v.cmpxchg_strong([1, 2, 3, 4], bytearray(b"abcd")).success
        assert v.load() == b"abcd"
        res = v.cmpxchg_strong(memoryview(b"abcd"), Measured(4))
        assert res.success and v.load() == b"\0\0\0\0"
        res = v.cmpxchg_weak(b"zzzz", b"1234")
        assert not res.success and res.expected == b"\0\0\0\0"
