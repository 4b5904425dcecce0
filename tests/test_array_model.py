"""Arrays of atomics (``atomics.array``, ``atomics.arrayview``, ``SharedSegment.array``) against
the reference model.

Hypothesis state machines run random sequences of per-element and bulk operations on arrays of
every family, width and signedness, over private memory, over views of numpy arrays and
bytearrays (with guard bytes around the viewed region that must never change) and over
shared-memory segments, and mirror every operation on the reference model shared by every
property test and the fuzzer (``_model``). After every step the whole array must equal the
model: through ``load_all()``, through ``load_all(out=...)``, and in the raw memory (read
directly from the numpy array, the bytearray or a read-only mapping of the segment's file).

Set ATOMICS_ARRAY_EXAMPLES / ATOMICS_ARRAY_STEPS to run the models deeper.
"""

import array
import os
import random
import sys

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

import atomics
from atomics import MemoryOrder as MO

from _model import (ALL_ORDERS, BIT_METHODS, BULK_OPS, LOAD_ORDERS, STORE_ORDERS, VALID_FAIL, Model,
                    WouldOverflow, check_float_bulk, same)
from _arguments import call, order_args

from _arrays import (BACKENDS, BYTES_VALUES_FORMS, CONFIGS, FLOAT_VALUES_FORMS, INDEX_FORMS, INDICES_FORMS,
                     INT_VALUES_FORMS, Backend, Idx, bad_int_values, values_for, wrap_bytes_values,
                     wrap_float_values, wrap_index, wrap_indices, wrap_int_values)

np = pytest.importorskip("numpy")

pytestmark = pytest.mark.usefixtures("no_segment_leaks")  # (conftest.py)


EXAMPLES = int(os.environ.get("ATOMICS_ARRAY_EXAMPLES", "10"))
STEPS = int(os.environ.get("ATOMICS_ARRAY_STEPS", "30"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


# ---------------------------------------------------------------------------------------
# The state machine
# ---------------------------------------------------------------------------------------

INT_VALUE_OPS = ["store", "exchange", "bin_or", "bin_xor", "bin_and", "bin_fetch_or", "bin_fetch_xor",
                 "bin_fetch_and", "add", "sub", "fetch_add", "fetch_sub", "fetch_max", "fetch_min",
                 "add_fetch", "sub_fetch", "checked_fetch_add", "checked_fetch_sub"]
INT_UNARY_OPS = ["inc", "dec", "neg", "fetch_inc", "fetch_dec", "fetch_neg", "inc_fetch", "dec_fetch",
                 "bin_not", "bin_fetch_not"]
BYTES_VALUE_OPS = ["store", "exchange", "bin_or", "bin_xor", "bin_and", "bin_fetch_or", "bin_fetch_xor",
                   "bin_fetch_and"]
BYTES_UNARY_OPS = ["bin_not", "bin_fetch_not"]
FLOAT_VALUE_OPS = ["store", "exchange", "fetch_add", "fetch_sub", "fetch_max", "fetch_min"]
BIT_OPS = BIT_METHODS


def make_machine(cfg):
    family, width = cfg.family, cfg.width
    values = values_for(cfg)

    class ArrayMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.backend = None
            self.pending = {}  # float element -> (bits before a bulk call, its operands' bits)

        @initialize(kind=st.sampled_from([b for b in BACKENDS if b != "numpy.typed" or cfg.dtype is not None]),
                    n=st.integers(1, 9), seed=st.integers(0, 2**32 - 1))
        def setup(self, kind, n, seed):
            self.backend = Backend(cfg, kind, n, random.Random(seed))
            self.obj = self.backend.obj
            self.n = n
            chunks = [self.backend.initial[k * width:(k + 1) * width] for k in range(n)]
            u = [int.from_bytes(c, "little") for c in chunks]
            self.model = [Model(width, family, cfg.signed, x) for x in u]
            assert type(self.obj) is cfg.cls

        def teardown(self):
            if self.backend is not None:
                self.check()
                self.backend.close()

        # -- model helpers -----------------------------------------------------------
        def values(self):
            return [m.value for m in self.model]

        def model_bytes(self):
            return b"".join(m.raw() for m in self.model)

        def memory_bits(self):
            raw = self.obj.load_all(out=bytearray(self.n * width))
            return [int.from_bytes(raw[k * width:(k + 1) * width], sys.byteorder) for k in range(self.n)]

        def settle_all(self):
            """After a bulk call on floats: each element's bits are one of the results the model
            allows (the operands of a repeated index in any order), and the model adopts them."""
            if self.pending:
                actual = self.memory_bits()
                for i, (start, xs) in self.pending.items():
                    check_float_bulk(self.pending_op, start, xs, actual[i], width)
                    self.model[i].u = actual[i]
                self.pending.clear()

        def settle(self, i):
            """After a result IEEE leaves open: the model checks and adopts the memory's bits."""
            if self.model[i].open is not None:
                self.model[i].settle(self.memory_bits()[i])

        def same(self, got, want):
            return type(got) is {"float": float, "bytes": bytes}.get(family, int) and same(got, want)

        # -- the whole array after every step --------------------------------------
        @invariant()
        def agrees_with_model(self):
            if self.backend is not None:
                self.check()

        def check(self):
            obj, n = self.obj, self.n
            got = obj.load_all()
            want = self.values()
            if cfg.type_code is None:
                assert type(got) is list
            else:
                assert type(got) is array.array and got.typecode == cfg.type_code
            assert len(got) == n
            assert all(self.same(g, v) for g, v in zip(got, want)), f"load_all() = {got!r}, model = {want!r}"
            out = np.full(n * width, 0xA5, dtype=np.uint8)
            assert obj.load_all(out=out) is out
            assert out.tobytes() == self.model_bytes(), "load_all(out=) differs from the model"
            raw = self.backend.raw()
            if raw is not None:
                inside, outside, guard = raw
                assert inside == self.model_bytes(), "the raw memory differs from the model"
                assert outside == guard, "bytes around the array changed"
            if self.backend.ro is not None:
                seen = self.backend.ro.load_all()
                assert all(self.same(g, v) for g, v in zip(seen, want)), "the read-only view disagrees"

        # -- per-element operations ----------------------------------------------------
        def index(self, data):
            i = data.draw(st.integers(-self.n, self.n - 1), label="index")
            form = data.draw(st.sampled_from(INDEX_FORMS), label="index form")
            return wrap_index(i, form), i % self.n

        @rule(data=st.data())
        def load(self, data):
            arg, i = self.index(data)
            order = data.draw(order_args(LOAD_ORDERS))
            got = call(self.obj, "load", (arg,), order[0], data.draw(st.booleans()))
            assert self.same(got, self.model[i].value)
            assert self.same(self.obj[arg], self.model[i].value)

        @rule(data=st.data())
        def setitem(self, data):
            arg, i = self.index(data)
            v = data.draw(values)
            self.obj[arg] = v
            self.model[i].store(self.model[i].encode(v))

        @rule(data=st.data())
        def value_op(self, data):
            ops = {"int": INT_VALUE_OPS, "bytes": BYTES_VALUE_OPS, "float": FLOAT_VALUE_OPS}[family]
            op = data.draw(st.sampled_from(ops), label="op")
            arg, i = self.index(data)
            v = data.draw(values, label="value")
            allowed = STORE_ORDERS if op == "store" else ALL_ORDERS
            order = data.draw(order_args(allowed))
            m = self.model[i]
            try:
                want = m.apply(op, m.encode(v))
            except WouldOverflow:
                with pytest.raises(OverflowError, match="would overflow; the value is unchanged"):
                    call(self.obj, op, (arg, v), order[0], data.draw(st.booleans()))
                return
            got = call(self.obj, op, (arg, v), order[0], data.draw(st.booleans()))
            if want is None:
                assert got is None, (op, got)
            else:
                assert self.same(got, want), (op, got, want)
            self.settle(i)

        if family != "float":
            @rule(data=st.data())
            def unary_op(self, data):
                op = data.draw(st.sampled_from(INT_UNARY_OPS if family == "int" else BYTES_UNARY_OPS))
                arg, i = self.index(data)
                order = data.draw(order_args(ALL_ORDERS))
                got = call(self.obj, op, (arg,), order[0], data.draw(st.booleans()))
                want = self.model[i].apply(op)
                if want is None:
                    assert got is None
                else:
                    assert self.same(got, want), (op, got, want)

            @rule(data=st.data())
            def bit_op(self, data):
                op = data.draw(st.sampled_from(BIT_OPS))
                arg, i = self.index(data)
                bit = data.draw(st.integers(0, cfg.bits - 1))
                order = data.draw(order_args(LOAD_ORDERS if op == "bit_test" else ALL_ORDERS))
                got = call(self.obj, op, (arg, bit), order[0], data.draw(st.booleans()))
                assert got is self.model[i].bit(op, bit)

            @rule(data=st.data())
            def bit_out_of_range(self, data):
                op = data.draw(st.sampled_from(BIT_OPS))
                arg, _ = self.index(data)
                bit = data.draw(st.sampled_from([cfg.bits, cfg.bits + 1, -1, 1 << 64]))
                with pytest.raises(ValueError):
                    getattr(self.obj, op)(arg, bit)

        @rule(data=st.data())
        def cmpxchg(self, data):
            arg, i = self.index(data)
            m = self.model[i]
            if data.draw(st.booleans(), label="hit"):
                expected = m.value
            else:
                expected = data.draw(values)
            desired = data.draw(values)
            strong = data.draw(st.booleans())
            name = "cmpxchg_strong" if strong else "cmpxchg_weak"
            succ = data.draw(st.sampled_from(ALL_ORDERS))
            fail = data.draw(st.sampled_from(VALID_FAIL[succ]))
            names = ("succ", "fail") if family == "bytes" else ("success", "failure")
            if data.draw(st.booleans()):
                res = getattr(self.obj, name)(arg, expected, desired, succ, fail)
            else:
                res = getattr(self.obj, name)(arg, expected, desired, **{names[0]: succ, names[1]: fail})
            assert type(res) is atomics.CmpxchgResult
            ok, want = m.cmpxchg(m.encode(expected), m.encode(desired))
            assert self.same(res.expected, want), (name, expected, res, want)
            # x86 compare-exchange never fails spuriously, so weak succeeds exactly when equal
            assert res.success is ok, (name, expected, res)

        @rule(data=st.data())
        def update(self, data):
            arg, i = self.index(data)
            new = data.draw(values)
            seen = []
            m = self.model[i]

            def fn(v):
                seen.append(v)
                return new

            old, got_new = self.obj.update(arg, fn)
            assert len(seen) == 1 and self.same(seen[0], m.value) and self.same(old, m.value)
            assert got_new is new
            m.store(m.encode(new))

        @rule(data=st.data())
        def element_object(self, data):
            arg, i = self.index(data)
            e = self.obj.element(arg)
            assert type(e) is cfg.element_cls and e.width == width
            assert self.same(e.load(), self.model[i].value)
            v = data.draw(values)
            e.store(v)
            self.model[i].store(self.model[i].encode(v))

        @rule(data=st.data())
        def iterate(self, data):
            got = list(self.obj)
            assert len(got) == self.n and all(self.same(g, v) for g, v in zip(got, self.values()))

        @rule(data=st.data())
        def element_index_refused(self, data):
            bad = data.draw(st.sampled_from([self.n, self.n + 1, -self.n - 1, 1 << 64, -(1 << 70),
                                             np.int64(self.n), np.uint64(1 << 63), Idx(-self.n - 5)]))
            op = data.draw(st.sampled_from(["load", "store", "exchange", "cmpxchg_strong", "update", "element",
                                            "getitem", "setitem"]))
            v = data.draw(values)
            with pytest.raises(IndexError):
                if op == "load":
                    self.obj.load(bad)
                elif op in ("store", "exchange"):
                    getattr(self.obj, op)(bad, v)
                elif op == "cmpxchg_strong":
                    self.obj.cmpxchg_strong(bad, v, v)
                elif op == "update":
                    self.obj.update(bad, lambda x: pytest.fail("fn called for a bad index"))
                elif op == "element":
                    self.obj.element(bad)
                elif op == "getitem":
                    self.obj[bad]
                else:
                    self.obj[bad] = v

        @rule(data=st.data())
        def element_index_wrong_type(self, data):
            bad = data.draw(st.sampled_from([1.0, 0.5, "0", None, b"\x00", [0], slice(0, 1)]))
            v = data.draw(values)
            op = data.draw(st.sampled_from(["load", "store", "getitem", "setitem", "element"]))
            with pytest.raises(TypeError):
                if op == "load":
                    self.obj.load(bad)
                elif op == "store":
                    self.obj.store(bad, v)
                elif op == "getitem":
                    self.obj[bad]
                elif op == "setitem":
                    self.obj[bad] = v
                else:
                    self.obj.element(bad)

        if family == "int":
            @rule(data=st.data())
            def element_value_refused(self, data):
                arg, i = self.index(data)
                bad = data.draw(bad_int_values(cfg))
                op = data.draw(st.sampled_from(["store", "exchange", "fetch_add", "bin_or", "fetch_max",
                                                "add_fetch", "checked_fetch_add", "setitem", "cmpxchg"]))
                with pytest.raises(OverflowError):
                    if op == "setitem":
                        self.obj[arg] = bad
                    elif op == "cmpxchg":
                        self.obj.cmpxchg_strong(arg, self.model[i].value, bad)
                    else:
                        getattr(self.obj, op)(arg, bad)

        # -- bulk operations -----------------------------------------------------------
        def draw_per_index_values(self, data, k):
            """k values as an argument of some form, and what each means."""
            vals = data.draw(st.lists(values, min_size=k, max_size=k))
            if family == "int":
                form = data.draw(st.sampled_from(INT_VALUES_FORMS))
                return wrap_int_values(vals, form, cfg), vals
            if family == "bytes":
                form = data.draw(st.sampled_from(BYTES_VALUES_FORMS))
                return wrap_bytes_values(vals, form, width), vals
            form = data.draw(st.sampled_from(FLOAT_VALUES_FORMS))
            return wrap_float_values(vals, form, width)

        def apply_at(self, op, i, v):
            """Model of `op` (a bulk operation name) on element i with value v. Float elements
            are settled once the whole bulk call is modelled (`settle_all`): the values of a
            repeated index may be applied in any order, and IEEE leaves some results open."""
            m = self.model[i]
            if family == "float":
                self.pending_op = op
                self.pending.setdefault(i, (m.u, []))[1].append(m.encode(v))
            else:
                m.apply(op, m.encode(v))

        @rule(data=st.data())
        def bulk_at(self, data):
            op = data.draw(st.sampled_from(BULK_OPS[family]), label="op")
            k = data.draw(st.integers(0, 12), label="count")
            idx = data.draw(st.lists(st.integers(-self.n, self.n - 1), min_size=k, max_size=k), label="indices")
            form = data.draw(st.sampled_from(INDICES_FORMS), label="indices form")
            indices = wrap_indices(idx, form, self.n)
            how = data.draw(st.sampled_from(["same", "each", "default"] if op in ("add_at", "sub_at")
                                            else ["same", "each"]), label="values")
            args = [indices]
            if how == "default":
                meaning = [1] * k
            elif how == "same":
                v = data.draw(values)
                args.append(v)
                meaning = [v] * k
            else:
                arg, meaning = self.draw_per_index_values(data, k)
                args.append(arg)
            order = data.draw(st.sampled_from([None, *ALL_ORDERS]))
            if order is not None:
                if how == "default":
                    args.append(1)
                    meaning = [1] * k
                args.append(order)
            assert getattr(self.obj, op)(*args) is None
            for i, v in zip(idx, meaning):
                self.apply_at(op, i % self.n, v)
            self.settle_all()

        @rule(data=st.data())
        def store_all(self, data):
            if data.draw(st.booleans()):
                v = data.draw(values)
                arg, meaning = v, [v] * self.n
            else:
                arg, meaning = self.draw_per_index_values(data, self.n)
            order = data.draw(st.sampled_from([None, *STORE_ORDERS]))
            if order is None:
                assert self.obj.store_all(arg) is None
            else:
                assert self.obj.store_all(arg, order=order) is None
            for i, v in enumerate(meaning):
                self.apply_at("store_at", i, v)
            self.settle_all()

        @rule(data=st.data())
        def load_all_forms(self, data):
            order = data.draw(st.sampled_from(LOAD_ORDERS))
            got = self.obj.load_all(order=order) if data.draw(st.booleans()) else self.obj.load_all(None, order)
            assert all(self.same(g, v) for g, v in zip(got, self.values()))
            if cfg.dtype is not None:
                out = np.empty(self.n, dtype=cfg.dtype)
                assert self.obj.load_all(out=out, order=order) is out
                assert out.tobytes() == self.model_bytes()
            out = bytearray(self.n * width)
            assert self.obj.load_all(out) is out and bytes(out) == self.model_bytes()
            out = array.array("B", bytes(self.n * width))
            self.obj.load_all(out=memoryview(out))
            assert out.tobytes() == self.model_bytes()

        # -- refused bulk calls: each must leave every element unchanged ------------------
        @rule(data=st.data())
        def bulk_refused(self, data):
            op = data.draw(st.sampled_from(BULK_OPS[family] + ["store_all", "load_all"]), label="op")
            k = data.draw(st.integers(1, 8))
            idx = data.draw(st.lists(st.integers(-self.n, self.n - 1), min_size=k, max_size=k))
            vals = data.draw(st.lists(values, min_size=k, max_size=k))
            where = data.draw(st.integers(0, k - 1))
            kinds = ["index_range", "index_type", "float_indices", "length", "order", "noncontiguous",
                     "value_type"]
            if family == "int":
                kinds.append("value_range")
            if family == "bytes":
                kinds.append("value_width")
            kind = data.draw(st.sampled_from(kinds), label="kind")
            if op == "load_all":
                out_kind = data.draw(st.sampled_from(["size", "readonly", "order", "noncontiguous", "overlap",
                                                      "not_buffer"]))
                self.load_all_refused(out_kind)
                return
            if op == "store_all":
                kind = data.draw(st.sampled_from([c for c in kinds if c not in
                                                  ("index_range", "index_type", "float_indices", "noncontiguous")]
                                                 + ["noncontiguous_values"]))
                k = self.n
                vals = data.draw(st.lists(values, min_size=k, max_size=k))
                where = data.draw(st.integers(0, k - 1))
            indices, order = list(idx), None
            values_arg = list(vals)
            if kind == "index_range":
                indices[where] = data.draw(st.sampled_from([self.n, -self.n - 1, self.n + 100, 1 << 63, 1 << 64,
                                                            -(1 << 70), np.int64(self.n)]))
                if data.draw(st.booleans()) and all(-(1 << 63) <= int(i) < (1 << 63) for i in indices):
                    indices = np.array([int(i) for i in indices], dtype=np.int64)
                expected = IndexError
            elif kind == "index_type":
                indices[where] = data.draw(st.sampled_from([1.0, "0", None, b"\x00", [0], object()]))
                expected = TypeError
            elif kind == "float_indices":
                indices = np.array(idx, dtype=data.draw(st.sampled_from([np.float64, np.float32])))
                expected = TypeError
            elif kind == "length":
                values_arg = values_arg + [vals[0]] if data.draw(st.booleans()) else values_arg[:-1]
                if family == "float" and data.draw(st.booleans()):
                    values_arg = np.array(values_arg, dtype=np.float64)
                elif family == "int" and data.draw(st.booleans()):
                    values_arg = np.array(values_arg, dtype=object).astype(np.float64)  # refused either way
                expected = (ValueError, TypeError)
            elif kind == "order":
                order = MO.ACQUIRE if op == "store_all" else 99
                expected = (atomics.exc.MemoryOrderError, ValueError, TypeError)
            elif kind == "noncontiguous":
                indices = np.repeat(np.array(idx, dtype=np.intp), 2)[::2]
                assert not indices.flags.c_contiguous or len(idx) <= 1
                if indices.flags.c_contiguous:
                    return
                expected = (ValueError, TypeError)
            elif kind == "noncontiguous_values":
                if family == "bytes" or self.n < 2:
                    return
                dt = cfg.dtype or np.int64
                if family == "int" and cfg.width == 16:
                    return
                values_arg = np.repeat(np.array(vals, dtype=dt), 2)[::2]
                expected = (ValueError, TypeError)
            elif kind == "value_type":
                values_arg[where] = data.draw(st.sampled_from(["x", None, object()] +
                                                              ([1.5] if family == "int" else [])
                                                              + ([3] if family == "bytes" else [])))
                expected = TypeError
            elif kind == "value_range":
                values_arg[where] = data.draw(bad_int_values(cfg))
                expected = OverflowError
            else:  # value_width
                values_arg[where] = data.draw(st.sampled_from([b"", bytes(width + 1), bytes(width - 1) if width > 1
                                                               else b"ab"]))
                expected = ValueError
            before = self.obj.load_all()
            with pytest.raises(expected):
                if op == "store_all":
                    if order is None:
                        self.obj.store_all(values_arg)
                    else:
                        self.obj.store_all(values_arg, order)
                elif order is None:
                    getattr(self.obj, op)(indices, values_arg)
                else:
                    getattr(self.obj, op)(indices, values_arg, order)
            after = self.obj.load_all()
            assert list(after) == list(before) or family == "float"  # floats: NaN != NaN; check() compares

        def load_all_refused(self, kind):
            nb = self.n * width
            if kind == "size":
                out, expected = np.empty(nb + width, dtype=np.uint8), ValueError
            elif kind == "readonly":
                out, expected = bytes(nb), TypeError
            elif kind == "order":
                out, expected = None, atomics.exc.MemoryOrderError
            elif kind == "noncontiguous":
                out, expected = np.empty(2 * nb, dtype=np.uint8)[::2], (TypeError, ValueError)
                if out.flags.c_contiguous:  # one byte: contiguous after all
                    return
            elif kind == "not_buffer":
                out, expected = [0] * self.n, TypeError
            else:  # overlap: only views have memory reachable from Python
                if self.backend.kind not in ("numpy", "bytearray"):
                    return
                out, expected = self.backend.base[self.backend.off:self.backend.off + nb], ValueError
                if self.backend.kind == "bytearray":
                    with pytest.raises(BufferError):  # pinned: the bytearray cannot be resized
                        self.backend.base.append(0)
                    out = memoryview(self.backend.base)[self.backend.off + width // 2:][:nb]
                    if len(out) < nb:
                        out.release()
                        return
            copy_before = bytes(out) if isinstance(out, (np.ndarray,)) else None
            with pytest.raises(expected):
                if kind == "order":
                    self.obj.load_all(order=MO.RELEASE)
                else:
                    self.obj.load_all(out=out)
            if copy_before is not None and kind != "overlap":
                assert bytes(out) == copy_before, "a refused load_all wrote into out"
            if isinstance(out, memoryview):
                out.release()

    ArrayMachine.__name__ = ArrayMachine.__qualname__ = f"ArrayModel_{cfg.name}{cfg.width}"
    return ArrayMachine


@pytest.mark.parametrize("cfg", CONFIGS, ids=repr)
def test_operation_sequences_match_the_model(cfg):
    run_state_machine_as_test(make_machine(cfg), settings=SETTINGS)
