"""Tests for the published NHS number and UPN check rules in code_lists.identifiers.

Expected values are worked out by hand or by a deliberately naive scalar
transcription of the published algorithms, never by the code under test.
"""

import numpy as np
import pytest
from identifier_reference import UPN_LETTERS, reference_nhs_check, reference_upn_letter

from code_lists.identifiers import (
    is_valid_nhs_number,
    is_valid_upn,
    nhs_check_digit,
    nhs_number_is_valid,
    upn_check_letter,
    upn_is_valid,
)

# --- NHS numbers ----------------------------------------------------------------


def test_published_example_nhs_number():
    # 9x10 + 4x9 + 3x8 + 4x7 + 7x6 + 6x5 + 5x4 + 9x3 + 1x2
    #   = 90 + 36 + 24 + 28 + 42 + 30 + 20 + 27 + 2 = 299
    # 299 = 27x11 + 2, so the check digit is 11 - 2 = 9.
    assert nhs_check_digit(943476591) == 9
    assert is_valid_nhs_number(["9434765919", "943 476 5919", "9434765918"]).tolist() == [
        True,
        True,
        False,
    ]
    assert is_valid_nhs_number(np.array([9434765919, 9434765918])).tolist() == [True, False]
    assert nhs_number_is_valid("943 476 5919")
    assert not nhs_number_is_valid("943 476 5918")


def test_check_eleven_becomes_zero():
    # Stem 000000011: 1x3 + 1x2 = 5 -> check 6; stem 000000055: 5x3 + 5x2 = 25,
    # 25 % 11 = 3 -> check 8; stem 000000000: sum 0 -> 11 - 0 = 11 -> 0.
    assert nhs_check_digit(np.array([11, 55, 0])).tolist() == [6, 8, 0]


def test_vectorised_check_matches_reference():
    stems = np.random.default_rng(1).integers(0, 1_000_000_000, 5_000)
    expected = [reference_nhs_check(int(s)) for s in stems]
    assert nhs_check_digit(stems).tolist() == [-1 if c is None else c for c in expected]


def test_check_ten_stem_is_rejected():
    stem = next(s for s in range(999_000_000, 1_000_000_000) if reference_nhs_check(s) is None)
    assert nhs_check_digit(np.array([stem])).tolist() == [-1]
    # No digit can complete that stem into a valid number.
    assert not is_valid_nhs_number(stem * 10 + np.arange(10)).any()


@pytest.mark.parametrize(
    "value",
    [
        "943476591",  # nine digits
        "94347659190",  # eleven digits
        "943-476-5919",  # separators other than spaces
        "94347659l9",  # letter l for digit 1
        "９４３４７６５９１９",  # noqa: RUF001 (full-width digits pass str.isdigit but are not ASCII)
        "",
        None,
        943476591,  # int with too few digits
        94347659190,  # int with too many digits
        -9434765919,
        9434765919.0,
    ],
)
def test_malformed_nhs_numbers_are_invalid(value):
    assert is_valid_nhs_number(np.array([value], dtype=object)).tolist() == [False]


def test_integers_without_exactly_ten_digits_are_invalid():
    values = np.array([943476591, 94347659190, -9434765919, 0], dtype=np.int64)
    assert not is_valid_nhs_number(values).any()


def test_any_single_digit_change_invalidates_an_nhs_number():
    good = "9434765919"
    variants = [good[:i] + d + good[i + 1 :] for i in range(10) for d in "0123456789" if d != good[i]]
    assert not is_valid_nhs_number(variants).any()


def test_nhs_validation_keeps_shape_and_handles_empty_input():
    grid = np.array([[9434765919, 9434765918], [123, 9434765919]])
    assert is_valid_nhs_number(grid).tolist() == [[True, False], [False, True]]
    assert is_valid_nhs_number([]).shape == (0,)


def test_nhs_check_digit_rejects_out_of_range_stems():
    with pytest.raises(ValueError):
        nhs_check_digit(np.array([1_000_000_000]))
    with pytest.raises(TypeError):
        nhs_check_digit(np.array([943476591.0]))


# --- UPNs -----------------------------------------------------------------------


def test_upn_check_letters_worked_by_hand():
    # 801200005001: 8x2 + 0x3 + 1x4 + 2x5 + 0x6 + 0x7 + 0x8 + 0x9 + 5x10 + 0x11 + 0x12 + 1x13
    #   = 16 + 4 + 10 + 50 + 13 = 93; 93 = 4x23 + 1 -> index 1 -> B
    # 936200119123: 9x2 + 3x3 + 6x4 + 2x5 + 0x6 + 0x7 + 1x8 + 1x9 + 9x10 + 1x11 + 2x12 + 3x13
    #   = 18 + 9 + 24 + 10 + 8 + 9 + 90 + 11 + 24 + 39 = 242; 242 = 10x23 + 12 -> N
    # Temporary 93620011912T: the first eleven characters give 203 as above;
    #   T is index 16 in the table (I, O, S skipped), 16x13 = 208; 203 + 208 = 411;
    #   411 = 17x23 + 20 -> index 20 -> X
    letters = upn_check_letter(np.array(["801200005001", "936200119123", "93620011912T"]))
    assert letters.tolist() == ["B", "N", "X"]
    assert is_valid_upn(["B801200005001", "N936200119123", "X93620011912T"]).all()
    assert upn_is_valid("N936200119123")
    assert not upn_is_valid("M936200119123")


def test_upn_check_letter_matches_reference():
    rng = np.random.default_rng(3)
    bodies = ["".join(map(str, row)) for row in rng.integers(0, 10, (2_000, 12))]
    bodies += [b[:11] + UPN_LETTERS[i % 23] for i, b in enumerate(bodies[:500])]
    assert upn_check_letter(bodies).tolist() == [reference_upn_letter(b) for b in bodies]


def test_upn_check_letter_rejects_malformed_bodies():
    for body in ["80120000500", "8012000050011", "80120A005001", "80120000500S"]:
        with pytest.raises(ValueError):
            upn_check_letter([body])


def test_any_single_character_change_invalidates_a_upn():
    for good in ["N936200119123", "B801200005001", "X93620011912T"]:
        variants = [good[:i] + c + good[i + 1 :] for i in range(13) for c in (UPN_LETTERS if i == 0 else "0123456789") if c != good[i]]
        assert not is_valid_upn(variants).any(), good


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "n936200119123",  # lower-case check letter
        "X93620011912t",  # lower-case temporary letter
        "N93620011912",  # twelve characters
        "N9362001191230",  # fourteen characters
        " N936200119123",
        "N9362A0119123",  # letter in the numeric part
        "I936200119123",  # I, O and S are never check letters
        "O936200119123",
        "S936200119123",
        "B80120000500\u0661",  # Arabic-Indic digit one
    ],
)
def test_malformed_upns_are_invalid(value):
    assert is_valid_upn(np.array([value], dtype=object)).tolist() == [False]
    if value is not None:
        assert not upn_is_valid(value)


def test_temporary_upn_may_not_end_in_i_o_or_s():
    # Whatever the check letter, a final I, O or S is outside the table.
    for final in "IOS":
        candidates = [c + "93620011912" + final for c in UPN_LETTERS]
        assert not is_valid_upn(candidates).any()


def test_upn_validation_keeps_shape():
    grid = np.array([["N936200119123", "M936200119123"], ["X93620011912T", ""]])
    assert is_valid_upn(grid).tolist() == [[True, False], [True, False]]
    assert is_valid_upn([]).shape == (0,)
