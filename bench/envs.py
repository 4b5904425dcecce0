"""The interpreters and virtualenvs the benchmark runs in.

This library is built by tools/env.sh (release profile) into .venv/<python>; each other
library is pip-installed into a virtualenv of its own under the cache directory
(CACHE/<name>-<python version>), made by the harness, reused while healthy, and recreated
when broken. Several share the import name `atomics`, hence one venv each.
"""

import glob
import hashlib
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                             "atomics-dev", "bench")
STAMP = "bench-stamp.txt"  # what the venv was made for: pip spec and base interpreter


def python_version(python):
    """'3.11.7', or None when the interpreter is missing, broken or free-threaded."""
    code = ("import sys, sysconfig, platform; "
            "print('' if sysconfig.get_config_var('Py_GIL_DISABLED') else platform.python_version())")
    try:
        out = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def interpreter_version(python):
    """'3.11.7', or '3.13.5t' for a free-threaded build; None when missing or broken."""
    code = ("import sysconfig, platform; "
            "print(platform.python_version() + ('t' if sysconfig.get_config_var('Py_GIL_DISABLED') else ''))")
    try:
        out = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def short(version):
    """'3.11' of '3.11.7'; '3.13t' of '3.13.5t'."""
    if version.endswith("t"):
        return short(version[:-1]) + "t"
    return ".".join(version.split(".")[:2])


def base_interpreter():
    """The interpreter under the running virtualenv (the harness runs in ours)."""
    return getattr(sys, "_base_executable", None) or sys.executable


def find_python313():
    """The newest CPython 3.13 (with the GIL) that pyenv holds, or None."""
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        root = ""
    root = root or os.path.expanduser("~/.pyenv")
    found = []
    for path in glob.glob(os.path.join(root, "versions", "3.13.*", "bin", "python3.13")):
        version = python_version(path)
        if version:
            found.append((tuple(int(p) for p in version.split(".")[:3] if p.isdigit()), path))
    return max(found)[1] if found else None


def set_up_python(script, *args):
    """The interpreter that tools/SCRIPT sets up once per machine and caches (it prints the
    path): (path, None) or (None, error)."""
    command = " ".join(["tools/" + script] + list(args))
    try:
        out = subprocess.run([os.path.join(ROOT, "tools", script)] + list(args), cwd=ROOT,
                             capture_output=True, text=True, timeout=3600)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, "%s: %s" % (command, e)
    if out.returncode != 0 or not out.stdout.strip():
        return None, summarize(out.stderr, command + " failed")
    return out.stdout.strip().splitlines()[-1], None


def free_threaded_python():
    """CPython 3.13t, built once per machine (tools/free-threaded-python.sh)."""
    return set_up_python("free-threaded-python.sh")


def debian_python(version):
    """CPython 3.14 or 3.15 from Debian's packages, extracted once per machine
    (tools/debian-python.sh)."""
    return set_up_python("debian-python.sh", version)


def build_ours(python, profile="release"):
    """tools/env.sh PYTHON PROFILE: (venv python, None) or (None, error). env.sh builds each
    interpreter in a target directory of its own, so a build made by `make test` is found."""
    out = subprocess.run([os.path.join(ROOT, "tools", "env.sh"), python, profile], cwd=ROOT,
                         capture_output=True, text=True)
    if out.returncode != 0:
        return None, summarize(out.stderr, "tools/env.sh failed")
    venv = out.stdout.strip().splitlines()[-1]
    return os.path.join(venv, "bin", "python"), None


def peer_venv(cache, name, spec, module, base, pip_args=()):
    """A healthy venv with `spec` installed for interpreter `base`: (venv python, None), or
    (None, pip's error) when it cannot be installed. `pip_args` go before the spec (e.g.
    --only-binary :all:, to take a wheel or nothing)."""
    version = python_version(base) or interpreter_version(base)  # the latter: '3.13.5t'
    if version is None:
        return None, "%s does not run" % base
    venv = os.path.join(cache, "%s-%s" % (name, short(version)))
    python = os.path.join(venv, "bin", "python")
    stamp = "%s\n%s %s\n" % (spec, os.path.realpath(base), version) + (
        "pip install %s\n" % " ".join(pip_args) if pip_args else "")
    if _healthy(venv, python, module, stamp):
        return python, None
    shutil.rmtree(venv, ignore_errors=True)
    os.makedirs(cache, exist_ok=True)
    made = subprocess.run([os.path.join(ROOT, "tools", "make-venv.sh"), base, venv], capture_output=True, text=True)
    if made.returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)
        return None, summarize(made.stderr, "tools/make-venv.sh failed")
    command = "pip install %s" % " ".join(list(pip_args) + [spec])
    try:
        pip = subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check"] + list(pip_args)
                             + [spec], capture_output=True, text=True, timeout=1800)
    except subprocess.TimeoutExpired:
        shutil.rmtree(venv, ignore_errors=True)
        return None, "%s took more than 30 minutes" % command
    if pip.returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)  # retried on the next run
        return None, "%s: %s" % (command, summarize(pip.stderr + pip.stdout, "failed"))
    with open(os.path.join(venv, STAMP), "w") as f:
        f.write(stamp)
    if not _healthy(venv, python, module, stamp):
        return None, "installed, but `import %s` fails" % module
    return python, None


def _healthy(venv, python, module, stamp):
    try:
        with open(os.path.join(venv, STAMP)) as f:
            if f.read() != stamp:
                return False
    except OSError:
        return False
    out = subprocess.run([python, "-c", "import " + module], capture_output=True, timeout=120)
    return out.returncode == 0


def summarize(text, fallback):
    """The lines of an error output that say what went wrong (pip's 'ERROR:' lines)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith(("error", "fatal"))]
    picked = errors[:4] or lines[-4:]
    return " / ".join(picked) if picked else fallback


def package_digest(pyver):
    """sha256 of this library as CPython `pyver` imports it (editable install: the source
    tree's python/atomics, with the extension built for that version), to notice someone
    rebuilding or editing it during a run."""
    h = hashlib.sha256()
    package = os.path.join(ROOT, "python", "atomics")
    tag = "_native.cpython-%s-*.so" % pyver.replace(".", "")
    for path in sorted(glob.glob(os.path.join(package, "*.py")) + glob.glob(os.path.join(package, tag))):
        h.update(os.path.basename(path).encode())
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:16]
