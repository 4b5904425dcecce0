"""The fuzzer's per-element and bulk calls on arrays of atomics: predicted, made and checked
against the model.
"""

import array
import mmap

from atomics import base as abase
from atomics.exc import MemoryOrderError, UnsupportedOperationException

from _fuzz.arguments import EFFECTS, Prediction, conv_order, family_of_class, released_first
from _fuzz.array_arguments import (ARRAY_CLASSES, BULK, BULK_FAMILY, BULK_NAMES, FLOAT_AT, GENERATORS,
                                   ReleasingExporter, array_family_of_class, conv_bulk_values,
                                   conv_element_index, conv_indices, defining_class, readable)
from _fuzz.array_pools import (array_type_code, bind_args, element_index_pool, indices_pool, out_check,
                               released_memoryview, values_pool)
from _fuzz.run import COUNTS, RAISED, RELEASED, foreign_buffer, short
from _fuzz.targets import ANY_POOL, order_pool
from _model import (FAMILY_METHODS, METHODS, METHOD_NAMES, allowed_orders, apply, check_float_bulk,
                    float_matches, float_outcomes, float_to_bits, same)

try:
    import numpy as np
except ImportError:  # pragma: no cover - numpy is optional
    np = None


class ArrayCalls:
    """Per-element and bulk operations on arrays."""

    def random_element_call(self, at, rng, form="method"):
        """A per-element operation on the array (`a.fetch_add(i, v)`, ..., `a[i]`, `a[i] = v`)."""
        fam = at.family
        hostility = 0.0 if rng.random() < 0.5 else rng.choice([0.15, 0.3, 0.6])
        idx = self.draw_from(element_index_pool(self, at, rng), rng, hostility)
        et = at.element_target(conv_element_index(idx, at.n)[0])  # for drawing the other arguments
        if form != "method":
            method = "load" if form == "getitem" else "store"
            value = self.draw_arg(et, "desired", rng, hostility) if form == "setitem" else None
            self.perform_element(at, method, [idx] if form == "getitem" else [idx, value], {}, None, form)
            return
        own = sorted(FAMILY_METHODS[fam])
        method = rng.choice(own if own and rng.random() < 0.9 else METHOD_NAMES)
        names = list(METHODS[method][0])
        if fam == "bytes" and METHODS[method][3] == "cmpxchg":
            names[2:] = ["succ", "fail"]
        params = ["order" if name in ("succ", "fail") else name for name in names]
        arr_names = ["index"] + ["bit" if name == "index" else name for name in names]
        drawn = {}

        def draw(k):
            if k not in drawn:
                drawn[k] = idx if k == 0 else self.draw_arg(et, params[k - 1], rng, hostility)
            return drawn[k]

        pos, kw = self.compose_call(arr_names, METHODS[method][1] + 1, draw, rng, hostility)
        cls = None
        if hostility and rng.random() < 0.05:
            cls = rng.choice(ARRAY_CLASSES + [abase.AtomicInt, abase.AtomicBytes, abase.AtomicFloat])
        self.perform_element(at, method, pos, kw, cls, form)

    def perform_element(self, at, method, pos, kw, cls, form):
        COUNTS["calls"] += 1
        COUNTS["method calls"] += 1
        COUNTS["array calls"] += 1
        COUNTS["array method calls"] += 1
        fam = at.family
        names = list(METHODS[method][0])
        if fam == "bytes" and METHODS[method][3] == "cmpxchg":
            names[2:] = ["succ", "fail"]
        arr_names = ["index"] + ["bit" if name == "index" else name for name in names]
        p, bp = Prediction(), None
        et = at.element_target(None)
        if cls is not None:
            call_fam = array_family_of_class(cls) if cls in ARRAY_CLASSES else family_of_class(cls)
        else:
            call_fam = fam
        if method not in FAMILY_METHODS[call_fam]:
            p.only(AttributeError, "no such method")
        elif cls is not None and not isinstance(at.obj, defining_class(cls, method)):
            p.only(TypeError, "descriptor of another class")
        else:
            bound = bind_args(arr_names, METHODS[method][1] + 1, pos, kw)
            if bound is None:
                p.only(TypeError, "binding")
            elif at.backing.kind == "uninit" or at.backing.released:
                p = released_first(method, bound.get("order"))
            else:
                i, idx_err = conv_element_index(bound["index"], at.n)
                et = at.element_target(i)
                if idx_err is not None:
                    p.add(idx_err, "'index'")
                rest = {("index" if k == "bit" else k): v for k, v in bound.items() if k != "index"}
                pred, bp = self.predict(et, method, [], rest, None, fam=fam)
                for exc, why in pred.errors.items():
                    p.errors.setdefault(exc, set()).update(why)

        if form == "getitem":
            def invoke():
                return at.obj[pos[0]]
        elif form == "setitem":
            def invoke():
                at.obj[pos[0]] = pos[1]
        elif cls is None:
            def invoke():
                return getattr(at.obj, method)(*pos, **kw)
        else:
            def invoke():
                return getattr(cls, method)(at.obj, *pos, **kw)

        def set_timeout(s):
            k = arr_names.index("timeout")
            if k < len(pos):
                pos[k] = s
            else:
                kw["timeout"] = s

        def describe():
            if form == "getitem":
                return f"{at!r}[{short(pos[0])}]"
            if form == "setitem":
                return f"{at!r}[{short(pos[0])}] = {short(pos[1])}"
            return (f"{at!r}.{method}({', '.join(map(short, pos))}{', ' if pos and kw else ''}"
                    f"{', '.join(f'{k}={short(v)}' for k, v in kw.items())})" + (f" via {cls.__name__}" if cls else ""))

        self.execute(et, method, p, bp, invoke, describe, list(pos) + list(kw.values()), set_timeout)

    def random_bulk_call(self, at, rng):
        own = sorted(BULK_FAMILY[at.family])
        method = rng.choice(own if own and rng.random() < 0.93 else BULK_NAMES)
        names, required = BULK[method]
        hostility = 0.0 if rng.random() < 0.5 else rng.choice([0.15, 0.3, 0.6])
        cleanup = []
        count = [at.n if method == "store_all" else None]
        drawn = {}

        def draw(k):
            if k in drawn:
                return drawn[k]
            name = names[k]
            own = at.backing.passed if at.backing.kind == "view" and not at.backing.passed_released else None
            if rng.random() < hostility * 0.1:
                v = rng.choice(ANY_POOL)()
            elif own is not None and name in ("indices", "values") and rng.random() < 0.03:
                v = own  # the array's own memory (read before anything is written)
            elif name == "indices":
                v, count[0] = self.draw_from(indices_pool(self, at, rng), rng, hostility)
            elif name == "values":
                v = self.draw_from(values_pool(self, at, rng, count[0]), rng, hostility)
            elif name == "order":
                v = self.draw_from(order_pool(rng), rng, hostility)
            else:
                v = self.draw_out(at, rng, hostility, cleanup)
            drawn[k] = v
            return v

        if "indices" in names:
            draw(0)  # first, so that the values can match their number
        pos, kw = self.compose_call(list(names), required, draw, rng, hostility)
        cls = None
        if hostility and rng.random() < 0.05:
            cls = rng.choice(ARRAY_CLASSES + [abase.AtomicInt])
        try:
            self.perform_bulk(at, method, pos, kw, cls)
        finally:
            for mv in cleanup:
                mv.release()

    def draw_out(self, at, rng, hostility, cleanup):
        """An `out` for load_all: None, fresh writable buffers, and hostile ones (wrong size,
        read-only, released, strided, not a buffer, overlapping the array, or next to it in
        the same buffer)."""
        nb, b = at.nbytes, at.backing
        window = None
        if b.kind == "view" and b.base is not None and nb and not getattr(b.base, "closed", False):
            base = b.base.view(np.uint8) if np is not None and isinstance(b.base, np.ndarray) else b.base
            blen = len(base)
            off = at.address - b.base_address

            def window(start):
                if isinstance(base, (bytearray, mmap.mmap)):
                    mv = memoryview(base)[start:start + nb]
                    cleanup.append(mv)
                    return mv
                return base[start:start + nb]
        if rng.random() >= hostility:
            choices = [lambda: None, lambda: None, lambda: bytearray(nb), lambda: array.array("B", bytes(nb)),
                       lambda: memoryview(bytearray(nb))]
            if nb:
                choices.append(lambda: mmap.mmap(-1, nb))
            if np is not None:
                choices.append(lambda: np.zeros(nb, dtype=np.uint8))
                code = array_type_code(at)
                if code is not None:
                    choices.append(lambda: np.zeros(at.n, dtype=np.dtype(code)))
            if window is not None:
                adjacent = [s for s in (off - nb, off + nb) if 0 <= s and s + nb <= blen]
                if adjacent:
                    choices.append(lambda: window(rng.choice(adjacent)))
            return rng.choice(choices)()
        choices = [lambda: ReleasingExporter(self, at, bytearray(nb)), lambda: ReleasingExporter(self, at, bytes(nb)),
                   lambda: bytearray(nb + 1), lambda: bytearray(nb + at.width), lambda: bytearray(max(nb - 1, 0)),
                   lambda: bytes(nb), lambda: memoryview(bytearray(nb)).toreadonly(), lambda: released_memoryview(nb),
                   lambda: [0] * at.n, lambda: 5, lambda: "x", lambda: object()]
        foreign = foreign_buffer(rng, nb) if rng.random() < 0.3 else None
        if foreign is not None:
            choices += [lambda: foreign] * 3
        if nb > 1:
            choices.append(lambda: memoryview(bytearray(2 * nb))[::2])
        if np is not None:
            def readonly_np():
                a = np.zeros(nb, dtype=np.uint8)
                a.flags.writeable = False
                return a
            choices.append(readonly_np)
        if window is not None:
            overlapping = [s for s in range(max(0, off - nb + 1), min(blen - nb, off + nb - 1) + 1)]
            if overlapping:
                choices += [lambda: window(off) if off + nb <= blen else window(rng.choice(overlapping)),
                            lambda: window(rng.choice(overlapping))]
        return rng.choice(choices)()

    def predict_bulk(self, at, method, pos, kw, cls):
        p = Prediction()
        call_fam = array_family_of_class(type(at.obj) if cls is None else cls)
        if method not in BULK_FAMILY[call_fam]:
            return p.only(AttributeError, "no such method"), None
        if cls is not None and not isinstance(at.obj, defining_class(cls, method)):
            return p.only(TypeError, "descriptor of another class"), None
        names, required = BULK[method]
        bound = bind_args(names, required, pos, kw)
        if bound is None:
            return p.only(TypeError, "binding"), None
        no_values = BULK_FAMILY["bytes"] - {"load_all", "store_all", "store_at"}
        if at.family == "bytes" and method in no_values and "values" not in bound:
            # bytes have no default value: the call's binding fails (an explicit None is an
            # argument, looked at once the memory is known to be there)
            p.add(TypeError, "'values' missing")
        if at.backing.kind == "uninit":
            p.add(ValueError, "released")
            return p, None
        if at.backing.released:  # before any argument is looked at
            return (p if p.errors else p.only(ValueError, "released")), None
        if method != "load_all" and at.readonly:
            p.add(UnsupportedOperationException, "read-only")
        order, err = conv_order(bound.get("order"))
        if err is not None:
            p.add(err, "'order'")
        elif order not in allowed_orders(method):
            p.add(MemoryOrderError, f"'order' {order.name}")
        plan = {"method": method, "out": bound.get("out"), "out_address": None}
        if method == "load_all":
            if plan["out"] is not None:
                err, plan["out_address"] = out_check(plan["out"], at)
                if err is not None:
                    p.add(err, "'out'")
            return p, plan
        if method == "store_all":
            idx = list(range(at.n))
        else:
            idx, errs = conv_indices(bound["indices"], at.n)
            for e in errs:
                p.add(e, "'indices'")
        values = bound.get("values")
        if values is None and method not in ("store_at", "store_all"):
            if at.family == "bytes":
                p.add(TypeError, "'values' missing")
                conv = None
            else:  # 1 by default
                conv = ("same", 1 if at.family == "int" else float_to_bits(1.0, at.width))
        else:
            conv, errs = conv_bulk_values(values, at.family, at.width, at.signed)
            for e in errs:
                p.add(e, "'values'")
        if conv is not None and conv[0] == "each" and idx is not None and len(conv[1]) != len(idx):
            p.add(ValueError, "number of values")
        plan["indices"], plan["values"] = idx, conv
        return p, plan

    def perform_bulk(self, at, method, pos, kw, cls):
        COUNTS["calls"] += 1
        COUNTS["method calls"] += 1
        COUNTS["array calls"] += 1
        COUNTS["array method calls"] += 1
        COUNTS["array bulk calls"] += 1
        pred, plan = self.predict_bulk(at, method, pos, kw, cls)
        out = plan["out"] if plan else None
        args = list(pos) + list(kw.values())
        own = at.backing.passed if at.backing.kind == "view" else None
        mutable = [(x, bytes(x)) for x in args if x is not out and x is not own and (
            isinstance(x, (bytearray, array.array)) or (np is not None and isinstance(x, np.ndarray)))]
        out_before = None
        if out is not None:
            try:
                with memoryview(readable(out)) as mv:
                    out_before = mv.tobytes()
            except (TypeError, ValueError):
                pass
        desc = (f"{at!r}.{method}({', '.join(map(short, pos))}{', ' if pos and kw else ''}"
                f"{', '.join(f'{k}={short(v)}' for k, v in kw.items())})" + (f" via {cls.__name__}" if cls else ""))
        EFFECTS.clear()
        try:
            fn = getattr(at.obj, method) if cls is None else getattr(cls, method)
            result = fn(*pos, **kw) if cls is None else fn(at.obj, *pos, **kw)
            error = None
        except Exception as e:  # noqa: BLE001 - judged below
            result, error = None, e
        effects = list(EFFECTS)
        EFFECTS.clear()
        GENERATORS.clear()
        released_now = False
        for kind, payload in effects:
            if kind == "release":
                released_now = released_now or payload is at.backing
            else:
                self.replay_nested(payload, desc)
        if released_now:
            COUNTS["array released mid-call"] += 1
        if plan and own is not None and len(effects) > len([e for e in effects if e[0] == "release"]):
            bound = bind_args(*BULK[method], pos, kw)
            if bound is not None and bound.get("values") is own:
                # The values are the array's own memory, read once the indices are converted:
                # after the operations an index made while it was converted (replayed above).
                plan["values"] = conv_bulk_values(holding(own, at.raw()), at.family, at.width, at.signed)[0]
                COUNTS["own memory as values after a nested call"] += 1
        for x, snap in mutable:
            assert bytes(x) == snap, f"{desc}: an argument object was modified"
        if error is not None:
            name = type(error).__name__
            RAISED[name] += 1
            COUNTS["raised"] += 1
            allowed = dict(pred.errors)
            if released_now:
                allowed.setdefault(ValueError, set()).add("released")
            assert allowed, f"{desc} raised {name}: {error}, but the model says it succeeds"
            assert isinstance(error, tuple(allowed)), (
                f"{desc} raised {name}: {error}; expected one of "
                f"{ {k.__name__: sorted(v) for k, v in allowed.items()} }")
            if type(error) is ValueError and allowed.get(ValueError) == {"released"}:
                assert str(error) == RELEASED, f"{desc}: {error}"
            if out_before is not None:
                with memoryview(readable(out)) as mv:
                    assert mv.tobytes() == out_before, f"{desc}: a refused load_all wrote into out"
            del error
            return
        assert not pred.errors, (
            f"{desc} returned {short(result)}, but should raise one of "
            f"{ {k.__name__: sorted(v) for k, v in pred.errors.items()} }")
        assert not released_now, f"{desc} succeeded on memory released during the call"
        COUNTS["succeeded"] += 1
        self.check_bulk(at, plan, result, desc)

    def check_bulk(self, at, plan, result, desc):
        method, w = plan["method"], at.width
        if method == "load_all":
            if plan["out"] is None:
                code = array_type_code(at)
                if code is None:
                    assert type(result) is list, f"{desc} returned {type(result).__name__}"
                else:
                    assert type(result) is array.array and result.typecode == code, f"{desc} returned {result!r}"
                value_type = {"bytes": bytes, "float": float}.get(at.family, int)
                want = at.values()
                assert len(result) == len(want) and all(type(g) is value_type and same(g, v)
                                                        for g, v in zip(result, want)), \
                    f"{desc} returned {short(result)}, model {short(want)}"
            else:
                assert result is plan["out"], f"{desc} returned {short(result)}, not out"
                with memoryview(readable(result)) as mv:
                    assert mv.tobytes() == at.raw(), f"{desc}: out holds {short(mv.tobytes())}, model {short(at.raw())}"
                b, address = at.backing, plan["out_address"]
                if b.kind == "view" and b.base_address is not None and address is not None \
                        and 0 <= address - b.base_address < len(b.snapshot):
                    start = address - b.base_address  # `out` is in the same buffer, next to the array
                    snapshot = bytearray(b.snapshot)
                    snapshot[start:start + at.nbytes] = at.raw()
                    b.snapshot = bytes(snapshot)
                    COUNTS["load_all next to the array"] += 1
            return
        assert result is None, f"{desc} returned {short(result)}"
        kind, values = plan["values"]
        idx = plan["indices"]
        xs = [values] * len(idx) if kind == "same" else values
        if at.family == "float" and method in FLOAT_AT:
            op = FLOAT_AT[method]
            actual = self.array_bits(at)
            per = {}
            for i, x in zip(idx, xs):
                per.setdefault(i, []).append(x)
            for i, operands in per.items():
                start = at.cells[i].u
                if not float_matches(actual[i], float_outcomes(op, start, operands, w, False), w):
                    COUNTS["float bulk results in another order"] += 1  # the order is unspecified
                try:
                    states = check_float_bulk(op, start, operands, actual[i], w)
                except AssertionError as e:
                    raise AssertionError(f"{desc}: element {i}: {e}") from None
                if len(states) > 1:
                    COUNTS["open IEEE cases"] += 1
                at.cells[i].u = actual[i]
            return
        for i, x in zip(idx, xs):
            at.cells[i].u = apply(method, at.cells[i].u, x, w, at.family, at.signed)[0]


def holding(buffer, data):
    """A copy of `buffer` (a numpy array or a memoryview, C-contiguous) holding the bytes
    `data`, of the same format."""
    if np is not None and isinstance(buffer, np.ndarray):
        copy = buffer.copy()
        copy.view(np.uint8)[:] = np.frombuffer(data, np.uint8)
        return copy
    return memoryview(bytearray(data)).cast(memoryview(buffer).format)
