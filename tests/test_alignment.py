"""``atomics.Alignment`` (docs/spec/atomics-1.0-behaviour.md §8).
"""

import array

import pytest

from atomics import Alignment
from atomics.exc import UnsupportedWidthException

from _api import OVERFLOWING_WIDTHS, UNSUPPORTED_WIDTHS, WIDTHS, WIDTH_TYPE_MSG, aligned_view, unsupported_width_msg


@pytest.mark.parametrize("w", WIDTHS)
def test_alignment_values(w):
    al = Alignment(w)
    assert (al.width, al.recommended, al.minimum, al.size_within) == (w, w, 1, 0)
    assert str(al) == f"Alignment(width={w}, recommended={w}, minimum=1, size_within=0)"


def test_alignment_str_example():
    assert str(Alignment(8)) == "Alignment(width=8, recommended=8, minimum=1, size_within=0)"


def test_alignment_attributes_writable():
    al = Alignment(4)
    al.width = 9
    al.recommended = 3
    al.minimum = 2
    al.size_within = 16
    assert (al.width, al.recommended, al.minimum, al.size_within) == (9, 3, 2, 16)
    assert str(al) == "Alignment(width=9, recommended=3, minimum=2, size_within=16)"


def test_alignment_no_repr_no_eq():
    a, b = Alignment(4), Alignment(4)
    assert a != b and a == a
    assert repr(a).startswith("<") and "Alignment object at 0x" in repr(a)


def test_alignment_errors():
    with pytest.raises(ValueError) as ei:
        Alignment(-1)
    assert str(ei.value) == "Negative width"
    for width in OVERFLOWING_WIDTHS:
        with pytest.raises(OverflowError) as ei:
            Alignment(width)
        assert ei.value.args == (width, "Value would overflow size_t")
    for bad in ("4", 4.0):  # deviation
        with pytest.raises(TypeError) as ei:
            Alignment(bad)
        assert str(ei.value) == WIDTH_TYPE_MSG


@pytest.mark.parametrize("w", UNSUPPORTED_WIDTHS)
def test_alignment_unsupported_width(w):
    with pytest.raises(UnsupportedWidthException) as ei:
        Alignment(w)
    assert ei.value.width == w and ei.value.readonly is False
    assert str(ei.value) == unsupported_width_msg(w)


@pytest.mark.parametrize("w", WIDTHS)
@pytest.mark.parametrize("readonly", [False, True])
def test_alignment_is_valid(w, readonly):
    al = Alignment(w)
    good = aligned_view(w)
    bad = aligned_view(w, extra_offset=1)
    if readonly:
        good, bad = good.toreadonly(), bad.toreadonly()
    for buf in (good, bad):
        assert al.is_valid(buf, using_recommended=False) is True
        assert al.is_valid_minimum(buf) is True
    assert al.is_valid(good) is True
    assert al.is_valid(good, using_recommended=True) is True
    assert al.is_valid_recommended(good) is True
    expected_bad = w == 1  # 1-byte objects are always aligned
    assert al.is_valid(bad) is expected_bad
    assert al.is_valid(bad, using_recommended=True) is expected_bad
    assert al.is_valid_recommended(bad) is expected_bad
    for off in range(1, 16):
        v = aligned_view(w, extra_offset=off)
        assert al.is_valid(v) is (off % w == 0)
        assert al.is_valid_minimum(v) is True


def test_alignment_is_valid_brief_example():
    mv = memoryview(bytearray(32))[1:9]
    al = Alignment(8)
    assert al.is_valid(mv) is False
    assert al.is_valid_recommended(mv) is False
    assert al.is_valid_minimum(mv) is True


def test_alignment_using_recommended_keyword_only():
    with pytest.raises(TypeError):
        Alignment(4).is_valid(aligned_view(4), True)


@pytest.mark.parametrize("w", WIDTHS)
def test_alignment_width_mismatch(w):
    al = Alignment(w)
    msg = f"Positional argument 'buffer' does not have matching width of {w}."
    for size in (0, w - 1, w + 1, 2 * w):
        if size == w or size < 0:
            continue
        buf = aligned_view(w, size=size)
        for call in (lambda: al.is_valid(buf), lambda: al.is_valid(buf, using_recommended=False),
                     lambda: al.is_valid_recommended(buf), lambda: al.is_valid_minimum(buf)):
            with pytest.raises(ValueError) as ei:
                call()
            assert str(ei.value) == msg


def test_alignment_width_mismatch_uses_nbytes():
    al = Alignment(4)
    assert isinstance(al.is_valid(array.array("H", [1, 2])), bool)  # 4 bytes
    with pytest.raises(ValueError):
        al.is_valid(array.array("H", [1, 2, 3, 4]))


@pytest.mark.parametrize("bad", [5, "abcd", [1, 2, 3, 4], None, 4.0], ids=repr)
def test_alignment_non_buffer(bad):
    al = Alignment(4)
    for f in (al.is_valid, al.is_valid_recommended, al.is_valid_minimum):
        with pytest.raises(TypeError) as ei:
            f(bad)
        assert str(ei.value) == "Positional argument 'buffer' must support the buffer protocol."


def test_alignment_non_contiguous_buffer():
    # Q14 (documented deviation): TypeError, not the raw BufferError
    with pytest.raises(TypeError, match=r"^Positional argument 'buffer' must be C-contiguous\.$"):
        Alignment(8).is_valid(memoryview(bytearray(16))[::2])


def test_alignment_releases_buffer():
    buf = bytearray(8)
    Alignment(8).is_valid(buf)
    Alignment(8).is_valid_minimum(buf)
    buf.append(1)  # no export remains
    assert len(buf) == 9


# --------------------------------------------------------------------------------------
# §9 Exceptions
# --------------------------------------------------------------------------------------
