"""Unit tests of the generator's fault kinds: small frames through `FaultInjector`, real values asserted."""

from __future__ import annotations

import pytest

from code_lists.name_variants import NAME_VARIANT_GROUPS, NAME_VARIANTS
from synthetic_population.config import FaultRates


def test_intensity_scales_every_rate_and_clamps_to_one() -> None:
    rates = FaultRates()
    tripled = rates.scaled(3)
    assert tripled.name_swap == pytest.approx(3 * rates.name_swap)
    assert tripled.name_typo == pytest.approx(0.06)
    assert tripled.stale_address == pytest.approx(0.9)
    assert tripled.diacritics_stripped == 1.0  # 0.8 * 3, clamped
    assert tripled.identifier_typo_passes_check == rates.identifier_typo_passes_check  # a share of typos, not a rate
    assert rates.scaled(0).name_typo == 0.0
    with pytest.raises(ValueError):
        rates.scaled(-1)


def test_name_variants_are_symmetric() -> None:
    assert {"Mohammed", "Muhammad", "Mohamed"} <= set(NAME_VARIANTS["Mohammad"])
    for group in NAME_VARIANT_GROUPS:
        for name in group:
            assert set(group) - {name} <= set(NAME_VARIANTS[name])
