#!/usr/bin/env bash
# Make a virtualenv with pip: `python -m venv`, except for an interpreter packaged by Debian
# (tools/debian-python.sh), which carries pip as a wheel under its prefix and whose ensurepip
# would look in the system's own wheel directory (and find an old pip, or none): its
# virtualenv is made --without-pip and gets pip from that wheel.
#
# Usage: tools/make-venv.sh PYTHON DIR
set -euo pipefail

python=$1
venv=$2
prefix=$("$python" -c 'import sys; print(sys.base_prefix)')
packaged_pip=$(ls "$prefix"/share/python-wheels/pip-*.whl 2>/dev/null | sort -V | tail -n 1 || true)
if [ -n "$packaged_pip" ]; then
    "$python" -m venv --without-pip "$venv"
    "$venv/bin/python" "$packaged_pip/pip" install -q --disable-pip-version-check "$packaged_pip" >&2
else
    "$python" -m venv "$venv"
fi
