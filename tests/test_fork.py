"""A fork while other threads of the parent sleep in wait() on some memory, or are releasing
it: the child has only the thread that forked, so releasing the memory there must not wait
for the others. Each scenario runs in a fresh interpreter with a deadline, so that a hang
fails its test instead of stopping the run.
"""

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")

SETUP = {
    "segment": """
        from atomics.shared import SharedSegment
        seg = SharedSegment.create(8)
        a = seg.atomic(0, 4, atomics.UINT)
        release = seg.close
    """,
    "view": """
        ctx = atomics.atomicview(bytearray(4), atomics.UINT)
        a = ctx.__enter__()
        release = lambda: ctx.__exit__(None, None, None)
    """,
    "arrayview": """
        arr = atomics.arrayview(bytearray(16), atomics.UINT, width=4)
        a = arr.element(2)
        release = arr.release
    """,
}

SCENARIO = """
    import os, threading, time, warnings
    import atomics
    {setup}
    errors = []

    def sleep():
        try:
            a.wait(0, timeout=30)
        except ValueError:
            pass  # released meanwhile
        except BaseException as e:
            errors.append(e)

    sleeper = threading.Thread(target=sleep)
    sleeper.start()
    time.sleep(0.12)  # asleep, in the middle of a 50 ms slice
    releaser = None
    if {releasing}:  # a release in progress: it waits for the sleeper to leave its slice
        releaser = threading.Thread(target=release)
        releaser.start()
        time.sleep(0.005)
    warnings.simplefilter("ignore", DeprecationWarning)  # forking with threads
    pid = os.fork()
    if pid == 0:
        release()
        try:
            a.load()
            os._exit(2)
        except ValueError:
            os._exit(0)
    deadline = time.monotonic() + 20
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            raise SystemExit("the child hung")
        time.sleep(0.005)
    assert os.waitstatus_to_exitcode(status) == 0, status
    if releaser is None:
        a.store(1)
        a.notify_all()
    sleeper.join(30)
    if releaser is not None:
        releaser.join(30)
    release()
    assert not errors, errors
    print("ok")
"""


@pytest.mark.parametrize("releasing", [False, True], ids=["sleeping", "releasing"])
@pytest.mark.parametrize("where", list(SETUP))
def test_a_child_releases_memory_that_parent_threads_were_using(where, releasing):
    code = textwrap.dedent(SCENARIO).format(setup=textwrap.dedent(SETUP[where]), releasing=releasing)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == "ok\n", done.stderr
