"""The stub of the native module declares exactly the methods each class has at run time, so
that the stub cannot drift from the code."""

import ast
import pathlib

import pytest

import atomics
from atomics import _native

STUB = pathlib.Path(atomics.__file__).with_name("_native.pyi")
CLASSES = {node.name: node for node in ast.parse(STUB.read_text()).body if isinstance(node, ast.ClassDef)}


def declared(name):
    return {n.name for n in CLASSES[name].body if isinstance(n, ast.FunctionDef) and not n.name.startswith("__")}


@pytest.mark.parametrize("family, concrete", [
    ("AtomicIntegralBase", atomics.base.AtomicInt),
    ("AtomicBytesBase", atomics.base.AtomicBytes),
    ("AtomicFloatBase", atomics.base.AtomicFloat),
])
def test_operation_methods_match(family, concrete):
    runtime = {name for name, value in vars(concrete).items() if callable(value) and not name.startswith("_")}
    native_extras = {name for name in vars(getattr(_native, family)) if not name.startswith("_")}
    assert declared(family) - {"signed"} == (runtime | native_extras) - {"signed"}


@pytest.mark.parametrize("family, concrete", [
    ("AtomicIntegralArrayBase", atomics.arrays.AtomicIntArray),
    ("AtomicBytesArrayBase", atomics.arrays.AtomicBytesArray),
    ("AtomicFloatArrayBase", atomics.arrays.AtomicFloatArray),
])
def test_array_methods_match(family, concrete):
    runtime = {name for name, value in vars(concrete).items() if callable(value) and not name.startswith("_")}
    native = {name for name in vars(getattr(_native, family)) if not name.startswith("_")}
    assert declared(family) - {"signed"} == (runtime | native) - {"signed"}


def test_array_base_properties_match():
    runtime = {name for name in vars(_native.AtomicArrayBase) if not name.startswith("_")}
    assert declared("AtomicArrayBase") == runtime


def test_base_properties_match():
    runtime = {name for name in vars(_native.AtomicBase) if not name.startswith("_")}
    assert declared("AtomicBase") == runtime


def test_module_functions_match():
    tree = ast.parse(STUB.read_text())
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    runtime = {n for n, v in vars(_native).items() if callable(v) and not n.startswith("_") and not isinstance(v, type)}
    assert functions == runtime
