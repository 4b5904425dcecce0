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
    # An interpreter packaged by Debian (tools/debian-python.sh) carries pip as a wheel under
    # its prefix; its ensurepip would look in the system's wheel directory and find an old pip.
    packaged_pip=$(ls "$("$python" -c 'import sys; print(sys.base_prefix)')"/share/python-wheels/pip-*.whl 2>/dev/null | head -n 1 || true)
    if [ -n "$packaged_pip" ]; then
        "$python" -m venv --without-pip "$venv"
        "$venv/bin/python" "$packaged_pip/pip" install -q --disable-pip-version-check "$packaged_pip" >&2
    else
        "$python" -m venv "$venv"
    fi
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >&2
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$root/tools/requirements-test.txt" >&2
fi
echo "== $tag: building the extension ($profile)" >&2
(cd "$root" && VIRTUAL_ENV=$venv PATH=$venv/bin:$PATH maturin develop -q --profile "$profile" >&2)
echo "$venv"
