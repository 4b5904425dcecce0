"""Measure one library, inside its own virtualenv, and print the results as JSON on stdout.

    python bench/measure.py ADAPTER [--variants] [--quick]

ADAPTER is a key of libs.ADAPTERS. Every call is timed in the same loop, built from the
library's Row (see libs.py):

    def run(n, o=o, v=v):
        for _ in range(n):
            o.store(v)

best of REPS runs, in ns per call, net of the empty loop timed in this same process. Then the
contention cases: threads sharing one counter, processes sharing one in memory (fork and
spawn). Their totals are checked exactly; a wrong total is reported as a failure (the
parent, run.py, fails loudly). Progress goes to stderr. No timing is ever asserted.
"""

import argparse
import gc
import json
import multiprocessing
import platform
import subprocess
import sys
import threading
import time

import libs

QUICK = {"n": 20_000, "reps": 1, "contention": 20_000, "import_reps": 1}
FULL = {"n": 20_000, "reps": 5, "contention": 1_000_000, "import_reps": 5}
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


def _contention_result(call, n, spans, total, atomic):
    """From the first worker's start to the last one's end; `overlap` is the share of that
    time during which all workers were counting (low: they mostly ran one after the other)."""
    expected = WORKERS * n
    seconds = max(end for _, end in spans) - min(began for began, _ in spans)
    together = max(0.0, min(end for _, end in spans) - max(began for began, _ in spans))
    return {
        "call": call,
        "workers": WORKERS,
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("adapter", choices=sorted(libs.ADAPTERS))
    parser.add_argument("--variants", action="store_true", help="also the order= / positional / small-value rows")
    parser.add_argument("--quick", action="store_true", help="small n, one repetition (CI)")
    args = parser.parse_args()

    mode = QUICK if args.quick else FULL
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
        "failures": [],
    }
    log("== %s on Python %s (%s)" % (args.adapter, result["python"], sys.executable))

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
    for f in result["failures"]:
        log("FAILED: " + f)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
