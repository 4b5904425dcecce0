import gc
import os
import secrets
import sys
import threading

import pytest

import atomics

from _api import INTEGRAL_KINDS, WIDTHS, IAtom, int_range, make


# Every shared-memory segment this test session (and its child processes, which inherit the
# environment) creates is named /atomics_<tag>..., so that leak checks count only ours, even
# while other programs on the machine create segments.
SEGMENT_TAG = "t" + secrets.token_hex(3) + "_"
os.environ["ATOMICS_SEGMENT_TAG"] = SEGMENT_TAG


def our_segments():
    """Names in /dev/shm of the segments created by this test session."""
    prefix = "atomics_" + SEGMENT_TAG
    return {n for n in os.listdir("/dev/shm") if n.startswith(prefix)} if os.path.isdir("/dev/shm") else set()


def run_threads(target, n, *args):
    """Runs `target(i, *args)` in `n` threads started together; re-raises the first error."""
    errors = []
    barrier = threading.Barrier(n)

    def worker(i):
        try:
            barrier.wait()
            target(i, *args)
        except BaseException as e:  # re-raised below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


# The atomic() objects most tests of operations run on: every integral kind and width (ia),
# BYTES of every width (ba)
@pytest.fixture(params=[(k, w) for k in INTEGRAL_KINDS for w in WIDTHS], ids=lambda p: f"{p[0]}-{p[1]}")
def ia(request):
    kind, w = request.param
    signed = INTEGRAL_KINDS[kind]
    lo, hi = int_range(w, signed)
    return IAtom(make(kind, w), w, signed, lo, hi)


@pytest.fixture(params=WIDTHS, ids=lambda w: f"BYTES-{w}")
def ba(request):
    w = request.param
    return atomics.atomic(w, atomics.BYTES), w


@pytest.fixture(scope="module")
def no_segment_leaks():
    """No shared-memory segment made by a module's tests outlives them."""
    before = our_segments()
    yield
    gc.collect()
    assert our_segments() - before == set(), "shared-memory segments leaked"


@pytest.fixture
def threads():
    return run_threads


def pytest_report_header(config):
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    return f"GIL enabled: {gil}"
