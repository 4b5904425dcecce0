"""What each library's calls look like: one adapter per library, imported inside its venv.

An adapter names, for each operation of the common table, the call to time as a Python
statement (`"o.load()"`) and the locals it uses (`o=...`). measure.py turns every such Row
into the same loop:

    def run(n, o=o, v=v):
        for _ in range(n):
            o.store(v)

An operation the library lacks is simply absent (shown as "n/a"). A Row may list
alternatives (e.g. pytomic's preinc and postinc): all are timed and the fastest is kept, so
each library is shown at its best.

Adapters import their library lazily: this file is imported by every venv, and the stdlib
adapter needs nothing but the standard library.
"""

import contextlib
import sys

BIG = 2**41 + 12345  # above 2**40: no library profits from CPython's small-int cache
SMALL = 5  # the small-value case (cached ints), for this library
BIT = 5  # the bit index of bit_test_set

# The operations of the main table, in order.
OPS = ("load", "store", "exchange", "inc", "fetch_add", "cmpxchg_ok", "cmpxchg_fail", "bit_test_set")
OP_TITLES = {
    "load": "load",
    "store": "store",
    "exchange": "exchange",
    "inc": "inc (+1)",
    "fetch_add": "fetch_add(1)",
    "cmpxchg_ok": "cmpxchg, succeeds",
    "cmpxchg_fail": "cmpxchg, fails",
    "bit_test_set": "bit_test_set",
}


class Row:
    """One call to time: a statement and the locals it uses. `note` says what was substituted
    for an operation the library does not have under that name (e.g. fetch_or for
    bit_test_set)."""

    def __init__(self, call, note="", **names):
        self.call = call
        self.note = note
        self.names = names

    def alternatives(self):
        return [self]


class Fastest:
    """Several ways to do one operation; the fastest is reported."""

    def __init__(self, *rows):
        self.rows = rows

    def alternatives(self):
        return list(self.rows)


class Library:
    """The default: nothing measured. Adapters override what applies to them."""

    module = None  # imported for the version and the import time

    def version(self):
        mod = __import__(self.module)
        return getattr(mod, "__version__", None) or _dist_version(self.module)

    def ops(self):
        """operation name (OPS) -> Row or Fastest"""
        return {}

    def variants(self):
        """Extra rows for this library only: name -> Row."""
        return {}

    def costs(self):
        """'construct' and 'view_cycle' -> Row"""
        return {}

    def thread_counter(self):
        """(Row whose call adds 1 to a counter shared by the threads, read the total) or None"""
        return None

    def process_cases(self):
        """name -> ProcessCase: counters that several processes share"""
        return {}

    def scaling_cases(self):
        """arrangement (SCALING) -> ScalingCase: 1 thread vs 2 threads counting"""
        return {}

    def pingpong_cases(self):
        """name -> PingPongCase: a round trip between two processes"""
        return {}

    def array_cases(self, sizes):
        """name -> ArrayCase: arrays of atomics, per element (numpy's references are added)"""
        return {}

    def array_threads_cases(self, sizes):
        """name -> ArrayThreadsCase: 1 vs 2 threads adding into one array"""
        return {}


class ProcessCase:
    """A counter in memory that processes share. `create(ctx)` runs in the parent and returns
    (shared, read_total, cleanup); `shared` is passed to each worker (pickled under spawn), in
    which `open(shared)` is a context manager giving the Row to repeat."""

    modes = ("fork", "spawn")
    atomic = True  # False for the racy control: its total is expected to fall short

    def create(self, ctx):
        raise NotImplementedError

    def open(self, shared):
        raise NotImplementedError


def _dist_version(module):
    try:
        from importlib import metadata
    except ImportError:  # pragma: no cover
        return None
    for dist in (module, module.replace("_", "-")):
        try:
            return metadata.version(dist)
        except Exception:
            pass
    return None


def _attach(name):
    from multiprocessing import shared_memory

    # Children of multiprocessing share the parent's resource tracker; 3.13 can skip it.
    if sys.version_info >= (3, 13):
        return shared_memory.SharedMemory(name=name, track=False)
    return shared_memory.SharedMemory(name=name)


class SharedMemoryCase(ProcessCase):
    """8 bytes of multiprocessing.shared_memory, opened in each worker by `view(window)`, a
    context manager giving the Row."""

    def __init__(self, view, atomic=True):
        self.view = view
        self.atomic = atomic

    def create(self, ctx):
        from multiprocessing import shared_memory

        shm = shared_memory.SharedMemory(create=True, size=8)
        shm.buf[:8] = bytes(8)

        def total():
            return int.from_bytes(shm.buf[:8], sys.byteorder)

        def cleanup():
            shm.close()
            shm.unlink()

        return shm.name, total, cleanup

    @contextlib.contextmanager
    def open(self, shared):
        shm = _attach(shared)
        window = shm.buf[:8]
        try:
            with self.view(window) as row:
                yield row
        finally:
            window.release()
            shm.close()


# ---------------------------------------------------------------------------------------
# Free-threaded scaling: 1 thread vs 2 threads incrementing, in three arrangements

SCALING = ("same", "handle", "separate", "segment")
SCALING_TITLES = {
    "same": "(a) one object, shared by the threads",
    "handle": "(b) a handle per thread onto one counter",
    "separate": "(c) a counter per thread: separate objects",
    "segment": "(c') a counter per thread: one cache line each of one shared segment",
}


class ScalingCase:
    """One arrangement of counters for 1 or 2 threads. `setup(k)` runs in the main thread
    before each run and returns a state; `row(state, i)` runs in worker thread i (before the
    start barrier, so per-thread objects are made by the thread that uses them) and gives the
    Row it repeats; `totals(state, k)` gives (total counted, per-thread counts or None)."""

    def __init__(self, setup, row, totals, how):
        self.setup, self.row, self.totals, self.how = setup, row, totals, how


# ---------------------------------------------------------------------------------------
# wait/notify round trips between two processes (spawn)


class PingPongCase:
    """A ping-pong between the parent and a spawned child. `create(ctx)` runs in the parent
    and returns (shared, cleanup); `shared` is passed to the child (pickled under spawn).
    `parent(shared, rounds, clock)` plays `rounds` round trips and returns the ns each took
    (clock() before and after each); `child(shared, rounds)` answers them. Both raise on a
    wrong value or a timeout (10 s), so a finished ping-pong is an exact one."""

    how = ""  # the calls, for the report

    def create(self, ctx):
        raise NotImplementedError

    def parent(self, shared, rounds, clock):
        raise NotImplementedError

    def child(self, shared, rounds):
        raise NotImplementedError


PINGPONG_TIMEOUT = 10.0


class AtomicPingPong(PingPongCase):
    """One shared 8-byte atomic: the parent stores odd values, the child even ones; each
    notifies after its store and waits while the value is the one it stored."""

    how = ("`ball = atomic(8, UINT, shared=True)`; each side `ball.store(v); ball.notify_one()`, "
           "then `while ball.load() != expected: ball.wait(v, timeout=10)`")

    def create(self, ctx):
        import atomics

        ball = atomics.atomic(8, atomics.UINT, shared=True)
        return ball, lambda: None

    @staticmethod
    def _await(ball, old, expected):
        while ball.load() != expected:
            if not ball.wait(old, timeout=PINGPONG_TIMEOUT) and ball.load() == old:
                raise TimeoutError("no answer within %s s (ball = %d, expected %d)"
                                   % (PINGPONG_TIMEOUT, ball.load(), expected))
        return expected

    def parent(self, ball, rounds, clock):
        times = []
        for i in range(rounds):
            odd = 2 * i + 1
            t0 = clock()
            ball.store(odd)
            ball.notify_one()
            self._await(ball, odd, odd + 1)
            times.append(clock() - t0)
        if ball.load() != 2 * rounds:
            raise AssertionError("ball %d after %d round trips, expected %d" % (ball.load(), rounds, 2 * rounds))
        return times

    def child(self, ball, rounds):
        for i in range(rounds):
            odd = 2 * i + 1
            self._await(ball, odd - 1, odd)
            ball.store(odd + 1)
            ball.notify_one()


class EventPingPong(PingPongCase):
    """Two multiprocessing.Event: the parent sets ping and waits for pong; the child waits
    for ping, clears it and sets pong; the parent clears pong."""

    how = "`ping.set(); pong.wait(10); pong.clear()` / `ping.wait(10); ping.clear(); pong.set()`"

    def create(self, ctx):
        return (ctx.Event(), ctx.Event()), lambda: None

    def parent(self, shared, rounds, clock):
        ping, pong = shared
        times = []
        for _ in range(rounds):
            t0 = clock()
            ping.set()
            if not pong.wait(PINGPONG_TIMEOUT):
                raise TimeoutError("no pong within %s s" % PINGPONG_TIMEOUT)
            pong.clear()
            times.append(clock() - t0)
        return times

    def child(self, shared, rounds):
        ping, pong = shared
        for _ in range(rounds):
            if not ping.wait(PINGPONG_TIMEOUT):
                raise TimeoutError("no ping within %s s" % PINGPONG_TIMEOUT)
            ping.clear()
            pong.set()


class PipePingPong(PingPongCase):
    """multiprocessing.Pipe (duplex): the parent sends i, the child answers i + 1."""

    how = "`a.send(i); a.recv()` / `b.send(b.recv() + 1)`"

    def create(self, ctx):
        a, b = ctx.Pipe()

        def cleanup():
            a.close()
            b.close()

        return (a, b), cleanup

    def parent(self, shared, rounds, clock):
        a, _ = shared
        times = []
        for i in range(rounds):
            t0 = clock()
            a.send(i)
            if not a.poll(PINGPONG_TIMEOUT):
                raise TimeoutError("no answer within %s s" % PINGPONG_TIMEOUT)
            got = a.recv()
            times.append(clock() - t0)
            if got != i + 1:
                raise AssertionError("answer %r to %d" % (got, i))
        return times

    def child(self, shared, rounds):
        _, b = shared
        for _ in range(rounds):
            if not b.poll(PINGPONG_TIMEOUT):
                raise TimeoutError("nothing to answer within %s s" % PINGPONG_TIMEOUT)
            b.send(b.recv() + 1)


# ---------------------------------------------------------------------------------------
# Arrays of atomics: the cost per element of the per-call path (a Python loop) and of the bulk
# operations, next to numpy's non-atomic ways of doing the same (this library only; numpy is
# measured in the same process, on the same data)

# The rows, in the order shown; a row's name is KIND or KIND/SIZE (the number of bins).
ARRAY_KINDS = ("loop_pass", "list_loop", "loop_add", "loop_fetch_add", "add_at", "np_add_at", "np_bincount",
               "add_at_values", "np_add_at_values", "add_at_refused", "load_all_out", "load_all_new", "np_copyto",
               "np_copy", "store_all", "np_assign", "store_all_one", "np_fill")
ARRAY_GROUPS = ("histogram", "snapshot")


class ArrayCase:
    """One row of the arrays section: `make()` builds fresh state and returns (Row, verify);
    the Row's call processes `elements` elements once, and verify(), called after exactly one
    call on that fresh state, returns None or what is wrong. `size`: the number of bins (or
    of elements) of the array it works on. `versus`: the rows it is compared with. `owner`:
    "atomics", "numpy" (not atomic) or "python" (not atomic)."""

    def __init__(self, group, title, elements, size, make, setup, versus=(), owner="atomics"):
        self.group, self.title, self.elements, self.size = group, title, elements, size
        self.make, self.setup, self.versus, self.owner = make, setup, tuple(versus), owner


class ArrayThreadsCase:
    """1 or 2 threads adding the indices into one array. `setup()` returns an object with
    reset() (zeroes the array), row(k, i) (the Row thread i of k repeats; together the k
    threads' Rows process the `elements` indices once) and verify(n) (None, or what is wrong
    after each thread repeated its Row n times)."""

    def __init__(self, bins, elements, setup, how):
        self.bins, self.elements, self.setup, self.how = bins, elements, setup, how


class ArrayData:
    """The inputs of the arrays section, made once per process from a fixed seed, so that this
    library's rows and numpy's work on the same indices and values. `sizes`: {"indices": how
    many indices, "bins": (bins, ...), "elements": the length of the snapshot arrays}."""

    _made = {}

    @classmethod
    def get(cls, sizes):
        key = (sizes["indices"], tuple(sizes["bins"]), sizes["elements"])
        if key not in cls._made:
            cls._made[key] = cls(sizes)
        return cls._made[key]

    def __init__(self, sizes):
        import numpy as np

        rng = np.random.default_rng(20240611)
        self.n, self.bins, self.elements = sizes["indices"], tuple(sizes["bins"]), sizes["elements"]
        self.idx = {b: rng.integers(0, b, size=self.n, dtype=np.intp) for b in self.bins}
        self.lists = {b: self.idx[b].tolist() for b in self.bins}  # Python ints: no numpy scalars
        self.values = rng.integers(1, 100, size=self.n, dtype=np.int64)
        self.counts = {b: np.bincount(self.idx[b], minlength=b).astype(np.int64) for b in self.bins}
        self.weighted = {}
        for b in self.bins:
            w = np.zeros(b, np.int64)
            np.add.at(w, self.idx[b], self.values)
            self.weighted[b] = w
        self.snapshot = rng.integers(-2**40, 2**40, size=self.elements, dtype=np.int64)


def differs(got, expected, what):
    """None if `got` (anything numpy takes) equals `expected` element by element; otherwise
    what differs."""
    import numpy as np

    got = np.asarray(got)
    if got.shape != expected.shape:
        return "%s: shape %s, expected %s" % (what, got.shape, expected.shape)
    wrong = np.flatnonzero(got != expected)
    if len(wrong) == 0:
        return None
    i = int(wrong[0])
    return "%s: %d of %d elements wrong (first at %d: %d, expected %d; total %d, expected %d)" % (
        what, len(wrong), len(expected), i, got[i], expected[i], int(got.sum()), int(expected.sum()))


def refused(call, arg):
    """call(arg), which must raise IndexError (the diagnostic rows: a bulk call refused after
    converting all its arguments, before touching any atomic)."""
    try:
        call(arg)
    except IndexError:
        return
    raise AssertionError("%r was not refused" % call)


def numpy_array_cases(sizes):
    """The non-atomic references of the arrays section: numpy, and a Python list."""
    import numpy as np

    d = ArrayData.get(sizes)
    cases = {}

    def case(name, group, title, elements, size, make_state, call, check, setup):
        def make():
            state, names = make_state()
            return Row(call, **names), lambda: check(state)

        owner = "python" if name.startswith(("list_loop", "loop_pass")) else "numpy"
        cases[name] = ArrayCase(group, title, elements, size, make, setup, owner=owner)

    first = d.bins[0]
    case("loop_pass", "histogram", "the loop alone", d.n, None,
         lambda: (None, {"L": d.lists[first]}), "for i in L: pass", lambda s: None, "`L = idx.tolist()`")
    for b in d.bins:
        idx, counts, weighted = d.idx[b], d.counts[b], d.weighted[b]

        def zeros(b=b, **names):
            h = np.zeros(b, np.int64)
            return h, dict(names, h=h, np=np)

        def python_list(b=b):
            h = [0] * b
            return h, {"h": h, "L": d.lists[b]}

        case("list_loop/%d" % b, "histogram", "Python list (not atomic)", d.n, b,
             python_list, "for i in L: h[i] += 1",
             lambda h, c=counts: differs(h, c, "list h[i] += 1"), "`h = [0] * bins`; `L = idx.tolist()`")
        case("np_add_at/%d" % b, "histogram", "numpy (not atomic)", d.n, b,
             lambda z=zeros, idx=idx: z(idx=idx), "np.add.at(h, idx, 1)",
             lambda h, c=counts: differs(h, c, "np.add.at"), "`h = np.zeros(bins, np.int64)`")
        case("np_bincount/%d" % b, "histogram", "numpy (not atomic)", d.n, b,
             lambda z=zeros, idx=idx, b=b: z(idx=idx, m=b), "h += np.bincount(idx, minlength=m)",
             lambda h, c=counts: differs(h, c, "np.bincount"), "`h = np.zeros(bins, np.int64)`; `m = bins`")
        case("np_add_at_values/%d" % b, "histogram", "numpy (not atomic)", d.n, b,
             lambda z=zeros, idx=idx: z(idx=idx, v=d.values), "np.add.at(h, idx, v)",
             lambda h, w=weighted: differs(h, w, "np.add.at with values"),
             "`h = np.zeros(bins, np.int64)`; `v`: int64 values 1..99")
    n = d.elements

    def snapshot_out():
        out = np.empty(n, np.int64)
        return out, {"out": out, "h": d.snapshot.copy(), "np": np}

    def copy():
        h = d.snapshot.copy()
        return h, {"h": h}

    def assign():
        h = np.zeros(n, np.int64)
        return h, {"h": h, "v": d.snapshot}

    case("np_copyto", "snapshot", "numpy (not atomic)", n, n, snapshot_out, "np.copyto(out, h)",
         lambda out: differs(out, d.snapshot, "np.copyto"), "`h`, `out`: int64 arrays of the same length")
    case("np_copy", "snapshot", "numpy (not atomic)", n, n, copy, "h.copy()",
         lambda h: differs(h.copy(), d.snapshot, "h.copy()"), "`h`: an int64 array")
    def fill():
        h = np.zeros(n, np.int64)
        return h, {"h": h, "x": 7}

    case("np_fill", "snapshot", "numpy (not atomic)", n, n, fill, "h[:] = x",
         lambda h: differs(h, np.full(n, 7, np.int64), "h[:] = x"), "`x = 7`")
    case("np_assign", "snapshot", "numpy (not atomic)", n, n, assign, "h[:] = v",
         lambda h: differs(h, d.snapshot, "h[:] = v"), "`h`, `v`: int64 arrays of the same length")
    return cases


# ---------------------------------------------------------------------------------------
# atomics: this library and atomics 1.0.3 (the same API; each runs in its own venv)


class Atomics(Library):
    module = "atomics"

    def _new(self, value=BIG):
        import atomics

        a = atomics.atomic(8, atomics.INT)
        a.store(value)
        return a

    def ops(self):
        new = self._new
        return {
            "load": Row("o.load()", o=new()),
            "store": Row("o.store(v)", o=new(), v=BIG),
            "exchange": Row("o.exchange(v)", o=new(), v=BIG),
            "inc": Row("o.inc()", o=new()),
            "fetch_add": Row("o.fetch_add(d)", o=new(), d=1),
            "cmpxchg_ok": Row("o.cmpxchg_strong(e, v)", o=new(), e=BIG, v=BIG),
            "cmpxchg_fail": Row("o.cmpxchg_strong(e, v)", o=new(), e=BIG + 1, v=BIG),
            "bit_test_set": Row("o.bit_test_set(i)", o=new(), i=BIT),
        }

    def variants(self):
        """The calls of ops() with an explicit order, by keyword and positionally, and the
        small-value case. Names are 'OP[order=]', 'OP[positional]', 'OP[small]'."""
        import atomics

        m = atomics.MemoryOrder.SEQ_CST  # the default: only the cost of passing it differs
        new = self._new
        shapes = {  # op -> (arguments before the order, keyword form of the order, locals)
            "load": ("", "order=m", {}),
            "store": ("v", "order=m", {"v": BIG}),
            "exchange": ("v", "order=m", {"v": BIG}),
            "inc": ("", "order=m", {}),
            "fetch_add": ("d", "order=m", {"d": 1}),
            "cmpxchg_ok": ("e, v", "success=m, failure=m", {"e": BIG, "v": BIG}),
            "cmpxchg_fail": ("e, v", "success=m, failure=m", {"e": BIG + 1, "v": BIG}),
            "bit_test_set": ("i", "order=m", {"i": BIT}),
        }
        methods = {"cmpxchg_ok": "cmpxchg_strong", "cmpxchg_fail": "cmpxchg_strong"}
        out = {}
        for op, (args, keyword, names) in shapes.items():
            method = methods.get(op, op)
            lead = args + ", " if args else ""
            positional = ", ".join(["m"] * keyword.count("=m"))
            out[op + "[order=]"] = Row("o.%s(%s%s)" % (method, lead, keyword), o=new(), m=m, **names)
            out[op + "[positional]"] = Row("o.%s(%s%s)" % (method, lead, positional), o=new(), m=m, **names)
        out["load[small]"] = Row("o.load()", o=new(SMALL))
        out["store[small]"] = Row("o.store(v)", o=new(SMALL), v=SMALL)
        out["exchange[small]"] = Row("o.exchange(v)", o=new(SMALL), v=SMALL)
        out["cmpxchg_ok[small]"] = Row("o.cmpxchg_strong(e, v)", o=new(SMALL), e=SMALL, v=SMALL)
        out["cmpxchg_fail[small]"] = Row("o.cmpxchg_strong(e, v)", o=new(SMALL), e=SMALL + 1, v=SMALL)
        return out

    def costs(self):
        import atomics

        return {
            "construct": Row("atomic(w, t)", atomic=atomics.atomic, w=8, t=atomics.INT),
            "view_cycle": Row("with atomicview(b, t) as v: pass", atomicview=atomics.atomicview,
                              b=bytearray(8), t=atomics.INT),
        }

    def thread_counter(self):
        a = self._new(0)
        return Row("o.inc()", o=a), a.load

    def process_cases(self):
        import atomics

        @contextlib.contextmanager
        def view(window):
            with atomics.atomicview(window, atomics.INT) as v:
                yield Row("o.inc()", o=v)

        return {"shared_memory": SharedMemoryCase(view)}

    def scaling_cases(self):
        import copy

        import atomics
        from atomics.shared import SharedSegment

        def one(k):
            return self._new(0)

        def segment(k):
            seg = SharedSegment.create(128)
            return seg, [None] * k

        def segment_row(state, i):
            seg, counters = state
            counters[i] = seg.atomic(64 * i, 8, atomics.INT)  # data offsets 0, 64: one cache line each
            return Row("o.inc()", o=counters[i])

        def separate_row(state, i):
            state[1][i] = self._new(0)
            return Row("o.inc()", o=state[1][i])

        def totals(state, k):
            counts = [c.load() for c in state[1]]
            return sum(counts), counts

        return {
            "same": ScalingCase(one, lambda a, i: Row("o.inc()", o=a), lambda a, k: (a.load(), None),
                                "`a = atomic(8, INT)`; every thread: `a.inc()`"),
            "handle": ScalingCase(one, lambda a, i: Row("o.inc()", o=copy.copy(a)), lambda a, k: (a.load(), None),
                                  "every thread: `h = copy.copy(a)`, then `h.inc()`"),
            "separate": ScalingCase(lambda k: (None, [None] * k), separate_row, totals,
                                    "thread i: its own `c = atomic(8, INT)`, then `c.inc()`"),
            "segment": ScalingCase(segment, segment_row, totals,
                                   "`seg = SharedSegment.create(128)`; thread i: `c = seg.atomic(64 * i, 8, INT)`, "
                                   "then `c.inc()`"),
        }

    def pingpong_cases(self):
        return {"wait_notify": AtomicPingPong()}

    def array_cases(self, sizes):
        """The arrays section's rows of this library (see ArrayCase), over ArrayData."""
        import numpy as np

        import atomics

        d = ArrayData.get(sizes)
        cases = {}

        def histogram(name, title, bins, call, names, expected, versus, setup):
            def make():
                a = atomics.array(bins, 8, atomics.INT)
                return Row(call, a=a, **names), lambda: differs(a.load_all(np.empty(bins, np.int64)), expected,
                                                                name)

            cases[name] = ArrayCase("histogram", title, d.n, bins, make, setup, versus)

        for b in d.bins:
            idx, lst = d.idx[b], d.lists[b]
            histogram("loop_add/%d" % b, "per call (Python loop)", b, "for i in L: a.add(i, 1)",
                      {"L": lst}, d.counts[b], ("add_at/%d" % b, "list_loop/%d" % b), "`L = idx.tolist()`")
            histogram("loop_fetch_add/%d" % b, "per call (Python loop)", b,
                      "for i in L: a.fetch_add(i, 1)", {"L": lst}, d.counts[b], ("add_at/%d" % b, "list_loop/%d" % b),
                      "`L = idx.tolist()`")
            histogram("add_at/%d" % b, "bulk", b, "a.add_at(idx)", {"idx": idx}, d.counts[b],
                      ("np_add_at/%d" % b, "np_bincount/%d" % b), "")
            histogram("add_at_values/%d" % b, "bulk", b, "a.add_at(idx, v)",
                      {"idx": idx, "v": d.values}, d.weighted[b], ("np_add_at_values/%d" % b,),
                      "`v`: int64 values 1..99")
            bad = idx.copy()
            bad[-1] = b  # out of range: converted last, refused before any atomic is touched
            histogram("add_at_refused/%d" % b, "diagnostic: converting the indices only", b,
                      "refused(a.add_at, bad)", {"refused": refused, "bad": bad}, np.zeros(b, np.int64),
                      ("add_at/%d" % b,), "`bad`: `idx` with its last index out of range; `refused` calls "
                      "`a.add_at(bad)` and expects IndexError (the array must stay all zero)")
        n = d.elements

        def filled():
            a = atomics.array(n, 8, atomics.INT)
            a.store_all(d.snapshot)
            return a

        def load_out():
            a, out = filled(), np.empty(n, np.int64)
            return Row("a.load_all(out)", a=a, out=out), lambda: differs(out, d.snapshot, "load_all(out)")

        def load_new():
            a = filled()
            return Row("a.load_all()", a=a), lambda: differs(np.frombuffer(a.load_all(), np.int64), d.snapshot,
                                                             "load_all()")

        def store():
            a = atomics.array(n, 8, atomics.INT)
            return Row("a.store_all(v)", a=a, v=d.snapshot), lambda: differs(
                a.load_all(np.empty(n, np.int64)), d.snapshot, "store_all(v)")

        def store_one():
            a = atomics.array(n, 8, atomics.INT)
            return Row("a.store_all(x)", a=a, x=7), lambda: differs(a.load_all(np.empty(n, np.int64)),
                                                                    np.full(n, 7, np.int64), "store_all(x)")

        cases["load_all_out"] = ArrayCase("snapshot", "bulk, into a preallocated numpy array", n, n,
                                          load_out, "`out = np.empty(len(a), np.int64)`", ("np_copyto",))
        cases["load_all_new"] = ArrayCase("snapshot", "bulk, into a new `array.array`", n, n, load_new, "",
                                          ("np_copy",))
        cases["store_all"] = ArrayCase("snapshot", "bulk, from a numpy array", n, n, store,
                                       "`v`: an int64 numpy array of `len(a)` values", ("np_assign",))
        cases["store_all_one"] = ArrayCase("snapshot", "diagnostic: one value for all, nothing to convert", n, n,
                                           store_one, "`x = 7`", ("np_fill", "store_all"))
        return cases

    def array_threads_cases(self, sizes):
        """2 threads each adding half of the indices into one array, against 1 thread adding both
        halves (the same two calls, one after the other)."""
        import numpy as np

        import atomics

        d = ArrayData.get(sizes)
        cases = {}
        for b in d.bins:
            half = d.n // 2
            halves = (d.idx[b][:half], d.idx[b][half:])

            def setup(b=b, halves=halves):
                a = atomics.array(b, 8, atomics.INT)
                out = np.empty(b, np.int64)

                class State:
                    @staticmethod
                    def reset():
                        a.store_all(0)

                    @staticmethod
                    def row(k, i):
                        if k == 1:
                            return Row("a.add_at(p); a.add_at(q)", a=a, p=halves[0], q=halves[1])
                        return Row("a.add_at(p)", a=a, p=halves[i])

                    @staticmethod
                    def verify(n):
                        return differs(a.load_all(out), n * d.counts[b], "add_at by threads, %d bins" % b)

                return State

            cases["add_at/%d" % b] = ArrayThreadsCase(
                b, d.n, setup, "`a = atomics.array(bins, 8, INT)`; thread i: `a.add_at(p)`, `p` its half of `idx` "
                "(1 thread: `a.add_at(p); a.add_at(q)`, both halves)")
        return cases


# ---------------------------------------------------------------------------------------
# atomicshm: a view over a buffer, operations at byte offsets (or a cell bound to one)


class AtomicShm(Library):
    module = "atomicshm"

    def _cell(self, value=BIG):
        import atomicshm

        view = atomicshm.AtomicView(bytearray(8))
        cell = view.cell_u64(0)
        cell.store(value)
        return cell

    def ops(self):
        c = self._cell
        return {
            "load": Row("o.load()", o=c()),
            "store": Row("o.store(v)", o=c(), v=BIG),
            "exchange": Row("o.exchange(v)", o=c(), v=BIG),
            "inc": Row("o.fetch_add(d)", o=c(), d=1),
            "fetch_add": Row("o.fetch_add(d)", o=c(), d=1),
            # cas returns the previous value; the swap succeeded if it equals `expected`
            "cmpxchg_ok": Row("o.cas(e, v)", o=c(), e=BIG, v=BIG),
            "cmpxchg_fail": Row("o.cas(e, v)", o=c(), e=BIG + 1, v=BIG),
            "bit_test_set": Row("o.fetch_or(b)", note="fetch_or(1 << i)", o=c(), b=1 << BIT),
        }

    def costs(self):
        import atomicshm

        view = atomicshm.AtomicView(bytearray(8))
        return {
            "construct": Row("U64(w, 0)", U64=atomicshm.AtomicU64, w=view),
            "view_cycle": Row("with AtomicView(b) as v: pass", AtomicView=atomicshm.AtomicView,
                              b=bytearray(8)),
        }

    def thread_counter(self):
        c = self._cell(0)
        return Row("o.fetch_add(d)", o=c, d=1), c.load

    def process_cases(self):
        import atomicshm

        @contextlib.contextmanager
        def view(window):
            with atomicshm.AtomicView(window) as v:
                yield Row("o.fetch_add(d)", o=v.cell_u64(0), d=1)

        return {"shared_memory": SharedMemoryCase(view)}


# ---------------------------------------------------------------------------------------
# pytomic: Cython over std::atomic<int64_t>; AtomicInt checks for overflow before ++,
# AtomicIntUnsafe does not. multiprocessing.AtomicInt lives in a RawValue (fork only).


class Pytomic(Library):
    module = "pytomic.multithreading"  # the package itself is empty

    def version(self):
        return _dist_version("pytomic")

    def _new(self, value=BIG, cls="AtomicInt"):
        from pytomic import multithreading

        return getattr(multithreading, cls)(value)

    def ops(self):
        new = self._new
        return {
            "load": Row("o.load()", o=new()),
            "store": Row("o.store(v)", o=new(), v=BIG),
            "inc": Fastest(*[Row("o.%s()" % m, o=new(cls=cls), note="" if cls == "AtomicInt" else cls)
                             for cls in ("AtomicInt", "AtomicIntUnsafe") for m in ("preinc", "postinc")]),
            "cmpxchg_ok": Row("o.compare_exchange_strong(e, v)", o=new(), e=BIG, v=BIG),
            "cmpxchg_fail": Row("o.compare_exchange_strong(e, v)", o=new(), e=BIG + 1, v=BIG),
        }

    def costs(self):
        from pytomic import multithreading

        return {"construct": Row("AtomicInt(v)", AtomicInt=multithreading.AtomicInt, v=BIG)}

    def thread_counter(self):
        a = self._new(0)
        return Row("o.preinc()", o=a), a.load

    def process_cases(self):
        return {"raw_value": PytomicCase()}


class PytomicCase(ProcessCase):
    """pytomic.multiprocessing.AtomicInt: a RawValue inherited by forked children; it cannot
    be pickled, so not under spawn."""

    modes = ("fork",)

    def create(self, ctx):
        from pytomic import multiprocessing as pm

        a = pm.AtomicInt(0)
        return a, a.load, lambda: None

    @contextlib.contextmanager
    def open(self, shared):
        yield Row("o.preinc()", o=shared)


# ---------------------------------------------------------------------------------------
# cereggii: AtomicInt64 (thread-oriented), with an optional per-thread handle


class Cereggii(Library):
    module = "cereggii"

    def _both(self, call, value=BIG, **names):
        import cereggii

        a = cereggii.AtomicInt64(value)
        return Fastest(Row(call, o=a, **names), Row(call, o=a.get_handle(), note="handle", **names))

    def ops(self):
        import cereggii

        b = self._both
        return {
            "load": b("o.get()"),
            "store": b("o.set(v)", v=BIG),
            "exchange": b("o.get_and_set(v)", v=BIG),
            # `h += d` on a handle rebinds h to the AtomicInt64 itself: `+=` on the object only
            "inc": Fastest(*(b("o.increment_and_get()").rows + b("o.get_and_increment()").rows
                             + (Row("o += d", o=cereggii.AtomicInt64(BIG), d=1),))),
            "fetch_add": b("o.get_and_increment(d)", d=1),
            "cmpxchg_ok": b("o.compare_and_set(e, v)", e=BIG, v=BIG),
            "cmpxchg_fail": b("o.compare_and_set(e, v)", e=BIG + 1, v=BIG),
        }

    def costs(self):
        import cereggii

        return {"construct": Row("AtomicInt64(v)", AtomicInt64=cereggii.AtomicInt64, v=BIG)}

    def thread_counter(self):
        import cereggii

        a = cereggii.AtomicInt64(0)
        return Row("o.increment_and_get()", o=a), a.get

    def scaling_cases(self):
        import cereggii

        call = "o.increment_and_get()"
        return _object_scaling(cereggii.AtomicInt64, call, lambda a: a.get(), lambda a: a.get_handle(),
                               "`a = AtomicInt64(0)`; every thread: `a.increment_and_get()`",
                               "every thread: `h = a.get_handle()`, then `h.increment_and_get()`",
                               "thread i: its own `AtomicInt64(0)`, then `.increment_and_get()`")


def _object_scaling(cls, call, get, handle, how_same, how_handle, how_separate):
    """The three arrangements for a library whose counters are objects of `cls` (made with
    `cls(0)`, read with `get`): per-thread handles made by `handle(a)`; separate counters
    are separate objects, each made in the thread that increments it."""

    def separate_row(state, i):
        state[i] = cls(0)
        return Row(call, o=state[i])

    def separate_totals(state, k):
        counts = [get(c) for c in state]
        return sum(counts), counts

    def one(k):
        return cls(0)

    return {
        "same": ScalingCase(one, lambda a, i: Row(call, o=a), lambda a, k: (get(a), None), how_same),
        "handle": ScalingCase(one, lambda a, i: Row(call, o=handle(a)), lambda a, k: (get(a), None), how_handle),
        "separate": ScalingCase(lambda k: [None] * k, separate_row, separate_totals, how_separate),
    }


# ---------------------------------------------------------------------------------------
# atomicx: AtomicInt (64-bit, private memory)


class Atomicx(Library):
    module = "atomicx"

    def _new(self, value=BIG):
        import atomicx

        return atomicx.AtomicInt(value)

    def ops(self):
        new = self._new
        return {
            "load": Row("o.load()", o=new()),
            "store": Row("o.store(v)", o=new(), v=BIG),
            "exchange": Row("o.swap(v)", o=new(), v=BIG),
            "inc": Fastest(Row("o.inc()", o=new()), Row("o.add(d)", o=new(), d=1)),
            "fetch_add": Row("o.add(d)", o=new(), d=1),
            "cmpxchg_ok": Row("o.compare_exchange(e, v)", o=new(), e=BIG, v=BIG),
            "cmpxchg_fail": Row("o.compare_exchange(e, v)", o=new(), e=BIG + 1, v=BIG),
            "bit_test_set": Row("o.fetch_or(b)", note="fetch_or(1 << i)", o=new(), b=1 << BIT),
        }

    def costs(self):
        import atomicx

        return {"construct": Row("AtomicInt(v)", AtomicInt=atomicx.AtomicInt, v=BIG)}

    def thread_counter(self):
        a = self._new(0)
        return Row("o.inc()", o=a), a.load


# ---------------------------------------------------------------------------------------
# ft-utils: ft_utils.concurrency.AtomicInt64 (for free-threaded CPython; here on 3.13)


class FtUtils(Library):
    module = "ft_utils.concurrency"

    def version(self):
        return _dist_version("ft-utils")

    def _new(self, value=BIG):
        from ft_utils.concurrency import AtomicInt64

        return AtomicInt64(value)

    def ops(self):
        new = self._new
        return {
            "load": Row("o.get()", o=new()),
            "store": Row("o.set(v)", o=new(), v=BIG),
            "inc": Fastest(Row("o.incr()", o=new()), Row("o += d", o=new(), d=1)),
        }

    def costs(self):
        from ft_utils.concurrency import AtomicInt64

        return {"construct": Row("AtomicInt64(v)", AtomicInt64=AtomicInt64, v=BIG)}

    def thread_counter(self):
        a = self._new(0)
        return Row("o.incr()", o=a), a.get

    def scaling_cases(self):
        from ft_utils.concurrency import AtomicInt64
        from ft_utils.local import LocalWrapper

        return _object_scaling(AtomicInt64, "o.incr()", lambda a: a.get(), LocalWrapper,
                               "`a = AtomicInt64(0)`; every thread: `a.incr()`",
                               "every thread: `h = LocalWrapper(a)` (ft_utils.local), then `h.incr()`",
                               "thread i: its own `AtomicInt64(0)`, then `.incr()`")


# ---------------------------------------------------------------------------------------
# The standard library: baselines, and C method calls of the same shape as the operations


# stdlib row -> the operations it has the shape of (arguments in, result out)
SAME_SHAPE = {
    "lst.clear()": ("inc",),  # no argument, returns None
    "f.__trunc__()": ("load",),  # no argument, returns a new large int
    "s.discard(x)": ("store",),  # one int argument, returns None
    "d.get(k)": ("exchange", "fetch_add", "bit_test_set"),  # one int argument, returns an object
}
SHAPE_OF = {op: name for name, ops in SAME_SHAPE.items() for op in ops}


class Stdlib(Library):
    module = None

    def version(self):
        return None

    def ops(self):
        import itertools
        import multiprocessing
        import threading

        value = multiprocessing.Value("q", 0)
        return {
            "x += 1": Row("x += 1", x=BIG),
            "next(itertools.count())": Row("next(c)", c=itertools.count(BIG)),
            "threading.Lock increment": Row("with lk: x += 1", lk=threading.Lock(), x=BIG),
            "multiprocessing.Value + lock": Row("with lk: v.value += 1", lk=value.get_lock(), v=value),
            "lst.clear()": Row("o.clear()", o=[]),
            "f.__trunc__()": Row("o.__trunc__()", o=float(BIG)),
            "s.discard(x)": Row("o.discard(x)", o=set(), x=BIG),
            "d.get(k)": Row("o.get(k)", o={BIG: BIG}, k=BIG),
        }

    def thread_counter(self):
        import threading

        box = [0]
        return Row("with lk: box[0] += 1", lk=threading.Lock(), box=box), lambda: box[0]

    def process_cases(self):
        return {"value_lock": ValueCase(), "racy": SharedMemoryCase(_racy_view, atomic=False)}

    def pingpong_cases(self):
        return {"event": EventPingPong(), "pipe": PipePingPong()}


class ValueCase(ProcessCase):
    """multiprocessing.Value('q') incremented under its own lock."""

    def create(self, ctx):
        value = ctx.Value("q", 0)
        return value, lambda: value.value, lambda: None

    @contextlib.contextmanager
    def open(self, shared):
        yield Row("with lk: v.value += 1", lk=shared.get_lock(), v=shared)


@contextlib.contextmanager
def _racy_view(window):
    """The racy control: a plain read, +1, a plain write. Updates get lost."""
    yield Row("w[:] = (fb(w, bo) + 1).to_bytes(8, bo)", w=window, fb=int.from_bytes, bo=sys.byteorder)


ADAPTERS = {
    "atomics": Atomics,
    "atomicshm": AtomicShm,
    "pytomic": Pytomic,
    "cereggii": Cereggii,
    "atomicx": Atomicx,
    "ft-utils": FtUtils,
    "stdlib": Stdlib,
}
