"""atomics.compat.pytomic: pytomic 0.2.3's API over this package's atomics.

Part 1 is pytomic's own test suite (github.com/ThamZoo/pytomic, __test__/, at the 0.2.3
sources; the sdist and wheel ship no tests), with the same assertions: the four files
test__{multithreading,multiprocessing}_atomic_{int,uint}.py, whose first thirteen tests are
identical between the two variants and so run here once per variant. Part 2 checks what the
compat layer promises beyond them: sharing under every start method, overflow checks that
are atomic, pytomic's signatures, pickling, and the thin binding.
"""

import copy
import gc
import multiprocessing
import os
import pickle
import time
from threading import Thread

import pytest

import atomics
from atomics.compat import pytomic as compat
from atomics.compat.pytomic import multiprocessing as pytomic_mp
from atomics.compat.pytomic import multithreading as pytomic_mt
from atomics.compat.pytomic.cpp_limits import C_MAX_INT, C_MAX_UINT, C_MIN_INT

import _pytomic_workers

VARIANTS = [pytest.param(pytomic_mt, id="multithreading"), pytest.param(pytomic_mp, id="multiprocessing")]
METHODS = [m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]
SAFE = [getattr(v, c) for v in (pytomic_mt, pytomic_mp) for c in ("AtomicInt", "AtomicUInt")]
UNSAFE = [getattr(v, c) for v in (pytomic_mt, pytomic_mp) for c in ("AtomicIntUnsafe", "AtomicUIntUnsafe")]
ALL = SAFE + UNSAFE


def name(cls):
    return f"{cls.__module__.rsplit('.', 1)[1]}.{cls.__name__}"


def limits(cls):
    return (0, C_MAX_UINT) if "UInt" in cls.__name__ else (C_MIN_INT, C_MAX_INT)


SHM = "/dev/shm"


@pytest.fixture(autouse=True)
def no_leaks(monkeypatch):
    """Every shared-memory segment a test's objects made is gone (its name removed) once
    they are: checked by name, so that other programs' segments do not matter."""
    made = []
    new_atomic = compat._new_atomic

    def recording(*args, **kwargs):
        atomic = new_atomic(*args, **kwargs)
        if kwargs.get("shared"):
            made.append(atomic.shared_name)
        return atomic

    monkeypatch.setattr(compat, "_new_atomic", recording)
    yield
    if not made or not os.path.isdir(SHM):
        return
    names = {n.lstrip("/") for n in made}
    for attempt in range(100):  # children may still be exiting
        left = names & set(os.listdir(SHM))
        if not left:
            break
        if attempt == 0:
            gc.collect()  # objects in reference cycles (a test's closures) go now
        else:
            time.sleep(0.05)
    assert not left, "shared-memory segments leaked"


# ---------------------------------------------------------------------------------------
# Part 1: pytomic's __test__/, same assertions. Fixtures named after pytomic's classes keep
# the test bodies verbatim.


@pytest.fixture(params=VARIANTS)
def AtomicInt(request):
    return request.param.AtomicInt


@pytest.fixture(params=VARIANTS)
def AtomicUInt(request):
    return request.param.AtomicUInt


# test__multithreading_atomic_int.py and test__multiprocessing_atomic_int.py


def test_atomic_int_load(AtomicInt):
    atomic_int = AtomicInt(10)
    assert atomic_int.load() == 10


def test_atomic_int_store(AtomicInt):
    atomic_int = AtomicInt(10)
    atomic_int.store(11)
    assert atomic_int.load() == 11


def test_atomic_int_preinc(AtomicInt):
    atomic_int = AtomicInt(10)
    val = atomic_int.preinc()
    assert val == 11
    assert atomic_int.load() == 11


def test_atomic_int_postinc(AtomicInt):
    atomic_int = AtomicInt(10)
    val = atomic_int.postinc()
    assert val == 10
    assert atomic_int.load() == 11


def test_atomic_int_predec(AtomicInt):
    atomic_int = AtomicInt(10)
    val = atomic_int.predec()
    assert val == 9
    assert atomic_int.load() == 9


def test_atomic_int_postdec(AtomicInt):
    atomic_int = AtomicInt(10)
    val = atomic_int.postdec()
    assert val == 10
    assert atomic_int.load() == 9


def test_atomic_int_out_of_lower_bound_postdec(AtomicInt):
    atomic_int = AtomicInt(C_MIN_INT)
    with pytest.raises(OverflowError):
        val = atomic_int.postdec()  # noqa: F841

    assert atomic_int.load() == C_MIN_INT


def test_atomic_int_out_of_lower_bound_predec(AtomicInt):
    atomic_int = AtomicInt(C_MIN_INT)
    with pytest.raises(OverflowError):
        val = atomic_int.predec()  # noqa: F841

    assert atomic_int.load() == C_MIN_INT


def test_atomic_int_out_of_lower_bound_init(AtomicInt):
    with pytest.raises(OverflowError):
        AtomicInt(C_MIN_INT - 1)


def test_atomic_int_out_of_lower_bound_store(AtomicInt):
    atomic_int = AtomicInt(C_MIN_INT)
    with pytest.raises(OverflowError):
        atomic_int.store(C_MIN_INT - 1)

    assert atomic_int.load() == C_MIN_INT


def test_atomic_int_out_of_upper_bound_postinc(AtomicInt):
    atomic_int = AtomicInt(C_MAX_INT)
    with pytest.raises(OverflowError):
        val = atomic_int.postinc()  # noqa: F841

    assert atomic_int.load() == C_MAX_INT


def test_atomic_int_out_of_upper_bound_preinc(AtomicInt):
    atomic_int = AtomicInt(C_MAX_INT)
    with pytest.raises(OverflowError):
        val = atomic_int.preinc()  # noqa: F841

    assert atomic_int.load() == C_MAX_INT


def test_atomic_int_out_of_upper_bound_init(AtomicInt):
    with pytest.raises(OverflowError):
        AtomicInt(C_MAX_INT + 1)


def test_atomic_int_out_of_upper_bound_store(AtomicInt):
    atomic_int = AtomicInt(C_MAX_INT)
    with pytest.raises(OverflowError):
        atomic_int.store(C_MAX_INT + 1)

    assert atomic_int.load() == C_MAX_INT


# test__multithreading_atomic_uint.py and test__multiprocessing_atomic_uint.py


def test_atomic_uint_load(AtomicUInt):
    atomic_uint = AtomicUInt(10)
    assert atomic_uint.load() == 10


def test_atomic_uint_store(AtomicUInt):
    atomic_uint = AtomicUInt(10)
    atomic_uint.store(11)
    assert atomic_uint.load() == 11


def test_atomic_uint_preinc(AtomicUInt):
    atomic_uint = AtomicUInt(10)
    val = atomic_uint.preinc()
    assert val == 11
    assert atomic_uint.load() == 11


def test_atomic_uint_postinc(AtomicUInt):
    atomic_uint = AtomicUInt(10)
    val = atomic_uint.postinc()
    assert val == 10
    assert atomic_uint.load() == 11


def test_atomic_uint_predec(AtomicUInt):
    atomic_uint = AtomicUInt(10)
    val = atomic_uint.predec()
    assert val == 9
    assert atomic_uint.load() == 9


def test_atomic_uint_postdec(AtomicUInt):
    atomic_uint = AtomicUInt(10)
    val = atomic_uint.postdec()
    assert val == 10
    assert atomic_uint.load() == 9


def test_atomic_uint_out_of_lower_bound_postdec(AtomicUInt):
    atomic_uint = AtomicUInt(0)
    with pytest.raises(OverflowError):
        val = atomic_uint.postdec()  # noqa: F841

    assert atomic_uint.load() == 0


def test_atomic_uint_out_of_lower_bound_predec(AtomicUInt):
    atomic_uint = AtomicUInt(0)
    with pytest.raises(OverflowError):
        val = atomic_uint.predec()  # noqa: F841

    assert atomic_uint.load() == 0


def test_atomic_uint_out_of_lower_bound_init(AtomicUInt):
    with pytest.raises(OverflowError):
        AtomicUInt(0 - 1)


def test_atomic_uint_out_of_lower_bound_store(AtomicUInt):
    atomic_uint = AtomicUInt(0)
    with pytest.raises(OverflowError):
        atomic_uint.store(0 - 1)

    assert atomic_uint.load() == 0


def test_atomic_uint_out_of_upper_bound_postinc(AtomicUInt):
    atomic_uint = AtomicUInt(C_MAX_UINT)
    with pytest.raises(OverflowError):
        val = atomic_uint.postinc()  # noqa: F841

    assert atomic_uint.load() == C_MAX_UINT


def test_atomic_uint_out_of_upper_bound_preinc(AtomicUInt):
    atomic_uint = AtomicUInt(C_MAX_UINT)
    with pytest.raises(OverflowError):
        val = atomic_uint.preinc()  # noqa: F841

    assert atomic_uint.load() == C_MAX_UINT


def test_atomic_uint_out_of_upper_bound_init(AtomicUInt):
    with pytest.raises(OverflowError):
        AtomicUInt(C_MAX_UINT + 1)


def test_atomic_uint_out_of_upper_bound_store(AtomicUInt):
    atomic_uint = AtomicUInt(C_MAX_UINT)
    with pytest.raises(OverflowError):
        atomic_uint.store(C_MAX_UINT + 1)

    assert atomic_uint.load() == C_MAX_UINT


# The last test of each file, for both classes (pytomic's uint files repeat the int test
# with AtomicUInt). The processes' target is a closure, which only the fork start method can
# run (as in pytomic, whose objects are shared under fork only); part 2 covers spawn and
# forkserver.
INC_NUM = int(1e6)


@pytest.mark.parametrize("AtomicCls", ["AtomicInt", "AtomicUInt"])
def test_atomic_with_multi_threading(AtomicCls):
    AtomicCls = getattr(pytomic_mt, AtomicCls)
    atomic_int1 = AtomicCls(0)
    atomic_int2 = AtomicCls(0)
    NUM_THREAD = 6

    def inc():
        for i in range(INC_NUM):
            atomic_int1.preinc()

    threads = []
    for i in range(NUM_THREAD):
        t = Thread(target=inc)
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    assert atomic_int1.load() == INC_NUM * NUM_THREAD
    assert atomic_int2.load() == 0


@pytest.mark.skipif("fork" not in METHODS, reason="needs the fork start method")
@pytest.mark.parametrize("AtomicCls", ["AtomicInt", "AtomicUInt"])
def test_atomic_with_multi_processing(AtomicCls):
    AtomicCls = getattr(pytomic_mp, AtomicCls)
    Process = multiprocessing.get_context("fork").Process  # pytomic relied on Linux's default
    atomic_int1 = AtomicCls(0)
    atomic_int2 = AtomicCls(0)
    NUM_PROC = 6

    def inc():
        for i in range(INC_NUM):
            atomic_int1.preinc()

    procs = []
    for i in range(NUM_PROC):
        p = Process(target=inc)
        p.start()
        procs.append(p)
    for p in procs:
        p.join()
    assert atomic_int1.load() == INC_NUM * NUM_PROC
    assert atomic_int2.load() == 0


# ---------------------------------------------------------------------------------------
# Part 2: the compat layer's own promises.


def test_the_limits():
    assert (C_MAX_INT, C_MIN_INT, C_MAX_UINT) == (2**63 - 1, -(2**63), 2**64 - 1)
    assert all(type(v) is int for v in (C_MAX_INT, C_MIN_INT, C_MAX_UINT))


def test_the_modules_and_classes():
    import atomics.compat.pytomic.cpp_limits as limits_module

    assert compat.multithreading is pytomic_mt and compat.multiprocessing is pytomic_mp
    assert compat.cpp_limits is limits_module
    for module in (pytomic_mt, pytomic_mp):
        assert module.__all__ == ["AtomicInt", "AtomicUInt", "AtomicIntUnsafe", "AtomicUIntUnsafe"]
    # As in pytomic, the two variants' classes are unrelated.
    assert not issubclass(pytomic_mp.AtomicInt, pytomic_mt.AtomicInt)


@pytest.mark.parametrize("cls", SAFE, ids=name)
def test_safe_classes_raise_at_each_limit_leaving_the_value(cls):
    low, high = limits(cls)
    for method in ("preinc", "postinc"):
        a = cls(high)
        with pytest.raises(OverflowError):
            getattr(a, method)()
        assert a.load() == high
    for method in ("predec", "postdec"):
        a = cls(low)
        with pytest.raises(OverflowError):
            getattr(a, method)()
        assert a.load() == low
    # One step inside the range is allowed, up to the limit itself.
    a = cls(high - 1)
    assert a.preinc() == high and a.load() == high
    a = cls(high - 1)
    assert a.postinc() == high - 1 and a.load() == high
    a = cls(low + 1)
    assert a.predec() == low and a.load() == low
    a = cls(low + 1)
    assert a.postdec() == low + 1 and a.load() == low
    # The object stays usable after a refusal.
    a = cls(high)
    with pytest.raises(OverflowError):
        a.preinc()
    assert a.predec() == high - 1


@pytest.mark.parametrize("cls", UNSAFE, ids=name)
def test_unsafe_classes_wrap_around(cls):
    low, high = limits(cls)
    a = cls(high)
    assert a.preinc() == low and a.load() == low
    a = cls(high)
    assert a.postinc() == high and a.load() == low
    a = cls(low)
    assert a.predec() == high and a.load() == high
    a = cls(low)
    assert a.postdec() == low and a.load() == high
    # store and construction still refuse what does not fit, as in pytomic.
    with pytest.raises(OverflowError):
        a.store(high + 1)
    with pytest.raises(OverflowError):
        cls(low - 1)
    assert a.load() == high


@pytest.mark.parametrize("cls", SAFE[:2], ids=name)
def test_the_overflow_check_is_atomic_under_threads(cls, threads):
    """Threads race to step past the maximum: exactly the room left is used, every other
    attempt raises, and the value never passes the limit (pytomic checked, then stepped)."""
    low, high = limits(cls)
    room, tries, n = 500, 400, 4
    a = cls(high - room)
    results = []

    def work(i):
        done = refused = 0
        for _ in range(tries):
            try:
                a.preinc()
                done += 1
            except OverflowError:
                refused += 1
        results.append((done, refused))

    threads(work, n)
    assert sum(d for d, _ in results) == room
    assert sum(r for _, r in results) == n * tries - room
    assert a.load() == high


@pytest.mark.parametrize("method", METHODS)
def test_children_share_the_objects_under_every_start_method(method):
    """The multiprocessing variant's objects, passed as Process arguments, are the same
    memory in the children under fork, spawn and forkserver (pytomic: fork only)."""
    ctx = multiprocessing.get_context(method)
    n, workers = 5_000, 3
    total = n * workers
    checked_int = pytomic_mp.AtomicInt(0)
    checked_uint = pytomic_mp.AtomicUInt(total)
    wrapping_int = pytomic_mp.AtomicIntUnsafe(C_MAX_INT)
    wrapping_uint = pytomic_mp.AtomicUIntUnsafe(0)
    cas_counter = pytomic_mp.AtomicUInt(0)
    barrier = ctx.Barrier(workers)
    args = (checked_int, checked_uint, wrapping_int, wrapping_uint, cas_counter, n, barrier)
    procs = [ctx.Process(target=_pytomic_workers.steps, args=args) for _ in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * workers
    assert checked_int.load() == total
    assert checked_uint.load() == 0
    assert wrapping_int.load() == C_MIN_INT + total - 1
    assert wrapping_uint.load() == C_MAX_UINT - total + 1
    assert cas_counter.load() == total
    with pytest.raises(OverflowError):
        checked_uint.postdec()  # the children left it at 0


@pytest.mark.parametrize("method", METHODS)
def test_the_overflow_check_is_atomic_across_processes(method):
    ctx = multiprocessing.get_context(method)
    room, tries, workers = 300, 400, 3
    counter = pytomic_mp.AtomicUInt(C_MAX_UINT - room)
    barrier, out = ctx.Barrier(workers), ctx.Queue()
    procs = [
        ctx.Process(target=_pytomic_workers.step_to_the_limit, args=(counter, tries, barrier, out))
        for _ in range(workers)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * workers
    assert sum(d for d, _ in results) == room
    assert sum(r for _, r in results) == workers * tries - room
    assert counter.load() == C_MAX_UINT


@pytest.mark.skipif("fork" not in METHODS, reason="needs the fork start method")
def test_a_module_level_object_is_shared_with_forked_children():
    """pytomic's README pattern: a global object, incremented by forked children."""
    ctx = multiprocessing.get_context("fork")
    _pytomic_workers.MODULE_COUNTER = pytomic_mp.AtomicInt(0)
    try:
        procs = [ctx.Process(target=_pytomic_workers.inc_module_counter, args=(2_000,)) for _ in range(3)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=120)
        assert [p.exitcode for p in procs] == [0, 0, 0]
        assert _pytomic_workers.MODULE_COUNTER.load() == 6_000
    finally:
        _pytomic_workers.MODULE_COUNTER = None


@pytest.mark.parametrize("cls", [pytomic_mp.AtomicInt, pytomic_mp.AtomicUIntUnsafe], ids=name)
def test_multiprocessing_objects_pickle_by_reference(cls):
    a = cls(5)
    b = pickle.loads(pickle.dumps(a))
    assert type(b) is cls and b is not a
    b.preinc()
    assert a.load() == 6
    a.store(9)
    assert b.load() == 9
    c = copy.copy(a)  # a second object over the same memory
    c.postdec()
    assert a.load() == 8
    assert b.shared_name == a.shared_name == a.atomic.shared_name
    with pytest.raises(TypeError):
        copy.deepcopy(a)  # an atomic is its memory


class _Tagged(pytomic_mp.AtomicInt):
    """A subclass with an attribute of its own and an override."""

    def preinc(self):
        self.calls = getattr(self, "calls", 0) + 1
        return super().preinc()


def test_subclasses_keep_their_overrides_and_attributes():
    a = _Tagged(1)
    assert "preinc" not in a.__dict__  # the override is not shadowed
    assert "postinc" in a.__dict__  # the others are still bound straight to the atomic
    assert a.preinc() == 2 and a.calls == 1
    b = pickle.loads(pickle.dumps(a))
    assert type(b) is _Tagged and b.calls == 1
    assert b.preinc() == 3 and b.calls == 2 and a.load() == 3
    b.store(C_MAX_INT)
    with pytest.raises(OverflowError):
        b.preinc()  # super().preinc() is the checked one
    assert a.load() == C_MAX_INT


@pytest.mark.parametrize("cls", [pytomic_mt.AtomicInt, pytomic_mt.AtomicUIntUnsafe], ids=name)
def test_multithreading_objects_refuse_pickle_and_copy(cls):
    """As pytomic's (their memory is private to the process)."""
    a = cls(1)
    for attempt in (pickle.dumps, copy.copy, copy.deepcopy):
        with pytest.raises(TypeError, match="multiprocessing"):
            attempt(a)


@pytest.mark.parametrize("cls", ALL, ids=name)
def test_pytomic_signatures(cls):
    """Keyword names and defaults of pytomic 0.2.3's methods."""
    a = cls(init_val=3)
    assert a.load() == 3 and a.load_relaxed() == 3
    a.store_relaxed(val=4)
    assert a.load() == 4
    assert a.compare_exchange_strong(expected=4, desired=5) is True
    assert a.compare_exchange_strong(4, 6) is False
    assert a.load() == 5
    for _ in range(1000):  # weak may fail spuriously; it succeeds in a loop
        if a.compare_exchange_weak(expected=5, desired=7):
            break
    assert a.load() == 7
    assert a.compare_exchange_weak(5, 8) is False and a.load() == 7
    a.store_relaxed(2)
    assert a.load_relaxed() == 2
    assert a.free() is None
    assert a.load() == 2  # free() does nothing: the object stays usable
    with pytest.raises(TypeError):
        cls()  # init_val is required
    with pytest.raises(TypeError):
        a.compare_exchange_strong(1)


def test_multiprocessing_constructor_takes_and_ignores_memory_view():
    a = pytomic_mp.AtomicInt(5, None)
    b = pytomic_mp.AtomicUInt(6, memory_view=memoryview(bytearray(8)))
    assert (a.load(), b.load()) == (5, 6)
    with pytest.raises(TypeError):
        pytomic_mt.AtomicInt(5, None)  # as in pytomic, multithreading takes init_val only


@pytest.mark.parametrize("cls", ALL, ids=name)
def test_arguments_of_the_wrong_type(cls):
    for bad in (1.5, "3", None):
        with pytest.raises(TypeError):
            cls(bad)
    a = cls(1)
    with pytest.raises(TypeError):
        a.store(2.0)  # pytomic truncated floats silently
    with pytest.raises(TypeError):
        a.store_relaxed(2.0)
    assert a.load() == 1
    a.store(True)
    assert a.load() == 1


@pytest.mark.parametrize("cls", [pytomic_mp.AtomicInt, pytomic_mp.AtomicUInt], ids=name)
def test_raw_val_is_the_same_memory(cls):
    a = cls(7)
    raw = a.raw_val
    assert raw.value == 7
    a.preinc()
    assert raw.value == 8
    del a
    gc.collect()
    assert raw.value == 8  # raw_val keeps the memory mapped


def test_values_are_shared_by_threads_using_every_method(threads):
    a = pytomic_mp.AtomicInt(0)  # the multiprocessing variant also serves threads
    b = pytomic_mt.AtomicUIntUnsafe(0)

    def work(i):
        for _ in range(2_000):
            a.preinc()
            a.postinc()
            a.predec()
            b.postinc()
            while True:
                seen = b.load()
                if b.compare_exchange_strong(seen, seen + 1):
                    break

    threads(work, 4)
    assert a.load() == 8_000
    assert b.load() == 16_000


NO_ARGUMENT = ("load", "load_relaxed", "preinc", "postinc", "predec", "postdec")


@pytest.mark.parametrize("cls", ALL, ids=name)
def test_methods_without_parameters_refuse_arguments(cls):
    """As pytomic's: a method without parameters refuses any argument with TypeError, on the
    instance and on the class (the atomic's own methods would take it as a memory order)."""
    a = cls(1)
    for method in NO_ARGUMENT:
        for args, kwargs in [((1,), {}), ((atomics.MemoryOrder.SEQ_CST,), {}), ((), {"order": 5}), ((0, 0), {})]:
            with pytest.raises(TypeError, match=f"^{method}\\(\\) "):
                getattr(a, method)(*args, **kwargs)
            with pytest.raises(TypeError):
                getattr(cls, method)(a, *args, **kwargs)
        assert a.load() == 1, method
    for method, args in [("store", (2, 3)), ("store_relaxed", (2, 3)), ("compare_exchange_strong", (1, 2, 3)),
                         ("compare_exchange_weak", (1, 2, 3))]:
        with pytest.raises(TypeError, match=f"^{method}\\(\\) "):
            getattr(a, method)(*args)
        with pytest.raises(TypeError):
            getattr(cls, method)(a, *args)
    with pytest.raises(TypeError):
        a.store(val=2, order=atomics.MemoryOrder.RELAXED)
    assert a.load() == 1


@pytest.mark.parametrize("cls", ALL, ids=name)
def test_methods_go_straight_to_the_atomic(cls):
    """The thin layer: each instance holds, per method, one small function of pytomic's
    parameters that calls the atomic's method (no method lookup in between)."""
    a = cls(0)
    atomic = a.atomic
    assert isinstance(atomic, atomics.INT if "UInt" not in cls.__name__ else atomics.UINT)
    assert atomic.width == 8
    for method in NO_ARGUMENT + ("store", "store_relaxed", "compare_exchange_strong", "compare_exchange_weak"):
        function = a.__dict__[method]
        assert function.__name__ == function.__code__.co_name == method
        assert function.__code__.co_argcount == (0 if method in NO_ARGUMENT else 1 if "store" in method else 2)
    assert a.load() == 0
    atomic.store(3)
    assert a.load() == a.load_relaxed() == 3
    a.store(val=4)  # pytomic's keyword
    assert atomic.load() == 4
    assert (a.preinc(), a.postinc(), a.predec(), a.postdec()) == (5, 5, 5, 5)
    assert atomic.load() == 4
    # The methods defined on the classes do the same (for subclasses and unbound calls).
    cls.store(a, 5)
    cls.store_relaxed(a, 6)
    assert cls.load(a) == cls.load_relaxed(a) == 6
    low, high = limits(cls)
    assert cls.preinc(a) == 7 and cls.postinc(a) == 7 and cls.predec(a) == 7 and cls.postdec(a) == 7
    assert cls.compare_exchange_strong(a, 6, 1) is True and cls.compare_exchange_weak(a, 0, 2) is False
    a.store(high)
    if cls in SAFE:
        with pytest.raises(OverflowError):
            cls.preinc(a)
        with pytest.raises(OverflowError):
            cls.postinc(a)
    else:
        assert cls.preinc(a) == low
    assert repr(a).startswith(f"<{cls.__module__}.{cls.__name__} value=")

