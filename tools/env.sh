#!/usr/bin/env bash
# Make (once) and print the virtualenv of one interpreter with the package built into it.
#
# Usage: tools/env.sh PYTHON [PROFILE]
#   PYTHON   an interpreter path or name (python3.11, .../python3.13t)
#   PROFILE  cargo profile of the extension: dev-release (default; fast to build) or release
# Prints the virtualenv's directory. Build output goes to stderr.
set -euo pipefail

python=$1
profile=${2:-dev-release}
root=$(cd "$(dirname "$0")/.." && pwd)
tag=$("$python" -c 'import sys, sysconfig; print("%d.%d%s" % (sys.version_info[:2] + ("t" if sysconfig.get_config_var("Py_GIL_DISABLED") else "",)))')
venv=$root/.venv/$tag

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import maturin, pytest, hypothesis' 2>/dev/null; then
    echo "== $tag: creating $venv" >&2
    rm -rf "$venv"
    "$root/tools/make-venv.sh" "$python" "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >&2
    # --prefer-binary: numpy makes no wheels for 3.13t after 2.4; an older wheel beats building the
    # newest from source (many minutes on two cores).
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --prefer-binary -r "$root/tools/requirements-test.txt" >&2
fi
if [ "$tag" = 3.13t ]; then
    # PyO3 builds for free-threaded CPython from 3.14 on; 3.13t, the free-threaded interpreter
    # these machines can have, is built for the tests (and the benchmark) only, past PyO3's
    # version check. Nothing made for 3.13t is shipped: `pip install .` refuses it.
    export UNSAFE_PYO3_SKIP_VERSION_CHECK=1
fi
# A target directory per interpreter: each interpreter's configuration of PyO3 rebuilds the
# extension, so sharing one directory would rebuild it at every switch. Apart, a second call for
# the same interpreter and profile (the benchmark after the tests, the edit loop) finds its build.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target/python-$tag}
echo "== $tag: building the extension ($profile)" >&2
(cd "$root" && VIRTUAL_ENV=$venv PATH=$venv/bin:$PATH maturin develop -q --profile "$profile" >&2)
echo "$venv"
