"""A program written against atomics 1.0.3, unchanged: threads, processes over shared memory
(the default start method), the lifetime contract and alignment checks, as that version's
documentation shows them. It must run and print what 1.0.3 prints."""

import subprocess
import sys
import textwrap

PROGRAM = textwrap.dedent('''
    import atomics
    from multiprocessing import Process, shared_memory
    from threading import Thread


    def bump(ai: atomics.INTEGRAL, n: int) -> None:
        for _ in range(n):
            ai.inc()


    def child(name: str, width: int, n: int) -> None:
        shm = shared_memory.SharedMemory(name=name)
        buf = shm.buf[:width]
        with atomics.atomicview(buffer=buf, atype=atomics.INT) as a:
            for _ in range(n):
                a.inc()
        del buf
        shm.close()


    if __name__ == "__main__":
        a = atomics.atomic(width=4, atype=atomics.INT)
        ts = [Thread(target=bump, args=(a, 5_000)) for _ in range(2)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        print(f"threads {a.load()}")
        print(a)

        width = 4
        shm = shared_memory.SharedMemory(create=True, size=width)
        buf = shm.buf[:width]
        ps = [Process(target=child, args=(shm.name, width, 5_000)) for _ in range(2)]
        [p.start() for p in ps]
        [p.join() for p in ps]
        with atomics.atomicview(buffer=buf, atype=atomics.INT) as v:
            print(f"processes {v.load()}")
        del buf
        shm.close()
        shm.unlink()

        buf = bytearray(4)
        ctx = atomics.atomicview(buffer=buf, atype=atomics.INT)
        with ctx as view:
            try:
                ctx.release()
            except ValueError as e:
                print(e)
            try:
                ctx.__enter__()
            except ValueError as e:
                print(e)
            print(view.load())
        try:
            view.load()
        except ValueError as e:
            print(e)
        buf.extend(b"ok")  # released: the buffer may change again

        ctx = atomics.atomicview(buffer=bytearray(8), atype=atomics.UINT)
        ctx.release()
        try:
            ctx.__enter__()
        except ValueError as e:
            print(e)

        buf = bytearray(8)
        print(atomics.Alignment(len(buf)).is_valid(buf))
        print(atomics.Alignment(8))
        try:
            a.store(1, order=atomics.MemoryOrder.ACQUIRE)
        except atomics.exc.MemoryOrderError as e:
            print(e)
        res = a.cmpxchg_strong(expected=10_000, desired=7)
        print(res, bool(res))
        print(a.fetch_add(3), int(a))
''')

EXPECTED = """\
threads 10000
AtomicInt(value=10000, width=4, readonly=False, signed=True)
processes 10000
Cannot call 'release' while context is open.
Cannot open context multiple times.
0
Operation forbidden on released AtomicCore object.
Cannot open context after calling 'release'.
True
Alignment(width=8, recommended=8, minimum=1, size_within=0)
ACQUIRE is not a valid  memory order for a STORE operation.
CmpxchgResult(success=True, expected=10000) True
7 10
"""


def test_an_atomics_1_0_program_runs_unchanged(tmp_path):
    script = tmp_path / "program.py"
    script.write_text(PROGRAM)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == EXPECTED
    assert done.stderr == ""
