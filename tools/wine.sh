#!/usr/bin/env bash
# Runs a Windows x86_64 program under wine, setting everything up on first use: Debian's
# wine64 and mingw-w64 packages, and a wine prefix of its own, cached outside the checkout.
#
# Debian 12's wine 8 lacks bcryptprimitives.dll, whose ProcessPrng Rust's standard library
# imports (a program dies at start with c0000135): the prefix gets a one-function shim that
# answers it with RtlGenRandom. The prefix heals itself: without its completion marker (written
# last) or without the shim it is deleted and made again; a lock keeps parallel runs apart.
#
# Usage: tools/wine.sh PROGRAM.exe [ARGS...]   runs it (cargo's runner for x86_64-pc-windows-gnu),
#                                              killed after $ATOMICS_WINE_TIMEOUT seconds (600)
#        tools/wine.sh --setup                 only sets up; prints the prefix
# Cache: $ATOMICS_CACHE (default ~/.cache/atomics-dev)/wine64
set -euo pipefail

cache=${ATOMICS_CACHE:-$HOME/.cache/atomics-dev}
prefix=$cache/wine64
marker=$prefix/.complete
shim=$prefix/drive_c/windows/system32/bcryptprimitives.dll
wine=/usr/lib/wine/wine64
# No display, no Mono or Gecko installers, no debug chatter.
export WINEPREFIX=$prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" DISPLAY=

packages() {
    if [ -x "$wine" ] && command -v x86_64-w64-mingw32-gcc >/dev/null && command -v x86_64-w64-mingw32-dlltool >/dev/null
    then
        return
    fi
    echo "wine: installing Debian's wine64 and mingw-w64 (once per machine)" >&2
    local apt=(apt-get -o DPkg::Lock::Timeout=900 -qq)
    "${apt[@]}" update >&2
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y --no-install-recommends \
        wine64 gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 mingw-w64-x86-64-dev >&2
}

healthy() {
    [ -f "$marker" ] && [ -s "$shim" ]
}

setup() {
    packages
    healthy && return
    mkdir -p "$cache"
    exec 8>"$cache/wine64.lock"
    flock 8
    healthy && return
    echo "wine: making the prefix $prefix (once per machine)" >&2
    rm -rf "$prefix"
    "$wine" wineboot --init >/dev/null 2>&1 || true
    "$wine" cmd /c exit >/dev/null 2>&1
    local src
    src=$(mktemp -d)
    cat >"$src/prng.c" <<'EOF'
#include <windows.h>
#include <ntsecapi.h>
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) { return RtlGenRandom(data, (ULONG)len); }
EOF
    x86_64-w64-mingw32-gcc -shared -O2 -o "$shim" "$src/prng.c" -ladvapi32
    rm -rf "$src"
    touch "$marker"
    flock -u 8
}

setup
if [ "${1:-}" = --setup ]; then
    echo "$prefix"
    exit 0
fi
# A hung program fails the run instead of blocking it.
exec timeout --kill-after=10 "${ATOMICS_WINE_TIMEOUT:-600}" "$wine" "$@"
