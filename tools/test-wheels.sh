#!/usr/bin/env bash
# `make test-wheels`: the wheels of dist/ (`make wheels`), installed as a user installs them,
# pass the suite with no compiler present; the sdist builds offline.
#
#   x86_64   every x86_64 manylinux wheel of a CPython this machine has (tools/find-python.sh):
#            a fresh virtualenv of that interpreter, the test requirements from PyPI, the wheel
#            installed by pip (which checks its tags against the interpreter), then the whole
#            suite against the installed package (tools/run-installed-suite.py: a copy of
#            tests/ away from the source tree, no Rust toolchain or C compiler on PATH);
#   aarch64  the cp311 aarch64 manylinux wheel the same way, on Debian's arm64 CPython 3.11
#            under qemu-user (tools/cross-sysroot.sh, tools/cross-toolchain.sh: binfmt, so that
#            spawned children run too), with the property tests' counts lowered as for the
#            other emulated runs;
#   i686     the cp311 i686 manylinux wheel on Debian's i386 CPython 3.11, which this x86_64
#            kernel runs natively (numpy from Debian: PyPI has none for it);
#   musl     the cp313 x86_64 musllinux wheel on a musl CPython 3.13 (tools/musl-python.sh);
#   sdist    the sdist built into a wheel by pip with no network: inside a network namespace
#            of its own (`unshare -n`, only a loopback that is down), pip with --no-index and
#            the build backend (maturin) from a local wheelhouse, cargo with its crates vendored
#            beforehand from the sdist's own Cargo.lock and a CARGO_HOME of its own; the wheel
#            built is installed and imported, and a part of the suite run against it.
# Off-machine interpreters install their test requirements from wheels that this machine's pip
# downloads for their platform; their own pip installs them (--no-index) and the wheel.
# Free-threaded wheels (3.14t, 3.15t) are built only: no such interpreter can be had here.
#
# Usage: tools/test-wheels.sh [pytest arguments]
#   ATOMICS_TEST_WHEELS   which parts (default "x86_64 aarch64 i686 musl sdist")
#   ATOMICS_WHEEL_PYTHONS which x86_64 CPythons (default: every one with a wheel in dist/)
#   ATOMICS_DIST          where the wheels and the sdist are (default dist)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
parts=${ATOMICS_TEST_WHEELS:-x86_64 aarch64 i686 musl sdist}
dist=${ATOMICS_DIST:-dist}
started=$SECONDS

tools=$(tools/wheel-tools.sh)
wheelhouse=$tools/wheelhouse
mkdir -p "$root/target"
work=$(mktemp -d "$root/target/test-wheels.XXXXXX")   # virtualenvs and downloads of this run
trap 'rm -rf "$work"' EXIT
requirements=$work/requirements.txt
grep -vE '^maturin' tools/requirements-test.txt >"$requirements"   # the wheel replaces maturin
pip_opts=(-q --disable-pip-version-check)
# Under emulation Python runs 10-30 times slower: fewer property-test examples and steps and
# fewer chaos workers (every test still runs), as in the other emulated runs
emulated=(ATOMICS_MODEL_EXAMPLES=5 ATOMICS_MODEL_STEPS=20 ATOMICS_ARRAY_EXAMPLES=3 ATOMICS_ARRAY_STEPS=15
          ATOMICS_FUZZ_EXAMPLES=5 ATOMICS_FUZZ_STEPS=20 ATOMICS_FUZZ_BURST=15 ATOMICS_CHAOS_WORKERS=2)

wheel_for() {   # PYTHON-TAG PLATFORM-GLOB: the one wheel of dist/ for them, or nothing
    ls "$dist"/atomics-*-"$1"-"$1"-$2.whl 2>/dev/null | head -n 1 || true
}

passed=()
failed=()
skipped=()
step() {   # step NAME COMMAND...: runs one part in a subshell that stops at its first error
    local name=$1 start=$SECONDS status
    shift
    echo "== [$((SECONDS - started)) s] test-wheels: $name"
    set +e
    (set -e; "$@")
    status=$?
    set -e
    if [ $status -eq 0 ]; then passed+=("$name: $((SECONDS - start)) s"); else failed+=("$name"); fi
}

# native_wheel PYTHON WHEEL [pytest arguments]: a fresh virtualenv of PYTHON, the requirements
# from PyPI, the wheel, the suite
native_wheel() {
    local python=$1 wheel=$2 venv
    shift 2
    venv=$work/venv-$(basename "$wheel" .whl)
    tools/make-venv.sh "$python" "$venv"
    "$venv/bin/python" -m pip install "${pip_opts[@]}" --prefer-binary -r "$requirements"
    "$venv/bin/python" -m pip install "${pip_opts[@]}" --no-index --no-deps "$wheel"
    "$venv/bin/python" tools/run-installed-suite.py "$@"
    rm -rf "$venv"
}

# foreign_wheel PYTHON WHEEL VERSION "PLATFORMS" REQUIREMENTS [VENV-OPTION] -- [pytest arguments]:
# the same for an interpreter of another platform (or another C library): its virtualenv gets
# pip from the wheelhouse, and the requirements from wheels downloaded here for PLATFORMS
foreign_wheel() {
    local python=$1 wheel=$2 version=$3 platforms=$4 reqs=$5 venv_options=() venv deps p pip_wheel
    shift 5
    while [ "$1" != -- ]; do venv_options+=("$1"); shift; done
    shift
    venv=$work/venv-$(basename "$wheel" .whl)
    deps=$venv-deps
    local platform_opts=()
    for p in $platforms; do platform_opts+=(--platform "$p"); done
    python3 -m pip download "${pip_opts[@]}" --only-binary=:all: --implementation cp \
        --python-version "$version" "${platform_opts[@]}" -r "$reqs" -d "$deps"
    "$python" -m venv --without-pip "${venv_options[@]}" "$venv"
    pip_wheel=$(ls "$wheelhouse"/pip-*.whl | head -n 1)
    "$venv/bin/python" "$pip_wheel/pip" install "${pip_opts[@]}" --no-index "$pip_wheel"
    "$venv/bin/python" -m pip install "${pip_opts[@]}" --no-index --find-links "$deps" -r "$reqs"
    "$venv/bin/python" -m pip install "${pip_opts[@]}" --no-index --no-deps "$wheel"
    "$venv/bin/python" tools/run-installed-suite.py "$@"
    rm -rf "$venv" "$deps"
}

aarch64_wheel() {
    local wheel=$1 qemu_dir sysroot
    shift
    qemu_dir=$(tools/cross-toolchain.sh)   # binfmt for aarch64 programs, and their children
    sysroot=$(tools/cross-sysroot.sh arm64)
    echo "   qemu: $qemu_dir/qemu-aarch64 -cpu max; CPython: $sysroot/usr/bin/python3.11"
    export QEMU_LD_PREFIX=$sysroot QEMU_CPU=max
    export "${emulated[@]}"
    foreign_wheel "$sysroot/usr/bin/python3.11" "$wheel" 3.11 \
        "manylinux_2_17_aarch64 manylinux2014_aarch64 manylinux_2_28_aarch64" "$requirements" -- "$@"
}

i686_wheel() {
    local wheel=$1 sysroot reqs=$work/requirements-i686.txt
    shift
    tools/cross-toolchain.sh >/dev/null   # checks that this kernel runs 32-bit x86 programs
    sysroot=$(tools/cross-sysroot.sh i386)
    echo "   CPython: $sysroot/usr/bin/python3.11 (32-bit, native), numpy from Debian"
    # numpy: Debian's, seen through the system site-packages (PyPI has no 32-bit Linux numpy)
    grep -v '^numpy' "$requirements" >"$reqs"
    foreign_wheel "$sysroot/usr/bin/python3.11" "$wheel" 3.11 "manylinux_2_17_i686 manylinux2014_i686" \
        "$reqs" --system-site-packages -- "$@"
}

musl_wheel() {
    local wheel=$1 python
    shift
    python=$(tools/musl-python.sh)
    echo "   CPython: $python (musl $("$(dirname "$python")"/../musl/lib/libc.so 2>&1 | sed -n 's/^Version //p'))"
    foreign_wheel "$python" "$wheel" 3.13 "musllinux_1_2_x86_64 musllinux_1_1_x86_64" "$requirements" -- "$@"
}

sdist_offline() {
    local sdist=$1 python src venv cargo_home=$work/cargo-home namespace=(unshare --net)
    shift
    python=$(tools/find-python.sh 3.11 </dev/null || true)
    [ -n "$python" ] || python=$(command -v python3)
    venv=$work/venv-sdist
    tools/make-venv.sh "$python" "$venv"
    "$venv/bin/python" -m pip install "${pip_opts[@]}" --prefer-binary -r "$requirements"
    # Online, beforehand: the crates of the sdist's own Cargo.lock, vendored
    src=$work/sdist-src
    mkdir -p "$src" "$cargo_home" && tar -xzf "$sdist" -C "$src" --strip-components=1
    cargo vendor --locked --manifest-path "$src/Cargo.toml" "$work/vendor" >"$cargo_home/config.toml" 2>/dev/null
    printf '\n[net]\noffline = true\n' >>"$cargo_home/config.toml"
    if ! unshare --net true 2>/dev/null; then
        echo "   no network namespace can be made here: offline by configuration only (pip --no-index, cargo offline)"
        namespace=(env)
    else
        "${namespace[@]}" "$venv/bin/python" -c 'import socket; socket.create_connection(("pypi.org", 443), timeout=5)' \
            2>/dev/null && { echo "   a network namespace of its own still reaches the network" >&2; return 1; }
        echo "   in a network namespace of its own (pypi.org cannot be reached there)"
    fi
    # Offline: pip builds the sdist (the build backend from the wheelhouse), cargo from the
    # vendored crates
    "${namespace[@]}" env CARGO_HOME="$cargo_home" CARGO_NET_OFFLINE=true \
        PATH="$(dirname "$(command -v cargo)"):$PATH" \
        "$venv/bin/python" -m pip wheel "${pip_opts[@]}" --no-index --find-links "$wheelhouse" --no-deps \
        --wheel-dir "$work/from-sdist" "$sdist"
    local built
    built=$(ls "$work"/from-sdist/atomics-*.whl)
    echo "   built offline: $(basename "$built")"
    "$venv/bin/python" -m pip install "${pip_opts[@]}" --no-index --no-deps "$built"
    "$venv/bin/python" tools/run-installed-suite.py tests/test_package.py tests/test_atomic_factory.py tests/test_atomic_objects.py tests/test_readme.py tests/test_stubs.py "$@"
    rm -rf "$venv" "$src" "$work/vendor" "$cargo_home"
}

for part in $parts; do
    case $part in
        x86_64)
            wheels=$(ls "$dist"/atomics-*-manylinux*_x86_64.whl 2>/dev/null | sort -V || true)
            [ -n "$wheels" ] || failed+=("x86_64: no x86_64 manylinux wheel in $dist (make wheels)")
            for wheel in $wheels; do
                tag=$(basename "$wheel" | cut -d- -f4)     # cp311, cp314t
                name=3.${tag#cp3}
                if [ -n "${ATOMICS_WHEEL_PYTHONS:-}" ] && [[ " $ATOMICS_WHEEL_PYTHONS " != *" $name "* ]]; then
                    continue
                fi
                if [[ $name == *t ]]; then
                    skipped+=("$name (built only: no free-threaded $name interpreter here)")
                    continue
                fi
                python=$(tools/find-python.sh "$name" </dev/null || true)
                if [ -z "$python" ]; then skipped+=("$name (no interpreter on this machine)"); continue; fi
                step "CPython $name x86_64 manylinux, installed" native_wheel "$python" "$wheel" "$@"
            done ;;
        aarch64)
            wheel=$(wheel_for cp311 'manylinux*_aarch64')
            if [ -z "$wheel" ]; then failed+=("aarch64: no cp311 aarch64 manylinux wheel in $dist"); continue; fi
            step "CPython 3.11 aarch64 manylinux, installed, under qemu" aarch64_wheel "$wheel" "$@" ;;
        i686)
            wheel=$(wheel_for cp311 'manylinux*_i686')
            if [ -z "$wheel" ]; then failed+=("i686: no cp311 i686 manylinux wheel in $dist"); continue; fi
            step "CPython 3.11 i686 manylinux, installed" i686_wheel "$wheel" "$@" ;;
        musl)
            wheel=$(wheel_for cp313 'musllinux_*_x86_64')
            if [ -z "$wheel" ]; then failed+=("musl: no cp313 x86_64 musllinux wheel in $dist"); continue; fi
            step "CPython 3.13 x86_64 musllinux, installed, on musl" musl_wheel "$wheel" "$@" ;;
        sdist)
            sdist=$(ls "$dist"/atomics-*.tar.gz 2>/dev/null | head -n 1 || true)
            if [ -z "$sdist" ]; then failed+=("sdist: no sdist in $dist"); continue; fi
            step "sdist built offline, installed" sdist_offline "$sdist" ;;
        *) echo "test-wheels: unknown part $part (x86_64, aarch64, i686, musl, sdist)" >&2; exit 2 ;;
    esac
done

echo "== test-wheels passed:"
printf '   %s\n' "${passed[@]:-none}"
if [ ${#skipped[@]} -gt 0 ]; then
    echo "== test-wheels SKIPPED: ${skipped[*]}"
fi
if [ ${#failed[@]} -gt 0 ]; then
    echo "== test-wheels FAILED: ${failed[*]}"
    exit 1
fi
