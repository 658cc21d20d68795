"""Field parsers and validators of the document-extraction post, shared with its lab.

Every extractor's output (rules or a model) goes through these: a value is kept only if it
parses *and* the document says it (:func:`grounded`). IBANs are checked the way ISO 13616
defines them: country, per-country length and BBAN structure (SWIFT IBAN Registry), then
mod 97-10, on the whole token and never on a prefix. :func:`wilson_interval` puts error bars
on the rates that evaluations of extractors report.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal

# Building blocks of the label-anchored rules: values never cross a line (``[ \t]``, not \s).
DATE = r"(\d{4}-\d{2}-\d{2}|\d{1,2}[/.]\d{1,2}[/.]\d{4}|\d{1,2}[ \t]*[A-Za-z]{3,9}[ \t]*\d{4})"
AMOUNT = r"(?:[A-Z]{3}|[£$€])?[ \t]*(-?\d[\d.,]*[.,]\d{2})(?!\d)"
# An IBAN as printed: groups of four, one optional space between them, and nothing
# alphanumeric glued to either end (whole-token matching).
IBAN_TOKEN = (
    r"(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)(?![A-Za-z0-9])"
)
IBAN = r"iban[ \t]*:?[ \t]*" + IBAN_TOKEN

# BBAN structure per country, from the SWIFT IBAN Registry: n digits, a capital letters,
# c letters or digits. A subset (SEPA countries we see); production code should use the full
# registry, e.g. python-stdnum's ``stdnum.iban`` or ``schwifty``.
IBAN_FORMATS: dict[str, str] = {
    "AT": "16n",
    "BE": "12n",
    "CH": "5n12c",
    "DE": "18n",
    "ES": "20n",
    "FR": "10n11c2n",
    "GB": "4a14n",
    "IE": "4a14n",
    "IT": "1a10n12c",
    "NL": "4a10n",
}
_CLASSES = {"n": "[0-9]", "a": "[A-Z]", "c": "[A-Z0-9]"}
_BBAN = {
    country: re.compile(
        "".join(f"{_CLASSES[k]}{{{n}}}" for n, k in re.findall(r"(\d+)([nac])", spec))
    )
    for country, spec in IBAN_FORMATS.items()
}


def iban_length(country: str) -> int | None:
    """The registered IBAN length for ``country``, or None if it is not in the table."""
    spec = IBAN_FORMATS.get(country)
    return None if spec is None else 4 + sum(int(n) for n in re.findall(r"\d+", spec))


def mod97_ok(iban: str) -> bool:
    """ISO 7064 mod 97-10 over the rearranged IBAN (``iban`` is compact, upper case)."""
    return int("".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4])) % 97 == 1


def parse_iban(raw: str) -> str | None:
    """The compact IBAN if the WHOLE token is one; None otherwise. Never searches prefixes."""
    s = re.sub(r"[ \t]", "", raw).upper()
    bban = _BBAN.get(s[:2])
    if bban is None or not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", s):
        return None  # unknown country: abstain rather than guess its length
    if len(s) != iban_length(s[:2]) or not bban.fullmatch(s[4:]):
        return None  # a dropped, added or misread character changes length or structure
    return s if mod97_ok(s) else None


def parse_date(raw: str, month_first: bool = False) -> str | None:
    """ISO date from the formats the corpus prints; ``month_first`` for US invoices."""
    numeric = "%m/%d/%Y" if month_first else "%d/%m/%Y"
    for fmt in ("%Y-%m-%d", numeric, "%d.%m.%Y", "%d %B %Y", "%d %b %Y", "%d%B%Y", "%d%b%Y"):
        try:
            return dt.datetime.strptime(" ".join(raw.split()), fmt).date().isoformat()
        except ValueError:
            continue
    return None


def parse_amount(raw: str) -> str | None:
    """'1.234,50', '1,234.50' and OCR's '1.234.50': the last separator is the decimal one."""
    m = re.fullmatch(r"(-?[\d.,]*\d)[.,](\d{2})", raw.strip())
    return f"{Decimal(re.sub(r'[.,]', '', m[1]) + '.' + m[2]):.2f}" if m else None


def parse_text(raw: str) -> str | None:
    """An identifier as printed: one token of letters, digits, '/', '-'."""
    value = raw.strip()
    return value if re.fullmatch(r"[A-Za-z0-9][\w/-]{0,39}", value) else None


def grounded(kind: str, value: str, text: str) -> bool:
    """Does the document itself say ``value``? Format checks cannot catch invented values."""
    if kind == "iban":
        return value in re.sub(r"\s", "", text).upper()
    if kind == "amount":
        return value in {parse_amount(m) for m in re.findall(AMOUNT, text)}
    if kind == "date":
        found = re.findall(DATE, text)
        return value in {parse_date(m, first) for m in found for first in (False, True)}
    if kind == "text":
        return re.search(rf"(?<![\w/-]){re.escape(value)}(?![\w/-])", text) is not None
    raise ValueError(f"unknown field kind {kind!r}")


def wilson_interval(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval for ``k`` successes in ``n`` trials (95% by default), as fractions.

    Unlike the normal approximation it stays inside [0, 1] and is honest at k = 0 or k = n,
    which is where small evaluation samples live (Brown, Cai and DasGupta, 2001).
    """
    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n > 0, got k={k}, n={n}")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)
