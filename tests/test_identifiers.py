"""Tests for the synthetic NHS numbers and UPNs the generator draws and assembles.

They must pass the published rules (code_lists.identifiers, tested on their own in
test_code_lists_identifiers.py); expected values come from the naive reference transcriptions.
"""

import numpy as np
import pytest
from identifier_reference import reference_nhs_check, reference_upn_letter

from code_lists.identifiers import is_valid_nhs_number, is_valid_upn, nhs_check_digit
from synthetic_population.identifiers import NHS_GENERATION_LIMIT, generate_nhs_numbers, make_upns

# --- NHS numbers ----------------------------------------------------------------


def test_check_ten_stems_are_never_generated():
    generated = generate_nhs_numbers(np.random.default_rng(0), 200_000)
    assert (nhs_check_digit(generated // 10) == generated % 10).all()


def test_generated_nhs_numbers_are_distinct_valid_and_in_test_range():
    numbers = generate_nhs_numbers(np.random.default_rng(42), 100_000)
    assert numbers.dtype == np.int64
    assert numbers.shape == (100_000,)
    assert np.unique(numbers).size == numbers.size
    assert (numbers // 1_000_000_000 == 9).all()
    assert is_valid_nhs_number(numbers).all()
    assert is_valid_nhs_number(numbers.astype(str)).all()
    sample = numbers[:2_000].tolist()
    assert all(reference_nhs_check(n // 10) == n % 10 for n in sample)


def test_generated_nhs_numbers_are_deterministic_for_a_seed():
    first = generate_nhs_numbers(np.random.default_rng(7), 1_000)
    again = generate_nhs_numbers(np.random.default_rng(7), 1_000)
    other = generate_nhs_numbers(np.random.default_rng(8), 1_000)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_generate_nhs_numbers_limits():
    assert generate_nhs_numbers(np.random.default_rng(0), 0).shape == (0,)
    # More than the 909,091 valid numbers of the 999 block: the wider 9xx block serves them.
    assert np.unique(generate_nhs_numbers(np.random.default_rng(0), 1_200_000)).size == 1_200_000
    with pytest.raises(ValueError):
        generate_nhs_numbers(np.random.default_rng(0), NHS_GENERATION_LIMIT + 1)
    with pytest.raises(ValueError):
        generate_nhs_numbers(np.random.default_rng(0), -1)


# --- UPNs -----------------------------------------------------------------------


def test_make_upns_lays_out_parts_and_check_letter():
    assert make_upns(936, 2001, 2019, 123).item() == "N936200119123"
    assert make_upns(936, 2001, 19, 123).item() == "N936200119123"
    assert make_upns(801, 2000, 2005, 1).item() == "B801200005001"
    assert make_upns(np.array([[801], [936]]), [2000, 2001], 5, 1).shape == (2, 2)


@pytest.mark.parametrize(
    ("la", "estab", "year", "serial"),
    [(1000, 1, 1, 1), (1, 10_000, 1, 1), (1, 1, -1, 1), (1, 1, 1, 1000), (-1, 1, 1, 1)],
)
def test_make_upns_rejects_out_of_range_parts(la, estab, year, serial):
    with pytest.raises(ValueError):
        make_upns(la, estab, year, serial)


def test_make_upns_requires_integers():
    with pytest.raises(TypeError):
        make_upns(np.array([936.0]), 2001, 19, 123)


def test_make_upns_vectorised_round_trip():
    rng = np.random.default_rng(2024)
    n = 200_000
    la = rng.integers(0, 1000, n)
    estab = rng.integers(0, 10_000, n)
    year = rng.integers(2000, 2030, n)
    serial = rng.integers(0, 1000, n)
    upns = make_upns(la, estab, year, serial)
    assert upns.shape == (n,)
    assert upns.dtype == np.dtype("<U13")
    assert is_valid_upn(upns).all()
    for i in range(0, n, 199):
        body = f"{la[i]:03d}{estab[i]:04d}{year[i] % 100:02d}{serial[i]:03d}"
        assert upns[i] == reference_upn_letter(body) + body
