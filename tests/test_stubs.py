"""The native stub (python/atomics/_native.pyi) declares exactly the operations each class has
at run time, with the parameters their argument binder takes, so that it cannot drift from
the code.

The operations are installed on each concrete class by ``install_operations`` (methods.rs);
the stub declares them once per family on stub-only classes (``_IntegralOperations``, ...).
Their text signatures cannot be compared by stubtest (see tests/typing/stubtest-allowlist.txt),
so the binder itself is asked here: on released memory, where every operation fails with
1.0's ``ValueError`` once its arguments are bound, a call the binder accepts ends in that
``ValueError`` and one it refuses in a ``TypeError``. Everything else in the stubs is checked
by stubtest (tests/test_typing.py).
"""

import ast
import pathlib

import pytest

import atomics
from atomics import _native

STUB = pathlib.Path(atomics.__file__).with_name("_native.pyi")
CLASSES = {node.name: node for node in ast.parse(STUB.read_text()).body if isinstance(node, ast.ClassDef)}
RELEASED = "Operation forbidden on released AtomicCore object."


def methods(name):
    """The methods (not properties or dunders) the stub declares on class ``name``, with
    their parameters after ``self``: [(name, required)]."""
    out = {}
    for node in CLASSES[name].body:
        if not isinstance(node, ast.FunctionDef) or node.name.startswith("__"):
            continue
        decorators = {d.id for d in node.decorator_list if isinstance(d, ast.Name)}
        if "property" in decorators or node.name in out:  # an overload: the first one's parameters
            continue
        args = node.args.args[1:]
        first_default = len(args) - len(node.args.defaults)
        out[node.name] = [(a.arg, i < first_default) for i, a in enumerate(args)]
    return out


def installed(cls):
    """The operations installed on ``cls`` (method descriptors in its own namespace)."""
    return {n for n, v in vars(cls).items() if type(v).__name__ == "method_descriptor" and not n.startswith("_")}


FAMILIES = [
    ("_IntegralOperations", atomics.base.AtomicInt, atomics.INT),
    ("_BytesOperations", atomics.base.AtomicBytes, atomics.BYTES),
    ("_FloatOperations", atomics.base.AtomicFloat, atomics.FLOAT),
]
ARRAY_FAMILIES = [
    ("_IntegralArrayOperations", atomics.arrays.AtomicIntArray, atomics.INT),
    ("_BytesArrayOperations", atomics.arrays.AtomicBytesArray, atomics.BYTES),
    ("_FloatArrayOperations", atomics.arrays.AtomicFloatArray, atomics.FLOAT),
]


@pytest.mark.parametrize("stub, concrete, _atype", FAMILIES + ARRAY_FAMILIES)
def test_operation_methods_match(stub, concrete, _atype):
    assert set(methods(stub)) == installed(concrete)


@pytest.mark.parametrize("concrete", [
    atomics.base.AtomicIntegral, atomics.base.AtomicUint, atomics.view.AtomicIntView,
    atomics.view.AtomicIntegralView, atomics.view.AtomicUintView, atomics.arrays.AtomicIntegralArray,
    atomics.arrays.AtomicUintArray,
])
def test_every_class_of_a_family_has_its_operations(concrete):
    family = installed(atomics.base.AtomicInt if "Array" not in concrete.__name__ else atomics.arrays.AtomicIntArray)
    assert installed(concrete) == family


@pytest.mark.parametrize("family, base", [
    ("AtomicIntegralArrayBase", _native.AtomicIntegralArrayBase),
    ("AtomicBytesArrayBase", _native.AtomicBytesArrayBase),
    ("AtomicFloatArrayBase", _native.AtomicFloatArrayBase),
])
def test_bulk_methods_match(family, base):
    runtime = {n for n, v in vars(base).items() if callable(v) and not n.startswith("_")}
    assert set(methods(family)) == runtime


def released(atype, array):
    """A released view (or array view) of family ``atype``."""
    width = 8
    if array:
        arr = atomics.arrayview(bytearray(2 * width), atype, width=width)
        arr.release()
        return arr
    with atomics.atomicview(bytearray(width), atype) as view:
        pass
    return view


ORDERS = {"order", "success", "failure", "succ", "fail"}


def argument(name):
    return None if name in ORDERS else object()  # None is SEQ_CST; anything binds otherwise


def outcome(call):
    try:
        call()
    except ValueError as e:
        return "bound" if str(e) == RELEASED else f"ValueError: {e}"
    except TypeError as e:
        return f"TypeError: {e}"
    return "returned"


@pytest.mark.parametrize("stub, _concrete, atype", FAMILIES + ARRAY_FAMILIES)
def test_the_binder_takes_the_stub_parameters(stub, _concrete, atype):
    obj = released(atype, "Array" in stub)
    failures = []
    for name, params in methods(stub).items():
        method = getattr(obj, name)
        names = [p for p, _ in params]
        required = [p for p, req in params if req]
        # Every parameter by name, and each prefix of them by position (so their order).
        for k in range(len(names) + 1):
            args = [argument(p) for p in names[:k]]
            kwargs = {p: argument(p) for p in names[k:]}
            got = outcome(lambda: method(*args, **kwargs))
            if got != "bound":
                failures.append(f"{name}(*{names[:k]}, **{names[k:]}): {got}")
        # The required ones alone.
        got = outcome(lambda: method(*[argument(p) for p in required]))
        if got != "bound":
            failures.append(f"{name}({required}): {got}")
        # Each required one is required, under the stub's name.
        for i, missing in enumerate(required):
            kwargs = {p: argument(p) for p in required if p != missing}
            got = outcome(lambda: method(**kwargs))
            if f"missing required argument '{missing}' (pos {i + 1})" not in got:
                failures.append(f"{name} without {missing}: {got}")
        # No parameter more.
        got = outcome(lambda: method(*[argument(p) for p in names], None))
        if f"takes at most {len(names)} argument" not in got:
            failures.append(f"{name} with {len(names) + 1} arguments: {got}")
        got = outcome(lambda: method(**{p: argument(p) for p in names}, unknown=None))
        if "unexpected keyword argument 'unknown'" not in got:
            failures.append(f"{name}(unknown=...): {got}")
    assert not failures, "\n".join(failures)


def test_base_properties_match():
    def properties(name):
        return {n.name for n in CLASSES[name].body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")}

    runtime = {name for name in vars(_native.AtomicBase) if not name.startswith("_")}
    assert properties("_Atomic") == runtime
    runtime = {name for name in vars(_native.AtomicArrayBase) if not name.startswith("_")}
    assert properties("AtomicArrayBase") == runtime


def test_module_functions_match():
    tree = ast.parse(STUB.read_text())
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    runtime = {n for n, v in vars(_native).items() if callable(v) and not n.startswith("_") and not isinstance(v, type)}
    assert functions == runtime
