#!/usr/bin/env bash
# `make wheels`: every Linux wheel and the sdist, into dist/, each one checked.
#
# - manylinux_2_17 wheels for x86_64, aarch64 and i686, and musllinux_1_2 wheels for x86_64 and
#   aarch64, one per CPython of ATOMICS_WHEEL_PYTHONS (3.9-3.15 and free-threaded 3.14t and
#   3.15t), built by maturin with zig (from PyPI's `ziglang`) as the C toolchain and linker:
#   zig links against glibc 2.17's symbols (or musl), whatever this machine's glibc is.
# - Every wheel is built from maturin's own description of each interpreter (its bundled
#   sysconfig: the extension suffix and ABI flags of CPython 3.X on that target), not from an
#   interpreter on this machine, so the set does not depend on what is installed here;
#   `make test-wheels` then tests them with real interpreters.
# - musl: zig records the C library as `libc.so`, a name musl's loader resolves to itself but
#   that auditwheel's musllinux policy does not know; it is renamed to the musllinux name
#   (`libc.musl-ARCH.so.1`, what a wheel built on Alpine records), by tools/wheels.py.
# - win_amd64 wheels, one per CPython of ATOMICS_WHEEL_PYTHONS, cross-built for
#   x86_64-pc-windows-gnu with Debian's mingw-w64 (PyO3 generates the import library of
#   python3X.dll, so no Windows CPython is needed to link). No Windows CPython can be had here,
#   so they are checked, not run: the module's imports must be its CPython's DLL and Windows'
#   own, and it must export PyInit__native. The release workflow builds and tests the MSVC
#   wheels that are published on Windows runners.
# - The sdist, built by maturin (`pip install atomics-*.tar.gz` builds it; `make test-wheels`
#   builds it offline).
# - Checks: `auditwheel show` of every wheel must name the wheel's own platform tag (no
#   library outside the policy, no glibc symbol newer than 2.17), `twine check --strict` of
#   every file, and every expected wheel must be there (tools/wheels.py check).
#
# Usage: tools/build-wheels.sh
#   ATOMICS_WHEEL_TARGETS  default "x86_64-manylinux aarch64-manylinux i686-manylinux
#                          x86_64-musllinux aarch64-musllinux x86_64-windows"
#   ATOMICS_WHEEL_PYTHONS  default "3.9 3.10 3.11 3.12 3.13 3.14 3.15 3.14t 3.15t"
#   ATOMICS_WHEEL_SDIST    1 (default) builds the sdist too, 0 does not
# Needs a Rust toolchain (rustup adds the targets); the tools come from tools/wheel-tools.sh.
# Build output goes to target/wheels/, the wheels to dist/ (emptied of atomics-* first).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
targets=${ATOMICS_WHEEL_TARGETS:-x86_64-manylinux aarch64-manylinux i686-manylinux x86_64-musllinux aarch64-musllinux x86_64-windows}
pythons=${ATOMICS_WHEEL_PYTHONS:-3.9 3.10 3.11 3.12 3.13 3.14 3.15 3.14t 3.15t}
sdist=${ATOMICS_WHEEL_SDIST:-1}
started=$SECONDS

tools=$(tools/wheel-tools.sh)
export PATH=$tools/bin:$PATH
export CARGO_TARGET_DIR=$root/target/wheels

rust_target() {   # ARCH-POLICY -> the Rust target triple
    case $1 in
        *-manylinux) echo "${1%-manylinux}-unknown-linux-gnu" ;;
        *-musllinux) echo "${1%-musllinux}-unknown-linux-musl" ;;
        x86_64-windows) echo x86_64-pc-windows-gnu ;;
        *) echo "build-wheels: unknown target $1 (ARCH-manylinux, ARCH-musllinux or x86_64-windows)" >&2; return 2 ;;
    esac
}
compatibility() {   # ARCH-POLICY -> maturin's --compatibility
    case $1 in
        *-manylinux) echo manylinux_2_17 ;;
        *-musllinux) echo musllinux_1_2 ;;
    esac
}

installed=$(rustup target list --installed)
for t in $targets; do
    triple=$(rust_target "$t")
    grep -qx "$triple" <<<"$installed" || rustup target add "$triple" >&2
done
if [[ " $targets " == *" x86_64-windows "* ]]; then
    tools/apt-install.sh build-wheels gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 mingw-w64-x86-64-dev
fi

mkdir -p dist
rm -f dist/atomics-*

read -r -a interpreters <<<"$pythons"
for t in $targets; do
    triple=$(rust_target "$t")
    policy=$(compatibility "$t")
    if [ "$t" = x86_64-windows ]; then
        echo "== [$((SECONDS - started)) s] $t: ${#interpreters[@]} wheels ($triple, mingw-w64): ${interpreters[*]}"
        CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
            maturin build --quiet --release --strip --target "$triple" --features pyo3/generate-import-lib \
            --interpreter "${interpreters[@]}" --out dist
        continue
    fi
    echo "== [$((SECONDS - started)) s] $t: ${#interpreters[@]} wheels ($triple, $policy): ${interpreters[*]}"
    maturin build --quiet --release --strip --zig --target "$triple" --compatibility "$policy" \
        --interpreter "${interpreters[@]}" --out dist
done
if [ "$sdist" = 1 ]; then
    echo "== [$((SECONDS - started)) s] sdist"
    maturin sdist --out dist
fi

musl_wheels=(dist/atomics-*musllinux*.whl)
if [ -e "${musl_wheels[0]}" ]; then
    echo "== [$((SECONDS - started)) s] musllinux wheels: the C library under its musllinux name"
    "$tools/bin/python" tools/wheels.py fix-musl "${musl_wheels[@]}"
fi

echo "== [$((SECONDS - started)) s] checks: auditwheel show (Windows: the DLLs imported), twine check, the expected set"
"$tools/bin/python" tools/wheels.py check --targets "$targets" --pythons "$pythons" --sdist "$sdist" dist
twine check --strict dist/atomics-*
echo "== [$((SECONDS - started)) s] wheels: done ($(ls dist/atomics-* | wc -l) files in dist/)"
