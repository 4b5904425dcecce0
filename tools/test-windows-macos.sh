#!/usr/bin/env bash
# Windows and macOS, from this Linux machine (`make test-windows-macos`; `make test` runs it):
#
# 1. Windows x86_64, under wine: the core crate's unit and integration tests cross-compiled
#    with mingw-w64 (two processes sharing a segment, processes counting exactly, a wake
#    across processes for every width, a ping-pong, unlinking), then the C header's program
#    and the Rust example waking and counting with each other, then the wait/notify round
#    trip between two processes (printed, emulated: not a benchmark of Windows).
# 2. The Python extension built and linked for Windows (x86_64-pc-windows-gnu; PyO3 makes
#    the import library). No Windows CPython exists here to load it.
# 3. clippy of both crates, every target, for x86_64-pc-windows-msvc, aarch64-pc-windows-msvc,
#    aarch64-apple-darwin and x86_64-apple-darwin, and for i686-pc-windows-msvc (the core
#    crate's library only: its tests are not yet 32-bit clean). clippy type-checks as `cargo
#    check` does; nothing links (no macOS SDK or MSVC here); the binding through PyO3's
#    cross-compilation settings.
# 4. The C header's macOS branch, syntax- and type-checked by GCC with __APPLE__ defined over
#    Linux's headers (no macOS SDK here).
# 5. The GitHub Actions workflows (the suite on Windows and macOS runners; the release's wheels),
#    checked with actionlint and zizmor (tools/actionlint.sh); they cannot run here.
#
# Sets itself up: the rustup targets, Debian's mingw-w64 and wine64, and a wine prefix cached
# under $ATOMICS_CACHE (tools/wine.sh).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
started=$SECONDS
stage() {
    echo "== [$((SECONDS - started)) s] $*"
}

stage "setup: rustup targets, mingw-w64, wine"
wanted=(x86_64-pc-windows-gnu x86_64-pc-windows-msvc aarch64-pc-windows-msvc i686-pc-windows-msvc
        aarch64-apple-darwin x86_64-apple-darwin)
installed=$(rustup target list --installed)
missing=()
for target in "${wanted[@]}"; do
    grep -qx "$target" <<<"$installed" || missing+=("$target")
done
if [ ${#missing[@]} -gt 0 ]; then
    rustup target add "${missing[@]}"
fi
tools/wine.sh --setup >/dev/null

export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=$root/tools/wine.sh
windows=x86_64-pc-windows-gnu

stage "Windows x86_64 under wine: cargo test (core crate: unit and integration tests)"
cargo test -q -p atomics-core --release --target $windows --lib --tests

stage "Windows x86_64 under wine: the C header's program and the Rust example, across processes"
cargo build -q -p atomics-core --release --target $windows --example shared_counter --example wait_round_trip
rust=$root/target/$windows/release/examples/shared_counter.exe
c=$root/target/$windows/interop/counter.exe
mkdir -p "$(dirname "$c")"
x86_64-w64-mingw32-gcc -std=c11 -O2 -Wall -Wextra -Werror -I include tests/interop/counter.c -o "$c" -lbcrypt
tools/test-interop-programs.sh "$root/tools/wine.sh $c" "$root/tools/wine.sh $rust"

stage "Windows x86_64 under wine: wait/notify round trip between two processes (emulated)"
tools/wine.sh "$root/target/$windows/release/examples/wait_round_trip.exe" 2000

stage "Windows x86_64: the Python extension builds and links"
PYO3_CROSS=1 PYO3_CROSS_PYTHON_VERSION=3.11 \
    cargo build -q -p atomics-py --profile dev-release --target $windows --features pyo3/generate-import-lib

for target in x86_64-pc-windows-msvc aarch64-pc-windows-msvc aarch64-apple-darwin x86_64-apple-darwin; do
    stage "$target: clippy of both crates (type-checked only)"
    cargo clippy -q -p atomics-core --all-targets --target "$target" -- -D warnings
    PYO3_CROSS=1 PYO3_CROSS_PYTHON_VERSION=3.11 \
        cargo clippy -q -p atomics-py --all-targets --target "$target" -- -D warnings
done
# 32-bit: the core crate's library and examples (its tests are not yet 32-bit clean).
stage "i686-pc-windows-msvc: clippy of the binding and of the core crate's library (type-checked only)"
cargo clippy -q -p atomics-core --lib --examples --target i686-pc-windows-msvc -- -D warnings
PYO3_CROSS=1 PYO3_CROSS_PYTHON_VERSION=3.11 \
    cargo clippy -q -p atomics-py --all-targets --target i686-pc-windows-msvc -- -D warnings

stage "macOS: the C header's macOS branch, syntax-checked (no macOS SDK here: Linux headers, __APPLE__ defined)"
gcc -std=c11 -fsyntax-only -Wall -Wextra -Werror -D_GNU_SOURCE -U__linux__ -D__APPLE__ -I include tests/interop/counter.c

stage "the GitHub Actions workflows: actionlint, zizmor"
tools/actionlint.sh
stage "Windows and macOS: all passed"
