"""Barcodes drawn for labels: EAN-13 with its check digit, Code 128 otherwise."""

import itertools

import pytest

from stockapp.queries.labels import QUIET_ZONE, barcode, is_ean13
from stockapp.services.catalogue import ean13

# EAN-13's left-hand digits: L (odd parity) and G (even parity) patterns, and the
# parity pattern the first digit chooses.
L_CODES = ["0001101", "0011001", "0010011", "0111101", "0100011",
           "0110001", "0101111", "0111011", "0110111", "0001011"]  # fmt: skip
G_CODES = [code[::-1].translate(str.maketrans("01", "10")) for code in L_CODES]
PARITY = ["LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG",
          "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL", "LGGLGL"]  # fmt: skip


def modules(code) -> str:
    """The symbol back as a string of modules, 1 for a bar, without the quiet zones."""
    row = ["0"] * code.width
    for x, width in code.bars:
        row[x : x + width] = "1" * width
    return "".join(row)[QUIET_ZONE : code.width - QUIET_ZONE]


def decode_ean13(pattern: str) -> str:
    assert len(pattern) == 95 and pattern[:3] == pattern[-3:] == "101"
    assert pattern[45:50] == "01010"
    left = [pattern[3 + 7 * i : 10 + 7 * i] for i in range(6)]
    right = [pattern[50 + 7 * i : 57 + 7 * i] for i in range(6)]
    parity = "".join("L" if d in L_CODES else "G" for d in left)
    digits = [
        (L_CODES if p == "L" else G_CODES).index(d) for p, d in zip(parity, left, strict=True)
    ]
    r_codes = [code.translate(str.maketrans("01", "10")) for code in L_CODES]
    return str(PARITY.index(parity)) + "".join(map(str, digits + [r_codes.index(d) for d in right]))


@pytest.mark.parametrize("body", ["200000000001", "200000001234", "690123456789"])
def test_an_ean13_barcode_draws_its_digits_and_check_digit(body):
    value = ean13(body)
    code = barcode(value)
    assert code.symbology == "EAN-13" and code.digits == value
    assert code.width == 95 + 2 * QUIET_ZONE
    assert decode_ean13(modules(code)) == value


def test_a_wrong_check_digit_is_not_ean13_and_is_drawn_as_it_is():
    value = ean13("200000000001")
    wrong = value[:12] + str((int(value[12]) + 1) % 10)
    assert is_ean13(value) and not is_ean13(wrong)
    code = barcode(wrong)  # python-barcode would silently "fix" it as an EAN-13
    assert code.symbology == "Code 128" and code.digits == wrong


@pytest.mark.parametrize("value", ["A-01-03", "SUP-778812", "12345678"])
def test_code128_encodes_the_text_with_its_check_symbol(value):
    code = barcode(value)
    assert code.symbology == "Code 128" and code.digits == value
    pattern = modules(code)
    assert pattern.startswith(("11010000100", "11010010000", "11010011100"))  # start A, B, C
    assert pattern.endswith("1100011101011")  # stop
    # Start, data symbols and the check symbol are 11 modules each.
    assert (len(pattern) - 13) % 11 == 0


def test_bars_never_overlap_and_stay_inside_the_quiet_zones():
    code = barcode(ean13("200000000001"))
    ends = [(x, x + width) for x, width in code.bars]
    assert all(a[1] < b[0] for a, b in itertools.pairwise(ends))  # a space between bars
    assert ends[0][0] == QUIET_ZONE and ends[-1][1] == code.width - QUIET_ZONE
