"""The fuzzer's calls of methods on targets: drawing the arguments, predicting the outcome,
making the call and checking it against the prediction and the model.
"""

import array
import random
import signal
import sys

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

import atomics
from atomics import base as abase, view as aview
from atomics.exc import MemoryOrderError, UnsupportedOperationException

from _fuzz.arguments import (EFFECTS, Hostile, HostileError, Prediction, Raised, UpdateFn, conv_index,
                             conv_order, conv_timeout, conv_value, family_of_class, released_first)
from _fuzz.array_arguments import ArrayTarget, ElementProxy
from _fuzz.run import BURST, COUNTS, NO_SLEEP, RAISED, RELEASED, short
from _fuzz.targets import (ANY_POOL, bytes_operand_pool, float_operand_pool, index_pool, int_operand_pool,
                           order_pool, timeout_pool, update_pool)
from _model import (FAMILY_METHODS, LOAD_ORDERS, METHODS, METHOD_NAMES, READ_ONLY_OPS, STORE_ORDERS,
                    VALID_FAIL, Either, WouldOverflow, apply, bit, decode, float_arith, float_to_bits,
                    mask_of, same)

try:
    import numpy as np
except ImportError:  # pragma: no cover - numpy is optional
    np = None


class Calls:
    """Method calls on atomics and views, one at a time or in bursts."""

    # -- calls -----------------------------------------------------------------------

    def nested_call(self, t):
        """An operation made from inside an argument conversion of a call on `t`:
        (target, method, argument, was alive, result or exception)."""
        if isinstance(t, ArrayTarget):
            return self.nested_array_call(t)
        if t.readonly or t.family == "none":
            method, arg = "load", ()
        elif t.family == "int":
            method, arg = "fetch_inc", ()
        elif t.family == "float":
            method, arg = "fetch_add", (1.0,)
        else:
            method, arg = "exchange", (bytes(range(1, t.width + 1)),)
        alive = t.alive
        try:
            out = getattr(t.obj, method)(*arg)
        except Exception as e:  # noqa: BLE001 - checked when the effects are replayed
            out = Raised(e)  # not the exception: its traceback would hold this frame
        return t, method, arg, alive, out

    def draw_arg(self, t, param, rng, hostility):
        """A value for parameter `param`: from the hostile pool with probability `hostility`
        (0 for clean calls), now and then from a pool for another kind of parameter."""
        if rng.random() < hostility * 0.15:
            return rng.choice(ANY_POOL)()
        if param in ("order", "success", "failure"):
            valid, hostile = order_pool(rng)
        elif param == "index":
            valid, hostile = index_pool(self, t, rng)
        elif param == "timeout":
            valid, hostile = timeout_pool(rng)
        elif param == "extra":
            return rng.choice(ANY_POOL)()
        elif param == "fn":
            valid, hostile = update_pool(self, t, rng)
        elif t.family == "float":
            valid, hostile = float_operand_pool(self, t, rng)
        elif t.family == "bytes":
            valid, hostile = bytes_operand_pool(self, t, rng, param in ("expected", "desired"))
        else:
            valid, hostile = int_operand_pool(self, t, rng)
        return rng.choice(hostile if rng.random() < hostility else valid)()

    def random_call(self, t, rng, method=None):
        if method is None:
            own = sorted(FAMILY_METHODS[t.family])
            method = rng.choice(own if own and rng.random() < 0.85 else METHOD_NAMES)
        names = list(METHODS[method][0])
        if t.family == "bytes" and method.startswith("cmpxchg"):
            names[2:] = ["succ", "fail"]
        params = ["order" if n in ("succ", "fail") else n for n in names]
        required = METHODS[method][1]
        # half of the calls are clean (every argument from the valid pools), the others have
        # hostile arguments now and then
        hostility = 0.0 if rng.random() < 0.5 else rng.choice([0.15, 0.3, 0.6])
        r = rng.random() if hostility else 1.0
        if r < 0.03:
            n_pos = len(names) + 1  # one too many
        elif r < 0.06 and required:
            n_pos = required - 1  # one missing, unless given by keyword
        else:
            n_pos = rng.randint(required, len(names))
        pos = [self.draw_arg(t, params[i] if i < len(names) else "extra", rng, hostility) for i in range(n_pos)]
        kw = {}
        drop_required = hostility and rng.random() < 0.03
        for i in range(n_pos, len(names)):
            if (i < required and not drop_required) or rng.random() < 0.4:
                kw[names[i]] = self.draw_arg(t, params[i], rng, hostility)
        r = rng.random() if hostility else 1.0
        if r < 0.02:
            kw[rng.choice(["orderr", "x", "value2", "timeout", "expected"])] = rng.choice(ANY_POOL)()
        elif r < 0.03 and pos and names:
            kw[names[0]] = pos[0]  # given by name and position
        cls = None
        if hostility and rng.random() < 0.05:
            cls = rng.choice([abase.AtomicInt, abase.AtomicUint, abase.AtomicBytes, abase.AtomicIntegral,
                              abase.AtomicFloat, aview.AtomicIntView, aview.AtomicBytesView, aview.AtomicUintView,
                              aview.AtomicFloatView])
        self.perform(t, method, pos, kw, cls)

    def predict(self, t, method, pos, kw, cls, fam=None):
        """`fam`: the family of an array whose element `t` is (the caller has checked the
        method and the descriptor)."""
        p = Prediction()
        if fam is None:
            obj_cls = type(t.obj) if cls is None else cls
            fam = family_of_class(obj_cls)
            if method not in FAMILY_METHODS[fam]:
                return p.only(AttributeError, "no such method"), None
            if cls is not None and not isinstance(t.obj, cls):
                return p.only(TypeError, "descriptor of another class"), None
        names, required, op, what = METHODS[method]
        names = list(names)
        if fam == "bytes" and what == "cmpxchg":
            names[2:] = ["succ", "fail"]
        if len(pos) > len(names):
            return p.only(TypeError, "too many arguments"), None
        bound = dict(zip(names, pos))
        for k in kw:
            if k not in names or k in bound:
                return p.only(TypeError, "bad keyword"), None
            bound[k] = kw[k]
        if any(n not in bound for n in names[:required]):
            return p.only(TypeError, "missing argument"), None
        if t.backing.kind == "uninit" or t.backing.released:
            return released_first(method, bound.get("order")), None
        w = t.width
        if t.readonly and op is not None and op not in READ_ONLY_OPS:
            p.add(UnsupportedOperationException, "read-only")
        if what in ("wait", "notify") and w == 16:
            p.add(NotImplementedError, "width 16")
        plan = {}

        def operand(name, cmpxchg=False):
            if name not in bound:
                return
            bits, err = conv_value(bound[name], t, cmpxchg)
            if err is not None:
                p.add(err, f"'{name}'")
            plan[name] = bits

        def order(name, allowed=None):
            o, err = conv_order(bound.get(name))
            if err is not None:
                p.add(err, f"'{name}'")
            elif allowed is not None and o not in allowed:
                p.add(MemoryOrderError, f"'{name}' {o.name}")
            plan[name] = o

        if what in ("store", "exchange"):
            operand("desired")
            order("order", STORE_ORDERS if what == "store" else None)
        elif what == "load":
            order("order", LOAD_ORDERS)
        elif what == "rmw":
            operand("value")
            order("order")
        elif what == "cmpxchg":
            operand("expected", True)
            operand("desired", True)
            order(names[2])
            order(names[3])
            s, f = plan[names[2]], plan[names[3]]
            if s is not None and f is not None and f not in VALID_FAIL[s]:
                p.add(MemoryOrderError, "fail order")
        elif what == "bit":
            index, err = conv_index(bound["index"], w)
            if err is not None:
                p.add(err, "'index'")
            plan["index"] = index
            order("order", LOAD_ORDERS if method == "bit_test" else None)
        elif what == "wait":
            operand("old")
            timeout, err = conv_timeout(bound.get("timeout"))
            if err is not None:
                p.add(err, "'timeout'")
            plan["timeout"] = timeout
        elif what == "update":
            fn = bound["fn"]
            if not isinstance(fn, UpdateFn):
                p.add(TypeError, "'fn' is not a function of one argument")
            elif fn.kind == "raise":
                p.add(HostileError, "'fn' raises")
            elif fn.kind == "junk":
                _, err = conv_value(fn.junk, t)
                if err is not None:
                    p.add(err, "'fn result'")
        return p, (bound, plan)

    def perform(self, t, method, pos, kw, cls=None):
        COUNTS["calls"] += 1
        COUNTS["method calls"] += 1
        pred, bp = self.predict(t, method, pos, kw, cls)

        def invoke():
            if cls is None:
                return getattr(t.obj, method)(*pos, **kw)
            return getattr(cls, method)(t.obj, *pos, **kw)

        def set_timeout(s):
            if len(pos) >= 2:
                pos[1] = s
            else:
                kw["timeout"] = s

        def describe():
            return (f"{t!r}.{method}({', '.join(map(short, pos))}{', ' if pos and kw else ''}"
                    f"{', '.join(f'{k}={short(v)}' for k, v in kw.items())})" + (f" via {cls.__name__}" if cls else ""))

        self.execute(t, method, pred, bp, invoke, describe, list(pos) + list(kw.values()), set_timeout)

    def execute(self, t, method, pred, bp, invoke, describe, args, set_timeout):
        """Makes a call on `t` (an atomic, or an array's element), then judges it: `pred`
        and `bp` are the prediction, `args` the argument objects."""
        if method == "wait" and not pred.errors:
            # never block for long: a wait that would sleep gets a short timeout
            bound, plan = bp
            short_timeout = 0.0 if NO_SLEEP else 0.0005
            if plan["timeout"] > (0 if NO_SLEEP else 0.001) and (
                    plan["old"] == t.cell.u or isinstance(bound["old"], Hostile)):
                set_timeout(short_timeout)
                plan["timeout"] = short_timeout
        mutable = [(x, bytes(x)) for x in args
                   if isinstance(x, (bytearray, array.array)) or (np is not None and isinstance(x, np.ndarray))]
        u_before = t.cell.u
        EFFECTS.clear()
        call_desc = describe()
        timer = method == "wait"
        if timer:
            signal.setitimer(signal.ITIMER_REAL, 10)
        try:
            result = invoke()
            error = None
        except Exception as e:  # noqa: BLE001 - judged below
            result, error = None, e
        finally:
            if timer:
                signal.setitimer(signal.ITIMER_REAL, 0)
        effects = list(EFFECTS)
        EFFECTS.clear()
        released_now = False
        for kind, payload in effects:
            if kind == "release":
                released_now = released_now or payload is t.backing
            else:
                self.replay_nested(payload, call_desc)
        if released_now and isinstance(t.obj, ElementProxy):
            COUNTS["array released mid-call"] += 1
        for x, snap in mutable:
            assert bytes(x) == snap, f"{call_desc}: an argument object was modified"
        if error is not None:
            name = type(error).__name__
            RAISED[name] += 1
            COUNTS["raised"] += 1
            allowed = dict(pred.errors)
            if released_now:
                allowed.setdefault(ValueError, set()).add("released")
            if not allowed and not released_now:
                late = self.late_error(t, method, bp)
                if late is not None:
                    allowed[late] = {"the result does not fit"}
            assert allowed, f"{call_desc} raised {name}: {error}, but the model says it succeeds"
            assert isinstance(error, tuple(allowed)), (
                f"{call_desc} raised {name}: {error}; expected one of "
                f"{ {k.__name__: sorted(v) for k, v in allowed.items()} }")
            if type(error) is ValueError and allowed.get(ValueError) == {"released"} and not any(
                    isinstance(error, k) for k in allowed if k is not ValueError):
                assert str(error) == RELEASED, f"{call_desc}: {error}"
            if t.alive:
                assert t.cell.u == u_before or effects, f"{call_desc} raised but the model changed"
            del error
            return
        late = self.late_error(t, method, bp) if not pred.errors and not released_now else None
        if late is not None:
            raise AssertionError(f"{call_desc} returned {short(result)}, but should raise {late.__name__}")
        assert not pred.errors, (
            f"{call_desc} returned {short(result)}, but should raise one of "
            f"{ {k.__name__: sorted(v) for k, v in pred.errors.items()} }")
        assert not released_now, f"{call_desc} succeeded on memory released during the call"
        COUNTS["succeeded"] += 1
        self.check_result(t, method, bp, result, call_desc)

    def late_error(self, t, method, bp):
        """checked_fetch_add/sub: OverflowError when the exact result (from the value the
        operation finds, after any hostile argument's own write) does not fit."""
        if not method.startswith("checked_") or bp is None or t.family != "int" or not t.alive:
            return None
        try:
            apply(method, t.cell.u, bp[1]["value"], t.width, t.family, t.signed)
        except WouldOverflow:
            return OverflowError
        return None

    def replay_nested(self, payload, call_desc):
        if isinstance(payload[0], ArrayTarget):
            return self.replay_nested_array(payload, call_desc)
        t, method, arg, alive, out = payload
        COUNTS["nested calls"] += 1
        if t.dummy:  # an element of an empty array: no such element
            assert isinstance(out, Raised) and out.cls in (IndexError, ValueError), f"{call_desc}: nested -> {out!r}"
        elif t.family == "none":
            assert isinstance(out, Raised) and out.cls is AttributeError, f"{call_desc}: nested {method} -> {out!r}"
        elif not alive:
            assert isinstance(out, Raised) and out.cls is ValueError and out.message == RELEASED, \
                f"{call_desc}: nested {method} -> {out!r}"
        elif method == "load":
            assert same(out, t.value()), f"{call_desc}: nested load -> {out!r}, model {t.value()!r}"
        elif method == "fetch_add":
            assert same(out, t.value()), f"{call_desc}: nested fetch_add -> {out!r}, model {t.value()!r}"
            self.set_cell(t, float_arith("fetch_add", t.cell.u, float_to_bits(1.0, t.width), t.width))
        elif method == "fetch_inc":
            assert out == t.value(), f"{call_desc}: nested fetch_inc -> {out!r}, model {t.value()!r}"
            t.cell.u = (t.cell.u + 1) & mask_of(t.width)
        else:
            assert out == t.value(), f"{call_desc}: nested exchange -> {out!r}, model {t.value()!r}"
            t.cell.u = int.from_bytes(arg[0], sys.byteorder)

    def set_cell(self, t, new):
        """Sets the model; for a result IEEE leaves open, adopts what memory holds if allowed."""
        if not isinstance(new, Either):
            t.cell.u = new
            return
        got = t.obj.load()
        bits = float_to_bits(got, t.width)
        assert new.allowed(bits), f"{t!r}: {got!r} is not a possible result ({new.why})"
        COUNTS["open IEEE cases"] += 1
        t.cell.u = bits

    def check_result(self, t, method, bp, result, call_desc):
        bound, plan = bp
        names, required, op, what = METHODS[method]
        w, cell = t.width, t.cell
        u = cell.u
        value_type = {"bytes": bytes, "float": float}.get(t.family, int)

        def dec(x):
            return decode(x, w, t.family, t.signed)

        def expect(got, want, kind):
            assert type(got) is kind, f"{call_desc} returned {type(got).__name__}, expected {kind.__name__}"
            assert same(got, want), f"{call_desc} returned {got!r}, model says {want!r}"

        if what == "store":
            assert result is None, call_desc
            cell.u = plan["desired"]
        elif what == "load":
            expect(result, dec(u), value_type)
        elif what == "exchange":
            expect(result, dec(u), value_type)
            cell.u = plan["desired"]
        elif what == "cmpxchg":
            e, d = plan["expected"], plan["desired"]
            assert type(result) is atomics.CmpxchgResult, call_desc
            ok = u == e  # floats too: bits are compared
            if ok and not result.success and method == "cmpxchg_weak":
                ok = False  # a weak compare-exchange may fail spuriously
                COUNTS["spurious weak failures"] += 1
            assert result.success is ok and bool(result) is ok, f"{call_desc}: success={result.success}, model {ok}"
            if ok:
                cell.u = d
                if t.family == "int":
                    assert result.expected is bound["expected"] or (
                        type(result.expected) is int and result.expected == dec(e)), call_desc
                else:
                    expect(result.expected, dec(e), value_type)
                    if t.family == "bytes" and type(bound["expected"]) is not bytes:
                        # (an immutable bytes may come back: CPython shares its one-byte objects)
                        assert result.expected is not bound["expected"], f"{call_desc}: handed back the caller's object"
            else:
                expect(result.expected, dec(u), value_type)
        elif what == "bit":
            new, old = bit(method, u, plan["index"], w)
            expect(result, old, bool)
            cell.u = new
        elif what == "rmw" and t.family == "float":
            expect(result, dec(u), float)
            self.set_cell(t, float_arith(method, u, plan["value"], w))
        elif what == "rmw":
            try:
                new, want = apply(method, u, plan.get("value"), w, t.family, t.signed)
            except WouldOverflow:
                raise AssertionError(f"{call_desc}: overflowed without OverflowError") from None
            if want is None:
                assert result is None, call_desc
            else:
                expect(result, want, value_type)
            cell.u = new
        elif what == "update":
            fn = bound["fn"]
            assert fn.calls, f"{call_desc}: fn was never called"
            arg, out = fn.calls[-1]
            # the value fn was last called with is the one replaced (after any retry)
            assert same(arg, dec(u)), f"{call_desc}: fn last called with {arg!r}, model {dec(u)!r}"
            assert type(result) is tuple and len(result) == 2, f"{call_desc} returned {result!r}"
            assert same(result[0], dec(u)) and type(result[0]) is value_type, f"{call_desc} returned {result!r}"
            assert result[1] is out, f"{call_desc}: new value {result[1]!r} is not fn's result"
            cell.u = conv_value(out, t)[0]
        elif what == "wait":
            expect(result, plan["old"] != u, bool)
        else:
            assert result is None, call_desc

    @precondition(lambda self: self.targets)
    @rule(i=st.integers(0, 10**6), method=st.sampled_from(METHOD_NAMES), seed=st.integers(0, 2**32 - 1))
    def call(self, i, method, seed):
        t = self.targets[i % len(self.targets)]
        self.random_call(t, random.Random(seed), method)
        self.check_backing(t.backing)

    @precondition(lambda self: self.targets)
    @rule(seed=st.integers(0, 2**32 - 1))
    def burst(self, seed):
        rng = random.Random(seed)
        for _ in range(BURST):
            if not self.targets:
                return
            alive = [t for t in self.targets if t.alive]
            t = rng.choice(alive if alive and rng.random() < 0.85 else self.targets)
            self.random_call(t, rng)
            self.check_backing(t.backing)
