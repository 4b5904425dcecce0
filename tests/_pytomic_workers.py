"""Child-process functions for tests/test_compat_pytomic.py (importable by spawn and
forkserver children, which receive the compat objects pickled by reference)."""

# Set by the test before it forks: a module-level object, as pytomic's README uses one.
# (Nothing is made at import: a forkserver child, which leaves through os._exit, would
# leave the segment's name behind.)
MODULE_COUNTER = None


def steps(checked_int, checked_uint, wrapping_int, wrapping_uint, cas_counter, n, barrier):
    """After all workers reach `barrier`, performs n steps on each object: preinc, postdec,
    postinc, predec, and a compare-exchange increment loop."""
    barrier.wait(timeout=60)
    for _ in range(n):
        checked_int.preinc()
        checked_uint.postdec()
        wrapping_int.postinc()
        wrapping_uint.predec()
        while True:
            seen = cas_counter.load()
            if cas_counter.compare_exchange_weak(seen, seen + 1):
                break


def step_to_the_limit(counter, tries, barrier, out):
    """Tries `tries` preincs on a checked counter near its maximum; reports how many
    succeeded and how many raised OverflowError."""
    barrier.wait(timeout=60)
    done = refused = 0
    for _ in range(tries):
        try:
            counter.preinc()
            done += 1
        except OverflowError:
            refused += 1
    out.put((done, refused))


def inc_module_counter(n):
    for _ in range(n):
        MODULE_COUNTER.preinc()
