"""Arrays of atomics: pickling, in-process round trips (children in
``test_arrays_processes.py``).
"""

import array
import copy
import gc
import os
import pickle

import pytest

import atomics
from atomics.shared import SharedSegment, attach_array

from _arguments import WIDTHS
from _arrays import CONFIGS, address_of, segment_file

pytestmark = pytest.mark.usefixtures("no_segment_leaks")  # (conftest.py)


# ---------------------------------------------------------------------------------------
# Pickling (in-process round trips; children in test_arrays_processes.py)
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("cfg", CONFIGS, ids=repr)
def test_shared_arrays_pickle_by_reference(cfg):
    a = cfg.new(5, shared=True)
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        b = pickle.loads(pickle.dumps(a, protocol))
        assert type(b) is type(a) and len(b) == 5 and b.width == cfg.width
        assert b.shared_name == a.shared_name and b.shared_offset == 0
        if cfg.family == "int":
            assert b.signed == a.signed
    v = {"int": cfg.hi, "bytes": b"\x7e" * cfg.width, "float": -2.5}[cfg.family]
    b.store(3, v)
    assert a[3] == v
    att = attach_array(a.shared_name)
    assert att[3] == v and len(att) == 5 and att.width == cfg.width
    if cfg.name in ("INT", "UINT", "BYTES", "FLOAT"):
        assert type(att) is cfg.cls
        assert type(attach_array(a.shared_name, cfg.width, cfg.atype)) is cfg.cls
    with pytest.raises(ValueError):
        attach_array(a.shared_name, 16 if cfg.width != 16 else 8)
    with pytest.raises(ValueError):
        attach_array(a.shared_name, None, atomics.FLOAT if cfg.family != "float" else atomics.INT)
    with pytest.raises(ValueError):
        atomics.shared.attach(a.shared_name)  # an array, not one atomic


@pytest.mark.parametrize("cfg", CONFIGS, ids=repr)
def test_private_arrays_and_views_refuse_to_pickle(cfg):
    with pytest.raises(TypeError, match="cannot pickle"):
        pickle.dumps(cfg.new(2))
    buf = bytearray(2 * cfg.width + 16)
    off = (-address_of(buf)) % 16
    window = memoryview(buf)[off:off + 2 * cfg.width]
    with cfg.view(window, width=cfg.width) as v:
        with pytest.raises(TypeError, match="cannot pickle"):
            pickle.dumps(v)
        with pytest.raises(TypeError):
            copy.deepcopy(v)
    window.release()


def test_segment_arrays_pickle_with_their_offset():
    w = max(WIDTHS)
    with SharedSegment.create(256) as seg:
        a = seg.array(128, 8, w, atomics.BYTES)
        b = pickle.loads(pickle.dumps(a))
        assert b.shared_offset == 128 and len(b) == 8
        b.store(7, b"z" * w)
        assert seg.array(0, 256, 1, atomics.BYTES)[128 + 7 * w] == b"z"
        i = seg.array(8, 4, 4, atomics.INTEGRAL, is_signed=False)
        j = pickle.loads(pickle.dumps(i))
        assert type(j) is atomics.arrays.AtomicIntegralArray and j.signed is False
        j.store(0, (1 << 32) - 1)
        assert i[0] == (1 << 32) - 1
        with pytest.raises(TypeError):
            attach_array(seg.name)  # a layout, not one array


def test_attach_array_refuses_unknown_names():
    with pytest.raises(FileNotFoundError):
        attach_array("/atomics_doesnotexist")
    single = atomics.atomic(8, atomics.INT, shared=True)
    arr = attach_array(single.shared_name)  # one atomic is an array of one
    assert len(arr) == 1
    arr.store(0, 5)
    assert single.load() == 5


@pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="looks for the segment's file in /dev/shm")
def test_shared_segments_go_with_their_last_array():
    from conftest import our_segments

    a = atomics.array(4, 8, atomics.INT, shared=True)
    name = a.shared_name
    assert os.path.exists(segment_file(name))
    e = a.element(1)  # the same mapping
    b = pickle.loads(pickle.dumps(a))  # a second mapping of the segment
    del a
    gc.collect()
    assert os.path.exists(segment_file(name))  # e still uses the creator's mapping
    e.inc()
    del e
    gc.collect()
    # the creator's last object is gone: the name with it (docs/shared-memory.md, Lifetimes);
    # other mappings stay valid
    assert not os.path.exists(segment_file(name))
    assert name.lstrip("/") not in our_segments()
    b.inc(1)
    assert b.load_all() == array.array("q", [0, 2, 0, 0])
