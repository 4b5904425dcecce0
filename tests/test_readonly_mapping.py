"""A read-only mapping used through a read-only view never faults and is never written.

The memory is an ``mmap`` of a temporary file that the kernel maps without write permission
(``prot=PROT_READ``, shared and private, and ``access=ACCESS_READ``): a single write through
it, even an atomic read-modify-write that would store the same value back (a
``lock cmpxchg`` always writes), would kill the process with SIGSEGV. For every width (1, 2,
4, 8, 16) and every atype, at the start, in the middle and at the very end of the mapping:
the view is read-only; ``load`` and ``bit_test`` (and ``wait``/``notify``, which only read)
work and agree with the file; every operation that writes raises
``UnsupportedOperationException``; and afterwards the mapping and the file are byte for byte
what they were.

Width 16 needs a true 16-byte load (AVX on Intel and AMD, README): without it a read-only
16-byte view is refused with ``UnsupportedWidthException(readonly=True)``, never emulated with
a compare-exchange (which would write). The same checks also run in a child process, so that
a fault shows as the child's death by a signal rather than as a crashed test session.
"""

import math
import mmap
import os
import random
import signal
import struct
import subprocess
import sys
import tempfile

import pytest

import atomics
from atomics import OpType
from atomics.exc import UnsupportedOperationException, UnsupportedWidthException

from _cpu import LOAD16  # whether a read-only 16-byte view is possible, from the CPU

PAGE = mmap.PAGESIZE
SIZE = 2 * PAGE

MAPPINGS = {
    "PROT_READ, MAP_SHARED": lambda fd: mmap.mmap(fd, SIZE, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ),
    "PROT_READ, MAP_PRIVATE": lambda fd: mmap.mmap(fd, SIZE, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ),
    "ACCESS_READ": lambda fd: mmap.mmap(fd, SIZE, access=mmap.ACCESS_READ),
}
if not hasattr(mmap, "PROT_READ"):  # Windows: access= only
    MAPPINGS = {"ACCESS_READ": MAPPINGS["ACCESS_READ"]}

ATYPES = {"INT": atomics.INT, "UINT": atomics.UINT, "BYTES": atomics.BYTES, "FLOAT": atomics.FLOAT}


def cases():
    for width in (1, 2, 4, 8, 16):
        for name in ATYPES:
            if name == "FLOAT" and width not in (4, 8):
                continue
            yield width, name


def writers(view, width, family):
    """Every operation of the view's family that writes, with valid arguments."""
    if family == "bytes":
        value, other = bytes(range(1, width + 1)), bytes(width)
    elif family == "float":
        value, other = 1.5, 0.0
    else:
        value, other = 1, 0
    calls = [("store", (value,)), ("exchange", (value,)), ("cmpxchg_weak", (view.load(), value)),
             ("cmpxchg_strong", (view.load(), value)), ("cmpxchg_strong", (other, value)),
             ("update", (lambda v: v,))]
    if family == "float":
        calls += [(name, (value,)) for name in ("fetch_add", "fetch_sub", "fetch_max", "fetch_min")]
        return calls
    calls += [(name, (0,)) for name in ("bit_test_compl", "bit_test_set", "bit_test_reset")]
    calls += [(name, (value,)) for name in ("bin_or", "bin_xor", "bin_and", "bin_fetch_or", "bin_fetch_xor",
                                            "bin_fetch_and")]
    calls += [("bin_not", ()), ("bin_fetch_not", ())]
    if family == "int":
        calls += [(name, (1,)) for name in ("add", "sub", "fetch_add", "fetch_sub", "fetch_max", "fetch_min",
                                            "add_fetch", "sub_fetch", "checked_fetch_add", "checked_fetch_sub")]
        calls += [(name, ()) for name in ("inc", "dec", "neg", "fetch_inc", "fetch_dec", "fetch_neg",
                                          "inc_fetch", "dec_fetch")]
    return calls


def decode(raw, name):
    if name == "BYTES":
        return raw
    if name == "FLOAT":
        return struct.unpack("=f" if len(raw) == 4 else "=d", raw)[0]
    return int.from_bytes(raw, sys.byteorder, signed=name == "INT")


def same(a, b):
    if isinstance(b, float):
        return struct.pack("=d", a) == struct.pack("=d", b) or (math.isnan(a) and math.isnan(b))
    return a == b


def check_mapping(mapping_name, width, name, seed=0):
    """The whole check for one mapping kind, width and atype; returns how many operations were
    refused."""
    rng = random.Random(seed * 1000 + width)
    content = rng.randbytes(SIZE)
    refused = 0
    with tempfile.TemporaryFile() as f:
        f.write(content)
        f.flush()
        m = MAPPINGS[mapping_name](f.fileno())
        try:
            for offset in (0, width, PAGE - width, PAGE, SIZE - width):
                window = memoryview(m)[offset:offset + width]
                try:
                    if width == 16 and not LOAD16:
                        with pytest.raises(UnsupportedWidthException) as info:
                            atomics.atomicview(window, ATYPES[name])
                        assert info.value.readonly is True
                        continue
                    raw = content[offset:offset + width]
                    with atomics.atomicview(window, ATYPES[name]) as view:
                        family = "float" if name == "FLOAT" else "bytes" if name == "BYTES" else "int"
                        assert view.readonly is True and view.width == width
                        want_ops = [OpType.LOAD] if family == "float" else [OpType.LOAD, OpType.BIT_TEST]
                        assert view.ops_supported == want_ops
                        assert same(view.load(), decode(raw, name))
                        for order in (atomics.MemoryOrder.RELAXED, atomics.MemoryOrder.ACQUIRE,
                                      atomics.MemoryOrder.SEQ_CST):
                            assert same(view.load(order), decode(raw, name))
                        if family != "float":
                            bits = int.from_bytes(raw, sys.byteorder)
                            for index in range(8 * width):
                                assert view.bit_test(index) is bool((bits >> index) & 1)
                        if width <= 8:  # wait and notify only read the memory
                            assert view.wait(view.load(), timeout=0) is False
                            view.notify_one()
                            view.notify_all()
                        else:
                            with pytest.raises(NotImplementedError):
                                view.wait(view.load(), timeout=0)
                        for method, args in writers(view, width, family):
                            with pytest.raises(UnsupportedOperationException) as info:
                                getattr(view, method)(*args)
                            assert info.value.readonly is True, (method, info.value)
                            refused += 1
                        assert same(view.load(), decode(raw, name))
                finally:
                    window.release()
            assert m[:] == content, "the read-only mapping changed"
        finally:
            m.close()
        f.seek(0)
        assert f.read() == content, "the file changed"
    return refused


@pytest.mark.parametrize("mapping_name", list(MAPPINGS))
@pytest.mark.parametrize("width, name", list(cases()))
def test_a_read_only_mapping_is_read_and_never_written(mapping_name, width, name):
    check_mapping(mapping_name, width, name)


@pytest.mark.skipif(not hasattr(mmap, "PROT_READ"), reason="a POSIX mapping and its SIGSEGV")
def test_writes_through_the_mapping_would_fault():
    """The premise: these mappings are really read-only (a plain write faults), so the test
    above would notice a write."""
    pytest.importorskip("numpy")  # to learn the mapping's address
    code = (
        "import ctypes, mmap, tempfile, numpy\n"
        "f = tempfile.TemporaryFile(); f.write(bytes(4096)); f.flush()\n"
        "m = mmap.mmap(f.fileno(), 4096, prot=mmap.PROT_READ)\n"
        "ctypes.memset(numpy.frombuffer(m, dtype=numpy.uint8).ctypes.data, 1, 1)\n"
        "print('written')\n"
    )
    # A generous limit: importing numpy under emulation (qemu) on a busy machine took over 60 s.
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == -signal.SIGSEGV, (done.returncode, done.stdout, done.stderr)


def test_no_width_and_no_atype_faults_in_a_child_process():
    """Everything above once more, in a child: a fault would be its death by a signal."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import test_readonly_mapping as t\n"
        "n = sum(t.check_mapping(m, w, a, seed=1) for m in t.MAPPINGS for w, a in t.cases())\n"
        "print(n)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, os.path.dirname(__file__)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, f"child died ({done.returncode}): {done.stderr[-2000:]}"
    assert int(done.stdout.split()[-1]) > 500  # every writer was refused, on every width and mapping
