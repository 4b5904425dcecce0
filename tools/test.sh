#!/usr/bin/env bash
# Every test: the Rust crates, then the Python suite on every interpreter of the list below,
# with the static type checks on the newest of pyenv's (3.10 or later), and both on aarch64 and
# i686 (tools/test-cross.sh), two at a time.
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

# Two workers share the native Python suites (tools/test-suites.sh takes them one by one from a
# queue, written below once the interpreters are known). The second runs the aarch64 and i686
# suites first (tools/test-cross.sh, which sets itself up, into $queue/cross.log, shown at the
# end; ATOMICS_SKIP_CROSS=1 skips them, visibly), from the start, beside the Rust part. Each
# native suite keeps one core busy, as does each emulated one; the machine has two.
queue=$root/target/test-queue
rm -rf "$queue"
mkdir -p "$queue"
echo 0 >"$queue/next"
skipped=()
if [ "${ATOMICS_SKIP_CROSS:-0}" = 1 ]; then
    skipped+=("aarch64 and i686 (ATOMICS_SKIP_CROSS=1)")
    setsid "$root"/tools/test-suites.sh "$queue" "$@" </dev/null &
else
    echo "== aarch64 and i686 (tools/test-cross.sh): running beside the rest, into $queue/cross.log"
    setsid bash -c '"$1"/tools/test-cross.sh "${@:3}" >"$2/cross.log" 2>&1; echo $? >"$2/cross.status"
                    exec "$1"/tools/test-suites.sh "$2" "${@:3}"' _ "$root" "$queue" "$@" </dev/null &
fi
second=$!
# stopped with everything it started if this script ends early
trap 'kill -- -"$second" 2>/dev/null || true' EXIT

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

# The interpreters of the queue ("NAME PATH" lines)
# The static type checks (mypy, pyright, stubtest: tests/test_typing.py) check every Python
# version from one place: the newest of pyenv's interpreters (3.10 to 3.13: tools/find-python.sh),
# whose virtualenv also gets tools/requirements-typing.txt.
typing_name=""
for name in $PYTHONS; do
    if [ -n "${ATOMICS_PYTHONS:-}" ] && [[ " $ATOMICS_PYTHONS " != *" $name "* ]]; then
        continue
    fi
    if [ "$name" = 3.13t ] && [ "${ATOMICS_SKIP_FREE_THREADED:-0}" = 1 ]; then
        skipped+=("$name (ATOMICS_SKIP_FREE_THREADED=1)")
        continue
    fi
    found=$(tools/find-python.sh "$name" </dev/null)
    if [ -n "$found" ]; then echo "$name $found" >>"$queue/interpreters"; else skipped+=("$name"); fi
    case $name in 3.10 | 3.11 | 3.12 | 3.13) [ -z "$found" ] || typing_name=$name ;; esac
done
if [ -z "$typing_name" ]; then
    skipped+=("the static type checks (they need pyenv's CPython 3.10 or later)")
fi
echo "$typing_name" >"$queue/typing"
touch "$queue/interpreters" "$queue/ready"
echo "== the native Python suites: $(cut -d' ' -f1 "$queue/interpreters" | tr '\n' ' ')(two at a time once aarch64 and i686 are done)"
"$root"/tools/test-suites.sh "$queue" "$@"
wait "$second" || true
trap - EXIT

passed=()
failed=()
n=0
while read -r name _; do   # each suite's outcome, in the order of the list
    outcome=FAILED
    [ ! -e "$queue/$n.status" ] || read -r outcome name <"$queue/$n.status"
    if [ "$outcome" = passed ]; then passed+=("$name"); else failed+=("$name"); fi
    n=$((n + 1))
done <"$queue/interpreters"
if [ "${ATOMICS_SKIP_CROSS:-0}" != 1 ]; then
    echo "== aarch64 and i686 (tools/test-cross.sh): its output"
    cat "$queue/cross.log"
    if [ "$(cat "$queue/cross.status" 2>/dev/null)" = 0 ]; then passed+=("aarch64 i686"); else failed+=("aarch64/i686"); fi
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
