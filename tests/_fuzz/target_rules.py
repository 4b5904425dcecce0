"""The fuzzer's rules that build, release, drop and pin targets.
"""

import gc
import mmap
import os
import random
import signal
import sys
import tempfile
import threading
import time
import warnings

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

import atomics
from atomics import base as abase, view as aview
from atomics.shared import SharedSegment, layout

from _fuzz.arguments import family_of_class
from _fuzz.run import COUNTS, FORKS, KEPT, MAX_TARGETS, NAME_PATTERN, RELEASED, WIDTHS, width_exists
from _fuzz.targets import ATYPES, VIEW_BASES, Backing, Cell, SegmentFile, Target, address_of, atype_facts

try:
    import numpy as np
except ImportError:  # pragma: no cover - numpy is optional
    np = None


class TargetRules:
    """Building targets, releasing them and their memory, and pinned buffers."""

    # -- building targets ------------------------------------------------------------

    @initialize(seed=st.integers(0, 2**32 - 1))
    def start(self, seed):
        self.rng = random.Random(seed)
        for kind in ("atomic", "view", "segment"):
            self.new_target(kind, self.rng.getrandbits(32))

    def add(self, target):
        self.targets.append(target)
        if target.backing not in self.backings:
            self.backings.append(target.backing)
        return target

    @rule(kind=st.sampled_from(["atomic", "shared", "segment", "view", "view", "view", "uninit",
                                "attach-again"]),
          seed=st.integers(0, 2**32 - 1))
    def new_target(self, kind, seed):
        rng = random.Random(seed)
        if len(self.targets) >= MAX_TARGETS:
            self.drop_target(rng.randrange(len(self.targets)))
        label, atype, kwargs = rng.choice(ATYPES)
        w = rng.choice([4, 8] if atype is atomics.FLOAT else WIDTHS)
        COUNTS["targets"] += 1
        if kind == "atomic":
            fam, signed, sobj, integral, _ = atype_facts(atype, kwargs)
            obj = atomics.atomic(w, atype, **kwargs)
            b = Backing("owned")
            self.add(Target(obj, b, Cell(w), w, fam, signed, sobj, False, integral, f"atomic({label})"))
        elif kind == "shared":
            fam, signed, sobj, integral, seg_kind = atype_facts(atype, kwargs)
            obj = atomics.atomic(w, atype, shared=True, **kwargs)
            name = obj.shared_name
            f = self.new_file(name, w, w, seg_kind)
            cell = f.cells[0] = Cell(w)
            b = Backing("segment")
            b.file, b.owner = f, True
            self.add(Target(obj, b, cell, w, fam, signed, sobj, False, integral, f"shared({label})"))
        elif kind == "segment":
            types = [rng.choice(ATYPES) for _ in range(rng.randint(1, 4))]
            widths = [rng.choice([4, 8] if atype is atomics.FLOAT else WIDTHS) for _, atype, _ in types]
            offsets, size = layout(widths, cache_line_padded=rng.random() < 0.5)
            size += rng.randint(0, 40)
            seg = SharedSegment.create(size)
            f = self.new_file(seg.name, size, 0, 0)
            b = Backing("segment")
            b.seg, b.file, b.owner = seg, f, True
            assert seg.unlink_on_close is True and seg.size == size and seg.kind == "LAYOUT"
            for offset, width, (label, atype, kwargs) in zip(offsets, widths, types):
                fam, signed, sobj, integral, _ = atype_facts(atype, kwargs)
                obj = seg.atomic(offset, width, atype, **kwargs)
                assert obj.shared_offset == offset and obj.shared_name == seg.name
                cell = f.cells[offset] = Cell(width)
                self.add(Target(obj, b, cell, width, fam, signed, sobj, False, integral, f"segment({label})@{offset}"))
        elif kind == "attach-again":
            live = [f for f in self.files.values() if f.cells and os.path.exists(f.path())]
            if not live:
                return
            f = rng.choice(live)
            seg = SharedSegment.attach(f.name)
            assert seg.size == f.size and not seg.closed and seg.unlink_on_close is False
            b = Backing("segment")
            b.seg, b.file = seg, f
            offset = rng.choice(sorted(f.cells))
            cell = f.cells[offset]
            if atype is atomics.FLOAT and cell.width not in (4, 8):
                label, atype, kwargs = ATYPES[0]
            fam, signed, sobj, integral, _ = atype_facts(atype, kwargs)
            obj = seg.atomic(offset, cell.width, atype, **kwargs)
            self.add(Target(obj, b, cell, cell.width, fam, signed, sobj, False, integral, f"attached({label})@{offset}"))
        elif kind == "uninit":
            cls = rng.choice([abase.AtomicInt, abase.AtomicUint, abase.AtomicBytes, abase.AtomicIntegral,
                              abase.AtomicFloat, aview.AtomicIntView, aview.AtomicBytesView, aview.AtomicFloatView,
                              abase.Atomic])
            obj = cls.__new__(cls)
            b = Backing("uninit")
            fam = family_of_class(cls)
            if fam == "float":
                w = rng.choice([4, 8])
            self.add(Target(obj, b, Cell(w), w, fam, False, False, False, False, f"uninit {cls.__name__}"))
        else:
            self.new_view(rng, w, label, atype, kwargs)

    def new_file(self, name, size, width, kind):
        assert NAME_PATTERN.match(name), name
        f = SegmentFile(name, size, width, kind)
        assert f.mode == 0o600, oct(f.mode)
        assert f.uid == os.getuid()
        assert f.map[:] == f.header + bytes(size), "a new segment is not zeroed or its header is wrong"
        self.files[name] = f
        return f

    def make_buffer(self, rng, w, base_kind):
        """(object to pass, reader, snapshot, offset, address, readonly, keep) for a view."""
        keep = []
        if base_kind in ("bytearray", "toreadonly"):
            n = 3 * w + rng.randint(2, 40)
            base = bytearray(rng.randbytes(n))
            a = address_of(base)
            choices = [o for o in range(1, n - w) if (a + o) % w == 0]
            off = rng.choice(choices)
            mv = memoryview(base)
            passed = (mv.toreadonly() if base_kind == "toreadonly" else mv)[off:off + w]
            keep.append(base)
            return passed, lambda: bytes(base), bytes(base), off, a + off, base_kind == "toreadonly", keep
        if base_kind == "bytearray-whole":
            base = bytearray(rng.randbytes(w))
            if address_of(base) % w:
                return self.make_buffer(rng, w, "bytearray")
            return base, lambda: bytes(base), bytes(base), 0, address_of(base), False, keep
        if base_kind == "bytes":
            n = 3 * w + rng.randint(2, 40)
            base = rng.randbytes(n)
            a = address_of(base)
            off = rng.choice([o for o in range(1, n - w) if (a + o) % w == 0])
            keep.append(base)
            return memoryview(base)[off:off + w], lambda: bytes(bytearray(base)), bytes(bytearray(base)), off, a + off, True, keep
        if base_kind == "numpy" and np is not None:
            arr = np.frombuffer(rng.randbytes(4 * w + 32), dtype=np.uint8).copy()
            a = arr.ctypes.data
            off = rng.choice([o for o in range(1, len(arr) - w) if (a + o) % w == 0])
            keep.append(arr)
            return arr[off:off + w], arr.tobytes, arr.tobytes(), off, a + off, False, keep
        if base_kind == "mmap-whole":
            m = mmap.mmap(-1, w)
            m.write(rng.randbytes(w))
            return m, lambda: m[:], m[:], 0, address_of(m), False, keep
        if base_kind in ("mmap-access-read", "mmap-prot-read"):
            f = tempfile.TemporaryFile()
            content = rng.randbytes(4096)
            f.write(content)
            f.flush()
            if base_kind == "mmap-access-read":
                m = mmap.mmap(f.fileno(), 4096, access=mmap.ACCESS_READ)
            else:
                m = mmap.mmap(f.fileno(), 4096, prot=mmap.PROT_READ)
            off = 16 * rng.randint(0, 255)
            keep += [f, m]
            return memoryview(m)[off:off + w], lambda: m[:], content, off, None, True, keep
        m = mmap.mmap(-1, 4096)  # "mmap" (and numpy when numpy is missing)
        m.write(rng.randbytes(4096))
        off = 16 * rng.randint(0, 255)
        keep.append(m)
        return memoryview(m)[off:off + w], lambda: m[:], m[:], off, address_of(m) + off, False, keep

    def new_view(self, rng, w, label, atype, kwargs):
        base_kind = rng.choice(VIEW_BASES)
        passed, reader, snapshot, off, address, readonly, keep = self.make_buffer(rng, w, base_kind)
        if readonly and not width_exists(w, True):
            return
        fam, signed, sobj, integral, _ = atype_facts(atype, kwargs)
        ctx = atomics.atomicview(passed, atype, **kwargs)
        obj = ctx.__enter__()
        assert obj.readonly is readonly and obj.width == w
        if address is not None:
            assert obj._address == address
        b = Backing("view", readonly)
        b.ctx, b.passed, b.reader, b.snapshot, b.address, b.keep = ctx, passed, reader, snapshot, address, keep
        cell = Cell(w, int.from_bytes(snapshot[off:off + w], sys.byteorder))
        b.regions.append((off, cell))
        self.add(Target(obj, b, cell, w, fam, signed, sobj, readonly, integral, f"view({label}, {base_kind})"))

    # -- releasing -------------------------------------------------------------------

    def release_backing(self, b):
        """Releases a backing the way a user can; False when there is no way (private
        memory, atomic(shared=True), pickled copies)."""
        if b.released:
            return False
        if b.kind == "view" and b.ctx is not None:
            b.ctx.__exit__(None, None, None)
        elif b.kind == "view":
            if self.rng.random() < 0.5:
                b.array.release()
            else:
                b.array.__exit__(None, None, None)
        elif b.kind == "segment" and b.seg is not None:
            b.seg.close()
            if b.owner and not b.file.kept:
                self.name_removed(b.file)
        else:
            return False
        b.released = True
        COUNTS["releases"] += 1
        return True

    def name_removed(self, f):
        assert not os.path.exists(f.path()), f"{f.name} outlived its owner"

    @precondition(lambda self: self.targets or self.arrays)
    @rule(i=st.integers(0, 10**6), keep_name=st.booleans())
    def release(self, i, keep_name):
        pool = self.targets + self.arrays
        t = pool[i % len(pool)]
        b = t.backing
        if b.kind == "segment" and b.seg is not None and b.owner and keep_name and not b.released:
            KEPT.add(b.file.path())
            b.seg.unlink_on_close = False
            assert b.seg.unlink_on_close is False
            b.file.kept = True
        was = b.released
        if b.kind == "view" and not was and b.ctx is not None and self.rng.random() < 0.5:
            # misuse first: a second enter and a release while open are refused
            for attempt in (b.ctx.__enter__, b.ctx.release):
                with pytest.raises(ValueError):
                    attempt()
        released = self.release_backing(b)
        if b.kind == "segment" and b.seg is not None:
            assert b.seg.closed
            b.seg.close()  # idempotent
            if b.file.kept and released:
                assert os.path.exists(b.file.path()), "unlink_on_close=False removed the name"
        if b.kind == "view" and was and b.ctx is not None:
            b.ctx.__exit__(None, None, None)  # idempotent
            b.ctx.release()
        elif b.kind == "view" and was:
            b.array.release()  # idempotent
        self.check_pin(b)

    @rule(seed=st.integers(0, 2**32 - 1))
    def fork_with_sleepers(self, seed):
        """A fork while another thread sleeps in wait() on some memory, or is releasing it:
        the child releases the memory at once (it must not wait for threads that stayed in
        the parent), and its operations then raise the released ValueError. The child runs
        with a deadline, so that a hang fails the test instead of stopping it. At most
        `FORKS` per run (a budget, not a precondition: Hypothesis replays need the same rules)."""
        if COUNTS["forks with a sleeper or a releaser"] >= FORKS:
            return
        rng = random.Random(seed)
        COUNTS["calls"] += 1
        w = rng.choice([1, 2, 4, 8])
        where = rng.choice(["view", "arrayview", "segment"])
        mode = rng.choice(["sleeping", "releasing"])
        if where == "view":
            ctx = atomics.atomicview(bytearray(w), atomics.UINT)
            obj, release = ctx.__enter__(), lambda: ctx.__exit__(None, None, None)
        elif where == "arrayview":
            arr = atomics.arrayview(bytearray(4 * w), atomics.UINT, width=w)
            obj, release = arr.element(rng.randrange(4)), arr.release
        else:
            seg = SharedSegment.create(64)
            obj, release = seg.atomic(0, w, atomics.UINT), seg.close
        desc = f"fork while a thread is {mode} on a {where} of width {w}"
        old, errors = obj.load(), []

        def sleep():
            try:
                obj.wait(old, timeout=10)  # ends by the notify below, or by the release
            except ValueError as e:
                if str(e) != RELEASED:
                    errors.append(e)
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=sleep)]
        threads[0].start()
        time.sleep(0.02)  # asleep in the kernel by now
        if mode == "releasing":  # waits for the sleeper to leave (up to one 50 ms slice)
            threads.append(threading.Thread(target=release))
            threads[1].start()
            time.sleep(0.005)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # forking with threads
            pid = os.fork()
        if pid == 0:  # the child: only the forking thread came along
            code = 1
            try:
                release()
                try:
                    obj.load()
                    code = 2
                except ValueError:
                    code = 0
            finally:
                os._exit(code)
        deadline = time.monotonic() + 60
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise AssertionError(f"{desc}: the child hung releasing the memory")
            time.sleep(0.001)
        code = os.waitstatus_to_exitcode(status)
        assert code == 0, f"{desc}: the child exited with {code} (1: its release raised, 2: usable after it)"
        if mode == "sleeping":
            obj.store((old + 1) % 256)
            obj.notify_all()
        for t in threads:
            t.join(30)
            assert not t.is_alive(), f"{desc}: a thread of the parent hangs"
        release()
        assert not errors, f"{desc}: {errors!r}"
        COUNTS["forks with a sleeper or a releaser"] += 1

    def drop_target(self, i):
        t = self.targets.pop(i % len(self.targets))
        b = t.backing
        del t
        self.let_go(b)

    def let_go(self, b):
        if any(other.backing is b for other in self.targets) or any(a.backing is b for a in self.arrays):
            return
        # the last object over this backing is gone: its memory must be let go
        self.backings.remove(b)
        if b.kind == "view":
            ctx, b.ctx, b.array = b.ctx, None, None
            del ctx
            b.released = True
            self.check_pin(b)
        elif b.kind == "segment":
            seg, b.seg = b.seg, None
            del seg
            if b.owner and not b.file.kept:
                if os.path.exists(b.file.path()):
                    COUNTS["gc needed"] += 1
                    gc.collect()  # a reference cycle may hold the last object
                self.name_removed(b.file)
            b.released = True

    @precondition(lambda self: self.targets)
    @rule(i=st.integers(0, 10**6))
    def drop(self, i):
        self.drop_target(i)

    # -- pins ------------------------------------------------------------------------

    def check_pin(self, b):
        """The buffer given to a view is pinned exactly while the view holds it."""
        if b.kind != "view" or b.passed_released:
            return
        if b.released:
            try:
                self.try_pin(b)
            except BufferError:
                COUNTS["gc needed"] += 1
                gc.collect()  # a reference cycle may hold the last view
                self.try_pin(b)
        else:
            self.try_pin(b)

    def try_pin(self, b):
        passed = b.passed
        pinned = not b.released
        COUNTS["pin checks"] += 1
        if isinstance(passed, memoryview):
            if pinned:
                with pytest.raises(BufferError):
                    passed.release()
                assert passed.nbytes >= 0  # still usable (a released memoryview raises)
            else:
                passed.release()
                b.passed_released = True
        elif isinstance(passed, bytearray):
            if pinned:
                for attempt in (lambda: passed.extend(b"x"), passed.clear, lambda: passed.pop()):
                    with pytest.raises(BufferError):
                        attempt()
            else:
                passed.append(0)
                del passed[-1]
        elif isinstance(passed, mmap.mmap):
            if pinned:
                with pytest.raises(BufferError):
                    passed.close()
                if hasattr(passed, "resize"):
                    with pytest.raises(BufferError):
                        passed.resize(2 * len(passed))
                assert not passed.closed
            else:
                passed.close()
                b.passed_released = True
                b.reader = None

    @precondition(lambda self: any(t.backing.kind == "view" for t in self.targets + self.arrays))
    @rule(i=st.integers(0, 10**6))
    def disturb_buffer(self, i):
        views = [t for t in self.targets + self.arrays if t.backing.kind == "view"]
        self.check_pin(views[i % len(views)].backing)
