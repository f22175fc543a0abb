"""Resident ID check digits and phone normalisation."""

from datetime import date

import pytest

from seniors.identity import (
    birth_date_of,
    check_digit,
    mask_resident_id,
    normalise_resident_id,
)
from seniors.phones import normalise_phone, try_normalise_phone

VALID_ID = "11010519491231002X"  # the standard's own worked example


def test_check_digit_of_the_standard_example() -> None:
    """GB 11643's published example gets check character X."""
    assert check_digit(VALID_ID[:17]) == "X"
    assert normalise_resident_id(VALID_ID.lower()) == VALID_ID


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("110105194912310021", "check digit"),
        ("11010519491231002", "17 digits"),
        ("1101051949123100AX", "17 digits"),
        ("110105194902300025", "birth date"),
    ],
)
def test_bad_resident_ids_are_refused_with_the_reason(value: str, reason: str) -> None:
    """Wrong check digit, wrong shape or an impossible date each say what is wrong."""
    if reason == "birth date":
        value = value[:17] + check_digit(value[:17])
    with pytest.raises(ValueError, match=reason):
        normalise_resident_id(value)


def test_birth_date_and_mask() -> None:
    """The birth date is read from the ID and hidden in the masked form."""
    assert birth_date_of(VALID_ID) == date(1949, 12, 31)
    assert mask_resident_id(VALID_ID) == "110105********002X"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "+8613812345678"),
        ("138 1234 5678", "+8613812345678"),
        ("+86 138-1234-5678", "+8613812345678"),
        ("008613812345678", "+8613812345678"),
        ("0471-3456789", "+864713456789"),
        ("(0471) 345 6789", "+864713456789"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phone_numbers_normalise_to_e164(raw: str, expected: str) -> None:
    """Mobiles, landlines with area code and international numbers all reach one form."""
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "23812345678", "+86 12345", "anonymous", ""])
def test_non_numbers_are_refused(raw: str) -> None:
    """Short, malformed or withheld numbers are not phone numbers."""
    with pytest.raises(ValueError, match="not"):
        normalise_phone(raw)
    assert try_normalise_phone(raw) is None
