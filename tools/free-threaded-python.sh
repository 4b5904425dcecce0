#!/usr/bin/env bash
# Print the path of a free-threaded CPython 3.13 ("3.13t"), building it once if needed.
#
# No registry reachable from these machines ships a free-threaded binary, so it is built from
# Debian trixie's python3.13 source package (identical to the upstream 3.13.5 tarball) with
# --disable-gil. The result lives in a cache outside the checkout and is reused by every later
# run. The cache heals itself: an install that is missing its completion marker or that fails
# the smoke check is deleted and rebuilt. The system's apt configuration is not touched.
#
# Usage: tools/free-threaded-python.sh      (progress on stderr, the interpreter path on stdout)
# Cache: $ATOMICS_CACHE (default ~/.cache/atomics-dev)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${ATOMICS_CACHE:-$HOME/.cache/atomics-dev}
prefix=$cache/py313t
python=$prefix/bin/python3.13t
marker=$prefix/.complete

healthy() {
    [ -f "$marker" ] && [ -x "$python" ] &&
        "$python" -c 'import sys, venv, ensurepip, zlib; assert not sys._is_gil_enabled()' >/dev/null 2>&1
}

mkdir -p "$cache"
exec 9>"$cache/py313t.lock"
flock 9   # one build at a time, even with parallel make jobs

if ! healthy; then
    echo "free-threaded CPython: building into $prefix (once per machine, about 5 minutes)" >&2
    rm -rf "$prefix"
    tarball=$("$root"/tools/debian-source.sh python3.13)
    build=$cache/py313t-build
    rm -rf "$build" && mkdir -p "$build"
    tar -xf "$tarball" -C "$build" --strip-components=1
    (cd "$build" && ./configure -q --disable-gil --prefix="$prefix" >&2 &&
        make -s -j"$(nproc)" >&2 2>"$build/make.log" && make -s install >&2 2>>"$build/make.log") ||
        { tail -n 30 "$build/make.log" >&2; exit 1; }
    touch "$marker"
    rm -rf "$build"
    healthy || { echo "free-threaded CPython: the fresh build fails its smoke check" >&2; exit 1; }
fi
echo "$python"
