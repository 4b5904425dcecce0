#!/usr/bin/env bash
# Print the path of a Debian 12 (bookworm) sysroot for another CPU with CPython 3.11 in it,
# making it once if needed: what the extension is cross-built against (PYO3_CROSS_LIB_DIR is
# SYSROOT/usr/lib/python3.11) and what the Python tests run on.
#
#   arm64  runs under qemu-user: QEMU_LD_PREFIX=SYSROOT, with binfmt for spawned children
#          (tools/cross-toolchain.sh);
#   i386   runs on the x86_64 kernel itself: its python3.11 is patched to load its libraries
#          from SYSROOT, so it and the processes it spawns run without emulation. numpy comes
#          from Debian (PyPI has no 32-bit Linux numpy for CPython 3.11).
#
# The packages come from Debian's own archive (tools/debian-packages.sh: the system's apt and
# dpkg configuration are not touched). The sysroot heals itself: one without its completion
# marker (written last, naming what it holds) or missing a part is deleted and made again.
#
# Usage: tools/cross-sysroot.sh arm64|i386   (progress on stderr, the sysroot path on stdout)
# Cache: $ATOMICS_CACHE (default ~/.cache/atomics-dev)/sysroot-bookworm-ARCH
set -euo pipefail

arch=${1:?usage: $0 arm64|i386}
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${ATOMICS_CACHE:-$HOME/.cache/atomics-dev}
sysroot=$cache/sysroot-bookworm-$arch
marker=$sysroot/.complete

packages=(python3.11 libpython3.11-dev)
case $arch in
    arm64) triplet=aarch64-linux-gnu; packages+=(libstdc++6) ;;   # numpy's wheels need it
    i386) triplet=i386-linux-gnu; packages+=(python3-numpy) ;;
    *) echo "cross-sysroot: unknown architecture $arch (arm64 or i386)" >&2; exit 2 ;;
esac
want="bookworm $arch: ${packages[*]}"

healthy() {
    [ "$(cat "$marker" 2>/dev/null)" = "$want" ] &&
        [ -x "$sysroot/usr/bin/python3.11" ] &&
        [ -f "$sysroot/usr/include/python3.11/Python.h" ] &&
        [ -f "$sysroot/usr/lib/python3.11/_sysconfigdata__$triplet.py" ] &&
        [ -f "$sysroot/usr/lib/$triplet/libpython3.11.so.1.0" ] &&
        { [ "$arch" != i386 ] || "$sysroot/usr/bin/python3.11" -c 'import numpy, ssl, sqlite3' 2>/dev/null; }
}

mkdir -p "$cache"
exec 9>"$cache/sysroot-bookworm-$arch.lock"
flock 9   # one build at a time, even with parallel runs

if ! healthy; then
    echo "cross-sysroot: making $sysroot ($want)" >&2
    rm -rf "$sysroot"
    "$root/tools/debian-packages.sh" bookworm "$arch" "$sysroot" "${packages[@]}"
    # What Debian's maintainer scripts would have done: the BLAS and LAPACK alternatives.
    for lib in blas/libblas.so.3 lapack/liblapack.so.3; do
        if [ -e "$sysroot/usr/lib/$triplet/$lib" ]; then
            ln -sf "$lib" "$sysroot/usr/lib/$triplet/$(basename "$lib")"
        fi
    done
    if [ "$arch" = i386 ]; then
        patchelf --set-interpreter "$sysroot/lib/ld-linux.so.2" --force-rpath \
            --set-rpath "$sysroot/lib/$triplet:$sysroot/usr/lib/$triplet" "$sysroot/usr/bin/python3.11"
    fi
    echo "$want" >"$marker"
    healthy || { echo "cross-sysroot: the fresh sysroot $sysroot is incomplete" >&2; exit 1; }
fi
echo "$sysroot"
