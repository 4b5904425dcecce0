"""What the extension declares to the interpreter."""

import subprocess
import sys
import sysconfig

import pytest

import atomics

FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


@pytest.mark.skipif(not FREE_THREADED, reason="needs a free-threaded CPython (3.13t or later)")
def test_importing_keeps_the_gil_disabled():
    code = "import sys, warnings; warnings.simplefilter('error'); import atomics; print(sys._is_gil_enabled())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_version():
    assert atomics.__version__ == "2.0.0"


OPTIMIZED_PROGRAM = r"""
import multiprocessing
import pickle
import sys

import atomics
import atomics.base, atomics.ctx, atomics.exc, atomics.shared, atomics.sync, atomics.view
from atomics import BYTES, FLOAT, INT, UINT, MemoryOrder
from atomics.compat.pytomic import multiprocessing as pytomic_mp, multithreading as pytomic_mt
from atomics.exc import MemoryOrderError


def check(condition, what):  # not assert: -O removes asserts
    if not condition:
        raise SystemExit(f"failed: {what}")


def add(counter):
    counter.fetch_add(5)


if __name__ == "__main__":
    level = int(sys.argv[1])
    check(sys.flags.optimize == level, "the interpreter's -O level")
    check((atomics.atomic.__doc__ is None) == (level == 2), "docstrings are stripped by -OO only")
    a = atomics.atomic(8, INT)
    a.inc()
    check(a.fetch_add(2) == 1 and a.load() == 3, "inc, fetch_add, load")
    check(str(a) == "AtomicInt(value=3, width=8, readonly=False, signed=True)", "str")
    check(a.cmpxchg_strong(3, 4).success and int(a) == 4, "cmpxchg_strong")
    try:
        a.store(1, MemoryOrder.ACQUIRE)
    except MemoryOrderError as e:
        check(str(e) == "ACQUIRE is not a valid  memory order for a STORE operation.", "the message")
    else:
        check(False, "store(ACQUIRE) is refused")
    with atomics.atomicview(bytearray(2), BYTES) as v:
        check(v.exchange(b"ok") == b"\0\0" and bytes(v) == b"ok", "a bytes view")
    check(atomics.atomic(8, FLOAT).fetch_add(1.5) == 0.0, "a float")
    arr = atomics.array(4, 4, UINT)
    arr.add_at([1, 1, 3])
    check(list(arr.load_all()) == [0, 2, 0, 1] and arr.element(1).load() == 2, "an array")
    shared = atomics.atomic(8, INT, shared=True)
    child = multiprocessing.get_context("spawn").Process(target=add, args=(shared,))
    child.start()
    child.join()
    check(child.exitcode == 0 and shared.load() == 5, "a spawned child adds to a shared atomic")
    check(pickle.loads(pickle.dumps(shared)).load() == 5, "pickling by reference")
    lock = atomics.sync.Lock()
    with lock:
        check(lock.locked(), "atomics.sync.Lock")
    check(pytomic_mt.AtomicUInt(7).preinc() == 8 and pytomic_mp.AtomicInt(-1).postdec() == -1, "compat.pytomic")
    print("ok")
"""


@pytest.mark.parametrize("flag", ["-O", "-OO"])
def test_the_package_works_without_asserts_and_docstrings(tmp_path, flag):
    """Under ``python -OO`` (atomics 1.0's issue #4) and ``-O``: the package imports, every
    module and the compat layer work, and a spawned child (which inherits the flag) shares
    an atomic. The program checks without ``assert``, which these flags remove."""
    program = tmp_path / "optimized.py"
    program.write_text(OPTIMIZED_PROGRAM)
    level = str(flag.count("O"))
    done = subprocess.run([sys.executable, flag, str(program), level], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == "ok\n"
