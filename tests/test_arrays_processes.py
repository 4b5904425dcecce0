"""Arrays of atomics shared between processes: shared arrays given to children under fork,
spawn and forkserver (Process arguments and Pool tasks), arrays in a segment at an offset,
attach_array() from an unrelated interpreter, and pickling of every family and width. Every
total is exact and every child's error is re-raised here."""

import multiprocessing
import os
import pickle
import subprocess
import sys
import textwrap
import time

import pytest

import atomics
from atomics.shared import SharedSegment, attach_array

np = pytest.importorskip("numpy")

import _array_workers  # noqa: E402
from test_arrays import CONFIGS  # noqa: E402

METHODS = [m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]


@pytest.fixture(autouse=True)
def no_leaks():
    from conftest import our_segments

    before = our_segments()
    yield
    for _ in range(100):  # children may still be exiting
        if our_segments() <= before:
            break
        time.sleep(0.05)
    assert our_segments() - before == set(), "shared-memory segments leaked"


def run_children(ctx, target, args_list):
    """Starts one child per argument tuple (each gets a shared error queue last), joins them,
    and re-raises the first child's error."""
    errors = ctx.Queue()
    children = [ctx.Process(target=target, args=(*args, errors)) for args in args_list]
    for c in children:
        c.start()
    for c in children:
        c.join(timeout=120)
    reports = []
    while not errors.empty():
        reports.append(errors.get(timeout=5))
    if reports:
        raise AssertionError("a child failed:\n" + reports[0])
    assert [c.exitcode for c in children] == [0] * len(children)


@pytest.mark.parametrize("method", METHODS)
def test_children_add_at_and_fetch_add_on_a_shared_array_exactly(method):
    ctx = multiprocessing.get_context(method)
    n, children, count, size, rounds = 24, 3, 20, 500, 2000
    arr = atomics.array(n, 8, atomics.INT, shared=True)
    barrier = ctx.Barrier(children)
    run_children(ctx, _array_workers.add_at_and_fetch_add,
                 [(arr, seed, count, size, rounds, barrier) for seed in range(children)])
    idx = np.concatenate([b for seed in range(children) for b in _array_workers.batches(seed, count, n, size)])
    want = np.bincount((idx % n).astype(np.intp), minlength=n)
    want[:children] += rounds
    assert list(arr.load_all()) == list(want)


@pytest.mark.parametrize("method", METHODS)
def test_pool_tasks_histogram_a_shared_array(method):
    n = 10
    arr = atomics.array(n, 4, atomics.UINT, shared=True)
    rng = np.random.default_rng(3)
    tasks = [rng.integers(0, n, size=300) for _ in range(12)]
    with multiprocessing.get_context(method).Pool(2) as pool:
        done = pool.map(_array_workers.add_at_task, [(arr, idx, 2) for idx in tasks])
    assert sum(done) == 12 * 300
    assert list(arr.load_all()) == list(2 * np.bincount(np.concatenate(tasks).astype(np.intp), minlength=n))


def test_a_segment_array_at_an_offset_in_children():
    ctx = multiprocessing.get_context("fork" if "fork" in METHODS else "spawn")
    with SharedSegment.create(4096) as seg:
        guard = seg.array(0, 4096, 1, atomics.BYTES)
        guard.store_all(b"\xee")
        arr = seg.array(1024, 16, 8, atomics.INT)
        arr.store_all(0)
        barrier = ctx.Barrier(2)
        run_children(ctx, _array_workers.add_at_and_fetch_add, [(arr, seed, 5, 200, 500, barrier) for seed in range(2)])
        idx = np.concatenate([b for seed in range(2) for b in _array_workers.batches(seed, 5, 16, 200)])
        want = np.bincount((idx % 16).astype(np.intp), minlength=16)
        want[:2] += 500
        assert list(arr.load_all()) == list(want)
        raw = guard.load_all()
        assert set(raw[:1024]) == {b"\xee"} and set(raw[1024 + 128:]) == {b"\xee"}


def test_float_arrays_in_children_add_exactly():
    ctx = multiprocessing.get_context("spawn")
    f = atomics.array(5, 8, atomics.FLOAT, shared=True)
    run_children(ctx, _array_workers.float_adds, [(f, 1000), (f, 1000)])
    assert list(f.load_all()) == [1000.0 + 500.0] + [1000.0] * 4


def test_every_family_and_width_pickles_to_a_spawned_child():
    ctx = multiprocessing.get_context("spawn")
    arrays, values = [], []
    for k, cfg in enumerate(CONFIGS):
        arr = cfg.new(3, shared=True)
        arrays.append(arr)
        if cfg.family == "int":
            values.append([cfg.lo, cfg.hi, k])
        elif cfg.family == "bytes":
            values.append([bytes([k]) * cfg.width, b"\xff" * cfg.width, bytes(range(cfg.width))])
        else:
            values.append([-1.5, 2.0 ** 20, float(k)])
    run_children(ctx, _array_workers.store_markers, [(arrays, values)])
    for cfg, arr, vals in zip(CONFIGS, arrays, values):
        assert list(arr.load_all()) == vals, cfg


def test_a_private_array_cannot_go_to_a_spawned_child():
    ctx = multiprocessing.get_context("spawn")
    p = ctx.Process(target=_array_workers.add_at_task, args=((atomics.array(2, 8, atomics.INT), [0], 1),))
    with pytest.raises(TypeError, match="cannot pickle"):
        p.start()


def test_wait_in_a_child_for_an_element():
    ctx = multiprocessing.get_context("spawn")
    arr = atomics.array(4, 4, atomics.INT, shared=True)
    out = ctx.Queue()
    child = ctx.Process(target=_array_workers.wait_for_element, args=(arr, 2, 0, out))
    child.start()
    time.sleep(0.2)  # most likely waiting by now; if not, it sees the new value at once
    arr.store(1, 5)
    arr.notify_all(1)  # a neighbour: not what the child waits for
    arr.store(2, 7)
    arr.notify_all(2)
    assert out.get(timeout=60) == (True, 7)
    child.join(timeout=60)
    assert child.exitcode == 0


def test_attach_array_from_an_unrelated_interpreter():
    arr = atomics.array(6, 2, atomics.UINT, shared=True)
    arr.store_all([1, 2, 3, 4, 5, 65535])
    code = textwrap.dedent(f"""
        import atomics, numpy as np
        from atomics.shared import attach_array
        a = attach_array({arr.shared_name!r}, 2, atomics.UINT)
        print(list(a.load_all()), a.shared_name, len(a))
        a.add_at(np.array([0, 0, 5, -1]))
        a.fetch_add(1, 40)
        try:
            attach_array({arr.shared_name!r}, 4)
        except ValueError:
            print("refused")
    """)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == f"[1, 2, 3, 4, 5, 65535] {arr.shared_name} 6"
    assert lines[1] == "refused"
    assert list(arr.load_all()) == [3, 42, 3, 4, 5, 1]  # 65535 + 2 wraps to 1
