"""The common calls and the general way agree (crates/atomics-py/src/fast.rs).

An integer atomic's operation called with its operands by position (exact small ints) and its
orders, if any, by position or by name takes a short path, which hands every call it does not
handle to the general way. The short path matches order names by identity with the interned
names that a call written in Python passes; a name built at run time (`"".join(...)`) is
another object, so a call with such a name always takes the general way. Each short call below
is compared with that general call: the same result, the same exception with the same message,
the same value left in memory, at every edge the short path decides on: each width's range,
the ints it reads directly, negative values for unsigned atomics, int subclasses and bools,
bit indices, every order (valid or not for the operation), read-only and released memory.
"""

import pytest

import atomics
from atomics import INT, UINT, MemoryOrder
from atomics.exc import UnsupportedWidthException

ORDERS = list(MemoryOrder)


class Int(int):
    pass


def edges(width, signed):
    bits = 8 * width
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    values = {low - 1, low, low + 1, -1, 0, 1, high - 1, high, high + 1, 5, 255, 256, 1 << 29, 1 << 30,
              (1 << 60) - 1, 1 << 60, -(1 << 60) + 1, -(1 << 60), 1 << 62, (1 << 63) - 1, 1 << 63}
    return sorted(values) + [True, Int(7), Int(-7)]


def outcome(call):
    try:
        result = call()
    except Exception as e:  # the exact exception is what is compared
        return ("raised", type(e), str(e))
    if isinstance(result, atomics.CmpxchgResult):
        return ("result", result.success, result.expected, type(result.expected))
    return ("result", result, type(result))


def fresh(name):
    """`name` as a string made at run time: not the interned object the short path knows."""
    made = "".join(list(name))
    assert made == name and made is not name
    return made


# each: (name, call(atomic, value, *orders, **orders), the names of its orders)
ORDER = ("order",)
CMPXCHG = ("success", "failure")
CALLS = [
    ("load", lambda a, v, *o, **k: a.load(*o, **k), ORDER),
    ("store", lambda a, v, *o, **k: a.store(v, *o, **k), ORDER),
    ("exchange", lambda a, v, *o, **k: a.exchange(v, *o, **k), ORDER),
    ("fetch_add", lambda a, v, *o, **k: a.fetch_add(v, *o, **k), ORDER),
    ("sub", lambda a, v, *o, **k: a.sub(v, *o, **k), ORDER),
    ("fetch_max", lambda a, v, *o, **k: a.fetch_max(v, *o, **k), ORDER),
    ("fetch_xor", lambda a, v, *o, **k: a.fetch_xor(v, *o, **k), ORDER),
    ("inc", lambda a, v, *o, **k: a.inc(*o, **k), ORDER),
    ("fetch_neg", lambda a, v, *o, **k: a.fetch_neg(*o, **k), ORDER),
    ("cmpxchg found", lambda a, v, *o, **k: a.cmpxchg_strong(a.load(), v, *o, **k), CMPXCHG),
    ("cmpxchg other", lambda a, v, *o, **k: a.cmpxchg_weak(v, 3, *o, **k), CMPXCHG),
    ("bit_test_set", lambda a, v, *o, **k: a.bit_test_set(v, *o, **k), ORDER),
    ("bit_test", lambda a, v, *o, **k: a.bit_test(v, *o, **k), ORDER),
]
IDS = [c[0] for c in CALLS]


def forms(call, names, orders):
    """The short forms of a call with `orders` (one per name): by position and by name, and
    the general form (by name, with names made at run time)."""
    by_name = dict(zip(names, orders))
    general = {fresh(n): o for n, o in by_name.items()}
    return ([lambda a, v: call(a, v, *orders), lambda a, v: call(a, v, **by_name)],
            lambda a, v: call(a, v, **general))


def pair(kind, width, start):
    """Two atomics of `kind` and `width` holding `start`."""
    made = [atomics.atomic(width, kind) for _ in range(2)]
    for a in made:
        a.store(start)
    return made


def agree(short, general, make, values, what):
    for v in values:
        a, b = make()
        assert outcome(lambda: short(a, v)) == outcome(lambda: general(b, v)), (what, v)
        assert outcome(a.load) == outcome(b.load), (what, v)


@pytest.mark.parametrize("kind", [INT, UINT], ids=["INT", "UINT"])
@pytest.mark.parametrize("width", [1, 2, 4, 8])
@pytest.mark.parametrize("name, call, names", CALLS, ids=IDS)
def test_without_orders_the_short_path_agrees_with_the_general_way(kind, width, name, call, names):
    start = 6 if kind is UINT else -6
    _, general = forms(call, names, [MemoryOrder.SEQ_CST] * len(names))
    agree(lambda a, v: call(a, v), general, lambda: pair(kind, width, start), edges(width, kind is INT), name)


@pytest.mark.parametrize("name, call, names", CALLS, ids=IDS)
def test_with_orders_the_short_path_agrees_with_the_general_way(name, call, names):
    values = [0, 1, 7, -1, 1 << 62, Int(3), True]
    order_sets = [[o] for o in ORDERS] if len(names) == 1 else [[s, f] for s in ORDERS for f in ORDERS]
    for orders in order_sets + [[3] * len(names), [99] * len(names), [True] * len(names)]:
        shorts, general = forms(call, names, orders)
        for short in shorts:
            agree(short, general, lambda: pair(INT, 8, -6), values, (name, orders))
    if len(names) == 2:
        # one order of two, by position or by either name; both, by name in the other order;
        # one by position and the next by name
        for s, f in [(s, f) for s in ORDERS for f in ORDERS] + [(99, 5), (5, 99)]:
            pairs = [(lambda x, v: call(x, v, s), {"success": s}),
                     (lambda x, v: call(x, v, success=s), {"success": s}),
                     (lambda x, v: call(x, v, failure=f), {"failure": f}),
                     (lambda x, v: call(x, v, failure=f, success=s), {"failure": f, "success": s}),
                     (lambda x, v: call(x, v, s, failure=f), {"success": s, "failure": f})]
            for short, by_name in pairs:
                general = {fresh(n): o for n, o in by_name.items()}
                agree(short, lambda x, v: call(x, v, **general), lambda: pair(INT, 8, -6), values, (name, by_name))


def test_other_forms_take_the_general_way():
    a, b = pair(INT, 8, 0)
    for v in (1.5, "1", None, b"\x01", 1 << 64, -(1 << 63) - 1, 1 << 200):
        assert outcome(lambda: a.store(v)) == outcome(lambda: b.store(v, **{fresh("order"): MemoryOrder.SEQ_CST}))
        for e, d in ((0, v), (v, 1)):
            general = {fresh("success"): MemoryOrder.SEQ_CST}
            assert outcome(lambda: a.cmpxchg_strong(e, d)) == outcome(lambda: b.cmpxchg_strong(e, d, **general))
        assert outcome(lambda: a.bit_test_set(v)) == outcome(lambda: b.bit_test_set(v, **{fresh("order"): 5}))
    # an order given twice, too many arguments, an unknown name, an operand by name
    m = MemoryOrder.SEQ_CST
    for call in (lambda x: x.load(m, order=m), lambda x: x.load(m, m), lambda x: x.load(orders=m),
                 lambda x: x.store(1, m, m), lambda x: x.store(value=1), lambda x: x.store(),
                 lambda x: x.cmpxchg_strong(1, 2, m, m, m), lambda x: x.cmpxchg_strong(1, 2, m, success=m),
                 lambda x: x.store(order=m), lambda x: x.cmpxchg_strong(1, success=m), lambda x: x.load(order=m, x=m),
                 lambda x: x.cmpxchg_strong(1, 2, success=m, failure=m, order=m), lambda x: x.load(m, order=m)):
        got = outcome(lambda: call(a))
        assert got[0] == "raised" and got[1] is TypeError, got
    assert a.load() == b.load() == 0
    # an operand by name: taken the general way, and stored
    a.store(desired=7, order=m)
    assert a.load() == 7


@pytest.mark.parametrize("kind", [INT, UINT], ids=["INT", "UINT"])
def test_width_16_takes_the_general_way(kind):
    try:
        pair(kind, 16, 6)
    except UnsupportedWidthException:
        pytest.skip("no 16-byte atomics on this CPU")
    for name, call, names in CALLS:
        shorts, general = forms(call, names, [MemoryOrder.SEQ_CST] * len(names))
        for short in [lambda a, v: call(a, v)] + shorts:
            agree(short, general, lambda: pair(kind, 16, 6), (0, 1, 7, 1 << 100, -1), name)


@pytest.mark.parametrize("name, call, names", CALLS, ids=IDS)
def test_read_only_and_released_memory_refuse_the_same(name, call, names):
    def read_only():
        buffer = bytes(8)
        return [atomics.atomicview(buffer, INT).__enter__() for _ in range(2)]

    def released():
        views = []
        for _ in range(2):
            ctx = atomics.atomicview(bytearray(8), INT)
            views.append(ctx.__enter__())
            ctx.__exit__(None, None, None)
        return views

    shorts, general = forms(call, names, [MemoryOrder.SEQ_CST] * len(names))
    for make in (read_only, released):
        for short in [lambda a, v: call(a, v)] + shorts:
            agree(short, general, make, (0, 1, 1 << 62, -1), (name, make.__name__))
