#!/usr/bin/env bash
# Print the path of a CPython 3.13 linked against musl (the C library of Alpine and of the
# musllinux wheels), building it once if needed: what a musllinux wheel is tested on.
#
# No registry reachable from these machines has a musl CPython, so one is built, all from
# Debian trixie's source packages (tools/debian-source.sh; each the upstream tarball): musl
# 1.2.5 itself, installed into the cache with its loader and its `musl-gcc` wrapper, then zlib
# (for pip) and libffi (for ctypes), linked in statically, and CPython 3.13.5. The interpreter
# loads through that musl's loader (in the cache), not through the machine's C library. Linux's
# own headers (the kernel's, which Alpine's linux-headers package also gives) are visible to
# the build; the machine's glibc headers and libraries are not. No ssl: pip installs into it
# from local wheels only.
#
# Why not Debian 12's musl package: it is musl 1.2.3, whose loader does not apply the packed
# relative relocations (DT_RELR, read from musl 1.2.4 on) that current musllinux wheels carry;
# numpy's crashes there. Alpine has shipped 1.2.4 or later since 3.18.
#
# The result lives in a cache outside the checkout and heals itself: an install missing its
# completion marker or failing the smoke check is deleted and rebuilt; a lock keeps parallel
# runs apart. The build took 30 minutes on 2 cores shared with other builds (load 12-16).
#
# Usage: tools/musl-python.sh    (progress on stderr, the interpreter's path on stdout)
# Cache: $ATOMICS_CACHE (default ~/.cache/atomics-dev)/py313-musl
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${ATOMICS_CACHE:-$HOME/.cache/atomics-dev}
prefix=$cache/py313-musl
musl=$prefix/musl
python=$prefix/bin/python3.13
marker=$prefix/.complete

if [ "$(uname -m)" != x86_64 ]; then
    echo "musl-python: builds for x86_64 only" >&2
    exit 2
fi

healthy() {
    [ -f "$marker" ] && [ -x "$python" ] && "$python" -c '
import ctypes, sysconfig, venv, ensurepip, zlib, hashlib, multiprocessing, _multiprocessing, _posixshmem
assert sysconfig.get_config_var("EXT_SUFFIX") == ".cpython-313-x86_64-linux-musl.so", sysconfig.get_config_var("EXT_SUFFIX")
assert ctypes.CDLL(None).getpid() > 0
assert "'"$musl/lib/libc.so"'" in open("/proc/self/maps").read(), "not loaded through the cached musl"
' >/dev/null 2>&1
}

"$root"/tools/apt-install.sh musl-python autoconf automake libtool   # libffi's tarball has no configure script

mkdir -p "$cache"
exec 9>"$cache/py313-musl.lock"
flock 9

if ! healthy; then
    echo "musl CPython: building musl and CPython into $prefix (once per machine, up to half an hour)" >&2
    rm -rf "$prefix"
    musl_src=$("$root"/tools/debian-source.sh musl)
    python_src=$("$root"/tools/debian-source.sh python3.13)
    zlib_src=$("$root"/tools/debian-source.sh zlib)
    ffi_src=$("$root"/tools/debian-source.sh libffi)
    build=$cache/py313-musl-build
    rm -rf "$build" && mkdir -p "$build"/{musl,python,zlib,ffi,bin,kernel-headers}
    log=$build/build.log
    run() {   # run DIR COMMAND...: in DIR, output to the log; stops the set-up with the log's end on failure
        local dir=$1
        shift
        (cd "$dir" && "$@") >>"$log" 2>&1 || { tail -n 40 "$log" >&2; echo "musl CPython: failed in $dir: $*" >&2; exit 1; }
    }
    tar -xf "$musl_src" -C "$build/musl" --strip-components=1
    run "$build/musl" ./configure --prefix="$musl" --syslibdir="$musl/lib"
    run "$build/musl" make -j"$(nproc)"
    run "$build/musl" make install
    # musl's musl-gcc, except that it names the musl triplet when CPython's configure asks for
    # it (gcc itself answers with the glibc one, which configure refuses)
    cat >"$build/bin/cc" <<CC
#!/bin/sh
if [ "\$1" = --print-multiarch ]; then echo x86_64-linux-musl; exit 0; fi
exec "$musl/bin/musl-gcc" "\$@"
CC
    chmod +x "$build/bin/cc"
    ln -s /usr/include/linux /usr/include/asm-generic "$build/kernel-headers/"
    ln -s /usr/include/x86_64-linux-gnu/asm "$build/kernel-headers/asm"
    export CC=$build/bin/cc CFLAGS="-O2 -fPIC -isystem $build/kernel-headers" PKG_CONFIG_LIBDIR=$prefix/lib/pkgconfig
    tar -xf "$zlib_src" -C "$build/zlib" --strip-components=1
    run "$build/zlib" ./configure --static --prefix="$prefix"
    run "$build/zlib" make -j"$(nproc)"
    run "$build/zlib" make install
    tar -xf "$ffi_src" -C "$build/ffi" --strip-components=1
    run "$build/ffi" ./autogen.sh
    run "$build/ffi" ./configure --disable-shared --enable-static --with-pic --disable-docs --disable-multi-os-directory \
        --prefix="$prefix"
    run "$build/ffi" make -j"$(nproc)"
    run "$build/ffi" make install
    tar -xf "$python_src" -C "$build/python" --strip-components=1
    run "$build/python" ./configure --prefix="$prefix" CPPFLAGS="-I$prefix/include" LDFLAGS="-L$prefix/lib"
    run "$build/python" make -j"$(nproc)"
    run "$build/python" make install
    touch "$marker"
    healthy || { echo "musl CPython: the fresh build fails its smoke check (log: $log)" >&2; exit 1; }
    rm -rf "$build"
fi
echo "$python"
