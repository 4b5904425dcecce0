"""Run the test suite against the atomics installed in this interpreter's environment.

    VENV/bin/python tools/run-installed-suite.py [pytest arguments]

The interpreter running this script (a virtualenv with the wheel and the test requirements
installed) runs pytest on a copy of the suite in a temporary directory: tests/, with the files
of the checkout that tests read (README.md, examples/, include/, pyproject.toml for pytest's
settings) but not python/, so `import atomics` can only find the installed package. Before
the suite, a check in the same environment fails the run if atomics (or its extension module)
was imported from anywhere but the environment's site-packages, or if the source tree is on
sys.path.

The suite runs with PATH holding only the environment's scripts directory and, where present,
strace (one test reads its system calls): no Rust toolchain and no C compiler, so nothing can
be built on the side, and the tests that need a compiler to build their C or Rust programs
skip, saying so. PYTHONPATH and PYTHONHOME are removed. Used by `make test-wheels` and by the
release workflow on every OS.
"""

import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COPIED = ["tests", "examples", "include", "README.md", "pyproject.toml"]
COMPILERS = ["cargo", "rustc", "rustup", "cc", "gcc", "clang", "c++", "g++", "clang++", "zig", "cl", "tcc"]
TOOLS = ["strace"]

CHECK = r"""
import os, sys, sysconfig
import atomics, atomics._native
site = {os.path.realpath(sysconfig.get_path(k)) for k in ("purelib", "platlib")}
for module in (atomics, atomics._native):
    where = os.path.realpath(module.__file__)
    if not any(where.startswith(s + os.sep) for s in site):
        sys.exit(f"{module.__name__} was imported from {where}, not from site-packages ({sorted(site)})")
source = os.path.realpath(os.path.join(sys.argv[1], "python"))
if any(os.path.realpath(p or os.getcwd()) == source for p in sys.path):
    sys.exit(f"the source tree {source} is on sys.path")
print(f"   atomics {atomics.__version__} from {os.path.dirname(os.path.realpath(atomics.__file__))}")
print(f"   extension: {os.path.basename(atomics._native.__file__)}")
"""


def main():
    with tempfile.TemporaryDirectory(prefix="atomics-installed-") as tmp:
        for name in COPIED:
            src = os.path.join(ROOT, name)
            dst = os.path.join(tmp, name)
            if os.path.isdir(src):
                shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"))
            else:
                shutil.copy2(src, dst)
        tools = os.path.join(tmp, "tools-bin")
        os.mkdir(tools)
        for tool in TOOLS:
            found = shutil.which(tool)
            if found and hasattr(os, "symlink"):
                os.symlink(found, os.path.join(tools, tool))
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
        env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), tools])
        compilers = [c for c in COMPILERS if shutil.which(c, path=env["PATH"])]
        if compilers:
            sys.exit(f"run-installed-suite: a compiler is on the suite's PATH: {compilers}")
        print(f"   suite copied to {tmp}; PATH has no compiler ({', '.join(COMPILERS)} absent)", flush=True)
        subprocess.run([sys.executable, "-c", CHECK, ROOT], cwd=tmp, env=env, check=True)
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *sys.argv[1:]]
        return subprocess.run(command, cwd=tmp, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
