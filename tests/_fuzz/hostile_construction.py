"""The fuzzer's hostile constructions of views, atomics, segments (forged headers included)
and alignments.
"""

import gc
import os
import random
import stat
import struct
import threading

from hypothesis import strategies as st
from hypothesis.stateful import rule

import atomics
from atomics import MemoryOrder as MO
from atomics.exc import AlignmentError, UnsupportedWidthException
from atomics.shared import SharedSegment

from _fuzz.arguments import Prediction, RaisingIndex, conv_usize, conv_width, family_of_class
from _fuzz.array_pools import buffer_address
from _fuzz.run import (COUNTS, MAX_TARGETS, NAME_PATTERN, RAISED, SHM, TAG, WIDTHS, atype_family,
                       foreign_buffer, items_usable, objects_intact, short, width_exists)
from _fuzz.targets import ATYPES, Cell, SegmentFile, Target, address_of, atype_facts, shm_names

try:
    import numpy as np
except ImportError:  # pragma: no cover - numpy is optional
    np = None


class HostileConstruction:
    """Constructors called with hostile buffers, sizes, names and headers."""

    # -- hostile construction ----------------------------------------------------------

    @rule(seed=st.integers(0, 2**32 - 1))
    def hostile_view(self, seed):
        """atomicview() over hostile buffers and atypes: refused with the documented error,
        and a refused buffer is never left pinned."""
        rng = random.Random(seed)
        COUNTS["calls"] += 1
        w = rng.choice([1, 2, 4, 8, 16])
        kind = rng.choice(["misaligned", "strided", "size", "size", "readonly", "released", "nonbuffer",
                           "2d", "cast", "fortran", "foreign", "foreign", "ok", "ok"])
        base = bytearray(rng.randbytes(4 * max(w, 4) + 32))
        a = address_of(base)
        aligned = [o for o in range(0, len(base) - 2 * w) if (a + o) % 16 == 0]
        off = rng.choice(aligned)
        p = Prediction()
        size, address, readonly, contiguous, buf = w, a + off, False, True, None
        if kind == "misaligned":
            off += rng.randint(1, 15)
            address = a + off
            buf = memoryview(base)[off:off + w]
        elif kind == "strided":
            buf = memoryview(base)[off:off + 2 * w:2]
            contiguous = w == 1
        elif kind == "size":
            size = rng.choice([0, 3, 5, 6, 7, 12, 32, w + 1])
            buf = memoryview(base)[off:off + size]
        elif kind == "readonly":
            buf = memoryview(base).toreadonly()[off:off + w]
            readonly = True
        elif kind == "released":
            buf = memoryview(base)[off:off + w]
            buf.release()
            p.add(ValueError, "released memoryview")
        elif kind == "nonbuffer":
            buf = rng.choice(["abcd", None, 5, [1, 2, 3, 4], object(), 2.5, RaisingIndex()])
            p.add(TypeError, "not a buffer")
        elif kind == "2d":
            buf = memoryview(base)[off:off + 16].cast("B", (4, 4)) if w == 16 else memoryview(base)[off:off + w]
        elif kind == "cast":
            buf = memoryview(base)[off:off + 16].cast(rng.choice("BbcIiQqHhdf?"))
            size = 16
        elif kind == "fortran" and np is not None:
            arr = np.zeros((4, 4), dtype=np.uint8, order="F")
            buf, size, address, contiguous = arr, 16, arr.ctypes.data, False
        elif kind == "foreign" and (foreign := foreign_buffer(rng, w)) is not None:
            buf = foreign
            with memoryview(buf) as m:
                address, size = buffer_address(m) if not m.readonly else address, m.nbytes
        else:
            buf = memoryview(base)[off:off + w]
        if isinstance(buf, memoryview) and kind != "released":
            size = buf.nbytes
        if not p.errors:
            if not contiguous:
                p.add(TypeError, "not C-contiguous")
            if not width_exists(size, readonly):
                p.add(UnsupportedWidthException, "width")
            elif address % size:
                p.add(AlignmentError, "alignment")
        label, atype, kwargs = rng.choice(ATYPES + [("junk", int, {}), ("junk", "INT", {}),
                                                     ("junk", MO, {}), ("INTEGRAL", atomics.INTEGRAL, {}),
                                                     ("ANY", atomics.ANY, {"is_signed": 1}),
                                                     ("INTEGRAL", atomics.INTEGRAL, {"is_signed": 1, "bogus": 2})])
        if atype is atomics.FLOAT and size not in (4, 8) and not p.errors:
            p.add(UnsupportedWidthException, "float width")
        if kind in ("cast", "foreign", "ok", "2d") and not p.errors:
            with memoryview(buf) as m:
                fmt, itemsize = m.format, m.itemsize
            if not items_usable(fmt, itemsize, *atype_family(label, kwargs), size):
                p.add(TypeError, f"items of format {fmt!r}")
        if label == "junk":
            p = Prediction().only(TypeError, "atype")
        elif atype is atomics.INTEGRAL and set(kwargs) != {"is_signed"}:
            p.add(TypeError, "keywords")
        elif atype is atomics.ANY and set(kwargs) != {"is_integral", "is_signed"}:
            p.add(TypeError, "keywords")
        desc = f"atomicview({kind} width {size}, {label} {kwargs})"
        try:
            ctx = atomics.atomicview(buf, atype, **kwargs)
        except Exception as e:  # noqa: BLE001
            RAISED[type(e).__name__] += 1
            COUNTS["raised"] += 1
            assert p.errors, f"{desc} raised {e!r}; the model says it works"
            assert isinstance(e, tuple(p.errors)), f"{desc} raised {e!r}; expected {p.errors}"
            ctx = None
        else:
            assert not p.errors, f"{desc} worked; expected {p.errors}"
            with ctx as v:
                assert v.width == size and v.readonly is readonly
                if family_of_class(type(v)) != "none":
                    v.load()
        # whatever happened, nothing is pinned any more, and no object was written through
        del ctx
        assert objects_intact(buf), f"{desc}: wrote into a buffer of Python objects"
        if isinstance(buf, memoryview):
            buf.release()
        base.append(0)
        COUNTS["pin checks"] += 1

    @rule(seed=st.integers(0, 2**32 - 1))
    def hostile_atomic(self, seed):
        """atomic(width, atype, shared=..., **kwargs) with hostile widths, atypes, keywords."""
        rng = random.Random(seed)
        COUNTS["calls"] += 1
        width = rng.choice([1, 2, 4, 8, 16, 0, 3, 5, 32, -1, 1 << 64, 1 << 70, True, MO.ACQUIRE, 4.0, "4", None]
                           + ([np.int64(4)] if np is not None else []))
        label, atype, kwargs = rng.choice(ATYPES + [("junk", int, {}), ("junk", None, {}),
                                                     ("INTEGRAL", atomics.INTEGRAL, {}),
                                                     ("ANY", atomics.ANY, {"is_integral": True}),
                                                     ("INTEGRAL", atomics.INTEGRAL, {"is_signed": 1, "bogus": 2})])
        shared = rng.random() < 0.4
        p = Prediction()
        if label == "junk":
            p.only(TypeError, "atype")
        else:
            # INTEGRAL and ANY take exactly their keywords (shared or not); the others ignore them
            needs = {"INTEGRAL": {"is_signed"}, "ANY": {"is_integral", "is_signed"}}.get(label)
            if needs is not None and set(kwargs) != needs:
                p.add(TypeError, "keywords")
            v, err = conv_width(width)
            if err is not None:
                p.add(err, "width")
            elif not width_exists(v, False, "float" if atype is atomics.FLOAT else None):
                p.add(UnsupportedWidthException, "width")
        names = shm_names()
        desc = f"atomic({short(width)}, {label}, shared={shared}, {kwargs})"
        try:
            obj = atomics.atomic(width, atype, shared=shared, **kwargs)
        except Exception as e:  # noqa: BLE001
            RAISED[type(e).__name__] += 1
            COUNTS["raised"] += 1
            assert p.errors and isinstance(e, tuple(p.errors)), f"{desc} raised {e!r}; expected {p.errors}"
            new = shm_names() - names
            assert not new, f"{desc} failed and left {new}"
            return
        assert not p.errors, f"{desc} worked; expected {p.errors}"
        assert obj.width == int(width)
        if shared:
            name = obj.shared_name
            assert NAME_PATTERN.match(name)
            path = os.path.join(SHM, name.lstrip("/"))
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
            del obj
            if os.path.exists(path):
                COUNTS["gc needed"] += 1
                gc.collect()
            assert not os.path.exists(path), f"{desc}: the name outlived the object"

    @rule(seed=st.integers(0, 2**32 - 1))
    def hostile_segment(self, seed):
        """SharedSegment.create / attach / .atomic and shared.attach with hostile sizes, names,
        offsets, widths and forged files."""
        rng = random.Random(seed)
        COUNTS["calls"] += 1
        what = rng.choice(["create", "attach", "forged", "atomic", "attach-typed"])
        names = shm_names()
        if what == "create":
            size = rng.choice([1, 8, 64, 4096, 0, -1, 1 << 64, (1 << 64) - 1, (1 << 64) - 64, 1 << 62,
                               1.0, "8", None, True])
            p = Prediction()
            v, err = conv_usize(size)
            if err is not None:
                p.add(err, "size")
            elif v == 0:
                p.add(ValueError, "empty")
            elif v > 1 << 40:
                p.add(OSError, "too big")
            try:
                seg = SharedSegment.create(size)
            except Exception as e:  # noqa: BLE001
                RAISED[type(e).__name__] += 1
                COUNTS["raised"] += 1
                assert p.errors and isinstance(e, tuple(p.errors)), f"create({size!r}) raised {e!r}"
            else:
                assert not p.errors, f"create({size!r}) worked"
                f = SegmentFile(seg.name, int(size), 0, 0)
                assert f.mode == 0o600 and f.map[:] == f.expected()
                seg.close()
                assert not os.path.exists(f.path())
        elif what in ("attach", "attach-typed"):
            live = [f for f in self.files.values() if os.path.exists(f.path())]
            name = rng.choice(["", "/", "//", "\0", "/atomics_\0x", "/" + "a" * 300, "a/b", "/../etc/passwd",
                               ".", "..", "/atomics_nosuchsegment", 5, None, b"/atomics_x"]
                              + [f.name for f in live] * 3)
            if what == "attach" or not isinstance(name, str) or name not in self.files:
                try:
                    seg = SharedSegment.attach(name)
                except (TypeError, OSError, ValueError) as e:
                    RAISED[type(e).__name__] += 1
                    COUNTS["raised"] += 1
                    assert name not in self.files or not os.path.exists(self.files[name].path()), e
                    if not isinstance(name, str):
                        assert isinstance(e, TypeError)
                else:
                    assert name in self.files, f"attach({name!r}) worked"
                    assert seg.size == self.files[name].size and seg.name == name
                    seg.close()
                    assert os.path.exists(self.files[name].path()), "closing an attached segment removed the name"
            else:
                f = self.files[name]
                header_width, header_kind = struct.unpack_from("=II", f.header, 24)
                width = rng.choice([header_width, header_width, 1, 2, 4, 8, 16, None, "8", 8.0])
                made = {1: atomics.INT, 2: atomics.UINT, 3: atomics.BYTES, 4: atomics.FLOAT}.get(header_kind)
                atype = rng.choice([made, made, atomics.INT, atomics.UINT, atomics.BYTES, atomics.FLOAT,
                                    atomics.INTEGRAL, None, int])
                if made is None:
                    expected = TypeError  # a layout
                elif f.size != header_width:
                    expected = ValueError  # an array of several atomics
                elif (width is not None and width != header_width) or (atype is not None and atype is not made):
                    expected = ValueError
                else:
                    expected = None
                try:
                    obj = atomics.shared.attach(name, width, atype)
                except Exception as e:  # noqa: BLE001
                    RAISED[type(e).__name__] += 1
                    COUNTS["raised"] += 1
                    assert expected is not None and isinstance(e, expected), f"attach({name}, {width!r}, {atype}): {e!r}"
                else:
                    assert expected is None, f"attach({name}, {width!r}, {atype}) worked"
                    assert obj.width == header_width
                    del obj
        elif what == "forged":
            self.forged_attach(rng)
        else:
            live = [t for t in self.targets if t.backing.kind == "segment" and t.backing.seg is not None]
            if not live:
                return
            t = rng.choice(live)
            seg = t.backing.seg
            width = rng.choice(WIDTHS + [3, 0, -1, 32, "8", 1 << 64])
            offset = rng.choice([0, 1, 4, 8, 64, seg.size, seg.size - 1, -8, 1 << 64, (1 << 64) - 8, 2.0, None])
            label, atype, kwargs = rng.choice(ATYPES + [("junk", int, {})])
            p = Prediction()
            if label == "junk":
                p.add(TypeError, "atype")
            if t.backing.released:
                p.add(ValueError, "closed")
            o, err = conv_usize(offset)
            if err is not None:
                p.add(err, "offset")
            v, err = conv_width(width)
            if err is not None:
                p.add(err, "width")
            elif not width_exists(v, False, "float" if atype is atomics.FLOAT else None):
                p.add(UnsupportedWidthException, "width")
            elif o is not None:
                if o + v > seg.size:
                    p.add(ValueError, "does not fit")
                elif o % v:
                    p.add(AlignmentError, "alignment")
            desc = f"seg.atomic({short(offset)}, {short(width)}, {label}) on {short(seg)}"
            try:
                obj = seg.atomic(offset, width, atype, **kwargs)
            except Exception as e:  # noqa: BLE001
                RAISED[type(e).__name__] += 1
                COUNTS["raised"] += 1
                assert p.errors and isinstance(e, tuple(p.errors)), f"{desc} raised {e!r}; expected {p.errors}"
            else:
                assert not p.errors, f"{desc} worked; expected {p.errors}"
                overlaps = [off for off, c in t.backing.file.cells.items() if off < o + v and o < off + c.width]
                if not overlaps and len(self.targets) < MAX_TARGETS:
                    fam, signed, sobj, integral, _ = atype_facts(atype, kwargs)
                    cell = t.backing.file.cells[o] = Cell(v)
                    self.add(Target(obj, t.backing, cell, v, fam, signed, sobj, False, integral, f"segment({label})@{o}"))
        new = shm_names() - names
        assert not new, f"{what} left segments behind: {new}"

    def forged_attach(self, rng):
        """Files in /dev/shm that are not valid segments (or claim what they are not) are
        refused with an error, never mapped beyond their length, never written."""
        hdr = lambda ver=1, hs=64, size=8, w=8, kind=1, magic=b"atomics\0": (  # noqa: E731
            magic + struct.pack("=IIQII", ver, hs, size, w, kind) + bytes(32))
        case, data, exc = rng.choice([
            ("empty", b"", ValueError),
            ("short", b"atomics\0", ValueError),
            ("magic", hdr(magic=b"atomicz\0") + bytes(8), ValueError),
            ("version", hdr(ver=2) + bytes(8), ValueError),
            ("header size", hdr(hs=32) + bytes(8), ValueError),
            ("size larger than the file", hdr(size=4096) + bytes(8), ValueError),
            ("size smaller than the file", hdr(size=8) + bytes(16), ValueError),
            ("size overflows", hdr(size=(1 << 64) - 1) + bytes(8), ValueError),
            ("kind", hdr(kind=9) + bytes(8), ValueError),
            ("width 3", hdr(w=3) + bytes(8), ValueError),
            ("width 16 in 8 bytes", hdr(w=16) + bytes(8), ValueError),
            ("width 0", hdr(w=0) + bytes(8), ValueError),
            ("width 2**32-1", hdr(w=(1 << 32) - 1) + bytes(8), ValueError),
        ])
        name = "/atomics_" + TAG + "forged" + "%08x" % rng.getrandbits(32)
        path = os.path.join(SHM, name[1:])
        if rng.random() < 0.2:
            return self.racing_header_attach(rng, name, path, hdr() + bytes(8), data[:64])
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, data)
            COUNTS["forged segments"] += 1
            try:
                obj = atomics.shared.attach(name)
            except Exception as e:  # noqa: BLE001
                RAISED[type(e).__name__] += 1
                COUNTS["raised"] += 1
                assert isinstance(e, exc) and name in str(e), f"forged segment ({case}): {e!r}"
            else:
                raise AssertionError(f"forged segment ({case}) attached: {obj!r}")
            with open(path, "rb") as f:
                assert f.read() == data, f"forged segment ({case}) was written to"
        finally:
            os.close(fd)
            os.unlink(path)

    def racing_header_attach(self, rng, name, path, valid, forged):
        """A writer flips a segment's header between a valid one and a forged one while this
        thread attaches: every attach gives a working atomic or a ValueError naming the
        segment (or a TypeError naming it: a header read half before and half after a write
        can be a valid layout's), never a panic (PanicException is a BaseException) or a
        crash."""
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        stop = threading.Event()

        def flip():
            headers = [valid[:64], forged.ljust(64, b"\0")]
            while not stop.is_set():
                for header in headers:
                    os.pwrite(fd, header, 0)

        writer = threading.Thread(target=flip)
        try:
            os.write(fd, valid)
            COUNTS["forged segments"] += 1
            writer.start()
            for _ in range(rng.randint(5, 40)):
                COUNTS["attaches under a racing header"] += 1
                try:
                    obj = atomics.shared.attach(name)
                except Exception as e:  # noqa: BLE001
                    RAISED[type(e).__name__] += 1
                    assert isinstance(e, (ValueError, TypeError)) and name in str(e), f"racing header: {e!r}"
                except BaseException as e:  # noqa: BLE001
                    raise AssertionError(f"racing header: attaching raised {e!r}") from e
                else:
                    assert obj.load() == 0
                    del obj
        finally:
            stop.set()
            if writer.is_alive():
                writer.join()
            os.close(fd)
            os.unlink(path)

    @rule(seed=st.integers(0, 2**32 - 1))
    def alignment_api(self, seed):
        rng = random.Random(seed)
        COUNTS["calls"] += 1
        width = rng.choice([1, 2, 4, 8, 16, 0, 3, -1, 1 << 64, "4", 4.0, None, True])
        v, err = conv_width(width)
        if err is None and not width_exists(v, False):
            err = UnsupportedWidthException
        try:
            al = atomics.Alignment(width)
        except Exception as e:  # noqa: BLE001
            RAISED[type(e).__name__] += 1
            COUNTS["raised"] += 1
            assert err is not None and isinstance(e, err), f"Alignment({width!r}): {e!r}"
            return
        assert err is None and al.recommended == v
        base = bytearray(64)
        a = address_of(base)
        off = rng.randrange(0, 64 - v)
        for buf, want in ((memoryview(base)[off:off + v], (a + off) % v == 0),
                          (memoryview(base)[off:off + v + 1], ValueError),
                          (memoryview(base)[0:2 * v:2], TypeError if v > 1 else (a % v == 0)),
                          ("x" * v, TypeError), (None, TypeError)):
            try:
                got = al.is_valid(buf)
            except Exception as e:  # noqa: BLE001
                RAISED[type(e).__name__] += 1
                COUNTS["raised"] += 1
                assert isinstance(want, type) and isinstance(e, want), f"is_valid: {e!r}, want {want}"
            else:
                assert got is want, f"Alignment({v}).is_valid(...) = {got}, want {want}"
        base.append(0)  # nothing left pinned
