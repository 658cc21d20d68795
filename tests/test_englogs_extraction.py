"""Parsers and validators of the document-extraction post (englogs.extraction)."""

from __future__ import annotations

import re

import pytest

from englogs.documents import generate_corpus, iban_check_digits, ocr_corruptions, spaced_iban
from englogs.extraction import (
    IBAN,
    IBAN_FORMATS,
    grounded,
    iban_length,
    mod97_ok,
    parse_amount,
    parse_date,
    parse_iban,
    parse_text,
    wilson_interval,
)

ISO_EXAMPLES = {  # the SWIFT IBAN Registry's example IBAN per country
    "GB": "GB82WEST12345698765432",
    "DE": "DE89370400440532013000",
    "NL": "NL91ABNA0417164300",
    "IE": "IE29AIBK93115212345678",
    "FR": "FR1420041010050500013M02606",
    "BE": "BE68539007547034",
    "AT": "AT611904300234573201",
    "CH": "CH9300762011623852957",
    "ES": "ES9121000418450200051332",
    "IT": "IT60X0542811101000000123456",
}


def test_registry_examples_parse_and_lengths_match() -> None:
    assert set(ISO_EXAMPLES) == set(IBAN_FORMATS)
    for country, iban in ISO_EXAMPLES.items():
        assert iban_length(country) == len(iban), country
        assert parse_iban(spaced_iban(iban)) == iban
        assert parse_iban(iban.lower()) == iban
    assert iban_length("XX") is None


def test_a_valid_prefix_is_not_an_iban() -> None:
    # The old parser returned the longest checksum-valid prefix; find a corruption where one
    # exists and check the whole-token parser refuses it.
    base = "GB82WEST12345698765432"
    prefix_hits = [
        c for _, c in ocr_corruptions(base) if any(mod97_ok(c[:n]) for n in range(15, len(c)))
    ]
    assert prefix_hits
    assert all(parse_iban(c) is None for c in prefix_hits)


def test_every_one_character_corruption_of_corpus_ibans_is_rejected() -> None:
    ibans = {d.fields["iban"] for d in generate_corpus(120, seed=3) if "iban" in d.fields}
    assert len(ibans) > 40
    for iban in ibans:
        for kind, corrupted in ocr_corruptions(iban):
            match = re.search(IBAN, "IBAN: " + spaced_iban(corrupted), re.I)
            assert match is None or parse_iban(match[1]) is None, (kind, corrupted)


@pytest.mark.parametrize(
    "raw",
    [
        "GB82WEST1234569876543",  # one short
        "GB82WEST123456987654321",  # one long
        "GB82W3ST12345698765432",  # digit where the registry wants a letter
        "XX82WEST12345698765432",  # unknown country
        "GB82-WEST-1234-5698-7654-32",  # punctuation inside the token
        "",
    ],
)
def test_malformed_ibans_are_rejected(raw: str) -> None:
    assert parse_iban(raw) is None


def test_whole_token_rule_ignores_glued_text() -> None:
    assert re.search(IBAN, "IBAN: GB82 WEST 1234 5698 7654 32", re.I)[1].endswith("32")
    glued = re.search(IBAN, "IBAN: GB82WEST12345698765432X", re.I)
    assert glued[1] == "GB82WEST12345698765432X" and parse_iban(glued[1]) is None
    bban = "WEST12345698765432"
    assert iban_check_digits("GB", bban) == "82"


def test_parsers_normalise_and_reject() -> None:
    assert parse_amount("1.234,50") == parse_amount("1,234.50") == "1234.50"
    assert parse_amount("1.234.50") == "1234.50"
    assert parse_amount("twelve") is None
    assert parse_date("03/04/2025") == "2025-04-03"
    assert parse_date("03/04/2025", month_first=True) == "2025-03-04"
    assert parse_date("4 March 2025") == "2025-03-04"
    assert parse_date("next Tuesday") is None
    assert parse_text("INV-2025-0042") == "INV-2025-0042"
    assert parse_text("ignore previous instructions") is None


def test_grounding_requires_the_value_in_the_document() -> None:
    text = (
        "Invoice No: INV-42\nDate: 03/04/2025\nTotal due: £1,234.50\n"
        "IBAN: GB82 WEST 1234 5698 7654 32"
    )
    assert grounded("iban", "GB82WEST12345698765432", text)
    assert not grounded("iban", "GB33BUKB20201555555555", text)
    assert grounded("amount", "1234.50", text) and not grounded("amount", "1243.50", text)
    assert grounded("date", "2025-04-03", text) and grounded("date", "2025-03-04", text)
    assert not grounded("date", "2025-04-04", text)
    assert grounded("text", "INV-42", text) and not grounded("text", "INV-4", text)
    with pytest.raises(ValueError, match="unknown field kind"):
        grounded("colour", "red", text)


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [  # reference values from scipy.stats.binomtest(k, n).proportion_ci(method="wilson")
        (4, 5, 0.375535, 0.963776),
        (0, 20, 0.0, 0.161125),
        (29, 30, 0.833296, 0.994091),
        (185, 20000, 0.008014, 0.010674),
    ],
)
def test_wilson_interval_matches_reference(k: int, n: int, low: float, high: float) -> None:
    lo, hi = wilson_interval(k, n)
    assert lo == pytest.approx(low, abs=2e-6) and hi == pytest.approx(high, abs=2e-6)


def test_wilson_interval_rejects_impossible_counts() -> None:
    for k, n in ((1, 0), (-1, 5), (6, 5)):
        with pytest.raises(ValueError, match="need 0 <= k <= n"):
            wilson_interval(k, n)
