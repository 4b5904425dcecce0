#!/usr/bin/env bash
# Every test: the Rust crates, then the Python suite on every interpreter of the list below,
# with the static type checks on the newest of pyenv's (3.10 or later).
# Interpreters that the machine only may have (pyenv's) are skipped with a visible message when
# absent; the others are set up once per machine and cached outside the checkout. A failure
# anywhere fails.
#
# Usage: tools/test.sh [pytest arguments]
#   ATOMICS_PYTHONS="3.14 3.13t"     only these interpreters of the list
#   ATOMICS_SKIP_FREE_THREADED=1     leave out 3.13t (its first build takes about 5 minutes)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Every build below starts cold (each interpreter's configuration of PyO3 rebuilds the
# extension; a fresh checkout has no target directory), where incremental compilation only
# adds the cost of saving its state: the extension alone built in 59-65 s without it, against
# 108-110 s with it (dev-release, CPython 3.12).
# `make dev`, the edit loop, keeps it.
export CARGO_INCREMENTAL=0

# The interpreters of the Python suite (where each comes from: tools/find-python.sh)
PYTHONS="3.9 3.10 3.11 3.12 3.13 3.14 3.15 3.13t"

# Free-threaded builds that cannot be had here: the binding is type-checked for them (PyO3's
# configuration of such an interpreter, as a cross build would have it).
TYPE_CHECKED="
3.14t
3.15t
"

echo "== Rust: cargo test (core crate, doctests included), clippy, rustfmt, rustdoc"
cargo test -q -p atomics-core --release
cargo clippy -q --workspace --all-targets -- -D warnings
cargo fmt --check
RUSTDOCFLAGS="-D warnings" cargo doc -q -p atomics-core --no-deps

for name in $TYPE_CHECKED; do
    echo "== Rust: clippy of the binding for free-threaded CPython $name (type-checked only)"
    dir=$root/target/check-$name
    mkdir -p "$dir"
    printf 'implementation=CPython\nversion=%s\nbuild_flags=Py_GIL_DISABLED\npointer_width=64\n' \
        "${name%t}" >"$dir/pyo3-config.txt"
    PYO3_CONFIG_FILE=$dir/pyo3-config.txt CARGO_TARGET_DIR=$dir \
        cargo clippy -q -p atomics-py --all-targets -- -D warnings
done

# ---- Windows and macOS, from this machine: tools/test-windows-macos.sh (wine, cross-checks) ----
if [ "${ATOMICS_SKIP_WINDOWS_MACOS:-0}" = 1 ]; then
    echo "== SKIPPED: Windows and macOS (ATOMICS_SKIP_WINDOWS_MACOS=1)"
else
    "$root"/tools/test-windows-macos.sh
fi
# ------------------------------------------------------------------------------------------------

interpreters=()
skipped=()
# The static type checks (mypy, pyright, stubtest: tests/test_typing.py) check every Python
# version from one place: the newest of pyenv's interpreters (3.10 to 3.13: tools/find-python.sh),
# whose virtualenv also gets tools/requirements-typing.txt.
typing_python=""
for name in $PYTHONS; do
    if [ -n "${ATOMICS_PYTHONS:-}" ] && [[ " $ATOMICS_PYTHONS " != *" $name "* ]]; then
        continue
    fi
    if [ "$name" = 3.13t ] && [ "${ATOMICS_SKIP_FREE_THREADED:-0}" = 1 ]; then
        skipped+=("$name (ATOMICS_SKIP_FREE_THREADED=1)")
        continue
    fi
    found=$(tools/find-python.sh "$name" </dev/null)
    if [ -n "$found" ]; then interpreters+=("$found"); else skipped+=("$name"); fi
    case $name in 3.10 | 3.11 | 3.12 | 3.13) [ -z "$found" ] || typing_python=$found ;; esac
done
if [ -z "$typing_python" ]; then
    skipped+=("the static type checks (they need pyenv's CPython 3.10 or later)")
fi

passed=()
failed=()
# Other CPUs, beside the native suites below (each of which keeps one core busy, of two): both
# suites on Linux aarch64 under qemu-user and on i686 as 32-bit programs (tools/test-cross.sh,
# which sets itself up; ATOMICS_SKIP_CROSS=1 skips them, visibly). Their output is shown at the
# end.
cross_log=$root/target/test-cross.log
cross_pid=""
if [ "${ATOMICS_SKIP_CROSS:-0}" = 1 ]; then
    skipped+=("aarch64 and i686 (ATOMICS_SKIP_CROSS=1)")
else
    mkdir -p "$root/target"
    echo "== aarch64 and i686 (tools/test-cross.sh): running beside the native suites, into $cross_log"
    setsid "$root"/tools/test-cross.sh "$@" >"$cross_log" 2>&1 </dev/null &
    cross_pid=$!
    # stopped with everything it started if this script ends early
    trap 'kill -- -"$cross_pid" 2>/dev/null || true' EXIT
fi

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

if [ -n "$cross_pid" ]; then
    echo "== aarch64 and i686: waiting for tools/test-cross.sh; its output:"
    if wait "$cross_pid"; then passed+=("aarch64 i686"); else failed+=("aarch64/i686"); fi
    trap - EXIT
    cat "$cross_log"
fi

echo "== passed on: ${passed[*]:-none}"
echo "== type-checked only (binding, free-threaded): $(echo $TYPE_CHECKED)"
if [ ${#skipped[@]} -gt 0 ]; then
    echo "== SKIPPED (not on this machine): ${skipped[*]}"
fi
if [ ${#failed[@]} -gt 0 ]; then
    echo "== FAILED on: ${failed[*]}"
    exit 1
fi
