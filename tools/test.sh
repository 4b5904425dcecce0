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

# The interpreters of the Python suite, one a line: name, then where it comes from:
#   pyenv           the newest 3.X.* under `pyenv root` (else python3.X on PATH), if present
#   debian          Debian forky's packages, extracted into the cache (tools/debian-python.sh)
#   free-threaded   built from source into the cache (tools/free-threaded-python.sh)
PYTHONS="
3.9   pyenv
3.10  pyenv
3.11  pyenv
3.12  pyenv
3.13  pyenv
3.14  debian
3.15  debian
3.13t free-threaded
"

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

find_python() {   # NAME SOURCE: prints the interpreter's path, or nothing when absent
    local name=$1 source=$2
    case $source in
        pyenv)
            local pyenv_root found
            pyenv_root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
            found=$(ls -d "$pyenv_root"/versions/"$name".*/bin/python"$name" 2>/dev/null | sort -V | tail -n 1 || true)
            if [ -z "$found" ] && command -v python"$name" >/dev/null; then
                found=$(command -v python"$name")
            fi
            echo "$found" ;;
        debian) "$root"/tools/debian-python.sh "$name" ;;
        free-threaded) "$root"/tools/free-threaded-python.sh ;;
        *) echo "tools/test.sh: unknown source '$source' for $name" >&2; return 1 ;;
    esac
}


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
# version from one place: the newest of pyenv's interpreters (3.10 or later), whose virtualenv
# also gets tools/requirements-typing.txt.
typing_python=""
while read -r name source; do
    [ -n "$name" ] || continue
    if [ -n "${ATOMICS_PYTHONS:-}" ] && [[ " $ATOMICS_PYTHONS " != *" $name "* ]]; then
        continue
    fi
    if [ "$source" = free-threaded ] && [ "${ATOMICS_SKIP_FREE_THREADED:-0}" = 1 ]; then
        skipped+=("$name (ATOMICS_SKIP_FREE_THREADED=1)")
        continue
    fi
    found=$(find_python "$name" "$source" </dev/null)
    if [ -n "$found" ]; then interpreters+=("$found"); else skipped+=("$name"); fi
    if [ -n "$found" ] && [ "$source" = pyenv ] && [ "${name#3.}" -ge 10 ]; then typing_python=$found; fi
done <<<"$PYTHONS"
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
