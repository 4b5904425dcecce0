"""Python, Rust and C programs share atomics in one shared-memory segment.

The Rust side is the example `crates/atomics-core/examples/shared_counter.rs` (built with
cargo in the workspace's target directory, cached between runs); the C side is
`tests/interop/counter.c` over `include/atomics_shm.h`, compiled here with the machine's C
compiler (``$CC`` if set, flags allowed, as for a cross compiler) into pytest's temporary
directory. Both take the same commands, so every test runs against both. Skipped, with the
reason, only when cargo or a C compiler is missing.
"""

import json
import os
import pathlib
import shlex
import shutil
import struct
import subprocess
import sys
import time
from multiprocessing import shared_memory

import pytest

import atomics
from atomics.shared import SharedSegment, attach, layout

ROOT = pathlib.Path(__file__).resolve().parent.parent
HEADER_DIR = ROOT / "include"
C_SOURCE = ROOT / "tests" / "interop" / "counter.c"
EXAMPLE = "shared_counter"
# shm_open before glibc 2.34; on Windows the random names and the security descriptors
LINK_RT = {"linux": ["-lrt"], "win32": ["-lbcrypt", "-ladvapi32"]}.get(sys.platform, [])
EXE = ".exe" if sys.platform == "win32" else ""
TIMEOUT = 60


def c_compiler():
    """The compiler command as a list: ``$CC``, else cc or gcc; None if there is none."""
    if os.environ.get("CC"):
        return shlex.split(os.environ["CC"])
    found = shutil.which("cc") or shutil.which("gcc")
    return [found] if found else None


@pytest.fixture(scope="module")
def rust_program():
    cargo = shutil.which("cargo")
    if cargo is None:
        pytest.skip("cargo is not on PATH: the Rust side of the interop tests needs a Rust toolchain")
    done = subprocess.run(
        [cargo, "build", "--release", "--example", EXAMPLE, "-p", "atomics-core",
         "--message-format=json-render-diagnostics"],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stderr
    for line in done.stdout.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message["target"]["name"] == EXAMPLE:
            if message.get("executable"):
                return message["executable"]
    raise AssertionError(f"cargo built no executable for the example {EXAMPLE}")


@pytest.fixture(scope="module")
def c_program(tmp_path_factory):
    cc = c_compiler()
    if cc is None:
        pytest.skip("no C compiler (cc or gcc) on PATH: the C side of the interop tests needs one")
    out = tmp_path_factory.mktemp("interop") / f"counter{EXE}"
    done = subprocess.run(
        [*cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-I", str(HEADER_DIR), str(C_SOURCE), "-o", str(out)] + LINK_RT,
        capture_output=True, text=True, timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    return str(out)


@pytest.fixture(params=["rust", "c"])
def program(request):
    """The path of the Rust or the C program (they take the same commands)."""
    return request.param, request.getfixturevalue(f"{request.param}_program")


def run(prog, *args):
    return subprocess.run([prog, *map(str, args)], capture_output=True, text=True, timeout=TIMEOUT)


def test_a_program_attaches_to_a_python_shared_atomic(program):
    _, prog = program
    counter = atomics.atomic(8, atomics.INT, shared=True)
    counter.store(-5)
    done = run(prog, "add", counter.shared_name, 7)
    assert (done.returncode, done.stdout, done.stderr) == (0, "-5\n", "")
    assert counter.load() == 2
    done = run(prog, "add", counter.shared_name, -(2**62))
    assert (done.returncode, done.stdout) == (0, "2\n")
    assert counter.load() == 2 - 2**62  # two's complement, native-endian, both ways


def raw_segment(header):
    """A shared-memory object that is not a valid atomics segment: `header`, then zeros."""
    shm = shared_memory.SharedMemory(create=True, size=len(header) + 8)
    shm.buf[:len(header)] = header
    return shm


def native_header(magic=b"atomics\0", version=1, header_size=64, data_size=8, width=8, kind=1):
    return struct.pack("=8sIIQII32x", magic, version, header_size, data_size, width, kind)


REFUSALS = {
    # case: (what is attached, what the Rust program says, what the C program says)
    "missing": ("cannot find the file" if sys.platform == "win32" else "No such file or directory",
                "No such file or directory"),
    "another width and kind": ("holds an UINT of width 4, not an INT of width 8", "another width or kind"),
    "a layout": ("holds a layout of several atomics", "another width or kind"),
    "wrong magic": ("is not an atomics segment: wrong magic", "not an atomics segment"),
    "another version": ("layout version 2", "another layout version"),
    "wrong data size": ("its data size does not match its length", "not an atomics segment"),
    "open to other users": ("its mode 0644 lets other users open it", "that other users may open"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_program_checks_the_header_before_using_a_segment(program, case):
    language, prog = program
    keep, raw = [], None
    if case == "missing":
        name = "/atomics_nosuchsegment"
    elif case == "another width and kind":
        keep.append(atomics.atomic(4, atomics.UINT, shared=True))
        name = keep[0].shared_name
    elif case == "a layout":
        keep.append(SharedSegment.create(64))
        name = keep[0].name
    elif sys.platform == "win32":
        pytest.skip("multiprocessing.shared_memory's mappings have Windows' default security, refused before the header")
    elif sys.platform == "darwin" and case == "wrong data size":
        pytest.skip("macOS rounds sizes up to pages: a data size within the last page cannot be told apart")
    else:
        header = {
            "wrong magic": native_header(magic=b"atomicz\0"),
            "another version": native_header(version=2),
            "wrong data size": native_header(data_size=16),
            "open to other users": native_header(),
        }[case]
        raw = raw_segment(header)
        name = "/" + raw.name.lstrip("/")
        if case == "open to other users":
            if not os.path.isdir("/dev/shm"):
                raw.close()
                raw.unlink()
                pytest.skip("changes a segment's mode through /dev/shm (Linux)")
            os.chmod("/dev/shm" + name, 0o644)
    try:
        done = run(prog, "add", name, 1)
    finally:
        if raw is not None:
            raw.close()
            raw.unlink()
    rust_says, c_says = REFUSALS[case]
    assert done.returncode == 1 and done.stdout == ""
    assert (rust_says if language == "rust" else c_says) in done.stderr


def test_python_attaches_to_a_segment_a_program_creates(program):
    _, prog = program
    proc = subprocess.Popen([prog, "create", "42"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        name = proc.stdout.readline().strip()
        assert name.startswith("/atomics_") and len(name) == 20, (name, proc.stderr.read())
        seg = SharedSegment.attach(name)
        assert (seg.width, seg.kind) == (8, "INT")
        with pytest.raises(ValueError, match="holds an INT of width 8"):
            attach(name, 8, atomics.UINT)
        shared = attach(name, 8, atomics.INT)
        assert shared.load() == 42
        assert shared.fetch_inc() == 42
        shared.notify_all()  # the program is (or will be) waiting for the change
        out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        proc.kill()
        proc.wait()
    assert (proc.returncode, out, err) == (0, "43\n", "")
    with pytest.raises(FileNotFoundError):  # the creator removed the name ...
        attach(name)
    shared.store(-1)  # ... and the mapping stays valid here
    assert shared.load() == -1


@pytest.mark.parametrize("width", [4, 8])
def test_python_waits_until_a_program_changes_the_value_and_notifies(program, width):
    _, prog = program
    value = atomics.atomic(width, atomics.INT, shared=True)
    delay_ms = 150
    proc = subprocess.Popen([prog, "notify", value.shared_name, "-123456", str(delay_ms)], stderr=subprocess.PIPE)
    try:
        start = time.monotonic()
        changed = value.wait(0, timeout=30)  # without the program's notify, this takes 30 s
        took = time.monotonic() - start
        _, err = proc.communicate(timeout=TIMEOUT)
    finally:
        proc.kill()
        proc.wait()
    assert (proc.returncode, err) == (0, b"")
    assert changed is True
    assert value.load() == -123456
    assert took < 10, f"woken after {took:.1f} s: the notify did not reach the waiter"


PYTHON_WORKER = """
import sys
import atomics
from atomics.shared import SharedSegment

seg = SharedSegment.attach(sys.argv[1])
counter, start, ready = seg.atomic(0, 8, atomics.INT), seg.atomic(64, 4, atomics.UINT), seg.atomic(128, 4, atomics.UINT)
ready.inc()
ready.notify_all()
while start.load() == 0:
    if not start.wait(0, timeout=60):
        sys.exit("no start signal within 60 s")
first = counter.fetch_inc()
for _ in range(int(sys.argv[2]) - 2):
    counter.inc()
print(first, counter.fetch_inc())  # how far the counter moved while this process counted
"""


def test_python_rust_and_c_processes_count_together_exactly(rust_program, c_program):
    offsets, size = layout([8, 4, 4], cache_line_padded=True)
    assert offsets == [0, 64, 128]  # the layout the programs use
    seg = SharedSegment.create(size)
    atypes = [atomics.INT, atomics.UINT, atomics.UINT]
    counter, start, ready = (seg.atomic(o, w, t) for o, w, t in zip(offsets, [8, 4, 4], atypes))
    python_n, native_n = 200_000, 2_000_000
    commands = (
        [[sys.executable, "-c", PYTHON_WORKER, seg.name, str(python_n)]] * 2
        + [[rust_program, "count", seg.name, str(native_n)]] * 2
        + [[c_program, "count", seg.name, str(native_n)]] * 2
    )
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in commands]
    try:
        deadline = time.monotonic() + TIMEOUT
        while (n := ready.load()) < len(procs):  # every process attached and waits for the start
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs if p.poll() is not None]
            assert time.monotonic() < deadline, f"only {n} of {len(procs)} processes became ready"
            ready.wait(n, timeout=0.5)
        start.store(1)
        start.notify_all()  # wakes Python's obj.wait, Rust's AtomicView::wait and atomics_shm_wait
        results = [(*p.communicate(timeout=TIMEOUT), p.returncode) for p in procs]
    finally:
        for p in procs:
            p.kill()
            p.wait()
    assert [(err, code) for _, err, code in results] == [("", 0)] * len(procs)
    assert counter.load() == 2 * python_n + 4 * native_n
    # They counted at the same time: while a Python worker counted, the others did too.
    spans = [[int(x) for x in out.split()] for out, _, _ in results[:2]]
    assert any(last - first > python_n for first, last in spans), spans
    seg.close()


CPP_PROGRAM = r"""
#include "atomics_shm.h"
#include <atomic>
#include <cstdint>
#include <cstdio>

int main(int argc, char **argv) {
    atomics_shm seg;
    int rc = atomics_shm_attach(argv[1], 8, ATOMICS_SHM_INT, &seg);
    if (rc != ATOMICS_SHM_OK) {
        std::fprintf(stderr, "%s\n", atomics_shm_strerror(rc));
        return 1;
    }
    auto *raw = static_cast<std::int64_t *>(seg.data);
#if defined(__cpp_lib_atomic_ref)
    std::atomic_ref<std::int64_t> ref(*raw);  // the portable way (C++20)
    static_assert(std::atomic_ref<std::int64_t>::is_always_lock_free);
    std::int64_t before = ref.fetch_add(10);
#else
    std::int64_t before = reinterpret_cast<std::atomic<std::int64_t> *>(raw)->fetch_add(10);
#endif
    // std::atomic<int64_t> over the same 8 bytes: lock-free, so the same size and alignment.
    static_assert(sizeof(std::atomic<std::int64_t>) == 8 && std::atomic<std::int64_t>::is_always_lock_free);
    auto *counter = reinterpret_cast<std::atomic<std::int64_t> *>(raw);
    counter->fetch_sub(1);
    atomics_shm_notify_all_in(&seg, raw);
    std::printf("%lld %lld\n", static_cast<long long>(before), static_cast<long long>(counter->load()));
    atomics_shm_close(&seg);
    return 0;
}
"""


def test_a_cpp_program_shares_a_python_counter_through_the_header(tmp_path):
    cxx = shutil.which("c++") or shutil.which("g++")
    if cxx is None:
        pytest.skip("no C++ compiler (c++ or g++) on PATH")
    source, exe = tmp_path / "counter.cpp", tmp_path / f"counter_cpp{EXE}"
    source.write_text(CPP_PROGRAM)
    std = "-std=c++20" if subprocess.run([cxx, "-std=c++20", "-E", "-x", "c++", os.devnull],
                                         capture_output=True).returncode == 0 else "-std=c++17"
    done = subprocess.run([cxx, std, "-O2", "-Wall", "-Wextra", "-I", str(HEADER_DIR), str(source), "-o", str(exe)]
                          + LINK_RT, capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    counter = atomics.atomic(8, atomics.INT, shared=True)
    counter.store(-3)
    done = run(exe, counter.shared_name)
    assert (done.returncode, done.stdout, done.stderr) == (0, "-3 6\n", "")
    assert counter.load() == 6
