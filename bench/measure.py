"""Measure one library, inside its own virtualenv, and print the results as JSON on stdout.

    python bench/measure.py ADAPTER [--variants] [--quick] [--sections ops,scaling,pingpong,arrays,instructions]

ADAPTER is a key of libs.ADAPTERS. Every call is timed in the same loop, built from the
library's Row (see libs.py):

    def run(n, o=o, v=v):
        for _ in range(n):
            o.store(v)

best of REPS runs, in ns per call, net of the empty loop timed in this same process. Then the
contention cases: threads sharing one counter, processes sharing one in memory (fork and
spawn). Their totals are checked exactly; a wrong total is reported as a failure (the
parent, run.py, fails loudly). Progress goes to stderr. No timing is ever asserted.

Those are the "ops" section, the default. Four more can be asked for:

- "scaling": 1 thread vs 2 threads incrementing, each thread N times, in the arrangements of
  libs.SCALING (one shared object, a handle per thread, a counter per thread); best of REPS
  runs each, exact totals checked every run; whether the GIL is enabled is recorded (on a
  free-threaded build, an extension that does not declare itself free-threading-safe turns
  it back on when imported).
- "pingpong": round trips between this process and a spawned child (libs.PingPongCase), the
  library's and the standard library's baselines in alternating blocks: median and 99th
  percentile of the round-trip times, after a warm-up in each block.
- "arrays": arrays of atomics, in ns per element (libs.ArrayCase): the per-call path (a Python
  loop over a list of ints), the bulk operations (add_at, load_all, store_all) and numpy's
  non-atomic equivalents, on the same data in this process. Each row is first called once on
  fresh state and its result checked exactly; then best of REPS runs of n calls (n such that a
  run lasts about ARRAY_SECONDS), the rows taking turns within each repetition so that they
  all meet the same machine. Then 1 vs 2 threads adding into one array (libs.ArrayThreadsCase),
  the whole histogram checked exactly after every run.
- "instructions": instructions per call of the "ops" rows (and variants and costs), counted
  exactly by valgrind's callgrind in a child process (bench/instructions.py, which says how);
  this process only starts it.
"""

import argparse
import gc
import json
import math
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import sysconfig
import threading
import time

import instructions
import libs

QUICK = {"n": 20_000, "reps": 1, "contention": 20_000, "import_reps": 1,
         "scaling_n": 500_000, "pingpong_rounds": 2_000, "pingpong_blocks": 2,
         "array_sizes": {"indices": 20_000, "bins": (1024, 65_536), "elements": 65_536}}
FULL = {"n": 20_000, "reps": 5, "contention": 1_000_000, "import_reps": 5,
        "scaling_n": 200_000, "pingpong_rounds": 20_000, "pingpong_blocks": 5,
        "array_sizes": {"indices": 1_000_000, "bins": (1024, 1_048_576), "elements": 1_048_576}}
ARRAY_SECONDS = 0.2  # full mode: a run of an arrays row (n calls) lasts about this long
ARRAY_THREADS_SECONDS = 0.3  # full mode: one thread's run of the arrays' threads case lasts about this long
SCALING_SECONDS = 0.3  # full mode: one thread's N increments last about this long
SCALING_MAX_N = 50_000_000
SCALING_THREADS = (1, 2)
PINGPONG_WARMUP = 0.1  # share of extra round trips played first in a block, not counted (at least 100)
TARGET_SECONDS = 0.2  # full mode: a run of a row lasts about this long
MAX_N = 5_000_000
WORKERS = 2  # threads or processes sharing one counter


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def make_loop(row):
    """The one loop every row is timed in: the object and arguments are locals (defaults)."""
    names = sorted(row.names)
    params = "".join(", %s=%s" % (k, k) for k in names)
    src = "def run(n%s):\n    for _ in range(n):\n        %s\n" % (params, row.call)
    namespace = dict(row.names)
    exec(src, namespace)
    return namespace["run"]


EMPTY = libs.Row("pass")


def time_loop(run, n, reps):
    """Best of `reps` runs of run(n), in ns per iteration (gross)."""
    best = None
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(reps):
            t0 = time.perf_counter_ns()
            run(n)
            elapsed = time.perf_counter_ns() - t0
            best = elapsed if best is None else min(best, elapsed)
    finally:
        if gc_was_enabled:
            gc.enable()
    return best / n


class Timer:
    def __init__(self, mode):
        self.mode = mode
        self.empty_ns = self._empty()

    def _empty(self):
        run = make_loop(EMPTY)
        n = 2_000_000 if self.mode["reps"] > 1 else self.mode["n"]
        return time_loop(run, n, self.mode["reps"])

    def recheck_empty(self):
        """The empty loop again at the end; the lower of the two is subtracted."""
        self.empty_ns = min(self.empty_ns, self._empty())

    def gross(self, row):
        """(gross ns per call, n) for one Row."""
        run = make_loop(row)
        n = self.mode["n"]
        if self.mode["reps"] > 1:  # calibrate: one run of about TARGET_SECONDS
            per_call = time_loop(run, n, 1)
            n = int(min(MAX_N, max(n, TARGET_SECONDS * 1e9 / max(per_call, 1.0))))
        return time_loop(run, n, self.mode["reps"]), n

    def measure(self, spec):
        """A Row or a Fastest: every alternative timed; the fastest kept."""
        best = None
        for row in spec.alternatives():
            gross, n = self.gross(row)
            if best is None or gross < best["gross_ns"]:
                best = {"gross_ns": gross, "n": n, "call": row.call, "note": row.note}
        return best

    def net(self, results):
        for r in results.values():
            if r is not None:
                r["ns"] = r["gross_ns"] - self.empty_ns


def measure_rows(timer, rows, title):
    out = {}
    for name, spec in rows.items():
        out[name] = timer.measure(spec)
        log("  %-34s %9.1f ns gross  (%s)" % (title + " " + name, out[name]["gross_ns"], out[name]["call"]))
    return out


def import_time(module, reps):
    """Seconds to `import module` in a fresh interpreter (best of reps, after one warm-up run
    that writes the bytecode caches)."""
    code = "import time; t = time.perf_counter(); import %s; print(time.perf_counter() - t)" % module
    times = []
    for _ in range(reps + 1):
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
        times.append(float(out.stdout.strip()))
    return min(times[1:])


# ---------------------------------------------------------------------------------------
# contention


def run_threads(counter, n):
    row, read_total = counter
    run = make_loop(row)
    start = threading.Barrier(WORKERS)
    spans = []

    def work():
        start.wait()
        began = time.perf_counter()
        run(n)
        spans.append((began, time.perf_counter()))

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return _contention_result(row.call, n, spans, read_total(), atomic=True)


def _process_main(adapter_name, case_name, shared, n, start, spans):
    case = libs.ADAPTERS[adapter_name]().process_cases()[case_name]
    with case.open(shared) as row:
        run = make_loop(row)
        start.wait()  # every worker is attached and ready: time the counting only
        began = time.perf_counter()  # CLOCK_MONOTONIC: comparable across processes
        run(n)
        spans.put((began, time.perf_counter()))


def run_processes(adapter_name, case_name, case, mode, n):
    ctx = multiprocessing.get_context(mode)
    shared, read_total, cleanup = case.create(ctx)
    try:
        start = ctx.Barrier(WORKERS)
        queue = ctx.Queue()
        procs = [ctx.Process(target=_process_main, args=(adapter_name, case_name, shared, n, start, queue))
                 for _ in range(WORKERS)]
        for p in procs:
            p.start()
        spans = [queue.get(timeout=900) for _ in procs]
        for p in procs:
            p.join()
        if any(p.exitcode != 0 for p in procs):
            raise RuntimeError("a %s worker of %s/%s failed" % (mode, adapter_name, case_name))
        with case.open(shared) as row:
            call = row.call
        total = read_total()
    finally:
        cleanup()
    return _contention_result(call, n, spans, total, atomic=case.atomic)


def _contention_result(call, n, spans, total, atomic, workers=WORKERS):
    """From the first worker's start to the last one's end; `overlap` is the share of that
    time during which all workers were counting (low: they mostly ran one after the other)."""
    expected = workers * n
    seconds = max(end for _, end in spans) - min(began for began, _ in spans)
    together = max(0.0, min(end for _, end in spans) - max(began for began, _ in spans))
    return {
        "call": call,
        "workers": workers,
        "n": n,
        "seconds": seconds,
        "overlap": together / seconds if seconds > 0 else 0.0,
        "mops": expected / seconds / 1e6,
        "total": total,
        "expected": expected,
        "atomic": atomic,
        "exact": total == expected,
        "lost": expected - total,
    }


# ---------------------------------------------------------------------------------------
# free-threaded scaling


def gil_enabled():
    """sys._is_gil_enabled() where it exists (3.13+); True before 3.13 (always a GIL)."""
    probe = getattr(sys, "_is_gil_enabled", None)
    return True if probe is None else bool(probe())


def free_threaded_build():
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def run_scaling_once(case, k, n):
    """k threads, each repeating its Row n times after a common start; timed from the first
    thread's start to the last one's end."""
    state = case.setup(k)
    start = threading.Barrier(k)
    spans, cpu, calls, errors = [None] * k, [0.0] * k, [None] * k, []

    def work(i):
        try:
            row = case.row(state, i)  # per-thread objects are made here, by their thread
            run = make_loop(row)
            calls[i] = row.call
        except BaseException as e:  # noqa: B902 (reported below)
            errors.append(repr(e))
            start.abort()
            return
        try:
            start.wait()
        except threading.BrokenBarrierError:
            return
        began, began_cpu = time.perf_counter(), time.thread_time()
        run(n)
        spans[i] = (began, time.perf_counter())
        cpu[i] = time.thread_time() - began_cpu

    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(k)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        if gc_was_enabled:
            gc.enable()
    if errors:
        raise RuntimeError("a scaling thread failed: " + "; ".join(errors))
    total, counts = case.totals(state, k)
    r = _contention_result(calls[0], n, spans, total, atomic=True, workers=k)
    r["counts"] = counts
    # the CPU time the threads got, over k × the wall time: well below 1, they waited for a core
    r["cpu_share"] = sum(cpu) / (k * r["seconds"]) if r["seconds"] > 0 else 0.0
    if counts is not None and any(c != n for c in counts):
        r["exact"] = False
    return r


def measure_scaling(adapter_name, adapter, mode, quick):
    """{arrangement: {"how", "call", "n", "threads": {"1": best run, "2": best run},
    "speedup", "all_exact", "runs"}} and failures. Runs of 1 and 2 threads alternate; the
    fastest of each is kept."""
    out, failures = {}, []
    reps = mode["reps"]
    for name in libs.SCALING:
        case = adapter.scaling_cases().get(name)
        if case is None:
            out[name] = None
            continue
        n = mode["scaling_n"]
        if not quick:  # calibrate on one thread: N increments last about SCALING_SECONDS
            probe = run_scaling_once(case, 1, n)
            n = int(min(SCALING_MAX_N, max(n, SCALING_SECONDS * n / probe["seconds"])))
        best, all_runs, exact = {}, {str(k): [] for k in SCALING_THREADS}, True
        for _ in range(reps):
            for k in SCALING_THREADS:
                r = run_scaling_once(case, k, n)
                all_runs[str(k)].append(round(r["mops"], 3))
                if not r["exact"]:
                    exact = False
                    failures.append("%s: scaling %s, %d threads counted %s (per thread %s), expected %d"
                                    % (adapter_name, name, k, r["total"], r["counts"], r["expected"]))
                if str(k) not in best or r["seconds"] < best[str(k)]["seconds"]:
                    best[str(k)] = r
        one, two = best["1"], best["2"]
        out[name] = {"how": case.how, "call": one["call"], "n": n, "threads": best, "runs": all_runs,
                     "speedup": two["mops"] / one["mops"], "all_exact": exact}
        log("  scaling %-9s n=%-10s 1 thread %6.2f M ops/s (cpu %.2f), 2 threads %6.2f M ops/s (overlap %.2f, "
            "cpu %.2f): x%.2f%s" % (name, "{:,}".format(n), one["mops"], one["cpu_share"], two["mops"], two["overlap"],
                                    two["cpu_share"], out[name]["speedup"], "" if exact else "  WRONG TOTAL"))
    return out, failures


# ---------------------------------------------------------------------------------------
# ping-pong between two processes


def _pingpong_child(adapter_name, case_name, shared, rounds, ready):
    case = libs.ADAPTERS[adapter_name]().pingpong_cases()[case_name]
    gc.disable()
    ready.set()  # the arguments are unpickled (attached): the parent may start
    case.child(shared, rounds)


def run_pingpong(adapter_name, case_name, case, rounds):
    """One ping-pong of warm-up + rounds round trips with a fresh spawned child: the ns of each
    of the last `rounds`."""
    warmup = max(100, int(rounds * PINGPONG_WARMUP))
    ctx = multiprocessing.get_context("spawn")
    shared, cleanup = case.create(ctx)
    try:
        ready = ctx.Event()
        proc = ctx.Process(target=_pingpong_child, args=(adapter_name, case_name, shared, warmup + rounds, ready))
        proc.start()
        try:
            if not ready.wait(120):
                raise TimeoutError("the spawned child did not start within 120 s")
            gc_was_enabled = gc.isenabled()
            gc.disable()
            try:
                times = case.parent(shared, warmup + rounds, time.perf_counter_ns)
            finally:
                if gc_was_enabled:
                    gc.enable()
        except BaseException:
            proc.terminate()
            proc.join(10)
            raise
        proc.join(60)
        if proc.exitcode != 0:
            raise RuntimeError("the child exited with status %s" % proc.exitcode)
    finally:
        cleanup()
    if len(times) != warmup + rounds:
        raise RuntimeError("%d round trips timed, expected %d" % (len(times), warmup + rounds))
    return times[warmup:], warmup


def measure_pingpong(adapter_name, adapter, mode):
    """This library's ping-pong cases and the standard library's baselines, measured in this
    one process in blocks that alternate between the mechanisms (each block a fresh child), so
    that all of them see the same machine: a round trip's latency depends much on what else
    runs (an idle CPU takes long to wake). Statistics are over the round trips of all blocks."""
    cases = [(adapter_name, name, case) for name, case in adapter.pingpong_cases().items()]
    if adapter_name != "stdlib":
        cases += [("stdlib", name, case) for name, case in libs.Stdlib().pingpong_cases().items()]
    blocks = mode["pingpong_blocks"]
    per_block = mode["pingpong_rounds"] // blocks
    times = {name: [] for _, name, _ in cases}
    block_medians = {name: [] for _, name, _ in cases}
    errors, warmups, loads = {}, {}, {name: [] for _, name, _ in cases}
    for _ in range(blocks):
        for owner, name, case in cases:
            if name in errors:
                continue
            loads[name].append(os.getloadavg()[0])
            try:
                got, warmups[name] = run_pingpong(owner, name, case, per_block)
            except Exception as e:
                errors[name] = repr(e)
                log("  ping-pong %-12s FAILED: %r" % (name, e))
                continue
            times[name] += got
            block_medians[name].append(statistics.median(got) / 1e3)
    out, failures = {}, []
    for owner, name, case in cases:
        if name in errors:
            failures.append("%s: ping-pong %s failed: %s" % (adapter_name, name, errors[name]))
            out[name] = {"owner": owner, "how": case.how, "error": errors[name], "exact": False}
            continue
        us = sorted(t / 1e3 for t in times[name])
        out[name] = {"owner": owner, "how": case.how, "start_method": "spawn", "rounds": len(us), "blocks": blocks,
                     "warmup_per_block": warmups[name], "median_us": statistics.median(us),
                     "p99_us": us[math.ceil(0.99 * len(us)) - 1], "min_us": us[0], "mean_us": statistics.fmean(us),
                     "max_us": us[-1], "block_medians_us": block_medians[name], "exact": True,
                     "loadavg": [min(loads[name]), max(loads[name])]}
        r = out[name]
        log("  ping-pong %-12s %d round trips in %d blocks: median %.1f µs, p99 %.1f µs (min %.1f, max %.0f; "
            "block medians %s)" % (name, r["rounds"], blocks, r["median_us"], r["p99_us"], r["min_us"], r["max_us"],
                                   " ".join("%.1f" % m for m in r["block_medians_us"])))
    return out, failures


# ---------------------------------------------------------------------------------------
# arrays of atomics, per element


def measure_arrays(adapter_name, adapter, mode, quick):
    """{"sizes", "numpy", "reps", "rows": {name: row}, "threads": {name: case},
    "gil_enabled"} and failures; None when the adapter has no arrays."""
    sizes = mode["array_sizes"]
    cases = adapter.array_cases(sizes)
    if not cases:
        return None, []
    import numpy

    gil_at_start = gil_enabled()  # after importing numpy: on a free-threaded build, it could turn the GIL on
    cases = dict(cases, **libs.numpy_array_cases(sizes))
    failures, prepared = [], []
    for name, case in cases.items():
        row, verify = case.make()
        run = make_loop(row)
        run(1)  # one call on fresh state, checked
        wrong = verify()
        if wrong:
            failures.append("%s: arrays %s (%s) is wrong after one call: %s" % (adapter_name, name, row.call, wrong))
        n = 1
        if not quick:  # calibrate: a run of n calls lasts about ARRAY_SECONDS
            one = time_loop(run, 1, 1)
            n = int(max(1, min(MAX_N, round(ARRAY_SECONDS * 1e9 / max(one, 1.0)))))
        prepared.append((name, case, row, run, n, wrong))
    runs = {name: [] for name in cases}
    for _ in range(mode["reps"]):  # the rows take turns
        for name, case, row, run, n, _wrong in prepared:
            runs[name].append(time_loop(run, n, 1) / case.elements)
    rows = {}
    for name, case, row, run, n, wrong in prepared:
        best = min(runs[name])
        rows[name] = {"group": case.group, "title": case.title, "owner": case.owner, "call": row.call,
                      "setup": case.setup, "elements": case.elements, "size": case.size, "calls": n,
                      "ns_per_element": best, "meps": 1e3 / best if best > 0 else None,
                      "runs": [round(r, 4) for r in runs[name]], "versus": list(case.versus), "exact": not wrong}
        log("  arrays %-24s %9.3f ns per element (%6.1f M/s), %d x %d elements  (%s)"
            % (name, best, 1e3 / best if best > 0 else 0, n, case.elements, row.call))
    del prepared

    threads = {}
    for name, case in adapter.array_threads_cases(sizes).items():
        threads[name], more = measure_array_threads(adapter_name, name, case, mode, quick)
        failures += more
    return {"sizes": sizes, "numpy": numpy.__version__, "reps": mode["reps"], "rows": rows, "threads": threads,
            "gil_enabled": {"start": gil_at_start, "end": gil_enabled()}}, failures


def run_array_threads_once(state, k, n, elements):
    """k threads, thread i repeating state.row(k, i) n times after a common start, on a zeroed
    array; timed from the first thread's start to the last one's end; then checked."""
    state.reset()
    rows = [state.row(k, i) for i in range(k)]
    runs = [make_loop(row) for row in rows]
    start = threading.Barrier(k)
    spans, cpu = [None] * k, [0.0] * k

    def work(i):
        start.wait()
        began, began_cpu = time.perf_counter(), time.thread_time()
        runs[i](n)
        spans[i] = (began, time.perf_counter())
        cpu[i] = time.thread_time() - began_cpu

    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        workers = [threading.Thread(target=work, args=(i,)) for i in range(k)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
    finally:
        if gc_was_enabled:
            gc.enable()
    if any(s is None for s in spans):
        raise RuntimeError("an arrays thread failed")
    wrong = state.verify(n)
    seconds = max(end for _, end in spans) - min(began for began, _ in spans)
    together = max(0.0, min(end for _, end in spans) - max(began for began, _ in spans))
    return {"call": rows[0].call, "threads": k, "n": n, "elements": n * elements, "seconds": seconds,
            "overlap": together / seconds if seconds > 0 else 0.0, "meps": n * elements / seconds / 1e6,
            "cpu_share": sum(cpu) / (k * seconds) if seconds > 0 else 0.0, "exact": not wrong, "error": wrong}


def measure_array_threads(adapter_name, name, case, mode, quick):
    """Runs of 1 and 2 threads alternate, REPS of each; the fastest of each is kept."""
    state = case.setup()
    n = 1
    if not quick:  # calibrate on one thread: its run lasts about ARRAY_THREADS_SECONDS
        probe = run_array_threads_once(state, 1, 1, case.elements)
        n = int(max(1, round(ARRAY_THREADS_SECONDS / max(probe["seconds"], 1e-6))))
    best, every, failures = {}, {"1": [], "2": []}, []
    for _ in range(mode["reps"]):
        for k in (1, 2):
            r = run_array_threads_once(state, k, n, case.elements)
            every[str(k)].append(round(r["meps"], 3))
            if not r["exact"]:
                failures.append("%s: arrays threads %s, %d thread(s): %s" % (adapter_name, name, k, r["error"]))
            if str(k) not in best or r["seconds"] < best[str(k)]["seconds"]:
                best[str(k)] = r
    one, two = best["1"], best["2"]
    out = {"how": case.how, "bins": case.bins, "elements": case.elements, "n": n, "threads": best, "runs": every,
           "speedup": two["meps"] / one["meps"], "all_exact": not failures}
    log("  arrays threads %-12s n=%-4d 1 thread %7.1f M/s (cpu %.2f), 2 threads %7.1f M/s (overlap %.2f, cpu %.2f): "
        "x%.2f%s" % (name, n, one["meps"], one["cpu_share"], two["meps"], two["overlap"], two["cpu_share"],
                     out["speedup"], "" if not failures else "  WRONG"))
    return out, failures


SECTIONS = ("ops", "scaling", "pingpong", "arrays", "instructions")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("adapter", choices=sorted(libs.ADAPTERS))
    parser.add_argument("--variants", action="store_true", help="also the order= / positional / small-value rows")
    parser.add_argument("--quick", action="store_true", help="small n, one repetition (CI)")
    parser.add_argument("--sections", default="ops", help="comma-separated, of: " + ", ".join(SECTIONS))
    args = parser.parse_args()
    sections = args.sections.split(",")
    if set(sections) - set(SECTIONS):
        parser.error("unknown sections: %s" % ", ".join(sorted(set(sections) - set(SECTIONS))))

    mode = QUICK if args.quick else FULL
    gil_at_start = gil_enabled()
    adapter = libs.ADAPTERS[args.adapter]()
    module = adapter.module
    result = {
        "adapter": args.adapter,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "version": adapter.version(),
        "module_file": getattr(__import__(module), "__file__", None) if module else None,
        "mode": "quick" if args.quick else "full",
        "reps": mode["reps"],
        "sections": sections,
        "free_threaded": free_threaded_build(),
        "failures": [],
    }
    log("== %s on Python %s%s (%s): %s" % (args.adapter, result["python"], "t" if result["free_threaded"] else "",
                                            sys.executable, ", ".join(sections)))
    if "ops" in sections:
        measure_ops(args, adapter, mode, result)
    if "scaling" in sections:
        result["gil_enabled_after_import"] = gil_enabled()  # version() imported the library
        result["scaling"], failures = measure_scaling(args.adapter, adapter, mode, args.quick)
        result["failures"] += failures
    if "pingpong" in sections:
        result["pingpong"], failures = measure_pingpong(args.adapter, adapter, mode)
        result["failures"] += failures
    if "arrays" in sections:
        result["arrays"], failures = measure_arrays(args.adapter, adapter, mode, args.quick)
        result["failures"] += failures
    if "instructions" in sections:
        log("  instructions per call under callgrind (one child process under valgrind)")
        result["instructions"], error = instructions.measure(args.adapter, variants=args.variants, quick=args.quick)
        if error:
            result["failures"].append("%s: counting instructions failed: %s" % (args.adapter, error))
        else:
            counted, spread = result["instructions"], result["instructions"]["spread"]
            log("  instructions: %.0f s; %s" % (counted["seconds"], "one repetition" if counted["reps"] == 1 else
                "repetitions differ in %d of %d rows, most in %s (%.1f instructions per call)" % (
                    spread["rows_that_moved"], spread["rows"], spread["row"], spread["instructions"])))
    result["gil_enabled"] = {"start": gil_at_start, "end": gil_enabled()}
    log("  GIL enabled: %s at the start, %s at the end%s" % (
        gil_at_start, result["gil_enabled"]["end"], " (free-threaded build)" if result["free_threaded"] else ""))
    for f in result["failures"]:
        log("FAILED: " + f)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


def measure_ops(args, adapter, mode, result):
    """The single-thread rows, costs, import time and the contention cases (the "ops" section)."""
    module = adapter.module
    timer = Timer(mode)
    result["ops"] = measure_rows(timer, adapter.ops(), "op")
    result["variants"] = measure_rows(timer, adapter.variants(), "variant") if args.variants else {}
    result["costs"] = measure_rows(timer, adapter.costs(), "cost")
    timer.recheck_empty()
    for group in ("ops", "variants", "costs"):
        timer.net(result[group])
    result["empty_loop_ns"] = timer.empty_ns
    log("  empty loop %.1f ns per iteration" % timer.empty_ns)
    result["import_s"] = import_time(module, mode["import_reps"]) if module else None

    n = mode["contention"]
    result["threads"] = None
    if adapter.thread_counter() is not None:
        result["threads"] = run_threads(adapter.thread_counter(), n)
        log("  threads: %(mops).2f M ops/s, total %(total)d of %(expected)d, overlap %(overlap).2f" % result["threads"])
    result["processes"] = {}
    for case_name, case in adapter.process_cases().items():
        for start_method in ("fork", "spawn"):
            key = "%s/%s" % (case_name, start_method)
            if start_method not in case.modes or start_method not in multiprocessing.get_all_start_methods():
                result["processes"][key] = None
                continue
            r = run_processes(args.adapter, case_name, case, start_method, n)
            result["processes"][key] = r
            log("  processes %s: %.2f M ops/s, total %d of %d, overlap %.2f"
                % (key, r["mops"], r["total"], r["expected"], r["overlap"]))

    for name, r in [("threads", result["threads"])] + sorted(result["processes"].items()):
        if r is not None and r["atomic"] and not r["exact"]:
            result["failures"].append("%s: %s counted %d, expected %d" % (args.adapter, name, r["total"], r["expected"]))


if __name__ == "__main__":
    main()
