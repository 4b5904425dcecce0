import sys
import threading

import pytest


def run_threads(target, n, *args):
    """Runs `target(i, *args)` in `n` threads started together; re-raises the first error."""
    errors = []
    barrier = threading.Barrier(n)

    def worker(i):
        try:
            barrier.wait()
            target(i, *args)
        except BaseException as e:  # re-raised below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


@pytest.fixture
def threads():
    return run_threads


def pytest_report_header(config):
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    return f"GIL enabled: {gil}"
