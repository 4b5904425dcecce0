#!/usr/bin/env bash
# The Rust and Python suites on aarch64 and i686 Linux, from this x86_64 machine.
#
# aarch64 runs under qemu-user (Debian trixie's, tools/cross-toolchain.sh):
# - the core crate's tests three times, under CPU models that lead to each 16-byte path:
#   cortex-a53 (Armv8.0: ldaxp/stlxp), neoverse-n1 (FEAT_LSE: caspal), max (FEAT_LSE and
#   FEAT_LSE2: caspal, ldp/stp); each run checks that the expected path was taken;
# - the whole Python suite on Debian's arm64 CPython 3.11 (tools/cross-sysroot.sh), with the
#   extension cross-built by maturin, under `-cpu max`; spawned children (multiprocessing,
#   subprocess) run under qemu through binfmt;
# - the Python tests of width 16 again under `-cpu cortex-a53` (those whose id names 16 or
#   sixteen, and every read-only mapping test): without FEAT_LSE2, read-only 16-byte views must
#   be refused, and the ldaxp/stlxp path serves every other operation.
# i686 runs on the x86_64 kernel itself (no emulator: it runs 32-bit x86 programs natively):
# - the core crate's tests (statically linked: the machine has no 32-bit loader of its own);
# - the whole Python suite on Debian's i386 CPython 3.11 with Debian's numpy.
#
# Under emulation the suite runs about ten times slower, so the property tests run fewer examples
# (ATOMICS_*_EXAMPLES below; every test still runs) and pytest runs two workers (pytest-xdist):
# one emulated process keeps one core busy, and the machine has two. The targets run side by
# side (the first one's output as it comes, the others' when they end). Emulated timings are
# not speed figures.
#
# Usage: tools/test-cross.sh [pytest arguments]
#   ATOMICS_CROSS_TARGETS  which to run (default "aarch64 i686")
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
targets=${ATOMICS_CROSS_TARGETS:-aarch64 i686}

qemu_dir=$(tools/cross-toolchain.sh)
export CARGO_TARGET_DIR=$root/target/cross   # the host's own builds stay untouched
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_I686_UNKNOWN_LINUX_GNU_LINKER=i686-linux-gnu-gcc
# Under emulation: fewer property-test examples and steps, fewer chaos workers (every test
# still runs; the native runs keep the full counts), and two pytest workers
emulated_jobs=${ATOMICS_CROSS_JOBS:-2}
emulated=(ATOMICS_MODEL_EXAMPLES=5 ATOMICS_MODEL_STEPS=20 ATOMICS_ARRAY_EXAMPLES=3 ATOMICS_ARRAY_STEPS=15
          ATOMICS_FUZZ_EXAMPLES=40 ATOMICS_FUZZ_STEPS=30 ATOMICS_FUZZ_BURST=20 ATOMICS_CHAOS_WORKERS=2)
static_i686=(CARGO_TARGET_I686_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C target-feature=+crt-static"
             RUSTDOCFLAGS="-C target-feature=+crt-static")

# maturin in a virtualenv of its own, at the version the test requirements name
tools_venv=$root/.venv/cross-tools
maturin_req=$(grep -E '^maturin' tools/requirements-test.txt)
if [ ! -x "$tools_venv/bin/maturin" ]; then
    python3 -m venv "$tools_venv"
    "$tools_venv/bin/python" -m pip install -q --disable-pip-version-check "$maturin_req" >&2
fi

summary=$(mktemp -d)
trap 'rm -rf "$summary"' EXIT
step() {   # step NAME COMMAND...: runs one part in a subshell that stops at its first error;
           # its outcome goes to the summary of the current target ($part)
    local name=$1 start=$SECONDS status
    shift
    echo "== cross: $name"
    set +e
    (set -e; "$@")
    status=$?
    set -e
    if [ $status -eq 0 ]; then
        echo "passed: $name: $((SECONDS - start)) s" >>"$summary/$part"
    else
        echo "FAILED: $name" >>"$summary/$part"
    fi
}

lint() {   # what the host's clippy never compiles: arch/aarch64.rs, and 32-bit code paths
    local target
    for target in aarch64-unknown-linux-gnu i686-unknown-linux-gnu; do
        cargo clippy -q -p atomics-core --all-targets --target "$target" -- -D warnings
    done
}

core_aarch64() {   # core_aarch64 CPU EXPECTED-PATH
    env QEMU_CPU="$1" ATOMICS_EXPECT_AARCH64="$2" QEMU_LD_PREFIX=/usr/aarch64-linux-gnu \
        CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="$qemu_dir/qemu-aarch64" \
        cargo test -q -p atomics-core --profile dev-release --target aarch64-unknown-linux-gnu
}

core_i686() {
    env "${static_i686[@]}" cargo test -q -p atomics-core --profile dev-release --target i686-unknown-linux-gnu
}

# python_build TARGET DEBIAN-ARCH PYPI-PLATFORM: the test requirements and the package with
# its extension, cross-built, in .venv/cross-TARGET
python_build() {
    local target=$1 arch=$2 platform=$3
    local sysroot venv=$root/.venv/cross-$target
    sysroot=$(tools/cross-sysroot.sh "$arch")
    mkdir -p "$venv"

    # Test requirements for the target, installed by this machine's pip, and pytest-xdist;
    # numpy from the sysroot where PyPI has none for the target.
    local reqs=$venv/requirements.txt
    { grep -v -E '^maturin' tools/requirements-test.txt; echo "pytest-xdist>=3"; } >"$reqs.new"
    if [ "$arch" = i386 ]; then sed -i '/^numpy/d' "$reqs.new"; fi
    if ! cmp -s "$reqs.new" "$venv/deps/.requirements"; then
        rm -rf "$venv/deps"
        python3 -m pip install -q --disable-pip-version-check --target "$venv/deps" --only-binary=:all: \
            --implementation cp --python-version 3.11 --platform "$platform" -r "$reqs.new" >&2
        cp "$reqs.new" "$venv/deps/.requirements"
    fi

    # The extension, cross-built against the sysroot's CPython, with the package beside it
    rm -rf "$venv/wheel" "$venv/pkg"
    env PYO3_CROSS_LIB_DIR="$sysroot/usr/lib/python3.11" PYO3_CROSS_PYTHON_VERSION=3.11 \
        "$tools_venv/bin/maturin" build -q --profile dev-release --target "$target-unknown-linux-gnu" \
        -i python3.11 --compatibility linux --out "$venv/wheel" >&2
    "$tools_venv/bin/python" -m zipfile -e "$venv"/wheel/*.whl "$venv/pkg"
}

# python_run TARGET DEBIAN-ARCH QEMU-CPU [pytest arguments]: pytest on the target's CPython
python_run() {
    local target=$1 arch=$2 cpu=$3
    shift 3
    local sysroot python venv=$root/.venv/cross-$target
    sysroot=$(tools/cross-sysroot.sh "$arch")
    python=$sysroot/usr/bin/python3.11
    local run=(env PYTHONPATH="$venv/pkg:$venv/deps" CARGO_BUILD_TARGET="$target-unknown-linux-gnu")
    local workers=()
    if [ "$target" = aarch64 ]; then
        run+=(QEMU_LD_PREFIX="$sysroot" QEMU_CPU="$cpu" CC=aarch64-linux-gnu-gcc "${emulated[@]}")
        workers=(-n "$emulated_jobs")
    else
        run+=("${static_i686[@]}" CC="i686-linux-gnu-gcc -static")
    fi
    "${run[@]}" "$python" - <<'PY'
import platform, struct, atomics
try:
    atomics.atomic(width=16, atype=atomics.UINT)
    sixteen = "lock-free"
except atomics.exc.UnsupportedWidthException:
    sixteen = "refused"
print(f"atomics on {platform.machine()} ({8 * struct.calcsize('P')}-bit), width 16 {sixteen}")
PY
    "${run[@]}" "$python" -m pytest -q -p no:cacheprovider "${workers[@]}" "$@"
}

python_suite() {   # python_suite TARGET DEBIAN-ARCH PYPI-PLATFORM QEMU-CPU [pytest arguments]
    python_build "$1" "$2" "$3"
    python_run "$1" "$2" "${@:4}"
}

# The Python tests of width 16 (read-only views, every operation, arrays): those of these files
# whose id names 16 or sixteen, and every read-only mapping and read-only array test
sixteen_tests=(tests/test_views.py tests/test_readonly_mapping.py tests/test_api.py
               tests/test_arrays.py::test_read_only_arrays_load_but_refuse_every_write
               tests/test_arrays.py::test_width16_integers_in_bulk tests/test_arrays.py::test_threads_store_at_never_tear_width16
               -k "16 or sixteen or readonly_mapping or read_only_arrays")

target_steps() {   # target_steps TARGET [pytest arguments]: every part of one target, in order
    local target=$1
    shift
    case $target in
        aarch64)
            step "Rust aarch64 cortex-a53 (ldaxp/stlxp)" core_aarch64 cortex-a53 "cas=ldaxp/stlxp load/store=cas"
            step "Rust aarch64 neoverse-n1 (caspal)" core_aarch64 neoverse-n1 "cas=caspal load/store=cas"
            step "Rust aarch64 max (caspal, ldp/stp)" core_aarch64 max "cas=caspal load/store=ldp/stp"
            step "Python 3.11 aarch64 (qemu -cpu max)" python_suite aarch64 arm64 manylinux_2_28_aarch64 max "$@"
            step "Python 3.11 aarch64, width 16 (qemu -cpu cortex-a53)" \
                python_run aarch64 arm64 cortex-a53 "${sixteen_tests[@]}"
            ;;
        i686)
            step "Rust i686" core_i686
            step "Python 3.11 i686" python_suite i686 i386 manylinux2014_i686 native "$@"
            ;;
    esac
}

for target in $targets; do
    case $target in
        aarch64 | i686) ;;
        *) echo "test-cross: unknown target $target (aarch64, i686)" >&2; exit 2 ;;
    esac
done

part=lint
step "clippy for aarch64 and i686" lint
# The first target in the foreground; the others beside it, each into a log shown when it ends
first=""
background=()
for target in $targets; do
    if [ -z "$first" ]; then first=$target; continue; fi
    echo "== cross: $target runs beside $first (its output follows when it ends)"
    (part=$target; target_steps "$target" "$@") >"$summary/$target.log" 2>&1 &
    background+=("$target:$!")
done
if [ -n "$first" ]; then (part=$first; target_steps "$first" "$@"); fi
for job in "${background[@]}"; do
    wait "${job#*:}" || true
    echo "== cross: the output of ${job%%:*}"
    cat "$summary/${job%%:*}.log"
done

echo "== cross:"
failed=0
for part in lint $targets; do
    if [ -s "$summary/$part" ]; then sed 's/^/   /' "$summary/$part"; else echo "   FAILED: $part (no outcome)"; failed=1; fi
    if grep -q "^FAILED" "$summary/$part" 2>/dev/null; then failed=1; fi
done
if [ $failed -ne 0 ]; then
    echo "== cross FAILED"
    exit 1
fi
