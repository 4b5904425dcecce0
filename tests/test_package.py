"""The package's names: ``atomics.__all__``, its submodules and what they hold, the
signature of ``atomic()`` (docs/spec/atomics-1.0-behaviour.md §1).
"""

import inspect
import subprocess
import sys

import pytest

import atomics


def test_all_in_order():
    assert atomics.__all__ == [
        "atomic", "atomicview", "ANY", "INTEGRAL", "BYTES", "INT", "UINT",
        "Alignment", "CmpxchgResult", "MemoryOrder", "OpType",
    ]


@pytest.mark.parametrize("name", ["atomic", "atomicview", "ANY", "INTEGRAL", "BYTES", "INT", "UINT",
                                  "Alignment", "CmpxchgResult", "MemoryOrder", "OpType"])
def test_exported_name_exists(name):
    assert hasattr(atomics, name)


def test_star_import_gives_exactly_all():
    ns = {}
    exec("from atomics import *", ns)
    assert set(ns) - {"__builtins__"} == set(atomics.__all__)


def test_version_deviation():
    # deviation: atomics.__version__ == "2.0.0" (1.0 had none)
    assert atomics.__version__ == "2.0.0"


def test_import_atomics_imports_submodules_deviation():
    # deviation: `import atomics` also imports atomics.base/.view/.ctx/.exc
    code = (
        "import atomics\n"
        "assert atomics.base.AtomicInt and atomics.exc.MemoryOrderError\n"
        "assert atomics.view.AtomicView and atomics.ctx.AtomicViewContext\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


@pytest.mark.parametrize("name", ["Atomic", "AtomicIntegral", "AtomicBytes", "AtomicInt", "AtomicUint"])
def test_base_module_contents(name):
    cls = getattr(atomics.base, name)
    assert isinstance(cls, type)
    assert cls.__name__ == name


@pytest.mark.parametrize("name", ["AlignmentError", "MemoryOrderError", "UnsupportedOperationException",
                                  "UnsupportedWidthException"])
def test_exc_module_contents(name):
    cls = getattr(atomics.exc, name)
    assert isinstance(cls, type) and issubclass(cls, Exception)
    assert cls.__name__ == name


@pytest.mark.parametrize("mod", [atomics.base, atomics.exc])
def test_submodules_have_no_all(mod):
    assert not hasattr(mod, "__all__")


def test_atomic_signature():
    # 1.0's (width, atype, **kwargs), plus the keyword-only `shared=False` of this version.
    params = list(inspect.signature(atomics.atomic).parameters.values())
    assert [p.name for p in params] == ["width", "atype", "shared", "kwargs"]
    assert params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert params[1].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert params[2].kind is inspect.Parameter.KEYWORD_ONLY and params[2].default is False
    assert params[3].kind is inspect.Parameter.VAR_KEYWORD


# --------------------------------------------------------------------------------------
# §2 Class hierarchy
# --------------------------------------------------------------------------------------
