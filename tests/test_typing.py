"""The types users' tools see: the stubs beside the package's modules (python/atomics/*.pyi).

- tests/typing/api.py runs on every interpreter: each type its ``assert_type`` lines claim is
  the class of the value at run time, and the mistakes it marks are refused.
- mypy --strict and pyright in strict mode pass on tests/typing/api.py, whose expected
  errors are ignore comments that must each be needed, and on examples/, for the oldest
  and the newest Python version each supports.
- stubtest: the stubs declare exactly the runtime's modules, names and signatures
  (tests/test_stubs.py checks the native operations' parameters).

The static checks need tools/requirements-typing.txt (pinned mypy and pyright, with its own
Node.js) and check every Python version from one place: tools/test.sh installs it into one
interpreter's virtualenv and sets ATOMICS_TYPING=1 for that run only.
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
TYPING = ROOT / "tests" / "typing"
CHECKED = ["tests/typing/api.py", "examples/demo.py", "examples/tagged_stack.py"]
HERE = f"{sys.version_info[0]}.{sys.version_info[1]}"

static = pytest.mark.skipif(
    os.environ.get("ATOMICS_TYPING") != "1",
    reason="the static type checks run once per `make test`, where tools/test.sh sets ATOMICS_TYPING=1",
)


def run(*args, **env):
    done = subprocess.run(
        [str(a) for a in args], cwd=ROOT, capture_output=True, text=True, timeout=900, env={**os.environ, **env}
    )
    return done.returncode, done.stdout + done.stderr


def test_the_claims_hold_at_run_time():
    code, out = run(sys.executable, TYPING / "api.py")
    assert code == 0, out


def test_every_example_is_checked():
    assert sorted(CHECKED[1:]) == sorted(f"examples/{p.name}" for p in (ROOT / "examples").glob("*.py"))


@static
@pytest.mark.parametrize("target", sorted({"3.10", HERE}))
def test_mypy_strict(target):
    cache = pathlib.Path(sys.prefix) / "mypy-cache"
    code, out = run(sys.executable, "-m", "mypy", "--config-file", TYPING / "mypy.ini", "--python-version", target,
                    "--cache-dir", cache, *CHECKED)
    assert code == 0, out
    assert f"Success: no issues found in {len(CHECKED)} source files" in out, out


@static
@pytest.mark.parametrize("target", sorted({"3.9", HERE}))
def test_pyright_strict(target):
    cache = pathlib.Path(os.environ.get("ATOMICS_CACHE", pathlib.Path.home() / ".cache" / "atomics-dev")) / "pyright"
    code, out = run(
        sys.executable, "-m", "pyright", "--outputjson", "--project", TYPING / "pyrightconfig.json",
        "--pythonpath", sys.executable, "--pythonversion", target,
        PYRIGHT_PYTHON_IGNORE_WARNINGS="1",  # no look-up of newer releases on PyPI
        PYRIGHT_PYTHON_CACHE_DIR=str(cache),  # only used if the bundled pyright could not be
    )
    report = json.loads(out[out.index("{"):])
    errors = [f"{d['file']}:{d['range']['start']['line'] + 1}: {d['message']} ({d.get('rule')})"
              for d in report["generalDiagnostics"]]
    assert code == 0 and not errors, "\n".join(errors) or out
    assert report["summary"]["filesAnalyzed"] == len(CHECKED), report["summary"]


@static
def test_stubtest():
    code, out = run(sys.executable, "-m", "mypy.stubtest", "atomics", "--allowlist", TYPING / "stubtest-allowlist.txt",
                    "--mypy-config-file", TYPING / "mypy.ini")
    assert code == 0, out
    assert "Success: no issues found in 16 modules" in out, out
