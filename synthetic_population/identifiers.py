"""Synthetic NHS numbers and UPNs that pass the published check rules.

The rules themselves live in :mod:`code_lists.identifiers`, shared with the validation
checks; this module only draws and assembles identifiers for synthetic people. It must make a
million of them in seconds, so it works on whole numpy arrays rather than one value at a time.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from code_lists.identifiers import UPN_CHECK_LETTER_CODES, decimal_digits, nhs_check_digit, upn_check_index

# Numbers starting 9 are never issued to patients (999 is the reserved test range; England
# and Wales issue 4xx and 6xx-7xx), so numbers drawn from them can never belong to a real
# person. The 999 block alone holds only 909,091 valid numbers, too few for a large world.
_NHS_SYNTHETIC_STEM_FIRST = 900_000_000
_NHS_SYNTHETIC_STEM_LAST = 999_999_999
NHS_GENERATION_LIMIT = 50_000_000


def generate_nhs_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """Draw ``n`` distinct valid NHS numbers (int64) from the never-issued 9xx block.

    Stems are drawn at random and those whose check digit would be 10 dropped, so memory
    stays proportional to ``n``; the result is reproducible from the generator's state.
    """
    if not 0 <= n <= NHS_GENERATION_LIMIT:
        raise ValueError(f"n must be between 0 and {NHS_GENERATION_LIMIT}, got {n}")
    numbers = np.empty(0, dtype=np.int64)
    while numbers.size < n:
        stems = rng.integers(_NHS_SYNTHETIC_STEM_FIRST, _NHS_SYNTHETIC_STEM_LAST + 1, size=(n - numbers.size) * 11 // 10 + 16)
        checks = nhs_check_digit(stems)
        numbers = np.concatenate([numbers, stems[checks >= 0] * 10 + checks[checks >= 0]])
        _, first = np.unique(numbers, return_index=True)
        numbers = numbers[np.sort(first)]
    return numbers[:n]


def make_upns(la: npt.ArrayLike, estab: npt.ArrayLike, year: npt.ArrayLike, serial: npt.ArrayLike) -> np.ndarray:
    """Build permanent UPNs from their parts (inputs broadcast together).

    ``year`` may be given in full or as two digits; only its last two digits
    are encoded. The strings are assembled from a code-point buffer so that
    hundreds of thousands of UPNs take milliseconds.
    """
    la, estab, year, serial = np.broadcast_arrays(la, estab, year, serial)
    limits = (("la", 999), ("estab", 9999), ("year", None), ("serial", 999))
    for (name, upper), part in zip(limits, (la, estab, year, serial), strict=True):
        if part.dtype.kind not in "iu":
            raise TypeError(f"{name} must be integers, got dtype {part.dtype}")
        if part.size and part.min() < 0:
            raise ValueError(f"{name} must be non-negative")
        if part.size and upper is not None and part.max() > upper:
            raise ValueError(f"{name} must be at most {upper}")
    body = (la.astype(np.int64) * 1_000_000_000 + estab.astype(np.int64) * 100_000 + year.astype(np.int64) % 100 * 1_000 + serial.astype(np.int64)).ravel()
    digits = decimal_digits(body, 12)
    codes = np.empty((body.size, 13), dtype=np.uint32)
    codes[:, 0] = UPN_CHECK_LETTER_CODES[upn_check_index(digits)]
    codes[:, 1:] = digits + ord("0")
    return codes.view(np.dtype(("U", 13))).reshape(la.shape)
