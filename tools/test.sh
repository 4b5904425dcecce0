#!/usr/bin/env bash
# Every test: the Rust crates, then the Python suite on every CPython 3.9-3.13 this machine has
# (under `pyenv root`) and on a free-threaded 3.13t (built once, cached outside the checkout).
# An interpreter that is absent is skipped with a visible message; a failure anywhere fails.
#
# Usage: tools/test.sh [pytest arguments]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

echo "== Rust: cargo test (core crate, doctests included), clippy, rustfmt, rustdoc"
cargo test -q -p atomics-core --release
cargo clippy -q --workspace --all-targets -- -D warnings
cargo fmt --check
RUSTDOCFLAGS="-D warnings" cargo doc -q -p atomics-core --no-deps

# ---- Windows and macOS, from this machine: tools/test-windows-macos.sh (wine, cross-checks) ----
if [ "${ATOMICS_SKIP_WINDOWS_MACOS:-0}" = 1 ]; then
    echo "== SKIPPED: Windows and macOS (ATOMICS_SKIP_WINDOWS_MACOS=1)"
else
    "$root"/tools/test-windows-macos.sh
fi
# ------------------------------------------------------------------------------------------------

pyenv_root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
interpreters=()
skipped=()
for minor in 9 10 11 12 13; do
    found=$(ls -d "$pyenv_root"/versions/3."$minor".*/bin/python3."$minor" 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$found" ] && command -v python3."$minor" >/dev/null; then
        found=$(command -v python3."$minor")
    fi
    if [ -n "$found" ]; then interpreters+=("$found"); else skipped+=("3.$minor"); fi
done
if [ "${ATOMICS_SKIP_FREE_THREADED:-0}" = 1 ]; then
    skipped+=("3.13t (ATOMICS_SKIP_FREE_THREADED=1)")
else
    interpreters+=("$("$root"/tools/free-threaded-python.sh)")
fi

passed=()
failed=()
for python in "${interpreters[@]}"; do
    venv=$("$root"/tools/env.sh "$python")
    tag=$(basename "$venv")
    echo "== Python $tag: pytest"
    if "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"; then passed+=("$tag"); else failed+=("$tag"); fi
done

echo "== passed on: ${passed[*]:-none}"
if [ ${#skipped[@]} -gt 0 ]; then
    echo "== SKIPPED (not on this machine): ${skipped[*]}"
fi
if [ ${#failed[@]} -gt 0 ]; then
    echo "== FAILED on: ${failed[*]}"
    exit 1
fi
