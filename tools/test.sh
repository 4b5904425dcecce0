#!/usr/bin/env bash
# Every test: the Rust crates, then the Python suite on every CPython 3.9-3.13 this machine has
# (under `pyenv root`) and on a free-threaded 3.13t (built once, cached outside the checkout),
# with the static type checks on the newest of them.
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

pyenv_root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
interpreters=()
skipped=()
# The static type checks (mypy, pyright, stubtest: tests/test_typing.py) check every Python
# version from one place: the newest of these interpreters (3.10 or later), whose virtualenv
# also gets tools/requirements-typing.txt.
typing_python=""
for minor in 9 10 11 12 13; do
    found=$(ls -d "$pyenv_root"/versions/3."$minor".*/bin/python3."$minor" 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$found" ] && command -v python3."$minor" >/dev/null; then
        found=$(command -v python3."$minor")
    fi
    if [ -n "$found" ]; then interpreters+=("$found"); else skipped+=("3.$minor"); fi
    if [ -n "$found" ] && [ "$minor" -ge 10 ]; then typing_python=$found; fi
done
if [ -z "$typing_python" ]; then
    skipped+=("the static type checks (they need CPython 3.10 or later)")
fi
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
    typing=0
    if [ "$python" = "$typing_python" ]; then
        echo "== Python $tag: installing the type checkers (tools/requirements-typing.txt)"
        "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$root/tools/requirements-typing.txt"
        typing=1
        tag="$tag (with the static type checks)"
    fi
    echo "== Python $tag: pytest"
    if ATOMICS_TYPING=$typing "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"; then
        passed+=("$tag")
    else
        failed+=("$tag")
    fi
done

echo "== passed on: ${passed[*]:-none}"
if [ ${#skipped[@]} -gt 0 ]; then
    echo "== SKIPPED (not on this machine): ${skipped[*]}"
fi
if [ ${#failed[@]} -gt 0 ]; then
    echo "== FAILED on: ${failed[*]}"
    exit 1
fi
