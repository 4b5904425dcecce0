"""The results of a run as markdown (results.md) and a chart (ops.png), and the targets.

A run is a dict: {"meta": {...}, "jobs": [job, ...], "failures": [...], "notes": [...]},
where each job is {"key", "label", "adapter", "pyver", "python", "status", "error",
"sections", "result"} and "result" is what measure.py printed (None unless status is "ok").
The single-thread, targets, contention, costs and calls sections (and the chart) show the
jobs that measured the "ops" section; the scaling, ping-pong and arrays sections, theirs. A
section measured later by `run.py --sections` and merged in has its own meta in
meta["merged"] and its own record in each job's "section_runs".
"""

import libs
from instructions import FULL as FULL_COUNT

OPS = libs.OPS
TITLES = libs.OP_TITLES
NOT_OK = {"not installed": "not installed", "skipped": "skipped", "build failed": "build failed",
          "failed": "failed"}

# The targets of the project's issue.
SHAPE_LIMIT = 1.25  # this library / the stdlib call of the same shape
FULL_BUDGET = FULL_COUNT["budget"]  # instructions per counted run: rows above budget / n get a smaller n
KEYWORD_LIMIT = 1.5  # explicit order= keyword / the default call
POSITIONAL_LIMIT = 1.2  # order passed positionally / the default call
VIEW_LIMIT_NS = 1000.0  # atomicview create + enter + exit
PROCESS_FACTOR = 10.0  # 2 processes on shared memory / multiprocessing.Value with its lock
FREE_THREADED_SCALING = 1.8  # 2 threads with a handle each / 1 thread, on a free-threaded build

CODE_NAMES = ("x += 1", "next(itertools.count())")


# ---------------------------------------------------------------------------------------
# formatting


def fmt_ns(x):
    if x is None:
        return "n/a"
    if abs(x) < 100:
        return "%.1f" % x
    return "{:,.0f}".format(x)


def fmt_ratio(x):
    return "n/a" if x is None else ("%.2f×" % x if x < 10 else "%.0f×" % x)


def fmt_mops(r):
    return "%.1f" % r["mops"] if r["mops"] >= 1 else "%.2f" % r["mops"]


def ratio(a, b):
    """a / b for net times; None when b is not positive (the reference is lost in noise)."""
    if a is None or b is None or b <= 0:
        return None
    return max(a, 0.0) / b


def met(flag):
    return "n/a" if flag is None else ("**met**" if flag else "**missed**")


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


def code(s):
    return "`%s`" % s


# ---------------------------------------------------------------------------------------
# looking things up


def jobs_of(run, pyver=None, adapter=None, ours=None):
    out = []
    for job in run["jobs"]:
        if pyver is not None and job["pyver"] != pyver:
            continue
        if adapter is not None and job["adapter"] != adapter:
            continue
        if ours is not None and job.get("ours", False) != ours:
            continue
        out.append(job)
    return out


def entry(job, group, name):
    r = job.get("result")
    if not r:
        return None
    return (r.get(group) or {}).get(name)


def ns(job, group, name):
    e = entry(job, group, name)
    return None if e is None else e["ns"]


def counted(job):
    """The job's instruction counts (bench/instructions.py), or None."""
    return (job.get("result") or {}).get("instructions")


def instr_entry(job, group, name):
    return ((counted(job) or {}).get("groups", {}).get(group) or {}).get(name)


def instr(job, group, name):
    e = instr_entry(job, group, name)
    return None if e is None else e["instructions"]


def value(job, group, name, metric):
    """ns or instructions per call, net of the empty loop."""
    return ns(job, group, name) if metric == "ns" else instr(job, group, name)


def fmt_instr(x):
    return "n/a" if x is None else "{:,.0f}".format(x)


def fmt_value(x, metric):
    return fmt_ns(x) if metric == "ns" else fmt_instr(x)


def cell(job, group, name, with_note=True, metric="ns"):
    if job["status"] != "ok":
        return NOT_OK.get(job["status"], job["status"])
    e = entry(job, group, name)
    if metric == "instructions":
        if counted(job) is None:
            return "not counted"
        timed, e = e, instr_entry(job, group, name)
        if e is None:
            return "n/a"
        text = fmt_instr(e["instructions"])
        if with_note and timed is not None and (e["call"], e.get("note")) != (timed["call"], timed.get("note")):
            text += " *(%s)*" % (e.get("note") or code(e["call"]))  # not the call timed fastest
        elif with_note and e.get("note"):
            text += " *(%s)*" % e["note"]
        return text
    if e is None:
        return "n/a"
    text = fmt_ns(e["ns"])
    if with_note and e.get("note"):
        text += " *(%s)*" % e["note"]
    return text


def header_label(job):
    r = job.get("result") or {}
    label = job["label"]
    if r.get("version") and not job.get("ours") and job["adapter"] != "stdlib" and r["version"] not in label:
        label += " " + r["version"]
    return label


def pyvers(run):
    seen = []
    for job in run["jobs"]:
        if job.get("ours") and job["pyver"] not in seen:
            seen.append(job["pyver"])
    return seen


def peers(run, pyver):
    return [j for j in jobs_of(run, pyver=pyver, ours=False) if j["adapter"] != "stdlib"]


def stdlib(run, pyver):
    found = jobs_of(run, pyver=pyver, adapter="stdlib")
    return found[0] if found else None


def ours(run, pyver):
    found = jobs_of(run, pyver=pyver, ours=True)
    return found[0] if found else None


# ---------------------------------------------------------------------------------------
# targets


def fastest_alternative(run, pyver, op, metric="ns"):
    """(job, ns or instructions, note) of the alternative with the least, or None."""
    best = None
    for job in peers(run, pyver):
        e = entry(job, "ops", op) if metric == "ns" else instr_entry(job, "ops", op)
        if job["status"] == "ok" and e is not None and (best is None or e[metric] < best[1]):
            best = (job, e[metric], e.get("note"))
    return best


def targets(run):
    """[{"pyver", "target", "limit", "ns": judged, "instructions": judged or None}] for every
    target of the issue that this run measured, where judged is {"this", "reference", "ratio",
    "met"} (texts, the ratio, and True, False or None when it cannot be judged). Instructions
    are judged by the same limit where the target is about the cost of a call."""
    out = []

    def judged(this, reference, r, flag):
        return {"this": this, "reference": reference, "ratio": r, "met": flag}

    def add(pyver, target, limit, by_ns, by_instructions=None):
        out.append({"pyver": pyver, "target": target, "limit": limit, "ns": by_ns, "instructions": by_instructions})

    def against(mine, reference, text, limit, metric):
        """this / reference for a limit on the ratio (None: not counted)."""
        if metric == "instructions" and mine is None:
            return None
        r = ratio(mine, reference)
        return judged(fmt_value(mine, metric), text, r, None if r is None else r <= limit)

    full, run = run, ops_run(run)
    for pyver in pyvers(run):
        me = ours(run, pyver)
        if me is None or me["status"] != "ok":
            continue
        std = stdlib(run, pyver)
        for op in OPS:
            both = []
            for metric in ("ns", "instructions"):
                mine = value(me, "ops", op, metric)
                alt = fastest_alternative(run, pyver, op, metric)
                if alt is None:
                    both.append(None if metric == "instructions" and mine is None else
                                judged(fmt_value(mine, metric), "no alternative has it", None, None))
                else:
                    note = " (%s)" % alt[2] if alt[2] else ""
                    both.append(against(mine, alt[1], "%s %s%s" % (header_label(alt[0]), fmt_value(alt[1], metric),
                                                                   note), 1.0, metric))
            add(pyver, "%s ≤ fastest alternative" % TITLES[op], "≤ 1×", *both)
        for op in OPS:
            shape = libs.SHAPE_OF.get(op)
            if shape is None or std is None or std["status"] != "ok":
                continue
            add(pyver, "%s vs stdlib %s" % (TITLES[op], code(shape)), "≤ %.2f×" % SHAPE_LIMIT,
                *[against(value(me, "ops", op, m), value(std, "ops", shape, m),
                          fmt_value(value(std, "ops", shape, m), m), SHAPE_LIMIT, m) for m in ("ns", "instructions")])
        if me["result"].get("variants"):
            for op in OPS:
                for suffix, limit, what in (("[order=]", KEYWORD_LIMIT, "order by keyword"),
                                            ("[positional]", POSITIONAL_LIMIT, "order positionally")):
                    if ns(me, "variants", op + suffix) is None:
                        continue
                    add(pyver, "%s, %s vs default" % (TITLES[op], what), "≤ %.2f×" % limit,
                        *[against(value(me, "variants", op + suffix, m), value(me, "ops", op, m),
                                  fmt_value(value(me, "ops", op, m), m), limit, m) for m in ("ns", "instructions")])
        view = ns(me, "costs", "view_cycle")
        if view is not None:
            view_instr = instr(me, "costs", "view_cycle")
            add(pyver, "atomicview create + enter + exit", "< %s ns" % fmt_ns(VIEW_LIMIT_NS),
                judged(fmt_ns(view) + " ns", "", None, view < VIEW_LIMIT_NS),
                None if view_instr is None else judged(fmt_instr(view_instr), "", None, None))
        if std is not None and std["status"] == "ok":
            for method in ("fork", "spawn"):
                mine = (me["result"].get("processes") or {}).get("shared_memory/" + method)
                theirs = (std["result"].get("processes") or {}).get("value_lock/" + method)
                if not mine or not theirs:
                    continue
                r = mine["mops"] / theirs["mops"]
                add(pyver, "2 processes (%s) vs multiprocessing.Value + lock" % method, "≥ %.0f×" % PROCESS_FACTOR,
                    judged(fmt_mops(mine) + " M ops/s", fmt_mops(theirs) + " M ops/s", r, r >= PROCESS_FACTOR))
    for job in full["jobs"]:
        sc = (job.get("result") or {}).get("scaling") or {}
        if not job.get("ours") or not sc.get("handle") or not job["result"].get("free_threaded"):
            continue
        handle, same = sc["handle"], sc.get("same")
        shared = ("one shared object: %s M ops/s with 2 threads (%.2f× one thread)"
                  % (fmt_mops(same["threads"]["2"]), same["speedup"])) if same else ""
        add(job["pyver"], "free-threaded: 2 threads with a handle each vs 1 thread",
            "≥ %.1f×" % FREE_THREADED_SCALING,
            judged("%s vs %s M ops/s" % (fmt_mops(handle["threads"]["2"]), fmt_mops(handle["threads"]["1"])), shared,
                   handle["speedup"], handle["speedup"] >= FREE_THREADED_SCALING))
    return out


# ---------------------------------------------------------------------------------------
# markdown


def ops_run(run):
    """The run with only the jobs that measured the "ops" section (all of them in a run made
    before there were sections)."""
    return dict(run, jobs=[j for j in run["jobs"] if "ops" in j.get("sections", ["ops"])])


def section_meta(run, section):
    """The meta of the run that measured `section`: a partial run merged in later, or the run's own."""
    for m in reversed(run["meta"].get("merged", [])):
        if section in m["sections"]:
            return m
    return run["meta"]


def section_job(job, section):
    """The job's record of measuring `section` ("status", "error", "argv", "digests"): that of a
    partial run merged in later, or the job's own."""
    return (job.get("section_runs") or {}).get(section) or job


def all_failures(run):
    merged = run["meta"].get("merged", [])
    return run["failures"] + ["%s (%s): %s" % (", ".join(m["sections"]), m["date"], f)
                              for m in merged for f in m["failures"]]


def markdown(run, chart_name):
    full, run = run, ops_run(run)
    meta = run["meta"]
    quick = meta["mode"] == "quick"
    reps = "1 run" if quick else "best of 5 runs"
    lines = ["# Benchmarks of atomics 2.0 and its alternatives", ""]
    if all_failures(run):
        lines += ["**THIS RUN FAILED:**", ""] + ["- " + f for f in all_failures(run)] + [""]
    if quick:
        lines += ["*Quick mode (CI smoke run): tiny n, one run each; the numbers are noise.*", ""]
    lines += [
        "- Date: %s" % meta["date"],
        "- Machine: %s%s, %s logical cores, %s memory, Linux %s" % (
            meta["cpu"], " (%s)" % meta["arch"] if "arch" in meta else "", meta["cores"], meta["memory"],
            meta["kernel"]),
        "- Every figure is native (this machine's CPU, no emulator). aarch64 (under qemu) and i686 are tested "
        "by `make test-cross`, never timed here: emulated timings are not speed figures.",
        "- Load average: %s before, %s after (other work on the machine skews the numbers)" % (
            meta["loadavg_start"], meta["loadavg_end"]),
        "- Pythons: %s" % "; ".join("CPython %s (%s)" % (v, p) for v, p in meta["pythons"]),
        "- Command: `%s` (runs `%s`), %s in total" % (meta["command"], meta["argv"], meta["duration"]),
        "- Source: commit %s%s; package digest %s (extension: %s build by tools/env.sh)" % (
            meta["commit"], " with uncommitted changes" if meta["dirty"] else "",
            ", ".join("%s for %s" % (d, v) for v, d in meta["package_digests"]) or "n/a",
            meta.get("profile", "release")),
    ]
    for m in meta.get("merged", []):
        lines.append("- Measured later and merged in: the %s section%s, on %s by `%s` (see %s)" % (
            ", ".join(m["sections"]), "s" if len(m["sections"]) > 1 else "", m["date"], m["command"],
            "there" if len(m["sections"]) > 1 else "that section"))
    lines += [
        "",
        "Every number below is the time of one call, in ns, net of the empty loop "
        "(`for _ in range(n): pass`) timed in the same process: %s of n calls, each "
        "library in a subprocess of its own virtualenv, in the same loop with the object and "
        "arguments in locals:" % reps,
        "",
        "```python",
        "def run(n, o=o, v=v):",
        "    for _ in range(n):",
        "        o.store(v)",
        "```",
        "",
        ("n is 20,000 in quick mode. " if quick else
         "n is chosen per row so that one run lasts about 0.2 s (20,000 to 5,000,000 calls). ") +
        "Values are kept at 2**41 + 12345, above CPython's small-int cache; *n/a*: the library has no "
        "such operation; *(italics)*: what stands in for it. Lower is better."
        + (" Below each table of ns, the same rows in instructions per call, counted exactly by callgrind "
           "(*Instructions per call* says how)." if any(counted(j) for j in run["jobs"]) else ""),
        "",
        "![ns per operation](%s)" % chart_name,
        "",
    ]
    for pyver in pyvers(run):
        lines += ops_section(run, pyver)
    lines += versions_section(run)
    lines += targets_section(full)
    lines += variants_section(run)
    lines += instructions_section(full)
    lines += stdlib_section(run)
    lines += contention_section(run)
    lines += scaling_section(full)
    lines += pingpong_section(full)
    lines += arrays_section(full)
    lines += costs_section(run)
    lines += calls_section(run)
    lines += array_calls_section(full)
    lines += peers_section(full)
    notes = run["notes"] + ["%s (%s): %s" % (", ".join(m["sections"]), m["date"], n)
                            for m in meta.get("merged", []) for n in m["notes"]]
    if notes:
        lines += ["## Notes", ""] + ["- " + n for n in notes] + [""]
    return "\n".join(lines)


def ops_section(run, pyver):
    lines = ["## Single-thread operations on CPython %s" % pyver, "", ops_table(run, pyver, "ns")]
    if any(counted(j) for j in [ours(run, pyver)] + peers(run, pyver)):
        lines += ["The same rows in instructions per call, counted by callgrind (net of the empty loop of the same "
                  "n; see *Instructions per call*); *(italics)*: a call other than the one timed fastest, where "
                  "that one counted fewer instructions.", "", ops_table(run, pyver, "instructions")]
    return lines


def ops_table(run, pyver, metric):
    me, std = ours(run, pyver), stdlib(run, pyver)
    cols = [me] + peers(run, pyver)
    header = ["operation (%s)" % metric] + [header_label(j) for j in cols] + [
        "stdlib, same shape", "≤ fastest alternative", "≤ %.2f× stdlib" % SHAPE_LIMIT]
    std_ok = std is not None and std["status"] == "ok"
    rows = []
    for op in OPS:
        row = [TITLES[op]] + [cell(j, "ops", op, metric=metric) for j in cols]
        shape = libs.SHAPE_OF.get(op)
        theirs = value(std, "ops", shape, metric) if shape and std_ok else None
        if not shape or not std_ok:
            row.append("—")
        elif metric == "instructions" and counted(std) is None:
            row.append("not counted")
        else:
            row.append("%s %s" % (fmt_value(theirs, metric), code(shape)))
        mine = value(me, "ops", op, metric) if me["status"] == "ok" else None
        alt = fastest_alternative(run, pyver, op, metric)
        if mine is None or alt is None:
            row.append("no alternative" if alt is None else "n/a")
        else:
            r = ratio(mine, alt[1])
            row.append("%s (%s %s)" % (met(None if r is None else r <= 1.0), fmt_ratio(r), header_label(alt[0])))
        if mine is not None and theirs is not None:
            r = ratio(mine, theirs)
            row.append("%s (%s)" % (met(None if r is None else r <= SHAPE_LIMIT), fmt_ratio(r)))
        else:
            row.append("—")
        rows.append(row)
    if metric == "ns":
        empty = ["empty loop, subtracted (gross ns per iteration)"]
        for j in cols:
            r = j.get("result")
            empty.append(fmt_ns(r["empty_loop_ns"]) if r else cell(j, "ops", "load"))
        empty.append(fmt_ns(std["result"]["empty_loop_ns"]) if std and std.get("result") else "—")
    else:
        empty = ["empty loop, subtracted (instructions per iteration)"]
        for j in cols + ([std] if std else []):
            loops = (counted(j) or {}).get("empty_loop") or {}
            first = loops.get(str(counted(j)["n"])) if loops else None
            empty.append("%s (n = %s)" % (fmt_ns(first["gross"]), "{:,}".format(counted(j)["n"])) if first else "—")
        if not std:
            empty.append("—")
    rows.append(empty + ["", ""])
    return table(header, rows)


def versions_section(run):
    """This library's single-thread rows with one column per CPython version, and each later
    version's time over the first's."""
    mine = [ours(run, pyver) for pyver in pyvers(run)]
    if len(mine) < 2:
        return []
    first = mine[0]
    header = (["operation (ns)"] + ["CPython %s" % j["pyver"] for j in mine]
              + ["%s / %s" % (j["pyver"], first["pyver"]) for j in mine[1:]])
    rows = []
    for op in OPS:
        base = ns(first, "ops", op) if first["status"] == "ok" else None
        rows.append([TITLES[op]] + [cell(j, "ops", op) for j in mine]
                    + [fmt_ratio(ratio(ns(j, "ops", op), base)) if j["status"] == "ok" else "n/a" for j in mine[1:]])
    return ["## This library on each CPython", "",
            "The rows of the single-thread tables above for this library alone, side by side (ns per call, "
            "net of each interpreter's own empty loop); a ratio above 1× is slower than on CPython %s."
            % first["pyver"], "", table(header, rows)]


def targets_section(run):
    found = targets(run)
    lines = ["## Targets", ""]
    summary = []
    for metric, what in (("ns", "in ns net of the empty loop"), ("instructions", "in instructions per call")):
        judged = [t[metric] for t in found if t[metric] and t[metric]["met"] is not None]
        if judged:
            summary.append("%d of %d %s" % (sum(1 for j in judged if j["met"]), len(judged), what))
    lines += ["Met: %s. A ratio is this library over the reference; instructions (counted by callgrind, see "
              "*Instructions per call*) are judged by the same limit where the target is about the cost of a "
              "call." % "; ".join(summary), ""]
    rows = []
    for t in found:
        row = ["CPython " + t["pyver"], t["target"], t["limit"]]
        for metric in ("ns", "instructions"):
            j = t[metric]
            row += (["—"] * 4 if j is None else
                    [j["this"], j["reference"] or "—", fmt_ratio(j["ratio"]), met(j["met"])])
        rows.append(row)
    lines.append(table(["python", "target", "limit", "this library", "reference", "ratio", "result",
                        "instructions", "reference", "ratio", "result"], rows))
    return lines


def variants_section(run):
    lines = []
    for pyver in pyvers(run):
        me = ours(run, pyver)
        if me["status"] != "ok" or not me["result"].get("variants"):
            continue
        metrics = ("ns", "instructions") if counted(me) else ("ns",)
        header = ["operation"]
        for metric in metrics:
            header += ["default (%s)" % metric, "`order=` keyword", "ratio (≤ %.1f×)" % KEYWORD_LIMIT,
                       "order positionally", "ratio (≤ %.1f×)" % POSITIONAL_LIMIT]
        rows = []
        for op in OPS:
            row = [TITLES[op]]
            for metric in metrics:
                base = value(me, "ops", op, metric)
                kw, pos = value(me, "variants", op + "[order=]", metric), value(me, "variants", op + "[positional]",
                                                                                 metric)
                row += [fmt_value(base, metric), fmt_value(kw, metric), fmt_ratio(ratio(kw, base)),
                        fmt_value(pos, metric), fmt_ratio(ratio(pos, base))]
            rows.append(row)
        lines += ["## Memory order arguments (this library, CPython %s)" % pyver, "",
                  "The same calls with `MemoryOrder.SEQ_CST` (the default) passed explicitly; "
                  "compare-exchange takes `success=` and `failure=`%s." % (
                      "; in ns, and in instructions per call counted by callgrind" if counted(me) else ""),
                  "", table(header, rows)]
        rows = []
        for op in OPS:
            if ns(me, "variants", op + "[small]") is not None:
                rows.append([TITLES[op]] + [fmt_value(value(me, group, name, metric), metric) for metric in metrics
                                            for group, name in (("ops", op), ("variants", op + "[small]"))])
        header = ["operation"] + ["%s (%s)" % (what, metric) for metric in metrics
                                  for what in ("2**41 + 12345", str(libs.SMALL))]
        lines += ["## Small values (this library, CPython %s)" % pyver, "",
                  "The same calls with the value %d, which CPython caches, instead of 2**41 + 12345."
                  % libs.SMALL, "", table(header, rows)]
    return lines


def instructions_section(run):
    """How the instructions were counted, and how stable and long each job's count was."""
    jobs = [j for j in run["jobs"] if "instructions" in j.get("sections", [])]
    if not jobs:
        return []
    meta = section_meta(run, "instructions")
    rows, seconds, spreads = [], 0.0, []
    for job in jobs:
        rec, c = section_job(job, "instructions"), counted(job)
        if c is None:
            status = NOT_OK.get(rec["status"], rec["status"]) if rec["status"] != "ok" else "not counted"
            errors = [f for f in (job.get("result") or {}).get("failures", []) if "instructions" in f]
            rows.append([header_label(job), job["pyver"], status + (": " + rec["error"] if rec.get("error") else "")
                         + ("; ".join([""] + errors) if errors else ""), "", "", "", ""])
            continue
        seconds += c["seconds"]
        spread = c["spread"]
        spreads.append(spread["rows_that_moved"])
        count = sum(len(g) for g in c["groups"].values())
        rows.append([header_label(job), job["pyver"], "%d rows" % count, "{:,}".format(c["n"]),
                     "one repetition" if c["reps"] == 1 else "%d of %d; most: %s, by %.0f (%.1f%%)" % (
                         spread["rows_that_moved"], spread["rows"], spread["row"], spread["instructions"],
                         100 * spread["share"]),
                     "%.0f s" % c["seconds"], "`%s`" % rec["argv"] if rec.get("argv") else job["key"]])
    first = next((counted(j) for j in jobs if counted(j)), None)
    quick = first is not None and first["mode"] == "quick"
    lines = [
        "## Instructions per call", "",
        "Counted by `bench/instructions.py` (its docstring says how and why): each library's rows in one child "
        "process under `valgrind --tool=callgrind`%s, in the loop the ns rows time, the same call. After each "
        "run of the loop, callgrind's client request dumps the instructions executed since the previous dump: "
        "a row's gross figure is (instructions of `run(n)` − those of `run(n/2)`) / (n/2), which cancels all "
        "that surrounds the loop, and its net figure, shown in the tables, subtracts the empty loop's, counted "
        "the same way with the same n. Everything the process executes counts: the interpreter's dispatch, the "
        "call, the library, the allocator. %s. "
        "Runs are made without address randomisation (`setarch -R`), with PYTHONHASHSEED=0 and the garbage "
        "collector off: two runs of one build give the same figures. What is left depends on where pymalloc "
        "puts the loop's short-lived objects: in a pool with a single free block it unlinks and links the pool "
        "at every call (15 to 19 instructions more per call, from what ran before, not from the call), and its "
        "check of a freed address costs a few instructions more in one part of an arena. So each repetition "
        "starts from another heap layout with a half-full pool at the head of every size class, and the least "
        "is kept, the cheapest placement%s."
        % (" (%s)" % first["valgrind"] if first else "",
           "n is %s or fewer, one repetition (quick mode: the figures are noise; each library is counted once, "
           "on 3.11, and ft-utils on 3.13)" % "{:,}".format(first["n"]) if quick else
           "n is %s (fewer for the rows above %s instructions per call); the least of %d repetitions" % (
               "{:,}".format(first["n"]) if first else "N",
               "{:,}".format(FULL_BUDGET // first["n"]) if first else "N", first["reps"] if first else 3),
           "" if quick or not spreads else "; the table below says in how many rows (empty loops included) "
           "the repetitions differed, and by how much at most"),
        "",
        "Instructions are not time: a locked instruction (each atomic read-modify-write on x86) counts one "
        "and costs tens of cycles, a cache miss counts nothing. They show exactly, on a busy machine, what a "
        "change adds or removes; the ns say what a call costs.",
        "",
        "Counted under `%s` on %s: %.0f s under valgrind in all. Alone, for this library on CPython 3.11: "
        "`make bench-instructions` (a table on stdout, with the change since its last run)."
        % (meta["command"], meta["date"], seconds),
        "",
        table(["library", "python", "counted", "n", "rows whose repetitions differ (instructions per call)",
               "time under valgrind", "measured by"], rows),
    ]
    return lines


def stdlib_section(run):
    jobs = [j for j in jobs_of(run, adapter="stdlib")]
    if not jobs:
        return []
    names = []
    for j in jobs:
        for name in (j.get("result") or {}).get("ops", {}):
            if name not in names:
                names.append(name)
    shapes = {name: ", ".join(TITLES[op] for op in ops) for name, ops in libs.SAME_SHAPE.items()}
    rows = [[code(name) if name in shapes or name in CODE_NAMES else name] + [cell(j, "ops", name) for j in jobs]
            + [("same shape as " + shapes[name]) if name in shapes else "baseline"] for name in names]
    rows.append(["empty loop (gross ns per iteration)"]
                + [fmt_ns(j["result"]["empty_loop_ns"]) if j.get("result") else cell(j, "ops", "") for j in jobs]
                + ["subtracted from every row"])
    header = ["stdlib (ns)"] + ["CPython %s" % j["pyver"] for j in jobs] + ["role"]
    return ["## Standard library baselines", "",
            "`x += 1` and the lock rows work on a local int; `multiprocessing.Value` is "
            "`with lock: v.value += 1`. The same-shape rows are C method calls with the "
            "arguments and result of an atomic operation: `lst.clear()` on an empty list, "
            "`f.__trunc__()` on a float of 2**41 (a new large int), `s.discard(x)` on an empty "
            "set, `d.get(k)` returning a stored 2**41 int.", "", table(header, rows)]


def contention_cell(r, racy=False):
    if r is None:
        return "n/a"
    text = fmt_mops(r)
    if "overlap" in r:
        text += " (%.0f%%)" % (100.0 * r["overlap"])
    if racy:
        pct = 100.0 * r["lost"] / r["expected"]
        return "%s, lost %s of %s (%.0f%%)" % (text, "{:,}".format(r["lost"]), "{:,}".format(r["expected"]), pct)
    if not r["exact"]:
        return "%s **WRONG TOTAL %s of %s**" % (text, "{:,}".format(r["total"]), "{:,}".format(r["expected"]))
    return text + " ✓"


def contention_section(run):
    header = ["library", "python", "2 threads", "2 processes, fork", "2 processes, spawn", "call"]
    rows = []
    n = None
    for job in run["jobs"]:
        r = job.get("result")
        if job["status"] != "ok":
            rows.append([header_label(job), job["pyver"]] + [NOT_OK.get(job["status"], job["status"])] * 3 + [""])
            continue
        procs = r.get("processes") or {}
        threads = r.get("threads")
        if threads:
            n = threads["n"]
        if job["adapter"] == "stdlib":
            rows.append(["threading.Lock around `x += 1`", job["pyver"], contention_cell(threads), "n/a", "n/a",
                         code(threads["call"]) if threads else ""])
            for case, title, racy in (("value_lock", "multiprocessing.Value + its lock", False),
                                      ("racy", "racy control: plain read + write of the buffer", True)):
                got = [procs.get(case + "/fork"), procs.get(case + "/spawn")]
                call = next((code(g["call"]) for g in got if g), "")
                rows.append([title, job["pyver"], "n/a"] + [contention_cell(g, racy) for g in got] + [call])
            continue
        cases = sorted({k.split("/")[0] for k in procs})
        got = [threads] + [next((procs.get(c + "/" + m) for c in cases if procs.get(c + "/" + m)), None)
                           for m in ("fork", "spawn")]
        if not any(got):
            continue
        calls = sorted({g["call"] for g in got if g})
        rows.append([header_label(job), job["pyver"]] + [contention_cell(g) for g in got]
                    + [", ".join(code(c) for c in calls)])
    return ["## Contention: one shared counter", "",
            "Millions of increments per second in total, %s increments by each of 2 threads or 2 "
            "processes, timed from the first worker's start (after a barrier) to the last one's end; in "
            "parentheses, the share of that time during which both were counting at once; ✓: the total is exact "
            "(checked; the run fails otherwise). Processes share the counter through "
            "`multiprocessing.shared_memory` (this library and atomics 1.0 through `atomicview`, "
            "atomicshm through `AtomicView`), pytomic through its fork-only RawValue. The racy "
            "control reads, adds and writes with `int.from_bytes`/`to_bytes` and must lose "
            "updates." % ("{:,}".format(n) if n else "N"), "", table(header, rows)]


def gil_text(job):
    """Whether the GIL was enabled while the job measured, as checked by measure.py."""
    r = job.get("result") or {}
    gil = r.get("gil_enabled") or {}
    if not r.get("free_threaded"):
        return "yes (GIL build)"
    if gil.get("start") is False and gil.get("end") is False:
        return "no"
    return "**yes**, start %s, end %s" % (gil.get("start"), gil.get("end"))


def python_text(job):
    r = job.get("result") or {}
    if not r:
        return job["pyver"]
    return r["python"] + (" free-threaded" if r.get("free_threaded") else "")


def scaling_cell(r):
    if r is None:
        return "n/a"
    text = fmt_mops(r)
    if not r["exact"]:
        return "%s **WRONG TOTAL %s of %s**" % (text, "{:,}".format(r["total"]), "{:,}".format(r["expected"]))
    return text + " ✓"


def scaling_section(run):
    jobs = [j for j in run["jobs"] if "scaling" in j.get("sections", [])]
    if not jobs:
        return []
    ft = [j for j in jobs if (j.get("result") or {}).get("free_threaded") or j["pyver"].endswith("t")]
    gil = [j for j in jobs if j not in ft]
    lines = ["## Free-threaded scaling: 1 thread vs 2 threads", "",
             "Millions of increments per second in total, each thread calling the increment N times in the "
             "loop of the single-thread tables, after a barrier; timed from the first thread's start to the "
             "last one's end; %s; *2 threads, every run*: the lowest and highest of those runs; ✓: the total (and, "
             "for separate counters, each counter) is exact, checked after every run (the run fails "
             "otherwise). *Speed-up* is 2 threads over 1 thread: 2.00× is perfect "
             "scaling, 1.00× no gain. *CPU share*: CPU time the threads got (`time.thread_time()`) over "
             "threads × wall time, for 1 / 2 threads; well below 100%%, they waited for a core (the machine "
             "has %s logical cores; load average %s before the run, %s after). Per-thread objects (handles, "
             "separate counters) are made by the thread that uses them; the shared object by the main thread. "
             "*GIL enabled*: `sys._is_gil_enabled()` in the measuring process at its start and after the "
             "runs (an extension not declared free-threading-safe turns the GIL back on when imported)."
             % ("one run each (quick mode: N fixed, small)" if run["meta"]["mode"] == "quick" else
                "best of 5 runs (1 and 2 threads alternating; N chosen so that one thread's run lasts about 0.3 s)",
                run["meta"]["cores"],
                run["meta"]["loadavg_start"], run["meta"]["loadavg_end"]), ""]
    for title, group in (("On the free-threaded build", ft), ("For contrast: the GIL build", gil)):
        if not group:
            continue
        rows, commands = [], []
        for job in group:
            r = job.get("result")
            if job["status"] != "ok" or not r:
                status = NOT_OK.get(job["status"], job["status"])
                rows.append([header_label(job), python_text(job), "—", "—", status + (
                    ": " + job["error"].replace("|", "\\|") if job.get("error") else ""), "", "", "", "", "", ""])
                continue
            commands.append("`%s`" % job["argv"] if job.get("argv") else job["key"])
            for name in libs.SCALING:
                a = (r.get("scaling") or {}).get(name)
                if a is None:  # the library has no such arrangement (segments: this library only)
                    continue
                one, two = a["threads"]["1"], a["threads"]["2"]
                spread = a.get("runs", {}).get("2") or []
                rows.append([header_label(job), python_text(job), gil_text(job), libs.SCALING_TITLES[name],
                             a["how"], "{:,}".format(a["n"]), scaling_cell(one), scaling_cell(two),
                             "%.1f – %.1f" % (min(spread), max(spread)) if len(spread) > 1 else "—",
                             "**%.2f×**" % a["speedup"],
                             "%.0f%% / %.0f%%" % (100 * one.get("cpu_share", 0), 100 * two.get("cpu_share", 0))])
        lines += ["### %s" % title, ""]
        if commands:
            lines += ["Measured by " + "; ".join(commands) + " (under `%s`)." % run["meta"]["command"], ""]
        lines.append(table(["library", "python", "GIL enabled", "arrangement", "calls", "N per thread",
                            "1 thread (M ops/s)", "2 threads (M ops/s)", "2 threads, every run", "speed-up",
                            "CPU share"], rows))
        for job in group:
            comparison = scaling_comparison(job)
            if comparison:
                lines += [comparison, ""]
    return lines


def scaling_comparison(job):
    """One sentence: each arrangement with 2 threads, and the shared object against per-thread
    handles."""
    sc = (job.get("result") or {}).get("scaling") or {}
    parts = []
    for name in libs.SCALING:
        a = sc.get(name)
        if a:
            label = libs.SCALING_TITLES[name].split(" ", 1)[0]
            parts.append("%s %s M ops/s (%.2f× of 1 thread)" % (label, fmt_mops(a["threads"]["2"]), a["speedup"]))
    if not parts:
        return None
    text = "%s on CPython %s, 2 threads: %s" % (header_label(job), python_text(job), ", ".join(parts))
    same, handle = sc.get("same"), sc.get("handle")
    if same and handle:
        s2, h2 = same["threads"]["2"]["mops"], handle["threads"]["2"]["mops"]
        if h2 >= s2:
            text += "; per-thread handles (b) give %.2f× the shared object's (a) throughput" % (h2 / s2)
        else:
            text += "; the shared object (a) gives %.2f× the per-thread handles' (b) throughput" % (s2 / h2)
    return text + "."


def pingpong_section(run):
    jobs = [j for j in run["jobs"] if "pingpong" in j.get("sections", [])]
    if not jobs:
        return []
    titles = {"wait_notify": "atomics `wait` / `notify_one` on one shared atomic",
              "event": "`multiprocessing.Event` ping-pong (two Events)",
              "pipe": "`multiprocessing.Pipe` send / recv of a small int"}
    rows, commands, reference, first = [], [], None, None
    for job in jobs:
        r = job.get("result")
        if job["status"] != "ok" or not r:
            rows.append([header_label(job), job["pyver"], "—", NOT_OK.get(job["status"], job["status"])]
                        + [""] * 8)
            continue
        commands.append("`%s`" % job["argv"] if job.get("argv") else job["key"])
        for name, p in (r.get("pingpong") or {}).items():
            if "error" in p:
                rows.append([titles.get(name, name), python_text(job), gil_text(job), "**FAILED**: " + p["error"]]
                            + [""] * 7 + [p["how"]])
                continue
            first = first or p
            if name == "wait_notify":
                reference = p["median_us"]
            rows.append([titles.get(name, name), python_text(job), gil_text(job), "{:,}".format(p["rounds"]),
                         "**%.1f**" % p["median_us"], "%.1f" % p["p99_us"], "%.1f" % p["min_us"],
                         "%.1f" % p["mean_us"], "{:,.0f}".format(p["max_us"]),
                         " / ".join("%.1f" % m for m in p.get("block_medians_us") or []),
                         "%.2f – %.2f" % tuple(p["loadavg"]) if p.get("loadavg") else "?", p["how"]])
    header = ["mechanism", "python", "GIL enabled", "round trips", "median (µs)", "p99 (µs)", "min (µs)",
              "mean (µs)", "max (µs)", "median of each block (µs)", "load average (1 min)", "calls (parent / child)"]
    blocks = ("%d blocks of %s round trips, each with a fresh child and a warm-up of %s round trips not "
              "counted (the first includes the child's start-up)" % (
                  first["blocks"], "{:,}".format(first["rounds"] // first["blocks"]), first["warmup_per_block"])
              if first else "blocks")
    lines = ["## wait / notify: round trips between two processes", "",
             "The parent and a child started with `spawn` pass a value back and forth; each round trip is timed "
             "in the parent with `time.perf_counter_ns()`, from its store (or set, or send) to seeing the "
             "answer. The three mechanisms are measured by one process, in %s, alternating between the "
             "mechanisms so that all of them meet the same machine; the statistics are over all round trips. "
             "A wrong answer or a 10 s timeout fails the run. Each round trip wakes a sleeping process twice: "
             "it includes the kernel's wake-up and, when the machine is otherwise idle, the CPU's (on a VM, the "
             "virtual CPU's) return from idle, which can dominate; a busy machine gives lower numbers. Measured "
             "by %s (under `%s`)." % (blocks, "; ".join(commands) or "—", run["meta"]["command"]), "",
             table(header, rows)]
    if reference:
        for job in jobs:
            for name, p in ((job.get("result") or {}).get("pingpong") or {}).items():
                if name != "wait_notify" and "median_us" in p:
                    lines += ["- %s: median %.1f µs, %.2f× the atomic wait/notify's %.1f µs" % (
                        titles.get(name, name), p["median_us"], p["median_us"] / reference, reference)]
        lines.append("")
    return lines


# ---------------------------------------------------------------------------------------
# arrays of atomics

ARRAY_SHORT = {  # how a row is named where another is compared with it
    "list_loop": "list loop",
    "add_at": "`add_at`",
    "np_add_at": "`np.add.at`",
    "np_bincount": "`bincount`",
    "np_add_at_values": "`np.add.at`",
    "np_copyto": "`np.copyto`",
    "np_copy": "`h.copy()`",
    "np_assign": "`h[:] = v`",
    "np_fill": "`h[:] = x`",
    "store_all": "`store_all(v)`",
}
ARRAY_GROUP_TITLES = {
    "histogram": "Histogram: %s indices into one array",
    "snapshot": "Snapshot and fill: %s int64 elements",
}


def array_kind(name):
    return name.split("/", 1)[0]


def array_jobs(run):
    """The jobs of the arrays section, and those of them that measured it."""
    jobs = [j for j in run["jobs"] if "arrays" in j.get("sections", [])]
    return jobs, [j for j in jobs if section_job(j, "arrays")["status"] == "ok" and (j.get("result") or {}).get("arrays")]


def fmt_count(x):
    return "—" if x is None else "{:,}".format(x)


def fmt_per_element(x):
    return "%.2f" % x if x < 10 else "%.1f" % x if x < 100 else "{:,.0f}".format(x)


def fmt_meps(x):
    return "n/a" if x is None else ("%.0f" % x if x >= 10 else "%.1f" % x)


def array_versus(rows, r):
    parts = []
    for other in r["versus"]:
        o = rows.get(other)
        if o is None or o["ns_per_element"] <= 0:
            continue
        x = r["ns_per_element"] / o["ns_per_element"]
        parts.append("%s %s" % (fmt_ratio(x), ARRAY_SHORT.get(array_kind(other), other)))
    return ", ".join(parts) or "—"


def arrays_section(run):
    jobs, measured = array_jobs(run)
    if not jobs:
        return []
    meta = section_meta(run, "arrays")
    quick = meta["mode"] == "quick"
    commands = []
    for job in jobs:
        rec = section_job(job, "arrays")
        if job in measured:
            digests = rec.get("digests") or []
            commands.append("`%s` (package digest %s)" % (rec["argv"], digests[0] if digests else "?"))
        else:
            commands.append("%s on %s: %s%s" % (job["label"], job["pyver"], NOT_OK.get(rec["status"], rec["status"]),
                                                 (": " + rec["error"].replace("|", "\\|")) if rec.get("error") else ""))
    sizes = measured[0]["result"]["arrays"]["sizes"] if measured else None
    lines = [
        "## Arrays of atomics: cost per element", "",
        "Nanoseconds per element (and millions of elements per second) of this library's arrays "
        "(`a = atomics.array(size, 8, INT)`, private memory), next to numpy's and a Python list's non-atomic "
        "ways of doing the same on the same data in the same process. %s of n calls of each row, n such that "
        "a run lasts about 0.2 s; the rows take turns within each repetition, so that the ratios compare "
        "figures measured under the same load. Nothing is subtracted: a per-call row is the whole loop `for i "
        "in L: ...` over the %s indices as Python ints (`L = idx.tolist()`: converting numpy scalars is not "
        "what is measured), and *the loop alone* is its floor. `idx` is a numpy `intp` array of uniform random "
        "indices (`rng.integers(0, bins, N)`). Before it is timed, every row is called once on fresh state and "
        "its result compared element by element with numpy's (`np.bincount`, or the values copied); a "
        "difference fails the run. *vs*: this row's time per element over the named row's (above 1×: "
        "slower). Every element of a bulk operation is one hardware atomic, sequentially consistent by "
        "default (a locked read-modify-write on x86 for `add_at`, an `xchg` for a store); numpy's and the "
        "list's rows are plain loads and stores. With 1,024 bins the array is at most half as long as the "
        "indices, so `add_at` first sums each bin's values and then adds each sum with one atomic (the "
        "same result, one atomic per bin); with 1,048,576 bins it makes one atomic per index." % (
            "One run" if quick else "Best of %d runs" % (measured[0]["result"]["arrays"]["reps"] if measured else 5),
            fmt_count(sizes["indices"]) if sizes else "N"),
        "",
        "Measured by %s, under `%s` on %s (load average %s before, %s after; commit %s%s); numpy %s. "
        "Reproduce: `make bench-arrays` (this section only, on 3.11 and 3.13t, merged into "
        "docs/benchmarks/results.json and results.md; every other figure is kept), or `make bench` (everything)."
        % ("; ".join(commands), meta["command"], meta["date"], meta["loadavg_start"], meta["loadavg_end"],
           meta["commit"], " with uncommitted changes" if meta["dirty"] else "",
           ", ".join(sorted({j["result"]["arrays"]["numpy"] for j in measured})) or "?"),
        "",
    ]
    if quick:
        lines += ["*Quick mode: tiny n, one run each; the numbers are noise.*", ""]
    if not measured:
        return lines
    for group in libs.ARRAY_GROUPS:
        header = ["path", "call"] + (["bins"] if group == "histogram" else [])
        for job in measured:
            header += ["CPython %s: ns / element" % python_text(job), "M elements/s", "vs"]
        names = []
        for job in measured:
            for name, r in job["result"]["arrays"]["rows"].items():
                if r["group"] == group and name not in names:
                    names.append(name)
        kinds = libs.ARRAY_KINDS

        def order(name):
            r = next(j["result"]["arrays"]["rows"][name] for j in measured if name in j["result"]["arrays"]["rows"])
            kind = array_kind(name)
            return (r["size"] or 0, kinds.index(kind) if kind in kinds else len(kinds), name)

        rows = []
        for name in sorted(names, key=order):
            first = next(j["result"]["arrays"]["rows"][name] for j in measured if name in j["result"]["arrays"]["rows"])
            row = [first["title"], code(first["call"])] + ([fmt_count(first["size"])] if group == "histogram" else [])
            for job in measured:
                all_rows = job["result"]["arrays"]["rows"]
                r = all_rows.get(name)
                if r is None:
                    row += ["n/a", "", ""]
                    continue
                mark = "" if r.get("exact", True) else " **WRONG**"
                strong = "**%s**" if r["owner"] == "atomics" else "%s"
                row += [strong % fmt_per_element(r["ns_per_element"]) + mark, fmt_meps(r["meps"]),
                        array_versus(all_rows, r)]
            rows.append(row)
        count = sizes["indices"] if group == "histogram" else sizes["elements"]
        lines += ["### " + ARRAY_GROUP_TITLES[group] % fmt_count(count), "", table(header, rows)]
    lines += array_threads_table(measured, quick)
    return lines


def array_gil_text(job):
    """gil_text for the arrays section, from the GIL state it recorded itself (after importing
    numpy, and at its end)."""
    return gil_text(dict(job, result=dict(job["result"], gil_enabled=job["result"]["arrays"].get("gil_enabled"))))


def array_threads_table(measured, quick):
    rows, notes = [], []
    for job in measured:
        threads = job["result"]["arrays"].get("threads") or {}
        for name, a in threads.items():
            one, two = a["threads"]["1"], a["threads"]["2"]
            spread = a["runs"]["2"]

            def cell(r):
                text = fmt_meps(r["meps"])
                return text + " ✓" if r["exact"] else text + " **WRONG: %s**" % r["error"]

            rows.append([python_text(job), array_gil_text(job), fmt_count(a["bins"]), code(two["call"]), "{:,}".format(a["n"]),
                         cell(one), cell(two), "%s – %s" % (fmt_meps(min(spread)), fmt_meps(max(spread)))
                         if len(spread) > 1 else "—", "**%.2f×**" % a["speedup"],
                         "%.0f%% / %.0f%%" % (100 * one["cpu_share"], 100 * two["cpu_share"])])
        if threads and not job["result"].get("free_threaded"):
            notes.append("On CPython %s (with the GIL) the two threads take turns: `add_at` holds the GIL for the "
                         "whole call, so their calls run one after the other (a CPU share near 50%% with 2 threads); "
                         "no gain is to be expected there." % python_text(job))
        elif threads:
            fewest = min(a["bins"] for a in threads.values())
            notes.append("On CPython %s the two threads' calls can run at the same time, each element an atomic "
                         "add into the one shared array (%s bins are %s cache lines of 64 bytes, which both threads "
                         "update). With 2 cores, any other work on the machine takes one of them: compare the CPU "
                         "share and every run's figure." % (python_text(job), fmt_count(fewest),
                                                             fmt_count(fewest * 8 // 64)))
    if not rows:
        return []
    n = next(iter(measured[0]["result"]["arrays"]["threads"].values()))["elements"]
    return ["### 2 threads adding into one array", "",
            "Millions of elements per second in total: each of 2 threads calls `a.add_at(p)` with its half of "
            "the %s indices, after a barrier, N times; 1 thread makes both calls, `a.add_at(p); a.add_at(q)`, N "
            "times (the same work). Timed from the first thread's start to the last one's end; %s; ✓: after every "
            "run the whole array equals N × `np.bincount(idx)` exactly (checked; the run fails otherwise). "
            "*CPU share*: CPU time of the threads over threads × wall time, 1 / 2 threads." % (
                fmt_count(n), "one run each" if quick else
                "best of 5 runs, 1 and 2 threads alternating (N such that 1 thread's run lasts about 0.3 s)"), "",
            table(["python", "GIL enabled", "bins", "call", "N per thread", "1 thread (M elements/s)",
                   "2 threads (M elements/s)", "2 threads, every run", "speed-up", "CPU share"], rows)] + [
        "- " + n for n in notes] + [""]


def array_calls_section(run):
    jobs, measured = array_jobs(run)
    if not measured:
        return []
    rows, seen = [], set()
    for job in measured:
        for name, r in job["result"]["arrays"]["rows"].items():
            if name in seen:
                continue
            seen.add(name)
            rows.append([name, r["title"], code(r["call"]), r["setup"] or "—", fmt_count(r["elements"]),
                         fmt_count(r["size"])])
    kinds = libs.ARRAY_KINDS
    rows.sort(key=lambda row: (libs.ARRAY_GROUPS.index(
        next(j["result"]["arrays"]["rows"][row[0]]["group"] for j in measured if row[0] in j["result"]["arrays"]["rows"])),
        int(row[5].replace(",", "")) if row[5] != "—" else 0,
        kinds.index(array_kind(row[0])) if array_kind(row[0]) in kinds else len(kinds)))
    return ["### Arrays of atomics", "",
            "Each row's call, repeated n times in the loop of the single-thread tables (`for _ in range(n): "
            "CALL`), with its names as locals. Common to all: `a = atomics.array(size, 8, atomics.INT)`; `idx = "
            "rng.integers(0, bins, N, dtype=np.intp)` (one array per number of bins, the same for every row); "
            "`h`: the numpy (or list) counterpart of `a`. In results.json: `jobs[].result.arrays.rows[name]`.", "",
            table(["name", "path", "call", "set-up", "elements per call", "bins / length"], rows)]


def costs_section(run):
    jobs = [j for j in run["jobs"] if j["adapter"] != "stdlib"]
    header = ["cost"] + ["%s (%s)" % (header_label(j), j["pyver"]) for j in jobs]
    rows = [["view: create + enter + exit (ns)"] + [cell(j, "costs", "view_cycle") for j in jobs],
            ["construction of an atomic int (ns)"] + [cell(j, "costs", "construct") for j in jobs]]
    if any(counted(j) for j in jobs):
        rows += [["view: create + enter + exit (instructions)"]
                 + [cell(j, "costs", "view_cycle", metric="instructions") for j in jobs],
                 ["construction of an atomic int (instructions)"]
                 + [cell(j, "costs", "construct", metric="instructions") for j in jobs]]
    imports = ["`import` in a fresh interpreter (ms)"]
    for j in jobs:
        r = j.get("result")
        imports.append(NOT_OK.get(j["status"], "n/a") if not r
                       else ("%.1f" % (r["import_s"] * 1e3) if r.get("import_s") is not None else "n/a"))
    rows.append(imports)
    return ["## Costs around the hot path", "", table(header, rows)]


def calls_section(run):
    jobs = [j for j in run["jobs"] if j["adapter"] != "stdlib" and j["status"] == "ok"]
    header = ["operation"] + ["%s (%s)" % (header_label(j), j["pyver"]) for j in jobs]
    rows = []
    for group, names in (("ops", OPS), ("costs", ("construct", "view_cycle"))):
        for name in names:
            row = [TITLES.get(name, name)]
            for j in jobs:
                e = entry(j, group, name)
                row.append("n/a" if e is None else code(e["call"]) + (" (%s)" % e["note"] if e.get("note") else ""))
            rows.append(row)
    return ["## What each cell calls", "",
            "Where a library offers several ways (pytomic's `preinc`/`postinc` on `AtomicInt` or "
            "`AtomicIntUnsafe`, cereggii's object or its thread handle), all were timed and the "
            "fastest is shown.", "", table(header, rows)]


def peers_section(run):
    rows = []
    for job in run["jobs"]:
        r = job.get("result") or {}
        status = job["status"] if job["status"] != "ok" else "measured"
        if job.get("error"):
            status += ": " + job["error"].replace("|", "\\|")
        pip = " ".join(list(job.get("pip_args") or []) + [job["pip"]]) if job.get("pip") else None
        rows.append([job["label"], code(pip) if pip else ("tools/env.sh" if job.get("ours") else "—"),
                     job["pyver"], r.get("version") or "—", job.get("venv") or "—", status])
    return ["## Environments", "", table(["library", "installed with", "python", "version", "virtualenv", "status"],
                                         rows)]


# ---------------------------------------------------------------------------------------
# chart


def chart(run, path):
    run = ops_run(run)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    palette = iter(["#e8772e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf"])
    series = []  # (label, [ns per op], color, hatch)
    shown = set()  # each other library once, on the first version that measured it
    for k, pyver in enumerate(pyvers(run)):
        suffix = "" if k == 0 else " [%s]" % pyver
        for job in [ours(run, pyver)] + peers(run, pyver):
            if job["status"] != "ok" or (not job.get("ours") and job["label"] in shown):
                continue
            shown.add(job["label"])
            blues = ["#1f3f8f", "#4f7fd0", "#8fb8ee"]  # this library, darkest on the first version
            color = blues[min(k, len(blues) - 1)] if job.get("ours") else next(palette, "#7f7f7f")
            series.append((header_label(job) + suffix, [ns(job, "ops", op) for op in OPS], color, ""))
        std = stdlib(run, pyver)
        if std is not None and std["status"] == "ok" and k == 0:  # the first version's only
            series.append(("stdlib, same shape",
                           [ns(std, "ops", libs.SHAPE_OF[op]) if op in libs.SHAPE_OF else None for op in OPS],
                           "#d0d0d0", "//"))
    floor = 1.0  # net times below 1 ns (noise) are drawn at the floor
    fig, ax = plt.subplots(figsize=(15, 7))
    width = 0.88 / max(1, len(series))
    for i, (label, values, color, hatch) in enumerate(series):
        xs = [k + (i - (len(series) - 1) / 2.0) * width for k in range(len(OPS))]
        shown = [(x, max(v, floor * 1.05)) for x, v in zip(xs, values) if v is not None]
        ax.bar([x for x, _ in shown], [v for _, v in shown], width, label=label, color=color, hatch=hatch,
               edgecolor="black" if hatch else color, linewidth=0.3)
        for x, v in zip(xs, values):
            if v is None and not hatch:  # (a stdlib bar is missing where no call has that shape)
                ax.text(x, floor * 1.1, "n/a", rotation=90, ha="center", va="bottom", fontsize=6, color="gray")
    ax.set_yscale("log")
    ax.set_ylim(floor, None)
    ax.set_xticks(range(len(OPS)))
    ax.set_xticklabels([TITLES[op] for op in OPS])
    ax.set_ylabel("ns per call, net of the empty loop (log scale; lower is better)")
    meta = run["meta"]
    ax.set_title("One call of each operation: %s, %s%s" % (
        meta["cpu"], meta["date"][:10], " (QUICK MODE: noise)" if meta["mode"] == "quick" else ""))
    ax.grid(axis="y", which="both", alpha=0.3)
    ax.set_axisbelow(True)
    ax.legend(fontsize=8, ncol=6, loc="upper center", bbox_to_anchor=(0.5, -0.07), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
