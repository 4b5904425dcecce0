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
