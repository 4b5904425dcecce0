"""Functions run in child processes by test_arrays_processes.py (importable by spawn and
forkserver children). Each reports an exception through `errors` (a queue) as text, so that
the test can show it, and exits non-zero."""

import traceback

import numpy as np


def batches(seed, count, n, size):
    """The index arrays child `seed` adds: the parent recomputes them to know the totals."""
    rng = np.random.default_rng(seed)
    return [rng.integers(-n, n, size=size) for _ in range(count)]


def _reporting(errors, fn, *args):
    try:
        fn(*args)
    except BaseException:
        errors.put(traceback.format_exc())
        raise


def add_at_and_fetch_add(arr, seed, count, size, rounds, barrier, errors):
    """add_at of `count` random index arrays, then `rounds` fetch_add(seed, 1) on element seed."""

    def run():
        n = len(arr)
        work = batches(seed, count, n, size)
        barrier.wait(timeout=60)
        for idx in work:
            arr.add_at(idx)
        for _ in range(rounds):
            arr.fetch_add(seed, 1)

    _reporting(errors, run)


def add_at_task(args):
    """Pool task: (array, indices, value) -> number of indices."""
    arr, idx, value = args
    arr.add_at(idx, value)
    return len(idx)


def store_markers(arrays, values, errors):
    """Stores values[k][i] into element i of arrays[k], for every array and element."""

    def run():
        for arr, vals in zip(arrays, values):
            assert len(arr) == len(vals)
            arr.store_all(vals)

    _reporting(errors, run)


def wait_for_element(arr, index, old, out):
    out.put((arr.wait(index, old, timeout=30), arr.load(index)))


def float_adds(arr, rounds, errors):
    def run():
        for _ in range(rounds):
            arr.add_at(np.arange(len(arr)), 0.5)
            arr.fetch_add(0, 0.25)

    _reporting(errors, run)
