"""Model-based tests: every operation x width x signedness against a pure-Python model.

Hypothesis state machines run random SEQUENCES of operations (with random memory orders,
argument forms and argument styles) on an `atomics.atomic(...)` object or on a view of a
buffer, and mirror each operation on `Model`, a plain-Python integer of `width` bytes.
After every step the object's `load()` must equal the model; for views the bytes of the
viewed region must equal the model's little-endian bytes and every byte outside the region
must be untouched.

Nothing the implementation computes is hard-coded: expected results come from `Model`.
Set ATOMICS_MODEL_EXAMPLES / ATOMICS_MODEL_STEPS to run deeper.
"""

import array
import ctypes
import operator
import os
import random

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

import atomics
from atomics import MemoryOrder as MO

from _cpu import CAS16

try:
    import numpy as np
except ImportError:  # pragma: no cover - numpy is optional
    np = None


WIDTHS = [1, 2, 4, 8] + ([16] if CAS16 else [])  # width 16 where the CPU has it (_cpu.py)
ATYPES = {"INT": atomics.INT, "UINT": atomics.UINT, "BYTES": atomics.BYTES}

EXAMPLES = int(os.environ.get("ATOMICS_MODEL_EXAMPLES", "30"))
STEPS = int(os.environ.get("ATOMICS_MODEL_STEPS", "40"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# ---------------------------------------------------------------------------------------
# Memory orders (the tables are written out here, independently of the implementation)
# ---------------------------------------------------------------------------------------

ALL_ORDERS = [MO.RELAXED, MO.ACQUIRE, MO.RELEASE, MO.ACQ_REL, MO.SEQ_CST]
STORE_ORDERS = [MO.RELAXED, MO.RELEASE, MO.SEQ_CST]
LOAD_ORDERS = [MO.RELAXED, MO.ACQUIRE, MO.SEQ_CST]
VALID_FAIL = {
    MO.RELAXED: [MO.RELAXED],
    MO.ACQUIRE: [MO.RELAXED, MO.ACQUIRE],
    MO.RELEASE: [MO.RELAXED, MO.ACQUIRE],
    MO.ACQ_REL: [MO.RELAXED, MO.ACQUIRE],
    MO.SEQ_CST: [MO.RELAXED, MO.ACQUIRE, MO.SEQ_CST],
}

DEFAULT = object()  # sentinel: leave the order argument out (default SEQ_CST)


def order_args(allowed):
    """(argument to pass, order it means): a member, its plain int value (accepted: MemoryOrder
    is an IntEnum), and -- where SEQ_CST is allowed -- an omitted argument or None."""
    choices = [st.sampled_from([(o, o) for o in allowed]),
               st.sampled_from([(o, o) for o in allowed]),
               st.sampled_from([(int(o), o) for o in allowed])]
    if MO.SEQ_CST in allowed:
        choices.append(st.sampled_from([(DEFAULT, MO.SEQ_CST), (None, MO.SEQ_CST)]))
    return st.one_of(*choices)


def cmpxchg_order_args():
    return order_args(ALL_ORDERS).flatmap(
        lambda succ: order_args(VALID_FAIL[succ[1]]).map(lambda fail: (succ, fail)))


def call(obj, name, args, order, positional):
    """obj.name(*args[, order]) with the order positional, by keyword, or left out."""
    method = getattr(obj, name)
    if order is DEFAULT:
        return method(*args)
    if positional:
        return method(*args, order)
    return method(*args, order=order)


# ---------------------------------------------------------------------------------------
# The reference model
# ---------------------------------------------------------------------------------------


class Model:
    """A value of `width` bytes, held as its unsigned bit pattern `u` (a Python int)."""

    def __init__(self, width, signed, is_bytes, u=0):
        self.width = width
        self.bits = 8 * width
        self.mask = (1 << self.bits) - 1
        self.signed = signed
        self.is_bytes = is_bytes
        self.u = u & self.mask

    # conversions -------------------------------------------------------------------
    @property
    def lo(self):
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def hi(self):
        return (1 << (self.bits - 1)) - 1 if self.signed else self.mask

    def overflow_message(self, v):
        """The OverflowError message for an out-of-range int, or None if it is in range."""
        if self.lo <= v <= self.hi:
            return None
        if not self.signed and v < 0:
            return "can't convert negative int to unsigned"
        return "int too big to convert"

    def encode(self, x):
        """Bit pattern of an operand as the object should interpret it."""
        if self.is_bytes:
            raw = bytes(x)  # bytes-like objects: their raw bytes; lists of ints: the ints
            assert len(raw) == self.width
            return int.from_bytes(raw, "little")
        v = operator.index(x)
        assert self.overflow_message(v) is None
        return v & self.mask

    def decode(self, u):
        if self.is_bytes:
            return u.to_bytes(self.width, "little")
        if self.signed and u >> (self.bits - 1):
            return u - (1 << self.bits)
        return u

    @property
    def value(self):
        return self.decode(self.u)

    def le_bytes(self):
        return self.u.to_bytes(self.width, "little")

    # operations: each returns what the object's fetch form / bit op should return --------
    def store(self, e):
        self.u = e

    def exchange(self, e):
        old, self.u = self.value, e
        return old

    def cmpxchg(self, e_exp, e_des):
        if self.u == e_exp:
            self.u = e_des
            return True, self.decode(e_exp)
        return False, self.value

    def bit(self, name, index):
        old = bool((self.u >> index) & 1)
        if name == "bit_test_compl":
            self.u ^= 1 << index
        elif name == "bit_test_set":
            self.u |= 1 << index
        elif name == "bit_test_reset":
            self.u &= ~(1 << index) & self.mask
        else:
            assert name == "bit_test"
        return old

    def binary(self, name, e):
        old = self.value
        if name == "or":
            self.u |= e
        elif name == "xor":
            self.u ^= e
        elif name == "and":
            self.u &= e
        elif name == "not":
            self.u ^= self.mask
        else:
            raise AssertionError(name)
        return old

    def arith(self, name, e=None):
        old = self.value
        if name == "add":
            self.u = (self.u + e) & self.mask
        elif name == "sub":
            self.u = (self.u - e) & self.mask
        elif name == "inc":
            self.u = (self.u + 1) & self.mask
        elif name == "dec":
            self.u = (self.u - 1) & self.mask
        elif name == "neg":
            self.u = (-self.u) & self.mask
        else:
            raise AssertionError(name)
        return old


# ---------------------------------------------------------------------------------------
# Operand forms
# ---------------------------------------------------------------------------------------


def int_forms():
    forms = ["int", "int"]
    if np is not None:
        forms.append("numpy")  # objects with __index__ are accepted
    return forms


def wrap_int(v, form):
    if form == "numpy":
        if -(1 << 63) <= v < (1 << 63):
            return np.int64(v)
        if 0 <= v < (1 << 64):
            return np.uint64(v)
    return v


def bytes_forms(width, for_cmpxchg=False):
    forms = ["bytes", "bytes", "bytearray", "memoryview"]
    if width % 2 == 0:
        forms.append("array_H")  # len() == width / 2, but nbytes == width: accepted
    if np is not None:
        forms.append("numpy")
    if for_cmpxchg:
        forms.append("list")  # cmpxchg accepts anything bytes() accepts
    return forms


def wrap_bytes(raw, form):
    if form == "bytes":
        return bytes(raw)
    if form == "bytearray":
        return bytearray(raw)
    if form == "memoryview":
        return memoryview(bytes(raw))
    if form == "array_H":
        a = array.array("H")
        a.frombytes(raw)
        return a
    if form == "numpy":
        return np.frombuffer(bytes(raw), dtype=np.uint8).copy()
    if form == "list":
        return list(raw)
    raise AssertionError(form)


def snapshot(x):
    """A mutation-proof copy of an operand's content (ints, not a bytes object: a bytes
    object could be the very object that gets overwritten)."""
    if isinstance(x, int) or (np is not None and isinstance(x, np.generic)):
        return int(x)
    return tuple(bytes(x))


def address_of(obj):
    if np is not None and isinstance(obj, np.ndarray):
        return obj.ctypes.data
    c = (ctypes.c_char * len(obj)).from_buffer(obj)
    try:
        return ctypes.addressof(c)
    finally:
        del c


# ---------------------------------------------------------------------------------------
# The state machine
# ---------------------------------------------------------------------------------------

INT_VALUE_OPS = ["store", "exchange", "cmpxchg_weak", "cmpxchg_strong",
                 "bin_or", "bin_xor", "bin_and", "bin_fetch_or", "bin_fetch_xor", "bin_fetch_and",
                 "add", "sub", "fetch_add", "fetch_sub"]
BYTES_VALUE_OPS = ["store", "exchange", "cmpxchg_weak", "cmpxchg_strong",
                   "bin_or", "bin_xor", "bin_and", "bin_fetch_or", "bin_fetch_xor", "bin_fetch_and"]
BIT_OPS = ["bit_test", "bit_test_compl", "bit_test_set", "bit_test_reset"]
ARITH_NAMES = ["add", "sub", "inc", "dec", "neg",
               "fetch_add", "fetch_sub", "fetch_inc", "fetch_dec", "fetch_neg"]


def make_machine(width, atype_name, on_view):
    atype = ATYPES[atype_name]
    is_bytes = atype is atomics.BYTES
    signed = atype is atomics.INT
    bits = 8 * width
    mask = (1 << bits) - 1
    proto = Model(width, signed, is_bytes)
    lo, hi = proto.lo, proto.hi
    result_type = bytes if is_bytes else int

    if is_bytes:
        specials = [bytes(width), b"\xff" * width, b"\x01" + bytes(width - 1),
                    bytes(width - 1) + b"\x80", b"\x7f" + b"\xff" * (width - 1),
                    bytes(range(1, width + 1))]
        raw_values = st.one_of(st.sampled_from(specials),
                               st.binary(min_size=width, max_size=width))
        operand = st.tuples(raw_values, st.sampled_from(bytes_forms(width)))
        cmp_operand = st.tuples(raw_values, st.sampled_from(bytes_forms(width, True)))
        wrap = wrap_bytes
        names = ("succ", "fail")
    else:
        specials = sorted({v for v in (lo, lo + 1, hi, hi - 1, 0, 1, 2, -1, -2,
                                        hi // 2, hi // 2 + 1, lo // 2,
                                        int.from_bytes(b"\x55" * width, "little"),
                                        int.from_bytes(b"\xaa" * width, "little"))
                           if lo <= v <= hi})
        raw_values = st.one_of(st.sampled_from(specials), st.integers(lo, hi))
        operand = st.tuples(raw_values, st.sampled_from(int_forms()))
        cmp_operand = operand
        wrap = wrap_int
        names = ("success", "failure")
        bad_values = st.one_of(
            st.sampled_from([hi + 1, lo - 1, hi + 2, lo - 2, 1 << bits, -(1 << bits),
                             (1 << bits) + hi, 1 << (bits + 64), -(1 << (bits + 64))]),
            st.integers(hi + 1, hi + (1 << (bits + 8))),
            st.integers(lo - (1 << (bits + 8)), lo - 1),
        )

    bad_lengths = st.one_of(
        st.integers(0, 2 * width + 1).filter(lambda n: n != width).map(lambda n: ("bytes", n)),
        st.just(("array_H", width)),  # len() == width, nbytes == 2 * width: rejected
    )

    class ModelMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.obj = None
            self.ctx = None
            self.base = None  # the object whose memory the view covers
            self.off = 0
            self.guard = None
            self.model = None

        # -- setup ------------------------------------------------------------------
        if on_view:
            kinds = ["bytearray", "slice"] + (["numpy"] if np is not None else [])

            @initialize(kind=st.sampled_from(kinds), initial=st.integers(0, mask),
                        seed=st.integers(0, 2**32), slot=st.integers(0, 3),
                        tail=st.integers(0, 5))
            def make_view(self, kind, initial, seed, slot, tail):
                if kind == "bytearray":
                    base = bytearray(width)
                    off = 0
                elif kind == "numpy":
                    base = np.zeros(width, dtype=np.uint8)
                    off = 0
                else:
                    n = 5 * width + tail
                    base = bytearray(random.Random(seed).randbytes(n))
                    first = (-address_of(base)) % width
                    off = first + slot * width
                assert (address_of(base) + off) % width == 0, "test setup: unaligned buffer"
                memoryview(base)[off:off + width] = initial.to_bytes(width, "little")
                self.base, self.off = base, off
                self.guard = bytes(base)
                self.model = Model(width, signed, is_bytes, initial)
                if kind == "bytearray":
                    buffer = base
                elif kind == "numpy":
                    buffer = memoryview(base)
                else:
                    buffer = memoryview(base)[off:off + width]
                self.ctx = atomics.atomicview(buffer, atype)
                self.obj = self.ctx.__enter__()
                assert self.obj.width == width
                assert self.obj.readonly is False

            def teardown(self):
                if self.ctx is not None:
                    self.ctx.__exit__(None, None, None)
                    # leaving the context must not change the memory either
                    self.check_memory()
        else:
            @initialize()
            def make_atomic(self):
                self.obj = atomics.atomic(width, atype)
                self.model = Model(width, signed, is_bytes, 0)  # private memory starts zeroed
                assert self.obj.width == width

        # -- checks after every step -------------------------------------------------
        def check_memory(self):
            if self.base is None:
                return
            raw = bytes(self.base)
            got = raw[self.off:self.off + width]
            assert got == self.model.le_bytes(), f"memory {got!r} != model {self.model.le_bytes()!r}"
            assert raw[:self.off] == self.guard[:self.off], "bytes before the view changed"
            assert raw[self.off + width:] == self.guard[self.off + width:], "bytes after the view changed"

        @invariant()
        def agrees_with_model(self):
            got = self.obj.load()
            assert type(got) is result_type
            assert got == self.model.value, f"load() = {got!r}, model = {self.model.value!r}"
            self.check_memory()

        def check_inputs_unchanged(self, pairs):
            for x, snap in pairs:
                assert snapshot(x) == snap, "an operand object was modified"

        def check_result(self, got, expected):
            assert type(got) is result_type, f"{type(got)!r} returned"
            assert got == expected, f"returned {got!r}, model says {expected!r}"

        # -- base operations ---------------------------------------------------------
        @rule(v=operand, order=order_args(STORE_ORDERS), positional=st.booleans())
        def store(self, v, order, positional):
            x = wrap(*v)
            snap = snapshot(x)
            e = self.model.encode(x)
            assert call(self.obj, "store", (x,), order[0], positional) is None
            self.model.store(e)
            self.check_inputs_unchanged([(x, snap)])

        @rule(order=order_args(LOAD_ORDERS), positional=st.booleans())
        def load(self, order, positional):
            self.check_result(call(self.obj, "load", (), order[0], positional), self.model.value)
            if is_bytes:
                assert bytes(self.obj) == self.model.value
            else:
                assert int(self.obj) == self.model.value

        @rule(v=operand, order=order_args(ALL_ORDERS), positional=st.booleans())
        def exchange(self, v, order, positional):
            x = wrap(*v)
            snap = snapshot(x)
            e = self.model.encode(x)
            got = call(self.obj, "exchange", (x,), order[0], positional)
            self.check_result(got, self.model.exchange(e))
            self.check_inputs_unchanged([(x, snap)])

        @rule(strong=st.booleans(), hit=st.booleans(), exp=cmp_operand, des=cmp_operand,
              orders=cmpxchg_order_args(), positional=st.booleans())
        def cmpxchg(self, strong, hit, exp, des, orders, positional):
            if hit:  # expect the current value, so that successes are frequent
                exp = (self.model.value, exp[1])
            x_exp, x_des = wrap(*exp), wrap(*des)
            snaps = [(x_exp, snapshot(x_exp)), (x_des, snapshot(x_des))]
            e_exp, e_des = self.model.encode(x_exp), self.model.encode(x_des)
            (succ, _), (fail, _) = orders
            args, kwargs = [x_exp, x_des], {}
            if positional and succ is not DEFAULT:
                args.append(succ)
                if fail is not DEFAULT:
                    args.append(fail)
            else:
                if succ is not DEFAULT:
                    kwargs[names[0]] = succ
                if fail is not DEFAULT:
                    kwargs[names[1]] = fail
            name = "cmpxchg_strong" if strong else "cmpxchg_weak"
            res = getattr(self.obj, name)(*args, **kwargs)
            ok, expected = self.model.cmpxchg(e_exp, e_des)
            assert type(res) is atomics.CmpxchgResult
            # x86 never fails spuriously, so weak succeeds exactly when equal too
            assert res.success is ok, f"{name} success={res.success!r}, model says {ok!r}"
            assert bool(res) is ok
            if ok and not is_bytes:
                # success: the expected value passed in (an __index__ object may come back as is)
                assert type(res.expected) is int or res.expected is x_exp
            else:
                assert type(res.expected) is result_type
            assert res.expected == expected, f"{name} expected={res.expected!r}, model says {expected!r}"
            success, found = res
            assert success is ok and found == expected
            self.check_inputs_unchanged(snaps)

        # -- bit operations ----------------------------------------------------------
        @rule(index=st.integers(0, bits - 1), form=st.sampled_from(int_forms()),
              order=order_args(LOAD_ORDERS), positional=st.booleans())
        def bit_test(self, index, form, order, positional):
            got = call(self.obj, "bit_test", (wrap_int(index, form),), order[0], positional)
            expected = self.model.bit("bit_test", index)
            assert type(got) is bool
            assert got is expected, f"bit_test({index}) = {got!r}, model says {expected!r}"

        @rule(name=st.sampled_from(BIT_OPS[1:]), index=st.integers(0, bits - 1),
              form=st.sampled_from(int_forms()),
              order=order_args(ALL_ORDERS), positional=st.booleans())
        def bit_modify(self, name, index, form, order, positional):
            got = call(self.obj, name, (wrap_int(index, form),), order[0], positional)
            expected = self.model.bit(name, index)
            assert type(got) is bool
            assert got is expected, f"{name}({index}) = {got!r}, model says {expected!r}"

        # -- binary operations -------------------------------------------------------
        @rule(op=st.sampled_from(["or", "xor", "and"]), fetch=st.booleans(), v=operand,
              order=order_args(ALL_ORDERS), positional=st.booleans())
        def binary(self, op, fetch, v, order, positional):
            x = wrap(*v)
            snap = snapshot(x)
            e = self.model.encode(x)
            name = f"bin_fetch_{op}" if fetch else f"bin_{op}"
            got = call(self.obj, name, (x,), order[0], positional)
            previous = self.model.binary(op, e)
            if fetch:
                self.check_result(got, previous)
            else:
                assert got is None
            self.check_inputs_unchanged([(x, snap)])

        @rule(fetch=st.booleans(), order=order_args(ALL_ORDERS), positional=st.booleans())
        def binary_not(self, fetch, order, positional):
            name = "bin_fetch_not" if fetch else "bin_not"
            got = call(self.obj, name, (), order[0], positional)
            previous = self.model.binary("not", None)
            if fetch:
                self.check_result(got, previous)
            else:
                assert got is None

        # -- arithmetic (integral family only) ----------------------------------------
        if not is_bytes:
            @rule(op=st.sampled_from(["add", "sub"]), fetch=st.booleans(), v=operand,
                  order=order_args(ALL_ORDERS), positional=st.booleans())
            def arith(self, op, fetch, v, order, positional):
                x = wrap(*v)
                e = self.model.encode(x)
                name = f"fetch_{op}" if fetch else op
                got = call(self.obj, name, (x,), order[0], positional)
                previous = self.model.arith(op, e)
                if fetch:
                    self.check_result(got, previous)
                else:
                    assert got is None

            @rule(op=st.sampled_from(["inc", "dec", "neg"]), fetch=st.booleans(),
                  order=order_args(ALL_ORDERS), positional=st.booleans())
            def arith_unary(self, op, fetch, order, positional):
                name = f"fetch_{op}" if fetch else op
                got = call(self.obj, name, (), order[0], positional)
                previous = self.model.arith(op)
                if fetch:
                    self.check_result(got, previous)
                else:
                    assert got is None

            # -- rejected operands: error raised, value unchanged ------------------------
            @rule(op=st.sampled_from(INT_VALUE_OPS), bad=bad_values, good=raw_values,
                  bad_slot=st.sampled_from(["expected", "desired"]))
            def out_of_range(self, op, bad, good, bad_slot):
                message = self.model.overflow_message(bad)
                assert message is not None
                before = self.model.value
                if op.startswith("cmpxchg"):
                    args = (bad, good) if bad_slot == "expected" else (good, bad)
                else:
                    args = (bad,)
                with pytest.raises(OverflowError) as info:
                    getattr(self.obj, op)(*args)
                assert type(info.value) is OverflowError
                assert str(info.value) == message, f"{op}{args!r}: {info.value!r}, expected {message!r}"
                assert self.obj.load() == before
        else:
            @rule(op=st.sampled_from(BYTES_VALUE_OPS), bad=bad_lengths, good=raw_values,
                  bad_slot=st.sampled_from(["expected", "desired"]))
            def wrong_length(self, op, bad, good, bad_slot):
                form, n = bad
                x = bytes(n) if form == "bytes" else array.array("H", [0x0101] * n)
                assert memoryview(x).nbytes != width
                before = self.model.value
                if op.startswith("cmpxchg"):
                    args = (x, good) if bad_slot == "expected" else (good, x)
                    param = bad_slot
                else:
                    args = (x,)
                    param = "desired" if op in ("store", "exchange") else "value"
                with pytest.raises(ValueError) as info:
                    getattr(self.obj, op)(*args)
                assert str(info.value) == f"'{param}' object length does not match width."
                assert self.obj.load() == before

        @rule(name=st.sampled_from(BIT_OPS),
              index=st.one_of(st.integers(bits, bits + 200), st.integers(-200, -1),
                              st.sampled_from([bits, -1, 1 << 64, -(1 << 64)])))
        def index_out_of_range(self, name, index):
            before = self.model.value
            with pytest.raises(ValueError) as info:
                getattr(self.obj, name)(index, MO.SEQ_CST)
            assert str(info.value) == "'index' value out of range."
            assert self.obj.load() == before

    ModelMachine.__name__ = ModelMachine.__qualname__ = (
        f"Model_{atype_name}{width}_{'view' if on_view else 'atomic'}")
    return ModelMachine


@pytest.mark.parametrize("on_view", [False, True], ids=["atomic", "view"])
@pytest.mark.parametrize("atype_name", list(ATYPES))
@pytest.mark.parametrize("width", WIDTHS)
def test_operation_sequences_match_model(width, atype_name, on_view):
    run_state_machine_as_test(make_machine(width, atype_name, on_view), settings=SETTINGS)


# ---------------------------------------------------------------------------------------
# Small direct checks
# ---------------------------------------------------------------------------------------


def test_fail_order_table_matches_is_valid_fail_order():
    for succ in ALL_ORDERS:
        for fail in ALL_ORDERS:
            assert fail.is_valid_fail_order(succ) == (fail in VALID_FAIL[succ]), (succ, fail)


@pytest.mark.parametrize("on_view", [False, True], ids=["atomic", "view"])
@pytest.mark.parametrize("width", WIDTHS)
def test_bytes_has_no_arithmetic(width, on_view):
    def check(obj):
        for name in ARITH_NAMES:
            with pytest.raises(AttributeError):
                getattr(obj, name)
        for name in ARITH_NAMES:  # the integral family has them all
            assert callable(getattr(atomics.atomic(width, atomics.INT), name))

    if on_view:
        with atomics.atomicview(bytearray(width), atomics.BYTES) as view:
            check(view)
    else:
        check(atomics.atomic(width, atomics.BYTES))


@pytest.mark.parametrize("atype_name", list(ATYPES))
@pytest.mark.parametrize("width", WIDTHS)
def test_every_single_operation_from_every_boundary_value(width, atype_name):
    """Each operation once from each boundary start value, against the model (complements
    the random sequences with a deterministic sweep of the wrap-around corners)."""
    atype = ATYPES[atype_name]
    is_bytes = atype is atomics.BYTES
    model = Model(width, atype is atomics.INT, is_bytes)
    bits = 8 * width
    patterns = [0, 1, model.mask, model.mask >> 1, (model.mask >> 1) + 1, 1 << (bits - 1) | 1]
    operands = [0, 1, model.mask, (model.mask >> 1) + 1, model.mask >> 1]

    def start(u):
        model.u = u
        obj = atomics.atomic(width, atype)
        obj.store(model.value)
        assert obj.load() == model.value
        return obj

    def operand(u):
        return model.decode(u)

    for u in patterns:
        for k in operands:
            x = operand(k)
            for op in ["or", "xor", "and"]:
                obj = start(u)
                got = getattr(obj, f"bin_fetch_{op}")(x)
                assert got == model.binary(op, k), (op, u, k)
                assert obj.load() == model.value, (op, u, k)
            obj = start(u)
            assert obj.exchange(x) == model.exchange(k)
            assert obj.load() == model.value
            for e in (u, k):
                obj = start(u)
                res = obj.cmpxchg_strong(operand(e), x)
                assert tuple(res) == model.cmpxchg(e, k), (u, e, k)
                assert obj.load() == model.value
            if not is_bytes:
                for op in ["add", "sub"]:
                    obj = start(u)
                    assert getattr(obj, f"fetch_{op}")(x) == model.arith(op, k), (op, u, k)
                    assert obj.load() == model.value, (op, u, k)
        obj = start(u)
        assert obj.bin_fetch_not() == model.binary("not", None)
        assert obj.load() == model.value
        if not is_bytes:
            for op in ["inc", "dec", "neg"]:
                obj = start(u)
                assert getattr(obj, f"fetch_{op}")() == model.arith(op), (op, u)
                assert obj.load() == model.value, (op, u)
        for index in sorted({0, 1, 7, bits // 2, bits - 1}):
            for op in BIT_OPS:
                obj = start(u)
                assert getattr(obj, op)(index) is model.bit(op, index), (op, u, index)
                assert obj.load() == model.value, (op, u, index)
