"""Instructions per call, counted by valgrind's callgrind: exact where wall-clock time is noisy.

    make bench-instructions      # this library on CPython 3.11: a table on stdout, with the change
                                 # since the last `make bench-instructions` (target/bench-instructions.json)
    python bench/instructions.py [ADAPTER] [--quick] [--no-variants] [--last FILE] [--json]

(the second with the python of a virtualenv that has the library; ADAPTER is a key of
libs.ADAPTERS, "atomics" by default, whose order=/small-value variants are counted too unless
--no-variants). bench/measure.py calls measure() below for its "instructions" section, so that
`make bench` counts every library in its own virtualenv and reports the counts beside the ns.

How. This process builds a small C helper with callgrind's client request
CALLGRIND_DUMP_STATS_AT (valgrind's own header) and starts ONE child process under
`valgrind --tool=callgrind` that counts every row of the library: its operations, the variants,
its costs. The child runs each row in the loop that the ns figures time (measure.make_loop,
the same libs.Row):

    def run(n, o=o, v=v):
        for _ in range(n):
            o.store(v)

and after each run calls the helper through ctypes: callgrind writes a dump of the
instructions executed since the previous dump ("Ir": every instruction of the process, in the
interpreter, the library, the allocator), whose header the child reads back once the row is
done. For each row:

    run(100); dump                      a probe: about how many instructions a call takes, which
                                        picks n (10,000, or fewer for rows above 2,000 instructions)
    run(n/2)                            once, not counted: what happens once stays out
    dump; run(n/2); dump; run(n); dump  3 times: (instructions of run(n) - those of run(n/2)) / (n/2)

The subtraction cancels all that surrounds the loop (calling run, the ctypes call, the dump),
which is the same in both intervals: what is left is n/2 iterations of the loop, the gross
figure. The same is counted for the empty loop (`for _ in range(n): pass`) with the same n
(range(n) makes no new int below 257: the same n makes the same ints); the row's gross minus
the empty loop's is the row's net figure, instructions per call, as the ns rows are net of the
empty loop. The figure is the least of the 3 repetitions (as the ns are the best of 5 runs);
all are kept (`runs`).

What makes the counts the same in every run, and what is left:
- valgrind runs under `setarch -R` (no address randomisation), with PYTHONHASHSEED=0 and the
  garbage collector off (as in the timed loops). Two runs of one build give the same figures.
- The counts depend on where pymalloc puts the loop's short-lived objects (its range ints, a
  result). In a pool with a single free block, pymalloc unlinks the pool as full at each
  allocation and links it again at each free: 15 to 19 instructions more per call, which come
  from what was allocated before, not from the call (the same exchange() counted 724 or 743,
  by the history of the heap). And pymalloc's check of a freed address takes a few more
  instructions in one part of an arena than in the other. So before each repetition,
  shape_heap() leaves a half-full pool at the head of each size class, a different layout each
  time (3, 4, 5 pools' worth), and the least of the repetitions is kept: the cheapest placement.
  The repetitions of most rows agree; `spread` says in how many they differ, and where most
  (typically one repetition of a row 4-19 instructions per call above the others).

Instructions are not time: a locked instruction counts one and costs tens of cycles, a cache
miss counts nothing. They show exactly, on a busy machine, what a change adds or removes.
"""

import argparse
import ctypes
import datetime
import gc
import itertools
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

QUICK = {"n": 200, "probe": 20, "budget": 400_000, "reps": 1}
FULL = {"n": 10_000, "probe": 100, "budget": 20_000_000, "reps": 3}
LADDER = (1, 2, 5, 10, 20, 50, 100, 200)  # n is mode["n"] divided by the first of these that fits the budget
TIMEOUT = 3600  # seconds for one library's child under valgrind

HELPER_C = r"""
#include <valgrind/callgrind.h>
int cg_running(void) { return RUNNING_ON_VALGRIND; }
void cg_dump(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }
"""

VALGRIND_ARGS = ["--tool=callgrind", "--dump-instr=no", "--collect-atstart=yes", "-q"]


# ---------------------------------------------------------------------------------------
# the child, under valgrind


class Dumps:
    """Callgrind's dumps, numbered as callgrind numbers them (BASE.1, BASE.2, ...)."""

    def __init__(self, helper, base):
        self._dump = helper.cg_dump
        self._dump.argtypes = [ctypes.c_char_p]
        self._dump.restype = None
        self.base = base
        self.count = 0

    def dump(self):
        self._dump(b"bench")
        self.count += 1
        return self.count

    def read(self, number):
        """The instructions of dump `number` (its header's summary), and the file removed."""
        path = "%s.%d" % (self.base, number)
        with open(path) as f:
            head = f.read(4096)
        os.remove(path)
        found = re.search(r"^summary:\s*(\d+)", head, re.M)
        if not found:
            raise RuntimeError("no summary in callgrind's dump %s" % path)
        return int(found.group(1))


def ladder_n(mode, per_call):
    for d in LADDER:
        n = mode["n"] // d
        if n * per_call <= mode["budget"]:
            return max(n, 2)
    return max(mode["n"] // LADDER[-1], 2)


POOL_BYTES = 16384  # pymalloc's pool on 3.11 and 3.13 (sys._debugmallocstats); smaller ones: more are shaped


def shape_heap(pools=3):
    """Objects in every pymalloc size class (16 to 512 bytes), `pools` pools' worth each, of
    which every other one after the first pool's worth is freed; returned, to be kept alive
    while a row is counted. The last pool to get a block back, the first of its class's list
    (where the loop's short-lived objects come from), is then half full, and stays so while
    they come and go. Without this it can be a pool with a single free block, which pymalloc
    unlinks as full on each allocation and links again on each free: 6 + 11 instructions per
    call that come from what ran before, not from the call."""
    kept = []
    for size in range(16, 513, 16):
        count = pools * (POOL_BYTES // size)
        if size == 16:
            objects = list(itertools.starmap(object, itertools.repeat((), count)))
        elif size == 32:
            objects = list(range(1000, 1000 + count))  # fresh one-digit ints (28 bytes), nothing temporary
        else:
            objects = list(map(bytes, itertools.repeat(size - 40, count)))  # 33 + len bytes: this size class
        del objects[count // pools::2]
        kept.append(objects)
    return kept


class Counter:
    """Counts rows in this process (under callgrind), each against the empty loop of its n."""

    def __init__(self, dumps, mode, make_loop, empty_row):
        self.dumps, self.mode, self.make_loop, self.empty_row = dumps, mode, make_loop, empty_row
        self.empty = {}  # n -> {"gross", "runs"} of the empty loop

    def runs(self, run, n):
        """Gross instructions per iteration of run(n), the instructions of run(n) minus those
        of run(n // 2), over n - n // 2; one per repetition, each on another heap layout."""
        dumps, half = self.dumps, n // 2
        run(half)  # once more before counting: what happens once stays out
        runs = []
        for rep in range(self.mode["reps"]):
            shaped = shape_heap(3 + rep)  # another layout each time
            marks = [0, 0, 0]  # the same statements around both runs: they cancel out
            marks[0] = dumps.dump()
            run(half)
            marks[1] = dumps.dump()  # dump 1 counts run(half), dump 2 run(n)
            run(n)
            marks[2] = dumps.dump()
            del shaped
            runs.append((dumps.read(marks[2]) - dumps.read(marks[1])) / (n - half))
            dumps.read(marks[0])
        return runs

    def empty_loop(self, n):
        if n not in self.empty:
            runs = self.runs(self.make_loop(self.empty_row), n)
            self.empty[n] = {"gross": min(runs), "runs": runs}
        return self.empty[n]["gross"]

    def row(self, row):
        """{"n", "gross", "runs", "empty", "instructions"} of one Row: instructions per
        iteration of its loop (the least of the runs), of the empty loop with the same n
        (range(n) makes no new int below 257: the same n, the same ints), and the
        difference: instructions per call."""
        run = self.make_loop(row)
        probe, dumps = self.mode["probe"], self.dumps
        before = dumps.dump()
        run(probe)
        probed = dumps.dump()
        dumps.read(before)
        n = ladder_n(self.mode, dumps.read(probed) / probe)
        runs = self.runs(run, n)
        gross, empty = min(runs), self.empty_loop(n)
        return {"n": n, "gross": gross, "runs": runs, "empty": empty, "instructions": gross - empty}


def child(args):
    sys.path.insert(0, HERE)
    import libs
    from measure import EMPTY, make_loop

    helper = ctypes.CDLL(args.helper)
    if not helper.cg_running():
        sys.exit("instructions.py --child: not running under valgrind")
    mode = QUICK if args.quick else FULL
    adapter = libs.ADAPTERS[args.adapter]()
    groups = [("ops", adapter.ops()), ("variants", adapter.variants() if args.variants else {}),
              ("costs", adapter.costs())]
    gc.collect()
    gc.disable()
    counter = Counter(Dumps(helper, args.base), mode, make_loop, EMPTY)
    counter.empty_loop(mode["n"])
    out = {}
    for group, rows in groups:
        out[group] = {}
        for name, spec in rows.items():
            found = [dict(counter.row(row), call=row.call, note=row.note) for row in spec.alternatives()]
            best = min(found, key=lambda r: r["instructions"])
            best["alternatives"] = {r["call"] + (" (%s)" % r["note"] if r["note"] else ""): r["instructions"]
                                    for r in found} if len(found) > 1 else None
            out[group][name] = best
            print("  instructions %-30s %9.1f per call (n=%d; %s)" % (
                group + " " + name, best["instructions"], best["n"], best["call"]), file=sys.stderr, flush=True)
    json.dump({"groups": out, "empty": {str(n): e for n, e in sorted(counter.empty.items())}}, sys.stdout)
    sys.stdout.write("\n")


# ---------------------------------------------------------------------------------------
# the parent


def valgrind_version(valgrind):
    out = subprocess.run([valgrind, "--version"], capture_output=True, text=True)
    return out.stdout.strip()


def compile_helper(directory):
    """The helper library, built in `directory`: (path, None) or (None, error)."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        return None, "no C compiler (cc) to build the callgrind helper"
    source = os.path.join(directory, "cgdump.c")
    with open(source, "w") as f:
        f.write(HELPER_C)
    lib = os.path.join(directory, "cgdump.so")
    out = subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", lib, source], capture_output=True, text=True)
    if out.returncode != 0:
        return None, "building the callgrind helper failed (valgrind's headers missing?): " + out.stderr.strip()[-300:]
    return lib, None


def measure(adapter, variants=False, quick=False):
    """Instructions per call of every row of `adapter`, under this interpreter: (result, None)
    or (None, error). result: {"groups": {group: {name: {"call",
    "note", "n", "gross", "runs", "empty", "instructions", "alternatives"}}}, "empty_loop": {n:
    {"gross", "runs"}}, "valgrind", "mode", "reps", "n", "spread", "seconds"}. "spread": the row
    (empty loops included) whose repetitions differ most, as a share of its gross figure: "row",
    "instructions" (per call), "share"; and how many rows' repetitions differ at all.
    "alternatives": where the library has several ways (libs.Fastest), each one's
    instructions; the row is the one with the fewest."""
    valgrind = shutil.which("valgrind")
    if not valgrind:
        return None, "valgrind is not installed"
    began = time.time()
    with tempfile.TemporaryDirectory(prefix="atomics-callgrind-") as tmp:
        helper, error = compile_helper(tmp)
        if error:
            return None, error
        base = os.path.join(tmp, "callgrind.out")
        # no address randomisation (where setarch can turn it off): the same addresses every run
        norandom = [shutil.which("setarch"), platform.machine(), "-R"] if shutil.which("setarch") else []
        cmd = norandom + [valgrind] + VALGRIND_ARGS + ["--callgrind-out-file=" + base, sys.executable,
                                            os.path.abspath(__file__), "--child", "--helper", helper,
                                            "--base", base, adapter] + (
            ["--variants"] if variants else ["--no-variants"]) + (["--quick"] if quick else [])
        env = dict(os.environ, PYTHONHASHSEED="0")
        env.pop("PYTHONPATH", None)
        try:
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=None, text=True, env=env, timeout=TIMEOUT,
                                  cwd=tmp)
        except subprocess.TimeoutExpired:
            return None, "callgrind took more than %d s" % TIMEOUT
        if proc.returncode != 0 or not proc.stdout.strip():
            return None, "the callgrind child exited with status %d" % proc.returncode
        raw = json.loads(proc.stdout.strip().splitlines()[-1])
    mode = QUICK if quick else FULL
    spread = []  # (share of the gross figure, instructions per call, row): between the repetitions of a row
    for group, rows in raw["groups"].items():
        for name, r in rows.items():
            spread.append(((max(r["runs"]) - min(r["runs"])) / r["gross"], max(r["runs"]) - min(r["runs"]),
                           "%s %s" % (group, name)))
    for n, e in raw["empty"].items():
        spread.append(((max(e["runs"]) - min(e["runs"])) / e["gross"], max(e["runs"]) - min(e["runs"]),
                       "the empty loop with n = {:,}".format(int(n))))
    worst = max(spread)
    return {"groups": raw["groups"], "empty_loop": raw["empty"], "valgrind": valgrind_version(valgrind),
            "mode": "quick" if quick else "full", "reps": mode["reps"], "n": mode["n"],
            "spread": {"share": worst[0], "instructions": worst[1], "row": worst[2],
                       "rows_that_moved": sum(1 for x in spread if x[1] > 0.5), "rows": len(spread)},
            "seconds": time.time() - began}, None


# ---------------------------------------------------------------------------------------
# the table on stdout (make bench-instructions)


def fmt(x):
    """Instructions per call as whole numbers: the counts vary in the first decimal (see above)."""
    return "n/a" if x is None else "{:,.0f}".format(x)


def reference_instructions(pyver):
    """{op: (library, instructions)}: the alternative with the fewest instructions per
    operation on CPython `pyver`, from docs/benchmarks/results.json (if it has them)."""
    try:
        with open(os.path.join(ROOT, "docs", "benchmarks", "results.json")) as f:
            run = json.load(f)
    except (OSError, ValueError):
        return {}, None
    best = {}
    for job in run["jobs"]:
        if job.get("ours") or job["adapter"] == "stdlib" or job["pyver"] != pyver:
            continue
        ins = (job.get("result") or {}).get("instructions") or {}
        for op, r in (ins.get("groups") or {}).get("ops", {}).items():
            if op not in best or r["instructions"] < best[op][1]:
                best[op] = ((job["label"]), r["instructions"])
    return best, run["meta"]["date"]


def print_table(result, pyver, last, references, reference_date, out=sys.stdout):
    import libs

    previous = (last or {}).get("result", {}).get("groups", {})
    lines = []

    def add(cells):
        lines.append(cells)

    header = ["row", "call", "n", "instructions"]
    if last:
        header += ["before", "change"]
    if references:
        header += ["fewest alternative", "ratio"]
    add(header)
    for group, rows in result["groups"].items():
        for name, r in rows.items():
            title = libs.OP_TITLES.get(name, name) if group == "ops" else name
            cells = [title, r["call"], str(r["n"]), fmt(r["instructions"])]
            if last:
                before = previous.get(group, {}).get(name)
                cells += [fmt(before["instructions"]), "%+.0f" % (r["instructions"] - before["instructions"])] \
                    if before else ["—", ""]
            if references:
                ref = references.get(name) if group == "ops" else None
                cells += ["%s %s" % (ref[0], fmt(ref[1])), "%.2f×" % (r["instructions"] / ref[1])] \
                    if ref and ref[1] > 0 else ["", ""]
            add(cells)
    widths = [max(len(c[i]) for c in lines) for i in range(len(header))]
    empty = result["empty_loop"].get(str(result["n"])) or next(iter(result["empty_loop"].values()))
    print("Instructions per call, counted by callgrind, net of the empty loop (%s per iteration with n = %s): "
          "CPython %s, %s mode" % (fmt(empty["gross"]), "{:,}".format(result["n"]), pyver, result["mode"]), file=out)
    for k, cells in enumerate(lines):
        print("  ".join(c.rjust(w) if i >= 2 else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))),
              file=out)
        if k == 0:
            print("  ".join("-" * w for w in widths), file=out)
    spread = result["spread"]
    print("%d repetition(s) of each row in one process, on other heap layouts, the least shown; they differ in %d "
          "of %d rows, most in %s: by %.1f instructions per call (%.1f%%). %.0f s under %s" % (
              result["reps"], spread["rows_that_moved"], spread["rows"], spread["row"], spread["instructions"],
              100 * spread["share"], result["seconds"], result["valgrind"]), file=out)
    if last:
        print("before: %s (%s)" % (last.get("date"), last.get("commit")), file=out)
    if references:
        print("fewest alternative: from docs/benchmarks/results.json (%s)" % reference_date, file=out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("adapter", nargs="?", default="atomics")
    parser.add_argument("--quick", action="store_true", help="tiny n, one run of each row")
    parser.add_argument("--variants", dest="variants", action="store_true", default=None,
                        help="also the order=/positional/small-value rows (default for this library)")
    parser.add_argument("--no-variants", dest="variants", action="store_false")
    parser.add_argument("--last", help="a JSON file: show its figures as 'before' and the change, then save "
                        "this run there")
    parser.add_argument("--json", action="store_true", help="print the result as JSON instead of a table")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--helper", help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    sys.path.insert(0, HERE)
    import libs

    if args.adapter not in libs.ADAPTERS:
        parser.error("unknown adapter %r (one of %s)" % (args.adapter, ", ".join(sorted(libs.ADAPTERS))))
    variants = args.variants if args.variants is not None else args.adapter == "atomics"
    result, error = measure(args.adapter, variants=variants, quick=args.quick)
    if error:
        sys.exit("instructions.py: " + error)
    pyver = "%d.%d" % sys.version_info[:2]
    if args.json:
        json.dump(result, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    last = None
    if args.last and os.path.exists(args.last):
        with open(args.last) as f:
            last = json.load(f)
        if last.get("adapter") != args.adapter or last.get("python") != pyver:
            last = None
    references, date = reference_instructions(pyver) if args.adapter == "atomics" else ({}, None)
    print_table(result, pyver, last, references, date)
    if args.last:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
        os.makedirs(os.path.dirname(os.path.abspath(args.last)), exist_ok=True)
        with open(args.last, "w") as f:
            json.dump({"adapter": args.adapter, "python": pyver, "commit": commit or "?",
                       "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                       "result": result}, f, indent=1)


if __name__ == "__main__":
    main()
