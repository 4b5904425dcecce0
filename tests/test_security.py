"""Security of named shared memory and read-only memory, beyond tests/test_shared.py (which
checks mode 0600, fresh short names, and attaching with the wrong width or type, to a missing
name or to a foreign segment):

- segments are created with O_CREAT | O_EXCL (never an existing file), mode 0600 and
  O_CLOEXEC, and attached with O_NOFOLLOW, as the system calls show (strace), and no file
  descriptor is left open;
- names are unguessable: 11 characters from a 32-letter alphabet (55 bits), uniformly
  distributed, never repeated;
- a segment tag cannot smuggle a path into a name;
- attaching to anything that is not exactly a segment of the documented layout (forged
  headers, a file longer or shorter than its header says, an empty file, a FIFO, a directory,
  a symbolic link) is refused with a ValueError that names it, without hanging or following
  the link, and nothing is written to it;
- attaching refuses, with a PermissionError naming the segment and why, a segment that belongs
  to another user or that the group or others may open (another user could otherwise plant a
  segment under a name a process is about to attach to, share its values and truncate it);
- a writer flipping a segment's header while processes attach never makes attaching panic: the
  header checked when mapping is the one used;
- a forked child never removes its parent's names;
- nothing ever writes through read-only memory: a read-only view over ``bytes`` (CPython's
  cached one-byte objects included) refuses every writer, ``update(fn)`` included, and leaves
  the bytes as they were.
"""

import collections
import gc
import os
import pickle
import re
import shutil
import struct
import subprocess
import sys
import tempfile

import pytest

import atomics
from atomics.shared import SharedSegment, attach

SHM = "/dev/shm"
TAG = os.environ.get("ATOMICS_SEGMENT_TAG", "")
ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"

pytestmark = pytest.mark.skipif(not os.path.isdir(SHM), reason="POSIX shared memory in /dev/shm (Linux)")


def header(version=1, header_size=64, data_size=8, width=8, kind=1, magic=b"atomics\0"):
    return magic + struct.pack("=IIQII", version, header_size, data_size, width, kind) + bytes(32)


def forge(tmp_name, data):
    """A file in /dev/shm, made the way an attacker with the same uid could."""
    path = os.path.join(SHM, tmp_name)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    return path


def open_fds():
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_creation_uses_o_excl_mode_0600_and_o_cloexec():
    code = (
        "import atomics\n"
        "a = atomics.atomic(8, atomics.INT, shared=True)\n"
        "seg = atomics.shared.SharedSegment.create(64)\n"
        "b = atomics.shared.attach(a.shared_name)\n"
        "print(a.shared_name, seg.name)\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "strace.log")
        done = subprocess.run(["strace", "-f", "-e", "trace=open,openat", "-o", log, sys.executable, "-c", code],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        names = done.stdout.split()
        calls = [line for line in open(log) if any(n.lstrip("/") in line for n in names)]
    creates = [c for c in calls if "O_CREAT" in c]
    assert len(creates) == 2, calls
    for call in creates:
        assert "O_EXCL" in call and "O_RDWR" in call and "O_CLOEXEC" in call, call
        assert re.search(r",\s*0600\)\s*=\s*\d+", call), call  # mode 0600, and it succeeded
    attaches = [c for c in calls if "O_CREAT" not in c]
    assert attaches and all("O_CLOEXEC" in c and "O_NOFOLLOW" in c and "O_TRUNC" not in c for c in attaches), attaches


def test_no_file_descriptor_is_left_open():
    gc.collect()
    before = open_fds()
    keep = []
    for _ in range(50):
        a = atomics.atomic(8, atomics.UINT, shared=True)
        b = attach(a.shared_name)
        seg = SharedSegment.create(128)
        keep.append((a, b, seg, SharedSegment.attach(seg.name)))
    assert open_fds() == before  # a mapping needs no descriptor once made
    for a, b, seg, again in keep:
        seg.close()
        again.close()
    del keep, a, b
    gc.collect()
    assert open_fds() == before


def test_names_are_unguessable():
    names = []
    for _ in range(1500):
        seg = SharedSegment.create(1)
        names.append(seg.name)
        seg.close()
    prefix = "/atomics_" + TAG
    suffixes = [n[len(prefix):] for n in names]
    assert all(n.startswith(prefix) for n in names)
    assert all(len(s) == 11 and set(s) <= set(ALPHABET) for s in suffixes), suffixes[:5]
    assert len(set(names)) == len(names), "a name repeated"
    # every position uniform over the 32 letters (chi-square, 31 degrees of freedom: the
    # 1e-6 quantile is about 90); a counter or a clock would fail this at once
    expected = len(suffixes) / 32
    for position in range(11):
        counts = collections.Counter(s[position] for s in suffixes)
        chi2 = sum((counts.get(c, 0) - expected) ** 2 / expected for c in ALPHABET)
        assert chi2 < 90, f"position {position} is not uniform: chi2 = {chi2:.0f}"
    # and consecutive names are unrelated (as many equal letters at a position as chance gives)
    same = sum(a[i] == b[i] for a, b in zip(suffixes, suffixes[1:]) for i in range(11))
    assert same < 11 * len(suffixes) / 32 * 1.5


@pytest.mark.parametrize("tag", ["../x", "a/b", "x" * 11, "UPPER", "sp ace", "dot."])
def test_a_segment_tag_cannot_put_a_path_in_a_name(tag):
    code = ("import atomics\n"
            "try:\n"
            "    atomics.atomic(8, atomics.INT, shared=True)\n"
            "except OSError as e:\n"
            "    print('refused', e)\n")
    env = dict(os.environ, ATOMICS_SEGMENT_TAG=tag)
    # where a segment named with this tag would land, path components and all; other tests
    # create segments meanwhile, so only names with exactly this prefix count
    parent, stem = os.path.split(os.path.join(SHM, "atomics_" + tag))

    def listing():
        return set(os.listdir(parent)) if os.path.isdir(parent) else set()

    before = listing()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("refused") and "invalid segment tag" in done.stdout, done.stdout
    assert not {n for n in listing() - before if n.startswith(stem)}


FORGED = {
    "wrong magic": header(magic=b"atomicz\0") + bytes(8),
    "layout version 2": header(version=2) + bytes(8),
    "header size 32": header(header_size=32) + bytes(8),
    "file longer than its header says": header(data_size=8) + bytes(4096),
    "file shorter than its header says": header(data_size=4096) + bytes(8),
    "data size that overflows": header(data_size=(1 << 64) - 1) + bytes(8),
    "unknown kind": header(kind=9) + bytes(8),
    "too short for a header": b"atomics\0" + bytes(10),
}


@pytest.mark.parametrize("case", list(FORGED))
def test_forged_segments_are_refused_and_never_written(case):
    name = f"atomics_{TAG}forged{os.getpid() % 100000}"
    path = forge(name, FORGED[case])
    try:
        for how in (lambda: attach("/" + name), lambda: attach("/" + name, 8, atomics.INT),
                    lambda: SharedSegment.attach("/" + name)):
            with pytest.raises(ValueError, match=re.escape(f"/{name} is not an atomics segment")):
                how()
        with open(path, "rb") as f:
            assert f.read() == FORGED[case]
    finally:
        os.unlink(path)


def test_a_header_that_lies_about_the_atomic_is_refused():
    """A well-formed layout whose single-atomic header names a width its kind does not have, or
    one that does not fit in the data: attach() refuses it with a ValueError naming it, and
    nothing is mapped past the end."""
    for width, kind, data_size in ((16, 1, 8), (3, 1, 8), (0, 1, 8), (2, 4, 8), (16, 4, 16)):
        name = f"atomics_{TAG}liar{width}"
        path = forge(name, header(width=width, kind=kind, data_size=data_size) + bytes(data_size))
        try:
            for how in (lambda: attach("/" + name), lambda: attach("/" + name, width, atomics.INT)):
                with pytest.raises(ValueError, match=re.escape(f"/{name} is not an atomics segment: width {width}")):
                    how()
            seg = SharedSegment.attach("/" + name)  # the layout itself is well-formed
            assert seg.size == data_size
            with pytest.raises(ValueError, match="does not fit"):
                seg.atomic(data_size, 8, atomics.INT)
            seg.close()
        finally:
            os.unlink(path)


def test_things_that_are_not_files_are_refused_without_hanging():
    empty = f"atomics_{TAG}empty"
    fifo = f"atomics_{TAG}fifo"
    directory = f"atomics_{TAG}dir"
    forge(empty, b"")
    os.mkfifo(os.path.join(SHM, fifo), 0o600)
    os.mkdir(os.path.join(SHM, directory), 0o700)
    try:
        for name, why in ((empty, "too small for a header"), (fifo, "a FIFO"), (directory, "a directory")):
            for how in (lambda: attach("/" + name), lambda: SharedSegment.attach("/" + name)):
                with pytest.raises(ValueError, match=re.escape(f"/{name} is not an atomics segment: {why}")):
                    how()
    finally:
        os.unlink(os.path.join(SHM, empty))
        os.unlink(os.path.join(SHM, fifo))
        os.rmdir(os.path.join(SHM, directory))


def test_attaching_does_not_follow_a_symbolic_link(tmp_path):
    """Another local user can put a symbolic link in /dev/shm (sticky, world-writable) under a
    name a program will attach to; where fs.protected_symlinks is 0 it would be followed to a
    file of the victim's. Attaching refuses it (O_NOFOLLOW), as shm_open does."""
    target = tmp_path / "victim"
    content = header(data_size=8, width=8, kind=2) + bytes(8)
    target.write_bytes(content)
    name = f"/atomics_{TAG}symlink"
    link = os.path.join(SHM, name[1:])
    os.symlink(target, link)
    try:
        for how in (lambda: attach(name), lambda: attach(name, 8, atomics.UINT), lambda: SharedSegment.attach(name)):
            with pytest.raises(ValueError, match=re.escape(f"{name} is not an atomics segment: a symbolic link")):
                how()
        assert target.read_bytes() == content
    finally:
        os.unlink(link)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o660, 0o604, 0o606, 0o602, 0o620, 0o700], ids=lambda m: f"{m:04o}")
def test_a_segment_other_users_may_open_is_refused(mode):
    name = f"atomics_{TAG}" + f"mode{mode:o}".ljust(11, "x")  # as long as the library's names
    path = forge(name, header() + bytes(8))
    os.chmod(path, mode)  # past the umask
    # A child unpickling an atomic whose name another user took over after the creator let go.
    real = atomics.atomic(8, atomics.INT, shared=True)
    planted = pickle.dumps(real).replace(real.shared_name.encode(), f"/{name}".encode())
    try:
        if mode & 0o077 == 0:
            assert attach("/" + name).load() == 0  # 0600 and stricter are this user's alone
            assert pickle.loads(planted).load() == 0
        else:
            why = f"refusing segment /{name}: its mode {mode:04o} lets other users open it (a segment must be 0600)"
            for how in (lambda: attach("/" + name), lambda: attach("/" + name, 8, atomics.INT),
                        lambda: SharedSegment.attach("/" + name), lambda: pickle.loads(planted)):
                with pytest.raises(PermissionError, match=re.escape(f"shared-memory segment /{name}: {why}")):
                    how()
    finally:
        os.unlink(path)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give a file away")
def test_a_segment_of_another_user_is_refused():
    name = f"atomics_{TAG}owner"
    path = forge(name, header() + bytes(8))
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fchown(fd, 65534, -1)  # nobody
        why = "it belongs to user 65534, not to this process's user 0"
        for how in (lambda: attach("/" + name), lambda: SharedSegment.attach("/" + name)):
            with pytest.raises(PermissionError, match=re.escape(f"refusing segment /{name}: {why}")):
                how()
    finally:
        os.close(fd)
        os.unlink(path)


RACING_WRITER = r"""
import mmap, os, sys, time
import atomics
from atomics.shared import SharedSegment, attach

a = atomics.atomic(8, atomics.INT, shared=True)
name = a.shared_name
with open("/dev/shm" + name, "r+b") as f:
    header = mmap.mmap(f.fileno(), 64)
seconds = float(sys.argv[1])
pid = os.fork()
if pid == 0:  # the writer: flips the magic and the data size as fast as it can
    end = time.monotonic() + seconds + 1
    while time.monotonic() < end:
        for _ in range(1000):
            header[0] ^= 1
            header[16] ^= 8
    os._exit(0)
opened = refused = 0
end = time.monotonic() + seconds
while time.monotonic() < end:
    for how in (attach, SharedSegment.attach):
        try:
            how(name)
            opened += 1
        except ValueError:  # a header caught mid-flip: refused, cleanly
            refused += 1
os.waitpid(pid, 0)
print(opened, refused)
"""


def test_a_writer_flipping_the_header_never_makes_attaching_panic():
    """Attaching checks a header read once; re-reading it (as `Segment::header` once did, with an
    `expect`) let a racing writer turn a check that passed into a Rust panic, which reached
    Python as `PanicException`, a BaseException (27 in 57,682 attaches). Run in a child with a
    timeout; any panic, crash or hang fails."""
    done = subprocess.run([sys.executable, "-c", RACING_WRITER, "4"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "PanicException" not in done.stderr and "panicked" not in done.stderr, done.stderr
    opened, refused = map(int, done.stdout.split())
    assert opened > 0 and refused > 0 and opened + refused > 20_000, (opened, refused)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_never_removes_its_parents_names():
    a = atomics.atomic(8, atomics.INT, shared=True)
    seg = SharedSegment.create(64)
    path_a = os.path.join(SHM, a.shared_name.lstrip("/"))
    path_seg = os.path.join(SHM, seg.name.lstrip("/"))
    pid = os.fork()
    if pid == 0:  # the child: drop and close everything, then exit normally (atexit runs)
        code = 0
        try:
            a.inc()
            seg.close()
            del_ok = True
        except BaseException:  # noqa: BLE001
            code, del_ok = 1, False
        import atexit

        atexit._run_exitfuncs()
        os._exit(code if del_ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert os.path.exists(path_a) and os.path.exists(path_seg), "a child removed its parent's name"
    assert a.load() == 1
    seg.close()
    assert not os.path.exists(path_seg)


def test_nothing_writes_through_a_read_only_bytes_buffer():
    one = b"\x00"  # CPython's cached one-byte object, shared by the whole interpreter
    cached = [bytes([i]) for i in range(256)]
    for width in (1, 2, 4, 8):
        data = bytes(range(0x41, 0x41 + width)) if width > 1 else one
        copy_ = bytes(bytearray(data))
        for atype in (atomics.INT, atomics.UINT, atomics.BYTES):
            with atomics.atomicview(data, atype) as view:
                assert view.readonly
                writers = ["store", "exchange", "bin_or", "bin_xor", "bin_and", "bin_fetch_or"]
                value = bytes(width) if atype is atomics.BYTES else 0
                for name in writers:
                    with pytest.raises(atomics.exc.UnsupportedOperationException):
                        getattr(view, name)(value)
                for name in ("cmpxchg_weak", "cmpxchg_strong"):
                    with pytest.raises(atomics.exc.UnsupportedOperationException):
                        getattr(view, name)(view.load(), value)
                for name in ("bit_test_set", "bit_test_reset", "bit_test_compl"):
                    with pytest.raises(atomics.exc.UnsupportedOperationException):
                        getattr(view, name)(0)
                with pytest.raises(atomics.exc.UnsupportedOperationException):
                    view.update(lambda v: v)
                if atype is not atomics.BYTES:
                    for name in ("inc", "fetch_add", "checked_fetch_add", "fetch_max"):
                        args = () if name == "inc" else (1,)
                        with pytest.raises(atomics.exc.UnsupportedOperationException):
                            getattr(view, name)(*args)
        assert data == copy_
    assert [bytes([i]) for i in range(256)] == cached and one == b"\x00"
