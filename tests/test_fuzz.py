"""Hostile-input fuzzer of the Python surface: it is never wrong and it never crashes.

A Hypothesis state machine keeps a handful of live *targets* -- atomics over private memory,
atomics in named shared memory (one per segment, several in one layout, a segment attached
twice, pickled copies), views of bytearrays, anonymous mmaps and numpy arrays, read-only views
of bytes, ``memoryview.toreadonly()`` and file mmaps opened ``ACCESS_READ`` or ``PROT_READ``,
copies, and objects that were never initialised -- and calls every method on them with
arguments drawn from pools that mix valid values with hostile ones: wrong types, huge and
negative ints, bools, floats, None, bytes of the wrong length, strided and released buffers,
invalid memory orders (ints outside {0, 2, 3, 4, 5}, strings, floats), ``__index__`` methods
that raise, return junk, release the memory or call back into the same atomic, too many or
unknown arguments, ``update(fn)`` with functions that raise, return junk, release the memory
or write to the atomic themselves, and descriptors of one class called on objects of another.
Integer (INT, UINT, INTEGRAL), BYTES, FLOAT and ANY atomics and views are fuzzed, with every
documented operation (atomics 1.0's, fetch_max/min, the new-value forms, checked arithmetic,
update, wait/notify). Between calls
it releases contexts, closes segments, drops objects, tries to resize or close pinned buffers
and builds views and segments from hostile buffers, sizes, names and forged headers.

It keeps arrays of atomics too (``atomics.array`` over private memory and with
``shared=True``, ``arrayview`` of bytearrays, numpy arrays and mmaps with guard bytes around the
viewed region and of read-only buffers, ``SharedSegment.array`` at offsets, copies, unpickled
copies, ``attach_array``, never-initialised arrays, and ``a.element(i)`` objects, which join
the atomics above) and calls on them: every per-element operation with valid and hostile
element indices (negative, huge, numpy, ``__index__`` that raises, returns junk or releases
the array), ``a[i]``, ``a[i] = v``, ``del a[i]``, iteration, the attributes, and the bulk
operations (``load_all`` with good and bad ``out``: wrong size, read-only, released, strided,
overlapping the array, or next to it in the same buffer; ``store_all`` and every ``*_at``
with indices and values as lists, tuples, ranges, iterators, generators, ``array.array``,
bytes and numpy arrays of every dtype -- float, bool, object, big-endian, strided --, wrong
lengths, values out of range, items whose ``__index__`` raises, releases the array or
operates on it, and generators that raise, release the array or operate on it mid-iteration),
``release()`` and ``with`` while copies and elements share the memory, and hostile
``array``/``arrayview``/``seg.array``/``attach_array`` constructions. An array's model is one
bit pattern per element, shared with its element objects; bulk float arithmetic may apply
the values of a repeated index in any order (docs/arrays.md), so the model accepts the result
of any order. After every array call the whole array is compared with the model, and the bytes
around it.

The property of every call: it either succeeds with exactly the result of the reference model
shared with the property tests (``_model``: a value of ``width`` bytes held as its bit
pattern; floats compared bit for bit, with the two cases IEEE leaves open -- the sign of
max(0.0, -0.0) and which NaN comes out of an operation on two NaNs -- accepted either way),
or it raises one of the exceptions that the documentation names for what is wrong with the
call (TypeError, ValueError, OverflowError, BufferError, AttributeError for a method the family lacks,
``atomics.exc.*``, NotImplementedError for wait on width 16, FileNotFoundError/OSError for
segment names, and whatever a hostile ``__index__`` raises) -- and then memory is unchanged.
After every step: every live target's ``load()`` equals the model; every byte around a view's
region (guard bytes in a larger buffer) and every byte of a segment outside its atomics (read
through an independent read-only mmap of the ``/dev/shm`` file) is unchanged; read-only memory
never changes; a pinned buffer refuses to resize or close (BufferError) and a released one
accepts; and no segment name outlives what owns it. The interpreter never crashes (a crash
fails the run).

Nothing the implementation computes is trusted: the expected outcome of each call is derived
from the arguments by the predictor (``_fuzz/calls.py``, ``_fuzz/array_calls.py``), before the
call, from the documentation. The state machine is in ``_fuzz/``: ``machine.py`` and one mixin
of rules per subject.

Short run by default (a few seconds per interpreter). Long runs:
``ATOMICS_FUZZ_EXAMPLES`` (state machine runs), ``ATOMICS_FUZZ_STEPS`` (steps per run),
``ATOMICS_FUZZ_BURST`` (calls per burst step); ``ATOMICS_FUZZ_REPORT=path`` writes the
figures as JSON (``make fuzz`` does all of that).
"""

import json
import re
import signal
import sys
import time

import pytest
from hypothesis.stateful import run_state_machine_as_test

import atomics
from atomics.exc import UnsupportedWidthException
from atomics.shared import SharedSegment

from _fuzz.machine import FuzzMachine
from _fuzz.run import BURST, COUNTS, EXAMPLES, RAISED, REPORT, SETTINGS, STEPS, remove_kept


class WaitHang(BaseException):
    """Raised by SIGALRM in a wait() that blocks although it was given a short timeout."""


def _hang(signum, frame):
    raise WaitHang("a wait() with a short timeout blocked for 10 s")


@pytest.fixture(scope="module", autouse=True)
def report(request):
    previous = signal.signal(signal.SIGALRM, _hang)
    start = time.monotonic()
    yield
    signal.signal(signal.SIGALRM, previous)
    remove_kept()
    elapsed = time.monotonic() - start
    figures = {
        "calls": COUNTS["calls"],
        "method calls": COUNTS["method calls"],
        "array calls": COUNTS["array calls"],
        "array method calls (per element and bulk)": COUNTS["array method calls"],
        "array bulk calls": COUNTS["array bulk calls"],
        "succeeded (matched the model)": COUNTS["succeeded"],
        "raised (documented)": COUNTS["raised"],
        "raised by type": dict(RAISED.most_common()),
        "nested calls from hostile arguments": COUNTS["nested calls"],
        "memory released during a call": COUNTS["releases"],
        "targets made": COUNTS["targets"],
        "array targets made": COUNTS["array targets"],
        "element objects made by a.element(i)": COUNTS["element objects"],
        "array memory released during a call": COUNTS["array released mid-call"],
        "load_all into a buffer next to the array": COUNTS["load_all next to the array"],
        "float bulk results reached in another order": COUNTS["float bulk results in another order"],
        "pin checks": COUNTS["pin checks"],
        "forged segments": COUNTS["forged segments"],
        "attaches under a racing header": COUNTS["attaches under a racing header"],
        "forks with a sleeper or a releaser": COUNTS["forks with a sleeper or a releaser"],
        "foreign-format buffers (objects, pointers, other numbers)": COUNTS["foreign-format buffers"],
        "model checks": COUNTS["model checks"],
        "garbage collections needed": COUNTS["gc needed"],
        "seconds": round(elapsed, 1),
        "python": sys.version.split()[0] + ("t" if not getattr(sys, "_is_gil_enabled", lambda: True)() else ""),
        "settings": {"examples": EXAMPLES, "steps": STEPS, "burst": BURST},
    }
    line = (f"fuzz: {figures['calls']} calls ({figures['method calls']} method calls: "
            f"{figures['succeeded (matched the model)']} matched the model, {figures['raised (documented)']} "
            f"raised documented exceptions; {figures['array calls']} calls on arrays) in {elapsed:.1f} s")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)
    if REPORT:
        with open(REPORT, "w") as f:
            json.dump(figures, f, indent=2)


def test_fuzz_the_python_surface():
    run_state_machine_as_test(FuzzMachine, settings=SETTINGS)


@pytest.mark.parametrize("shared", [False, True])
def test_shared_or_not_atomic_checks_keywords_the_same_way(shared):
    """Found by this fuzzer: with shared=True a missing keyword raised KeyError and an unknown
    one was ignored."""
    cases = [(atomics.INTEGRAL, {}, "missing 1 required keyword-only argument: 'is_signed'"),
             (atomics.INTEGRAL, {"is_signed": True, "bogus": 1}, "unexpected keyword argument 'bogus'"),
             (atomics.ANY, {"is_signed": True}, "missing 1 required keyword-only argument: 'is_integral'"),
             (atomics.ANY, {"is_integral": True, "is_signed": True, "bogus": 1}, "unexpected keyword argument 'bogus'")]
    for atype, kwargs, message in cases:
        with pytest.raises(TypeError, match=re.escape(message)):
            atomics.atomic(8, atype, shared=shared, **kwargs)
    assert atomics.atomic(8, atomics.INTEGRAL, shared=shared, is_signed=True).fetch_sub(1) == 0
    assert atomics.atomic(8, atomics.INT, shared=shared, is_signed=False).signed  # ignored, as in atomics 1.0
    if shared:  # and SharedSegment.atomic the same way
        seg = SharedSegment.create(8)
        for atype, kwargs, message in cases:
            with pytest.raises(TypeError, match=re.escape(message)):
                seg.atomic(0, 8, atype, **kwargs)
        seg.close()


def test_a_float_view_of_the_wrong_width_is_refused_at_once_and_pins_nothing():
    """Found by this fuzzer: atomicview(buffer, FLOAT) with a buffer of 2 bytes was refused only
    by __enter__, which left the context open and the buffer pinned."""
    for size in (1, 2, 16):
        buf = bytearray(size)
        with pytest.raises(UnsupportedWidthException):
            atomics.atomicview(buf, atomics.FLOAT)
        buf.append(0)  # nothing pinned
    buf = bytearray(8)
    ctx = atomics.atomicview(buf, atomics.FLOAT)
    with ctx as v:
        assert v.width == 8
    buf.append(0)
