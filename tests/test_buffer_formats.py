"""Which buffers atomics may view or fill, by the format of their items (docs/arrays.md,
"Which buffers"): raw bytes always; integer atomics native integers of their width and
signedness; float atomics native floats of their width; bytes atomics any plain numbers;
nobody Python objects, pointers or structures. A refused buffer raises TypeError and is
left exactly as it was.

The crash reproducers (writing integers over a buffer of object pointers) run in a child
process, so that a regression fails a test instead of killing the run.
"""

import array
import ctypes
import subprocess
import sys
import textwrap

import pytest

import atomics

np = pytest.importorskip("numpy")

FOREIGN = ">" if sys.byteorder == "little" else "<"
NATIVE = "<" if sys.byteorder == "little" else ">"


def run_child(code):
    """Runs `code` in a fresh interpreter with a deadline: (exit code, stdout, stderr)."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout, done.stderr


def test_buffers_of_python_objects_are_never_written():
    """The reproducers of a crash: integers stored over a numpy object array, a ctypes
    py_object array, or loaded into an object array, corrupted CPython's objects."""
    code, out, err = run_child("""
        import ctypes
        import numpy as np
        import atomics

        def refused(make):
            try:
                make()
            except TypeError as e:
                assert "cannot hold" in str(e), e
                return "refused"
            return "accepted"

        def view_store(buf, atype):
            with atomics.atomicview(buf, atype) as v:
                v.store(0x41414141)

        def arrayview_store(buf, atype):
            with atomics.arrayview(buf, atype) as a:
                a.store(0, 0x10)

        objs = np.array([None], dtype=object)
        print(refused(lambda: view_store(objs, atomics.INT)), objs[0])
        arr = atomics.array(2, 8, atomics.INT)
        arr.store_all([0x41414141, 1])
        out = np.empty(2, dtype=object)
        print(refused(lambda: arr.load_all(out=out)), out.tolist())
        c = (ctypes.py_object * 2)(None, None)
        print(refused(lambda: arrayview_store(c, atomics.UINT)), c[0], c[1])
        pair = np.array([None, None], object)
        print(refused(lambda: atomics.arrayview(pair, atomics.INT).add_at([0])), pair.tolist())
        print(refused(lambda: atomics.atomicview(objs, atomics.BYTES)), objs[0])
        p = (ctypes.c_void_p * 1)()
        print(refused(lambda: view_store(p, atomics.UINT)), p[0])
    """)
    assert code == 0, err
    assert out.splitlines() == [
        "refused None",
        "refused [None, None]",
        "refused None None",
        "refused [None, None]",
        "refused None",
        "refused None",
    ]


@pytest.mark.parametrize("make, atype", [
    (lambda: np.zeros(4, FOREIGN + "i8"), atomics.INT),
    (lambda: np.zeros(4, FOREIGN + "u4"), atomics.UINT),
    (lambda: np.array([1.5, 2.5]), atomics.INT),
    (lambda: np.zeros(2, np.float32), atomics.UINT),
    (lambda: np.zeros(2, np.uint64), atomics.INT),
    (lambda: np.zeros(2, np.int64), atomics.UINT),
    (lambda: np.zeros(2, np.int64), atomics.FLOAT),
    (lambda: np.zeros(2, FOREIGN + "f8"), atomics.FLOAT),
    (lambda: np.zeros(2, np.bool_), atomics.UINT),
    (lambda: np.zeros(2, np.complex64), atomics.FLOAT),
    (lambda: np.zeros(2, [("a", "i4"), ("b", "i4")]), atomics.INT),
    (lambda: (ctypes.c_double * 2)(), atomics.INT),
])
def test_other_numbers_are_not_reinterpreted(make, atype):
    buf = make()
    if ctypes.addressof(ctypes.c_char.from_buffer(buf)) % memoryview(buf).itemsize:
        pytest.skip("misaligned for its items (ctypes aligns a double to 4 bytes on i686)")
    before = bytes(memoryview(buf).cast("B"))
    with pytest.raises(TypeError, match=r"cannot hold .* atomics of width \d+: it must hold raw bytes"):
        atomics.arrayview(buf, atype)
    with pytest.raises(TypeError, match="cannot hold"):
        atomics.atomicview(memoryview(buf)[:1], atype)
    assert bytes(memoryview(buf).cast("B")) == before


def test_the_message_says_what_was_given_and_what_is_needed():
    with pytest.raises(TypeError) as e:
        atomics.arrayview(np.zeros(4, FOREIGN + "i8"), atomics.INT)
    assert str(e.value) == (
        f"a buffer of format '{FOREIGN}q' cannot hold signed integer atomics of width 8: it must hold raw "
        "bytes (format 'B') or native signed integers of 8 bytes"
    )
    a = atomics.array(2, 4, atomics.FLOAT)
    out = np.empty(1, np.int64)
    with pytest.raises(TypeError) as e:
        a.load_all(out=out)
    assert str(e.value) == (
        f"'out' of format '{memoryview(out).format}' cannot hold float atomics of width 4: it must hold raw "
        "bytes (format 'B') or native floats of 4 bytes"
    )


@pytest.mark.parametrize("make, atype, width", [
    (lambda: np.zeros(4, np.int64), atomics.INT, 8),
    (lambda: np.zeros(4, NATIVE + "i8"), atomics.INT, 8),
    (lambda: np.zeros(4, np.uint16), atomics.UINT, 2),
    (lambda: np.zeros(4, np.float32), atomics.FLOAT, 4),
    (lambda: np.zeros(4, np.float64), atomics.FLOAT, 8),
    (lambda: (ctypes.c_int64 * 4)(), atomics.INT, 8),
    (lambda: (ctypes.c_uint32 * 4)(), atomics.UINT, 4),
    (lambda: (ctypes.c_double * 4)(), atomics.FLOAT, 8),
    (lambda: array.array("q", [0] * 4), atomics.INT, 8),
    (lambda: bytearray(32), atomics.UINT, 1),
    (lambda: np.zeros(32, np.int8), atomics.INT, 1),
    (lambda: np.zeros(32, np.uint8), atomics.FLOAT, 1),  # raw bytes: any family; width 1 is no float
    (lambda: np.zeros(4, FOREIGN + "i8"), atomics.BYTES, 8),  # bytes are bytes in any order
    (lambda: np.zeros(4, np.float64), atomics.BYTES, 8),
    (lambda: np.zeros(2, np.complex128), atomics.BYTES, 16),
])
def test_raw_bytes_and_the_familys_own_numbers_are_accepted(make, atype, width):
    buf = make()
    if atype is atomics.FLOAT and width == 1:
        with atomics.arrayview(buf, atype, width=8) as a:  # raw bytes, 8 at a time
            a.add_at([0], 1.5)
            assert a[0] == 1.5
        return
    try:
        a = atomics.arrayview(buf, atype)
    except atomics.exc.UnsupportedWidthException:
        pytest.skip("no 16-byte atomics on this CPU")
    with a:
        assert a.width == width
        a.store(1, a.load(0))


def test_load_all_fills_raw_bytes_or_the_arrays_own_numbers():
    a = atomics.array(3, 8, atomics.UINT)
    a.store_all([1, 2, 3])
    assert a.load_all(out=np.empty(3, np.uint64)).tolist() == [1, 2, 3]
    assert a.load_all(out=np.empty(24, np.uint8)).view(np.uint64).tolist() == [1, 2, 3]
    for bad in (np.empty(3, np.int64), np.empty(3, np.float64), np.empty(3, FOREIGN + "u8"), np.empty(3, object)):
        before = bytes(memoryview(bad).cast("B"))
        with pytest.raises(TypeError, match="'out' of format"):
            a.load_all(out=bad)
        assert bytes(memoryview(bad).cast("B")) == before
