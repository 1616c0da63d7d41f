"""Ring ids: the spellings people write are one id; digits of other scripts are not a ring."""

from __future__ import annotations

import pytest

from core.metadata import normalize_ring, normalize_visibility


@pytest.mark.parametrize(
    "spelling", ["vr3", "VR 3", "Vergleichsring 3", "3", " vr03 ", "VR\u00a03"]
)
def test_the_spellings_of_a_ring_are_one_id(spelling: str) -> None:
    assert normalize_ring(spelling) == "vr3"


@pytest.mark.parametrize(
    "spelling", ["vr\u0663", "VR \u0663", "\u0663", "vr\uff13", "vr0", "vr100"]
)
def test_digits_of_other_scripts_and_numbers_out_of_range_are_refused(spelling: str) -> None:
    with pytest.raises(ValueError, match="ring must look like"):
        normalize_ring(spelling)


def test_a_ring_visibility_takes_ascii_digits_only() -> None:
    assert normalize_visibility("ring:VR 3,vr5") == "ring:vr3,vr5"
    with pytest.raises(ValueError):
        normalize_visibility("ring:vr\u0663")
