"""The common call and the general way agree (crates/atomics-py/src/fast.rs).

An integer atomic's operation called with its operands by position and no order takes a short
path, which hands every call it does not handle to the general way. The same call with the
default order spelled out (`order=SEQ_CST`) always takes the general way, so each pair below
must give the same result, the same exception with the same message, and leave the same value
in memory, at every edge the short path decides on: each width's range, the two-digit ints it
reads directly, negative values for unsigned atomics, int subclasses and bools, bit indices,
read-only memory, released memory.
"""

import mmap

import pytest

import atomics
from atomics import INT, UINT, MemoryOrder
from atomics.exc import UnsupportedWidthException

SEQ = MemoryOrder.SEQ_CST


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


# each: (name, call with operands only, the same call with the default order spelled out)
CALLS = [
    ("load", lambda a, v: a.load(), lambda a, v: a.load(order=SEQ)),
    ("store", lambda a, v: a.store(v), lambda a, v: a.store(v, order=SEQ)),
    ("exchange", lambda a, v: a.exchange(v), lambda a, v: a.exchange(v, order=SEQ)),
    ("fetch_add", lambda a, v: a.fetch_add(v), lambda a, v: a.fetch_add(v, order=SEQ)),
    ("sub", lambda a, v: a.sub(v), lambda a, v: a.sub(v, order=SEQ)),
    ("fetch_max", lambda a, v: a.fetch_max(v), lambda a, v: a.fetch_max(v, order=SEQ)),
    ("fetch_xor", lambda a, v: a.fetch_xor(v), lambda a, v: a.fetch_xor(v, order=SEQ)),
    ("inc", lambda a, v: a.inc(), lambda a, v: a.inc(order=SEQ)),
    ("fetch_neg", lambda a, v: a.fetch_neg(), lambda a, v: a.fetch_neg(order=SEQ)),
    ("cmpxchg found", lambda a, v: a.cmpxchg_strong(a.load(), v),
     lambda a, v: a.cmpxchg_strong(a.load(), v, success=SEQ, failure=SEQ)),
    ("cmpxchg other", lambda a, v: a.cmpxchg_weak(v, 3), lambda a, v: a.cmpxchg_weak(v, 3, success=SEQ, failure=SEQ)),
    ("bit_test_set", lambda a, v: a.bit_test_set(v), lambda a, v: a.bit_test_set(v, order=SEQ)),
    ("bit_test", lambda a, v: a.bit_test(v), lambda a, v: a.bit_test(v, order=SEQ)),
]


def pair(kind, width, start):
    """Two atomics of `kind` and `width` holding `start`."""
    made = [atomics.atomic(width, kind) for _ in range(2)]
    for a in made:
        a.store(start)
    return made


@pytest.mark.parametrize("kind", [INT, UINT], ids=["INT", "UINT"])
@pytest.mark.parametrize("width", [1, 2, 4, 8])
@pytest.mark.parametrize("name, short, general", CALLS, ids=[c[0] for c in CALLS])
def test_the_common_call_agrees_with_the_general_way(kind, width, name, short, general):
    start = 6 if kind is UINT else -6
    for v in edges(width, kind is INT):
        a, b = pair(kind, width, start)
        assert outcome(lambda: short(a, v)) == outcome(lambda: general(b, v)), (name, v)
        assert a.load() == b.load(), (name, v)


def test_other_types_and_sizes_take_the_general_way():
    a, b = pair(INT, 8, 0)
    for v in (1.5, "1", None, b"\x01", 1 << 64, -(1 << 63) - 1, 1 << 200):
        assert outcome(lambda: a.store(v)) == outcome(lambda: b.store(v, order=SEQ)), v
        assert outcome(lambda: a.cmpxchg_strong(0, v)) == outcome(lambda: b.cmpxchg_strong(0, v, SEQ, SEQ)), v
        assert outcome(lambda: a.cmpxchg_strong(v, 1)) == outcome(lambda: b.cmpxchg_strong(v, 1, SEQ, SEQ)), v
        assert outcome(lambda: a.bit_test_set(v)) == outcome(lambda: b.bit_test_set(v, SEQ)), v
    assert a.load() == b.load() == 0


@pytest.mark.parametrize("kind", [INT, UINT], ids=["INT", "UINT"])
def test_width_16_takes_the_general_way(kind):
    try:
        a, b = pair(kind, 16, 6)
    except UnsupportedWidthException:
        pytest.skip("no 16-byte atomics on this CPU")
    for name, short, general in CALLS:
        for v in (0, 1, 7, 1 << 100, -1):
            assert outcome(lambda: short(a, v)) == outcome(lambda: general(b, v)), (name, v)
            assert a.load() == b.load(), (name, v)


@pytest.mark.parametrize("name, short, general", CALLS, ids=[c[0] for c in CALLS])
def test_read_only_memory_refuses_the_same(name, short, general):
    with open("/dev/zero", "rb") as f:
        ro = mmap.mmap(f.fileno(), 8, prot=mmap.PROT_READ, flags=mmap.MAP_PRIVATE)
    try:
        with atomics.atomicview(ro, INT) as a, atomics.atomicview(ro, INT) as b:
            for v in (0, 1, 7, 1 << 62):
                assert outcome(lambda: short(a, v)) == outcome(lambda: general(b, v)), (name, v)
            assert a.load() == 0
    finally:
        ro.close()


@pytest.mark.parametrize("name, short, general", CALLS, ids=[c[0] for c in CALLS])
def test_released_memory_refuses_the_same(name, short, general):
    views = []
    for _ in range(2):
        ctx = atomics.atomicview(bytearray(8), INT)
        views.append(ctx.__enter__())
        ctx.__exit__(None, None, None)
    a, b = views
    for v in (0, 1, 1 << 62, -1):
        got = outcome(lambda: short(a, v))
        assert got == outcome(lambda: general(b, v)), (name, v)
        assert got[0] == "raised", (name, v, got)
