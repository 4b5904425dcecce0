"""Benchmark atomics 2.0 against the other atomics libraries and the standard library.

    make bench               # full run: docs/benchmarks/{results.md,ops.png,results.json}
    make bench-quick         # every row with tiny n, into a temporary directory (CI smoke run)
    make bench-arrays        # the arrays section only, merged into docs/benchmarks/results.{json,md}
    make bench-instructions  # this library's instructions per call on 3.11, a table on stdout only
                             # (bench/instructions.py; nothing written but target/bench-instructions.json)

or, from the virtualenv that tools/env.sh prints (it has this library, numpy and matplotlib):

    python bench/run.py [--quick] [--out DIR] [--only KEY,...] [--sections SECTION,...]

One run on one machine measures: this library (built by tools/env.sh, release profile) on
CPython 3.11, 3.13 where pyenv has it, and 3.14 (Debian's, set up by tools/debian-python.sh);
atomics 1.0.3, atomicshm, pytomic 0.2.3, cereggii and atomicx on 3.11 and 3.14, ft-utils on
3.13 and 3.14, each pip-installed into a virtualenv of its own under
~/.cache/atomics-dev/bench (made here, reused while healthy); and the standard library's
baselines on each. Each runs bench/measure.py in a subprocess under its own interpreter, which
prints JSON. A library that cannot be installed is reported as such.

Two more sections: free-threaded scaling (1 vs 2 threads incrementing, three arrangements) of
this library on the free-threaded CPython 3.13t of tools/free-threaded-python.sh and on 3.11,
with ft-utils and cereggii on 3.13t where a 3.13t wheel installs (`--only-binary :all:`: no
source builds); and wait/notify round trips between two processes (spawn) on 3.11, next to
multiprocessing.Event and Pipe (measured by the same process, in alternating blocks).
And arrays of atomics, per element, on 3.11 and 3.13t: the per-call path, the bulk operations
and numpy's non-atomic equivalents (measured by the same process, on the same data), and 1 vs 2
threads adding into one array.

Instructions per call ("instructions"): every single-thread row (operations, this library's
order=/small-value variants, costs) of every library on 3.11 and 3.13 is also counted by
valgrind's callgrind, exact where the ns are noisy: measure.py starts one child process under
valgrind per library, in the library's own virtualenv, which counts each row in the same loop
as the ns, instructions of run(n) minus those of run(n/2), against the empty loop of the same n
(bench/instructions.py says how, and what makes two runs give the same figures). The report
shows them in a table under each table of ns and in the targets. Not on 3.14 (its eight
valgrind processes would add minutes). The quick run counts each library once, with tiny n:
the 3.11 jobs and ft-utils on 3.13. It needs valgrind, its headers and cc (tools/valgrind.sh
installs them).

`--sections` measures only those sections (of ops, scaling, pingpong, arrays, instructions), in
the jobs that have them, and merges them into the results.json already in the output directory: each
such job's figures of those sections are replaced, every other figure is kept, and the
partial run's own date, command, load and source are recorded with it (meta["merged"]), for
the report to show next to those sections. ops.png is redrawn only when ops is measured.

Nothing about timing is asserted. The run fails (exit status 1, after writing its report)
when a total counted by threads or processes is wrong (or an array's histogram or copy is),
when a measurement crashes (counting instructions included), or when, in a full run, the racy
control loses no update.
"""

import argparse
import concurrent.futures
import copy
import datetime
import json
import os
import platform
import shlex
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import envs  # noqa: E402
import report  # noqa: E402

ROOT = envs.ROOT
DOCS = os.path.join(ROOT, "docs", "benchmarks")
MEASURE = os.path.join(HERE, "measure.py")
SECTIONS = ("ops", "scaling", "pingpong", "arrays", "instructions")
# what each section puts in a job's result (measure.py)
SECTION_KEYS = {
    "ops": ("ops", "variants", "costs", "empty_loop_ns", "import_s", "threads", "processes"),
    "scaling": ("scaling", "gil_enabled_after_import", "gil_enabled"),
    "pingpong": ("pingpong",),
    "arrays": ("arrays",),
    "instructions": ("instructions",),
}


class Job:
    """One library on one interpreter, measured by one measure.py subprocess."""

    def __init__(self, key, label, adapter, pyver, python=None, base=None, pip=None, module=None,
                 ours=False, variants=False, sections=("ops",), pip_args=(), venv_name=None):
        self.key, self.label, self.adapter, self.pyver = key, label, adapter, pyver
        self.python = python  # the interpreter to run measure.py with, once set up
        self.base = base  # the interpreter to make a venv from (peers) or to build for (ours)
        self.pip, self.module, self.pip_args = pip, module, tuple(pip_args)
        self.ours, self.variants = ours, variants
        self.sections = tuple(sections)  # what measure.py measures: see its --sections
        self.venv_name = venv_name or key  # peers: CACHE/<venv_name>-<python version>
        self.status, self.error, self.result, self.venv, self.seconds = "ok", None, None, None, None
        self.argv = None  # the measure.py command line
        self.digests = None  # this library: its package digest before and after the measurement

    def setup(self, cache, profile):
        if self.status != "ok" or self.python is not None:
            return
        if self.ours:
            self.python, self.error = envs.build_ours(self.base, profile)
            if self.python is None:
                self.status = "build failed"
        elif self.pip:
            self.python, self.error = envs.peer_venv(cache, self.venv_name, self.pip, self.module, self.base,
                                                     self.pip_args)
            if self.python is None:
                self.status = "not installed"
        else:
            self.python = self.base
        if self.python and self.python != self.base:
            self.venv = os.path.dirname(os.path.dirname(self.python))

    def measure(self, quick):
        if self.ours:
            self.digests = [envs.package_digest(self.pyver)]
            self._measure(quick)
            self.digests.append(envs.package_digest(self.pyver))
        else:
            self._measure(quick)

    def _measure(self, quick):
        cmd = [self.python, MEASURE, self.adapter] + (
            ["--variants"] if self.variants and {"ops", "instructions"} & set(self.sections) else []) + (
            ["--quick"] if quick else []) + (
            ["--sections", ",".join(self.sections)] if self.sections != ("ops",) else [])
        self.argv = " ".join(shlex.quote(os.path.relpath(a, ROOT) if os.path.isabs(a) and a.startswith(ROOT) else a)
                             for a in cmd)
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)  # each library only from its own environment
        began = time.time()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
                                cwd=tempfile.gettempdir())
        progress = []
        tee = threading.Thread(target=_tee, args=(proc.stderr, progress))
        tee.start()
        stdout = proc.stdout.read()
        proc.wait()
        tee.join()
        self.seconds = time.time() - began
        if proc.returncode != 0:
            self.status = "failed"
            self.error = "measure.py exited with status %d: %s" % (proc.returncode, envs.summarize(
                "".join(progress[-5:]), ""))
            return
        self.result = json.loads(stdout.strip().splitlines()[-1])

    def as_dict(self):
        return {"key": self.key, "label": self.label, "adapter": self.adapter, "pyver": self.pyver,
                "python": self.python, "pip": self.pip, "pip_args": list(self.pip_args), "ours": self.ours,
                "sections": list(self.sections), "status": self.status,
                "error": self.error, "venv": self.venv, "seconds": self.seconds, "digests": self.digests,
                "argv": self.argv,
                "result": self.result}


def _tee(stream, lines):
    """Show a measurement's progress as it comes, and keep it for the error message."""
    for line in stream:
        lines.append(line)
        sys.stderr.write(line)
        sys.stderr.flush()


# The other atomics libraries: key (and venv name), label, adapter (bench/libs.py), pip spec, module.
PEERS = [
    ("atomics-1.0.3", "atomics 1.0.3", "atomics", "atomics==1.0.3", "atomics"),
    ("atomicshm", "atomicshm", "atomicshm", "atomicshm", "atomicshm"),
    ("pytomic", "pytomic 0.2.3", "pytomic", "pytomic==0.2.3", "pytomic.multithreading"),
    ("cereggii", "cereggii", "cereggii", "cereggii", "cereggii"),
    ("atomicx", "atomicx", "atomicx", "atomicx", "atomicx"),
]
FT_UTILS = ("ft-utils", "ft-utils", "ft-utils", "ft-utils", "ft_utils.concurrency")  # from 3.13


OPS = ("ops", "instructions")  # the single-thread rows: timed, and their instructions counted


def peer_jobs(pyver, base, peers, suffix="", sections=OPS):
    """The jobs measuring `peers` (of PEERS) on CPython `pyver` (interpreter `base`); `suffix`
    makes their keys unique when they are measured on several versions."""
    return [Job(key + suffix, label, adapter, pyver, base=base, pip=pip, module=module, venv_name=key,
                sections=sections) for key, label, adapter, pip, module in peers]


def profile(quick):
    """The cargo profile this library is built with: release for the figures; the quick run,
    a smoke test whose numbers are noise, takes the faster-built dev-release (as `make test`
    builds), so that CI does not build the extension again with fat LTO for each interpreter."""
    return "dev-release" if quick else "release"


def plan(args):
    """The jobs of a run, in the order they are measured (and shown)."""
    ours311 = args.ours_python
    base311 = envs.base_interpreter()
    v311 = envs.short(envs.python_version(base311))
    jobs = [
        Job("ours-" + v311, "atomics 2.0 (this)", "atomics", v311, python=ours311, ours=True, variants=True,
            sections=("ops", "scaling", "pingpong", "arrays", "instructions")),
    ] + peer_jobs(v311, base311, PEERS) + [
        Job("stdlib-" + v311, "stdlib", "stdlib", v311, python=base311, sections=OPS),
    ]
    py313 = envs.find_python313()
    later = [
        Job("ours-3.13", "atomics 2.0 (this)", "atomics", "3.13", base=py313, ours=True, sections=OPS),
    ] + peer_jobs("3.13", py313, [FT_UTILS]) + [
        Job("stdlib-3.13", "stdlib", "stdlib", "3.13", base=py313, sections=OPS),
    ]
    for job in later:
        if py313 is None:
            job.status, job.error = "skipped", "no CPython 3.13 under `pyenv root`/versions/3.13.*"
    jobs += later
    # today's CPython: every other library too, each where it installs (the others are reported)
    py314, error = envs.debian_python("3.14")
    later = [
        Job("ours-3.14", "atomics 2.0 (this)", "atomics", "3.14", base=py314, ours=True),
    ] + peer_jobs("3.14", py314, PEERS + [FT_UTILS], suffix="-3.14", sections=("ops",)) + [
        Job("stdlib-3.14", "stdlib", "stdlib", "3.14", base=py314),
    ]
    for job in later:
        if py314 is None:
            job.status, job.error = "skipped", "no CPython 3.14: %s" % error
    jobs += later
    # free-threaded scaling: a wheel or nothing for the others (no source builds)
    py313t, error = envs.free_threaded_python()
    wheel = ("--only-binary", ":all:")
    free = [
        Job("ours-3.13t", "atomics 2.0 (this)", "atomics", "3.13t", base=py313t, ours=True,
            sections=("scaling", "arrays")),
        Job("ft-utils-3.13t", "ft-utils", "ft-utils", "3.13t", base=py313t, pip="ft-utils", pip_args=wheel,
            module="ft_utils.concurrency", sections=("scaling",), venv_name="ft-utils"),
        Job("cereggii-3.13t", "cereggii", "cereggii", "3.13t", base=py313t, pip="cereggii", pip_args=wheel,
            module="cereggii", sections=("scaling",), venv_name="cereggii"),
    ]
    for job in free:
        if py313t is None:
            job.status, job.error = "skipped", "no free-threaded CPython 3.13t: %s" % error
    jobs += free
    if args.quick:  # instructions: every adapter once (valgrind takes seconds to start a Python)
        for job in jobs:
            if job.pyver != v311 and job.adapter != "ft-utils":
                job.sections = tuple(s for s in job.sections if s != "instructions")
    if args.only:
        keep = set(args.only.split(","))
        jobs = [j for j in jobs if j.key in keep or j.ours and j.pyver == v311]
    if args.sections:
        wanted = args.sections.split(",")
        jobs = [j for j in jobs if set(j.sections) & set(wanted)]
        for job in jobs:
            job.sections = tuple(s for s in job.sections if s in wanted)
    return jobs


def machine():
    cpu, memory = platform.processor() or platform.machine(), "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    memory = "%.0f GiB" % (int(line.split()[1]) / 1024.0 / 1024.0)
                    break
    except OSError:
        pass
    # Every job runs on this machine's own interpreters (pyenv's, the 3.13t build), never on
    # the emulated ones of tools/test-cross.sh: every figure is native.
    arch = "%s, %d-bit, native" % (platform.machine(), 8 * struct.calcsize("P"))
    return {"cpu": cpu, "arch": arch, "cores": os.cpu_count(), "memory": memory, "kernel": platform.release()}


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def git(*args):
    out = subprocess.run(["git"] + list(args), cwd=ROOT, capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else "?"


def check_ours(python):
    """The harness must run where this library is installed from this source tree."""
    out = subprocess.run([python, "-c", "import atomics; print(atomics.__file__)"], capture_output=True, text=True)
    where = out.stdout.strip()
    if out.returncode != 0 or not where.startswith(os.path.join(ROOT, "python")):
        sys.exit("bench/run.py: %s does not import atomics from %s/python (got %r); run it through "
                 "`make bench`, or with the python of the virtualenv that tools/env.sh prints"
                 % (python, ROOT, where or out.stderr.strip()[-300:]))


def check(jobs, quick):
    """(failures, notes) of the results: wrong totals, crashes, a racy control that kept up."""
    failures, notes = [], []
    for job in jobs:
        if job.status == "failed":
            failures.append("%s: %s" % (job.key, job.error))
        if job.status == "build failed":
            failures.append("%s: building this library failed: %s" % (job.key, job.error))
        if job.status == "not installed":
            notes.append("%s could not be installed: %s" % (job.key, job.error))
        if job.status == "skipped":
            notes.append("%s skipped: %s" % (job.key, job.error))
        if not job.result:
            continue
        failures += job.result["failures"]
        where = job.result.get("module_file") or ""
        if job.ours and not where.startswith(os.path.join(ROOT, "python")):
            failures.append("%s imported atomics from %s, not from this source tree" % (job.key, where))
        if job.pip and job.venv and where and not where.startswith(job.venv):
            failures.append("%s imported its module from %s, outside its venv" % (job.key, where))
        gil = job.result.get("gil_enabled") or {}
        if job.result.get("free_threaded") and "scaling" in job.sections and (gil.get("end") or gil.get("start")):
            msg = ("%s ran on a free-threaded build with the GIL enabled (sys._is_gil_enabled(): %s at the start, "
                   "%s at the end): its scaling rows are not free-threaded"
                   % (job.key, gil.get("start"), gil.get("end")))
            (failures if job.ours else notes).append(msg)
        gil = (job.result.get("arrays") or {}).get("gil_enabled") or {}
        if job.result.get("free_threaded") and (gil.get("end") or gil.get("start")):
            failures.append("%s ran its arrays section on a free-threaded build with the GIL enabled (after "
                            "importing numpy: %s, at the end: %s)" % (job.key, gil.get("start"), gil.get("end")))
        for name, r in sorted((job.result.get("processes") or {}).items()):
            if r is None or r["atomic"]:
                continue
            if r["lost"] > 0:
                continue
            msg = "the racy control (%s, %s) lost no update: it shows nothing" % (job.key, name)
            (notes if quick else failures).append(msg + (" (quick mode: too few increments to overlap)"
                                                        if quick else ""))
    return failures, notes


def merge(previous, partial):
    """`previous` (a results.json) with the sections `partial` measured (partial["meta"]["sections"])
    taken from `partial`'s jobs: each job's figures of those sections replaced (removed, if the
    job did not measure this time), the job's own record of that measurement kept in
    job["section_runs"][section], and `partial`'s meta, failures and notes in
    meta["merged"] (replacing an earlier merge of the same sections). Everything else is kept."""
    run = copy.deepcopy(previous)
    sections = partial["meta"]["sections"]
    jobs = {job["key"]: job for job in run["jobs"]}
    for new in partial["jobs"]:
        record = {k: new.get(k) for k in ("status", "error", "python", "venv", "seconds", "digests", "argv")}
        old = jobs.get(new["key"])
        if old is None:  # a job the previous run did not have
            old = dict(new, result=None, sections=[])
            run["jobs"].append(old)
            jobs[new["key"]] = old
        if old.get("result") is None and new.get("result"):
            old["result"] = {k: v for k, v in new["result"].items()
                             if not any(k in SECTION_KEYS[s] for s in SECTIONS)}
            old["status"], old["error"] = new["status"], new["error"]
        for section in new["sections"]:
            for key in SECTION_KEYS[section]:
                if old.get("result") is not None:
                    old["result"].pop(key, None)
                    if new.get("result") and key in new["result"]:
                        old["result"][key] = new["result"][key]
            if section not in old["sections"]:
                old["sections"] = list(old["sections"]) + [section]
            old.setdefault("section_runs", {})[section] = record
    meta = dict(partial["meta"], failures=partial["failures"], notes=partial["notes"])
    run["meta"]["merged"] = [m for m in run["meta"].get("merged", []) if not set(m["sections"]) <= set(sections)]
    run["meta"]["merged"].append(meta)
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny n, one run each: a smoke test for CI")
    parser.add_argument("--out", help="output directory (default: docs/benchmarks, or a temporary one with --quick)")
    parser.add_argument("--cache", default=envs.DEFAULT_CACHE,
                        help="where the other libraries' virtualenvs (and the 3.13t build directory) live")
    parser.add_argument("--ours-python", default=sys.executable,
                        help="the python of this library's 3.11 venv (default: the one running this)")
    parser.add_argument("--only", help="comma-separated job keys to run besides this library (for debugging)")
    parser.add_argument("--command", default=None, help="the command to record in the report")
    parser.add_argument("--sections", help="comma-separated, of: %s; measure only these and merge them into the "
                        "output directory's results.json" % ", ".join(SECTIONS))
    args = parser.parse_args()
    if args.sections and set(args.sections.split(",")) - set(SECTIONS):
        parser.error("unknown sections: %s" % ", ".join(sorted(set(args.sections.split(",")) - set(SECTIONS))))

    out_dir = os.path.abspath(args.out) if args.out else (
        tempfile.mkdtemp(prefix="atomics-bench-") if args.quick else DOCS)
    if args.quick and os.path.realpath(out_dir) == os.path.realpath(DOCS):
        sys.exit("bench/run.py: --quick never writes over docs/benchmarks (its numbers are noise)")
    check_ours(args.ours_python)

    began = time.time()
    jobs = plan(args)
    build_profile = profile(args.quick)
    print("== setting up %d environments (cache: %s)" % (len(jobs), args.cache), file=sys.stderr, flush=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda job: job.setup(args.cache, build_profile), jobs))
    for job in jobs:
        print("   %-16s %s%s" % (job.key, job.status, ": " + job.error if job.error else ""), file=sys.stderr)

    meta = machine()
    meta.update({
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "mode": "quick" if args.quick else "full",
        "profile": build_profile,
        "command": args.command or " ".join(shlex.quote(a) for a in sys.argv),
        "argv": " ".join([os.path.relpath(sys.executable, ROOT)] + [shlex.quote(a) for a in sys.argv]),
        "loadavg_start": loadavg(),
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "pythons": [],
    })
    for job in jobs:
        if job.status == "ok":
            job.measure(args.quick)
        if job.result and job.adapter == "stdlib":
            meta["pythons"].append([job.result["python"], job.result["executable"]])
        elif job.result and job.result.get("free_threaded") and job.ours:
            meta["pythons"].append([job.result["python"] + " free-threaded", job.base])
    if args.sections:  # no stdlib job, maybe: this library's interpreters
        for job in jobs:
            if job.result and job.ours and not job.result.get("free_threaded") and \
                    job.result["python"] not in [v for v, _ in meta["pythons"]]:
                meta["pythons"].insert(0, [job.result["python"], job.base or envs.base_interpreter()])
    meta["loadavg_end"] = loadavg()
    meta["duration"] = "%.0f s" % (time.time() - began)  # set-up and measurement, not the build

    failures, notes = check(jobs, args.quick)
    for job in jobs:
        if job.digests and job.digests[0] != job.digests[1]:
            notes.append("this library (python/atomics, or its extension for %s) changed while %s was measured "
                         "(%s -> %s): its rows may mix versions" % (job.pyver, job.key, job.digests[0], job.digests[1]))
    meta["package_digests"] = [[job.pyver, job.digests[0]] for job in jobs if job.digests]
    run = {"meta": meta, "jobs": [j.as_dict() for j in jobs], "failures": failures, "notes": notes}

    os.makedirs(out_dir, exist_ok=True)
    results = os.path.join(out_dir, "results.json")
    written = "results.md, ops.png, results.json"
    if args.sections:
        meta["sections"] = args.sections.split(",")
        if "ops" not in meta["sections"]:
            written = "results.md, results.json"
        if os.path.exists(results):
            with open(results) as f:
                run = merge(json.load(f), run)
            written = "results.md, results.json (%s merged)" % args.sections
    with open(results, "w") as f:
        json.dump(run, f, indent=1)
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write(report.markdown(run, "ops.png"))
    if not args.sections or "ops" in args.sections.split(","):
        report.chart(run, os.path.join(out_dir, "ops.png"))

    print("== %s: %s/%s" % (meta["duration"], out_dir, written), file=sys.stderr)
    for note in notes:
        print("note: " + note, file=sys.stderr)
    if failures:
        for failure in failures:
            print("FAILED: " + failure, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
