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
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >&2
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$root/tools/requirements-test.txt" >&2
fi
echo "== $tag: building the extension ($profile)" >&2
(cd "$root" && VIRTUAL_ENV=$venv PATH=$venv/bin:$PATH maturin develop -q --profile "$profile" >&2)
echo "$venv"
