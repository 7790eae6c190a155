"""Naive scalar transcriptions of the published NHS number and UPN algorithms.

The identifier tests take their expected values from these, never from the code under test.
"""

UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


def reference_nhs_check(stem: int) -> int | None:
    """Modulus 11 as published: None where the check would be 10."""
    total = sum(int(d) * w for d, w in zip(f"{stem:09d}", range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return {11: 0, 10: None}.get(check, check)


def reference_upn_letter(body: str) -> str:
    """Modulus 23 check letter as published, for characters 2..13."""
    values = [int(c) for c in body[:11]] + [int(body[11]) if body[11].isdigit() else UPN_LETTERS.index(body[11])]
    return UPN_LETTERS[sum(v * w for v, w in zip(values, range(2, 14), strict=True)) % 23]
