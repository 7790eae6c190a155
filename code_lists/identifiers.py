"""Published check rules for English NHS numbers and DfE unique pupil numbers.

These are the rules the real sources publish, so the validation checks and the synthetic
population share them here instead of the checks depending on the generator. Everything
works on whole numpy arrays: the checks run over millions of raw rows.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

# --- NHS numbers (Modulus 11) ------------------------------------------------

_NHS_WEIGHTS = np.arange(10, 1, -1, dtype=np.int64)  # 10, 9, ..., 2

# --- UPNs (modulus 23 check letter) -------------------------------------------

# The DfE check-letter table: A-Z without I, O and S, indexed 0-22.
UPN_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
# Their code points, for building UPN strings from a code-point buffer.
UPN_CHECK_LETTER_CODES = np.array([ord(c) for c in UPN_CHECK_LETTERS], dtype=np.uint32)
_UPN_LETTER_ARRAY = np.array(list(UPN_CHECK_LETTERS))
_UPN_WEIGHTS = np.arange(2, 14, dtype=np.int64)  # for characters 2..13

# Code point -> value lookups for the ASCII range; -1 marks a character that is
# not allowed in that position.
_DIGIT_VALUE = np.full(128, -1, dtype=np.int64)
_DIGIT_VALUE[ord("0") : ord("9") + 1] = np.arange(10)
_LETTER_VALUE = np.full(128, -1, dtype=np.int64)
_LETTER_VALUE[UPN_CHECK_LETTER_CODES] = np.arange(len(UPN_CHECK_LETTERS))
# A temporary UPN ends in a letter worth its index in the check-letter table.
_DIGIT_OR_LETTER_VALUE = np.maximum(_DIGIT_VALUE, _LETTER_VALUE)


def _as_flat_strings(values: npt.ArrayLike) -> tuple[np.ndarray, tuple[int, ...]]:
    """Flatten to a unicode array; non-strings such as None become their str()
    and then simply fail the format checks instead of raising."""
    arr = np.asarray(values)
    return arr.astype(str, copy=False).ravel(), arr.shape


def _code_points(strings: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Return an (n, width) intp array of code points and a mask of the rows whose
    length is exactly ``width``; other rows hold junk and must be masked out.

    Reading the unicode buffer directly avoids a Python loop over the rows.
    """
    ok = np.char.str_len(strings) == width
    fixed = np.ascontiguousarray(strings, dtype=np.dtype(("U", width)))
    return fixed.view(np.uint32).reshape(-1, width).astype(np.intp), ok


def _lookup(table: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Map code points through an ASCII ``table``. Clipping sends non-ASCII
    code points to entry 127 (DEL), which is -1 in every table."""
    return np.take(table, codes, mode="clip")


def decimal_digits(numbers: np.ndarray, width: int) -> np.ndarray:
    """Split non-negative integers into ``width`` digits along a new last axis,
    most significant first.

    The loop runs over digit positions, not rows; repeated divmod by 10 is
    several times faster than dividing by a vector of powers of ten.
    """
    digits = np.empty((*numbers.shape, width), dtype=np.int64)
    rest = numbers.astype(np.int64)
    for position in range(width - 1, -1, -1):
        rest, digits[..., position] = np.divmod(rest, 10)
    return digits


def _mod11_check(stem_digits: np.ndarray) -> np.ndarray:
    """Check digit from a (..., 9) digit array, -1 where it would be 10."""
    remainder = stem_digits @ _NHS_WEIGHTS % 11
    return np.where(remainder == 1, -1, (11 - remainder) % 11)


def nhs_check_digit(stems: npt.ArrayLike) -> np.ndarray:
    """Modulus 11 check digit for 9-digit NHS number stems, any array shape.

    Returns -1 where the check would be 10: such stems are never issued.
    """
    stems = np.asarray(stems)
    if stems.dtype.kind not in "iu":
        raise TypeError(f"stems must be integers, got dtype {stems.dtype}")
    if stems.size and (stems.min() < 0 or stems.max() > 999_999_999):
        raise ValueError("stems must be between 0 and 999999999")
    return _mod11_check(decimal_digits(stems, 9))


def is_valid_nhs_number(values: npt.ArrayLike) -> np.ndarray:
    """Elementwise NHS number validity, same shape as ``values``.

    Strings may use spaces (as in the usual "943 476 5919" display form); after
    removing them exactly ten ASCII digits must remain. Integers are read as
    their decimal form, so one with fewer than ten digits is invalid: its lost
    leading zero cannot be told apart from a truncated number.
    """
    arr = np.asarray(values)
    if arr.size == 0:  # np.char.replace cannot handle empty input
        return np.zeros(arr.shape, dtype=bool)
    if arr.dtype.kind in "iu":
        flat = arr.ravel()
        ok = (flat >= 1_000_000_000) & (flat <= 9_999_999_999)
        digits = decimal_digits(np.where(ok, flat, 0), 10)
    else:
        strings, _ = _as_flat_strings(arr)
        codes, ok = _code_points(np.char.replace(strings, " ", ""), 10)
        digits = _lookup(_DIGIT_VALUE, codes)
        ok &= (digits >= 0).all(axis=1)
    valid = ok & (_mod11_check(digits[:, :9]) == digits[:, 9])
    return valid.reshape(arr.shape)


def nhs_number_is_valid(s: str) -> bool:
    """Scalar convenience wrapper around :func:`is_valid_nhs_number`."""
    return bool(is_valid_nhs_number([s])[0])


def _upn_body_values(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values of UPN characters 2..13 from an (n, 12) code-point array, and a
    mask of rows that are well formed (11 digits then a digit or letter)."""
    values = np.empty_like(codes)
    values[:, :11] = _lookup(_DIGIT_VALUE, codes[:, :11])
    values[:, 11] = _lookup(_DIGIT_OR_LETTER_VALUE, codes[:, 11])
    return values, (values >= 0).all(axis=1)


def upn_check_index(body_values: np.ndarray) -> np.ndarray:
    """Index into the check-letter table for (n, 12) values of characters 2..13."""
    return body_values @ _UPN_WEIGHTS % 23


def upn_check_letter(body12: npt.ArrayLike) -> np.ndarray:
    """Check letter for UPN characters 2..13 (permanent or temporary).

    Raises ValueError for a malformed body, since a check letter computed from
    it would be meaningless.
    """
    strings, shape = _as_flat_strings(body12)
    codes, ok = _code_points(strings, 12)
    values, well_formed = _upn_body_values(codes)
    if not (ok & well_formed).all():
        raise ValueError("each body must be 11 digits followed by a digit or check-table letter")
    return _UPN_LETTER_ARRAY[upn_check_index(values)].reshape(shape)


def is_valid_upn(values: npt.ArrayLike) -> np.ndarray:
    """Elementwise UPN validity, same shape as ``values``.

    Anything but 13 characters (an upper-case check letter, 11 digits, then a
    digit or, for a temporary UPN, a check-table letter) with the right check
    letter is invalid; None and empty strings included.
    """
    strings, shape = _as_flat_strings(values)
    codes, ok = _code_points(strings, 13)
    check = _lookup(_LETTER_VALUE, codes[:, 0])
    body, well_formed = _upn_body_values(codes[:, 1:])
    valid = ok & well_formed & (check == upn_check_index(body))
    return valid.reshape(shape)


def upn_is_valid(s: str) -> bool:
    """Scalar convenience wrapper around :func:`is_valid_upn`."""
    return bool(is_valid_upn([s])[0])
