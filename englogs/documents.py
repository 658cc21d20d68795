"""A seeded corpus of business documents whose file names lie as often as real uploads do.

Infrastructure for the document-extraction post and its lab: it *generates* invoices, receipts,
contracts, identity documents and bank statements (text, ground-truth fields, an upload file
name), and renders them as real PDFs, either with a text layer or as an image-only "scan".
The classifiers, extractors and the pipeline that consume the corpus are the lesson and live
in the post.

Ground-truth field values are normalised: dates ``YYYY-MM-DD``, amounts ``1234.50``, IBANs
compact upper case, document numbers as printed.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

if TYPE_CHECKING:  # reportlab is imported lazily: only PDF rendering needs it
    from reportlab.pdfgen.canvas import Canvas

DOC_TYPES: tuple[str, ...] = ("invoice", "receipt", "contract", "identity", "bank_statement")
TYPE_MIX: Mapping[str, float] = {
    "invoice": 0.34,
    "receipt": 0.24,
    "contract": 0.12,
    "identity": 0.14,
    "bank_statement": 0.16,
}
# How uploads are named in the wild: half descriptive, a third meaningless, the rest wrong.
FILENAME_MIX: Mapping[str, float] = {"honest": 0.5, "generic": 0.35, "misleading": 0.15}

_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_SANS = _FONT_DIR / "DejaVuSans.ttf"
_MONO = _FONT_DIR / "DejaVuSansMono.ttf"

# A line is either free text or a (label, value) pair; pairs are what a two-column layout
# separates in the PDF content stream.
Line = str | tuple[str, str]


@dataclass(frozen=True)
class Document:
    """One generated document: what it is, what it is called, what it says."""

    doc_id: str
    doc_type: str
    filename: str
    filename_kind: str
    lines: tuple[Line, ...]
    fields: Mapping[str, str] = field(default_factory=dict)
    layout: str = "standard"  # or "two_column": labels and values drawn as separate runs

    @property
    def visual_lines(self) -> list[str]:
        """The page as a person (or an OCR engine) reads it, top to bottom."""
        return [line if isinstance(line, str) else f"{line[0]} {line[1]}" for line in self.lines]

    @property
    def text(self) -> str:
        """The text layer in content-stream order, as a PDF text extractor returns it."""
        return "\n".join(_stream_order(self.lines, self.layout))


def _stream_order(lines: Sequence[Line], layout: str) -> list[str]:
    if layout != "two_column":
        return [line if isinstance(line, str) else f"{line[0]} {line[1]}" for line in lines]
    out: list[str] = []
    block: list[tuple[str, str]] = []

    def flush() -> None:
        out.extend(label for label, _ in block)
        out.extend(value for _, value in block)
        block.clear()

    for line in lines:
        if isinstance(line, tuple):
            block.append(line)
        else:
            flush()
            out.append(line)
    flush()
    return out


# ---------------------------------------------------------------------------- check digits


def iban_check_digits(country: str, bban: str) -> str:
    """The two ISO 13616 check digits for ``country`` + ``bban`` (mod 97-10)."""
    rearranged = bban + country + "00"
    number = int("".join(str(int(ch, 36)) for ch in rearranged))
    return f"{98 - number % 97:02d}"


_OCR_LOOKALIKES = {
    "0": "O",
    "O": "0",
    "1": "I",
    "I": "1",
    "5": "S",
    "S": "5",
    "8": "B",
    "B": "8",
    "2": "Z",
    "Z": "2",
    "6": "G",
    "G": "6",
}


def ocr_corruptions(value: str) -> list[tuple[str, str]]:
    """Every one-character misreading of ``value`` as (kind, corrupted), kinds:

    ``digit`` every digit replaced by each other digit; ``lookalike`` a character read as its
    OCR look-alike (0/O, 1/I, 5/S, 8/B, 2/Z, 6/G); ``drop`` one character lost;
    ``transpose`` two neighbours swapped. Duplicates and the unchanged value are left out.
    """
    out: dict[str, str] = {}

    def add(kind: str, corrupted: str) -> None:
        if corrupted != value:
            out.setdefault(corrupted, kind)

    for i, ch in enumerate(value):
        if ch.isdigit():
            for d in "0123456789":
                add("digit", value[:i] + d + value[i + 1 :])
    for i, ch in enumerate(value):
        if ch in _OCR_LOOKALIKES:
            add("lookalike", value[:i] + _OCR_LOOKALIKES[ch] + value[i + 1 :])
    for i in range(len(value)):
        add("drop", value[:i] + value[i + 1 :])
    for i in range(len(value) - 1):
        add("transpose", value[:i] + value[i + 1] + value[i] + value[i + 2 :])
    return [(kind, corrupted) for corrupted, kind in out.items()]


def mrz_check_digit(data: str) -> int:
    """ICAO 9303 check digit: weights 7-3-1, digits as is, A-Z as 10-35, '<' as 0."""
    total = 0
    for i, ch in enumerate(data):
        if ch.isdigit():
            value = int(ch)
        elif ch.isalpha():
            value = ord(ch.upper()) - 55
        elif ch == "<":
            value = 0
        else:
            raise ValueError(f"invalid MRZ character {ch!r}")
        total += value * (7, 3, 1)[i % 3]
    return total % 10


# ----------------------------------------------------------------------------- vocabularies

_SUPPLIERS = [
    "Northwind Logistics",
    "Blue Harbor Consulting",
    "Acme Industrial",
    "Kestrel Software",
    "Granite Facilities",
    "Helios Energy",
    "Meridian Print",
    "Oakfield Catering",
]
_CUSTOMERS = ["Contoso Retail", "Fabrikam Foods", "Tailspin Travel", "Wingtip Toys", "Litware"]
_MERCHANTS = ["TESCO STORES", "PRET A MANGER", "SHELL FUEL", "BOOTS", "WH SMITH", "UBER TRIP"]
_BANKS = ["Lloyds", "Barclays", "Deutsche Kreditbank", "ING", "Rabobank"]
_SURNAMES = ["SMITH", "MUELLER", "DUBOIS", "JANSEN", "MURPHY", "GARCIA", "ROSSI", "NOWAK"]
_GIVEN = ["JOHN", "ANNA", "LUCAS", "MARIE", "SEAN", "ELENA", "MARCO", "EVA"]
_COUNTRIES = [
    ("GBR", "BRITISH CITIZEN"),
    ("DEU", "DEUTSCH"),
    ("FRA", "FRANCAISE"),
    ("IRL", "IRISH"),
]
_IBAN_LAYOUT = {"DE": (18, "0123456789"), "GB": (18, "X"), "NL": (14, "X"), "IE": (18, "X")}
_ITEMS = [
    "Consulting services",
    "Software licence",
    "Freight charges",
    "Office cleaning",
    "Catering",
]
_MONTHS = "January February March April May June July August September October November December"


def _make_iban(rng: random.Random) -> str:
    country = rng.choice(sorted(_IBAN_LAYOUT))
    length, _ = _IBAN_LAYOUT[country]
    if country == "DE":
        bban = "".join(rng.choice("0123456789") for _ in range(length))
    else:  # bank code letters, then digits
        letters = 4
        bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(letters))
        bban += "".join(rng.choice("0123456789") for _ in range(length - letters))
    return country + iban_check_digits(country, bban) + bban


def spaced_iban(iban: str) -> str:
    """An IBAN in its print format: groups of four separated by spaces."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def _date(rng: random.Random, start: dt.date, days: int) -> dt.date:
    return start + dt.timedelta(days=rng.randrange(days))


def _fmt_date(day: dt.date, style: str) -> str:
    month = _MONTHS.split()[day.month - 1]
    return {
        "iso": day.isoformat(),
        "eu": day.strftime("%d/%m/%Y"),
        "dot": day.strftime("%d.%m.%Y"),
        "long": f"{day.day} {month} {day.year}",
        "us": day.strftime("%m/%d/%Y"),
    }[style]


def _fmt_money(amount: float, currency: str, style: str) -> str:
    plain = f"{amount:,.2f}"
    if style == "de":  # 1.234,50 EUR
        plain = plain.replace(",", "_").replace(".", ",").replace("_", ".")
        return f"{plain} {currency}"
    symbol = {"GBP": "£", "USD": "$", "EUR": "€"}[currency]
    return f"{symbol}{plain}" if style == "symbol" else f"{currency} {plain}"


def _money_style(rng: random.Random, currency: str) -> str:
    if currency == "EUR":
        return rng.choice(["de", "code", "symbol"])
    return rng.choice(["code", "symbol"])


# ------------------------------------------------------------------------------ templates


def _invoice(rng: random.Random) -> tuple[list[Line], dict[str, str], str]:
    currency = rng.choice(["GBP", "EUR", "EUR", "USD"])
    date_style = "us" if currency == "USD" else rng.choice(["iso", "eu", "dot", "long"])
    money = _money_style(rng, currency)
    issued = _date(rng, dt.date(2025, 1, 1), 270)
    number = rng.choice(
        [
            f"INV-2025-{rng.randrange(10**5):05d}",
            f"2025/{rng.randrange(10**4):04d}",
            f"A-{rng.randrange(10**5):05d}",
        ]
    )
    items = [
        (rng.choice(_ITEMS), round(rng.uniform(40, 4000), 2)) for _ in range(rng.randint(1, 4))
    ]
    subtotal = round(sum(a for _, a in items), 2)
    vat = round(subtotal * 0.2, 2)
    total = round(subtotal + vat, 2)
    iban = _make_iban(rng)
    supplier = rng.choice(_SUPPLIERS)
    street, city = rng.randint(1, 200), rng.choice(["London", "Leeds", "Berlin", "Utrecht"])
    lines: list[Line] = [
        f"{supplier} Ltd",
        f"{street} High Street, {city}",
        rng.choice(["INVOICE", "TAX INVOICE", "Invoice"]),
        (rng.choice(["Invoice No:", "Invoice Number:", "Invoice #:"]), number),
        (rng.choice(["Invoice Date:", "Date:"]), _fmt_date(issued, date_style)),
        ("Due Date:", _fmt_date(issued + dt.timedelta(days=30), date_style)),
        f"Bill To: {rng.choice(_CUSTOMERS)}",
    ]
    lines += [f"{desc}  {_fmt_money(amount, currency, money)}" for desc, amount in items]
    lines += [
        ("Subtotal:", _fmt_money(subtotal, currency, money)),
        ("VAT 20%:", _fmt_money(vat, currency, money)),
        (rng.choice(["Total Due:", "Amount Due:", "Total:"]), _fmt_money(total, currency, money)),
        ("IBAN:", spaced_iban(iban) if rng.random() < 0.7 else iban),
        f"BIC: {rng.choice(['NWBKGB2L', 'COBADEFF', 'INGBNL2A'])}",
        "Payment terms: 30 days. Please quote the invoice number with your payment.",
    ]
    fields = {
        "invoice_number": number,
        "issue_date": issued.isoformat(),
        "total": f"{total:.2f}",
        "iban": iban,
    }
    layout = "two_column" if rng.random() < 0.15 else "standard"
    return lines, fields, layout


def _receipt(rng: random.Random) -> tuple[list[Line], dict[str, str], str]:
    currency = rng.choice(["GBP", "GBP", "EUR"])
    money = rng.choice(["code", "plain"])
    day = _date(rng, dt.date(2025, 1, 1), 270)
    items = [
        (
            rng.choice(["MEAL DEAL", "COFFEE", "FUEL", "NEWSPAPER", "SANDWICH", "WATER"]),
            round(rng.uniform(1, 60), 2),
        )
        for _ in range(rng.randint(1, 5))
    ]
    total = round(sum(a for _, a in items), 2)

    def amt(value: float) -> str:
        return f"{value:.2f}" if money == "plain" else f"{currency} {value:.2f}"

    stamp_style = rng.choice(["eu", "iso"])
    hour, minute = rng.randint(7, 21), rng.randint(0, 59)
    stamp = f"{_fmt_date(day, stamp_style)} {hour:02d}:{minute:02d}"
    fields = {"issue_date": day.isoformat(), "total": f"{total:.2f}"}
    if rng.random() < 0.1:  # a faded thermal slip: the header and footer are gone
        lines: list[Line] = [rng.choice(_MERCHANTS), stamp]
        lines += [f"{desc}  {value:.2f}" for desc, value in items]
        return [*lines, f"TOTAL  {amt(total)}"], fields, "standard"
    header = rng.choices(["RECEIPT", "VAT RECEIPT", "TAX INVOICE", ""], [0.35, 0.3, 0.15, 0.2])[0]
    lines = [rng.choice(_MERCHANTS), f"Store {rng.randint(100, 999)}"]
    if header:
        lines.append(header)
    if header == "TAX INVOICE":  # shops that print a VAT invoice on the till roll
        lines.append(f"Invoice No: {rng.randint(10**6, 10**7 - 1)}")
    lines += [
        f"VAT Reg No GB {rng.randint(100, 999)} {rng.randint(1000, 9999)} {rng.randint(10, 99)}",
        stamp,
    ]
    lines += [f"{desc}  {value:.2f}" for desc, value in items]
    lines.append(f"TOTAL  {amt(total)}")
    if rng.random() < 0.6:
        lines += [
            f"CARD  ************{rng.randint(1000, 9999)}",
            f"AUTH CODE {rng.randint(10**5, 10**6 - 1)}",
        ]
    else:
        paid = float(int(total) + rng.choice([1, 5, 10]))
        lines += [f"CASH  {paid:.2f}", f"CHANGE  {paid - total:.2f}"]
    lines.append(
        rng.choice(["THANK YOU FOR SHOPPING", "Please retain this receipt", "Customer copy"])
    )
    return lines, fields, "standard"


def _contract(rng: random.Random) -> tuple[list[Line], dict[str, str], str]:
    effective = _date(rng, dt.date(2024, 6, 1), 480)
    signed = effective - dt.timedelta(days=rng.randint(1, 20))
    supplier, customer = rng.choice(_SUPPLIERS), rng.choice(_CUSTOMERS)
    title = rng.choice(
        [
            "SERVICES AGREEMENT",
            "MASTER SERVICES AGREEMENT",
            "NON-DISCLOSURE AGREEMENT",
            f"STATEMENT OF WORK No. {rng.randint(2, 9)}",
        ]
    )
    style = rng.choice(["long", "eu", "iso"])
    if rng.random() < 0.12:  # an engagement letter: a contract that never says "agreement"
        lines: list[Line] = [
            f"{supplier} Ltd",
            f"Dear {customer},",
            "LETTER OF ENGAGEMENT",
            "We are pleased to confirm our engagement with effect from "
            f"{_fmt_date(effective, style)}.",
            "Our fees will be invoiced monthly; payment terms are 30 days from the invoice date.",
            "Either party may end this engagement by giving one month's notice in writing.",
            f"Yours sincerely, for and on behalf of {supplier} Ltd",
            ("Signature:", "____________________"),
        ]
        return lines, {"effective_date": effective.isoformat()}, "standard"
    lines = [
        title,
        f"This Agreement is made on {_fmt_date(effective, style)} (the Effective Date)",
        f"between {supplier} Ltd (the Supplier) and {customer} (the Customer).",
        f"1. Term. This Agreement continues for {rng.choice([12, 24, 36])} months.",
        "2. Fees. The Customer shall pay each invoice within 30 days of receipt.",
        "3. Confidentiality. Each party shall keep the other party's information confidential.",
        f"4. Termination. Either party may terminate on {rng.choice([30, 60, 90])} days notice.",
        "5. Governing Law. This Agreement is governed by the laws of England and Wales.",
        f"Signed for and on behalf of {supplier} Ltd",
        ("Signature:", "____________________"),
        ("Date:", _fmt_date(signed, style)),
    ]
    return lines, {"effective_date": effective.isoformat()}, "standard"


def _identity(rng: random.Random) -> tuple[list[Line], dict[str, str], str]:
    code, nationality = rng.choice(_COUNTRIES)
    surname, given = rng.choice(_SURNAMES), rng.choice(_GIVEN)
    born = _date(rng, dt.date(1955, 1, 1), 365 * 45)
    issued = _date(rng, dt.date(2016, 1, 1), 365 * 8)
    expires = issued.replace(year=issued.year + 10)
    sex = rng.choice("MF")

    def short(day: dt.date) -> str:  # 14 MAR 1985
        return f"{day.day:02d} {_MONTHS.split()[day.month - 1][:3].upper()} {day.year}"

    if rng.random() < 0.25:  # a driving licence: no MRZ, EU numbered fields
        number = f"{surname[:5]:9<5}{born.strftime('%y%m%d')}{given[0]}9{rng.randint(10, 99)}"
        lines: list[Line] = [
            "DRIVING LICENCE",
            f"1. {surname}",
            f"2. {given}",
            f"3. {born.strftime('%d.%m.%Y')} {rng.choice(['LONDON', 'DUBLIN', 'BERLIN'])}",
            f"4a. {issued.strftime('%d.%m.%Y')} 4b. {expires.strftime('%d.%m.%Y')}",
            f"5. {number}",
            "9. AM/B1/B",
        ]
    else:
        number = "".join(rng.choice("0123456789") for _ in range(9))
        line1 = f"P<{code}{surname}<<{given}".ljust(44, "<")
        dob, exp = born.strftime("%y%m%d"), expires.strftime("%y%m%d")
        body = f"{number}{mrz_check_digit(number)}{code}{dob}{mrz_check_digit(dob)}{sex}"
        body += f"{exp}{mrz_check_digit(exp)}" + "<" * 14 + "0"
        composite = body[0:10] + body[13:20] + body[21:43]
        line2 = body + str(mrz_check_digit(composite))
        lines = [
            "PASSPORT",
            f"Type P  Code {code}",
            ("Surname:", surname),
            ("Given names:", given),
            ("Nationality:", nationality),
            ("Date of birth:", short(born)),
            ("Sex:", sex),
            ("Date of issue:", short(issued)),
            ("Date of expiry:", short(expires)),
            ("Passport No:", number),
            line1,
            line2,
        ]
    fields = {
        "document_number": number,
        "date_of_birth": born.isoformat(),
        "expiry_date": expires.isoformat(),
    }
    return lines, fields, "standard"


def _bank_statement(rng: random.Random) -> tuple[list[Line], dict[str, str], str]:
    currency = rng.choice(["GBP", "EUR"])
    money = _money_style(rng, currency)
    month_start = dt.date(2025, rng.randint(1, 9), 1)
    month_end = (month_start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    iban = _make_iban(rng)
    balance = round(rng.uniform(200, 9000), 2)
    opening = balance
    rows: list[Line] = []
    for _ in range(rng.randint(3, 8)):
        day = month_start + dt.timedelta(days=rng.randrange(month_end.day))
        kind = rng.choice(["CARD PAYMENT", "DIRECT DEBIT", "SEPA TRANSFER", "SALARY"])
        amount = round(rng.uniform(5, 900), 2) * (1 if kind in {"SALARY", "SEPA TRANSFER"} else -1)
        if kind == "SALARY":
            amount = round(rng.uniform(1800, 4200), 2)
        memo = {
            "CARD PAYMENT": rng.choice(_MERCHANTS),
            "DIRECT DEBIT": rng.choice(["COUNCIL TAX", "ENERGY CO", "MOBILE"]),
            "SEPA TRANSFER": f"INVOICE {rng.randint(1000, 9999)} {rng.choice(_CUSTOMERS).upper()}",
            "SALARY": rng.choice(_CUSTOMERS).upper(),
        }[kind]
        balance = round(balance + amount, 2)
        rows.append(f"{day.strftime('%d/%m/%Y')} {kind} {memo} {amount:+,.2f}")
    if rng.random() < 0.1:  # an online-banking export: transactions, no balances, no header
        export: list[Line] = ["Transactions", ("IBAN:", spaced_iban(iban)), *rows]
        return export, {"iban": iban}, "standard"
    lines: list[Line] = [
        f"{rng.choice(_BANKS)} Bank",
        rng.choice(["STATEMENT OF ACCOUNT", "Account Statement", "Statement"]),
        f"Account holder: {rng.choice(_GIVEN).title()} {rng.choice(_SURNAMES).title()}",
        ("IBAN:", spaced_iban(iban)),
        ("BIC:", rng.choice(["LOYDGB2L", "DKBADEBB", "INGBNL2A"])),
        f"Statement period: {month_start.strftime('%d/%m/%Y')} to {month_end.strftime('%d/%m/%Y')}",
        ("Opening balance:", _fmt_money(opening, currency, money)),
        *rows,
        ("Closing balance:", _fmt_money(balance, currency, money)),
    ]
    layout = "two_column" if rng.random() < 0.15 else "standard"
    return lines, {"iban": iban, "closing_balance": f"{balance:.2f}"}, layout


_TEMPLATES = {
    "invoice": _invoice,
    "receipt": _receipt,
    "contract": _contract,
    "identity": _identity,
    "bank_statement": _bank_statement,
}

# ------------------------------------------------------------------------------ file names

_HONEST = {
    "invoice": [
        "invoice_{n}.pdf",
        "INV-{n}.pdf",
        "Invoice {sup} {mon}.pdf",
        "paid_invoice_{n}.pdf",
    ],
    "receipt": ["receipt_{merchant}_{n}.pdf", "Receipt-{n}.pdf", "receipt.pdf"],
    "contract": [
        "contract_{cust}.pdf",
        "NDA_{cust}.pdf",
        "agreement_v2_final.pdf",
        "{cust}_MSA.pdf",
    ],
    "identity": ["passport_{name}.pdf", "passport scan.pdf", "id_card_{name}.pdf", "licence.pdf"],
    "bank_statement": ["statement_{mon}.pdf", "bank_statement_2025_{n}.pdf", "Kontoauszug_{n}.pdf"],
}
_GENERIC = [
    "scan_{n:03d}.pdf",
    "IMG_2025{n:04d}_1015.pdf",
    "document({k}).pdf",
    "upload.pdf",
    "Scan {n} Mar 2025.pdf",
    "CamScanner 03-{k:02d}-2025.pdf",
    "file.pdf",
]
_MISLEADING = {
    "invoice": ["receipt_{n}.pdf", "contract_{cust}_payment.pdf", "statement_{mon}.pdf"],
    "receipt": ["invoice_{n}.pdf", "invoice_copy.pdf", "bank_{n}.pdf"],
    "contract": ["invoice_final({k}).pdf", "statement_of_work_v3.pdf", "receipt_signed.pdf"],
    "identity": ["contract_annex_b.pdf", "bank_kyc_upload.pdf", "invoice_attachment_{n}.pdf"],
    "bank_statement": [
        "invoice_payment_proof.pdf",
        "receipt_of_funds.pdf",
        "contract_docs_{n}.pdf",
    ],
}


def _filename(rng: random.Random, doc_type: str, kind: str) -> str:
    if kind == "honest":
        template = rng.choice(_HONEST[doc_type])
    elif kind == "generic":
        template = rng.choice(_GENERIC)
    else:
        template = rng.choice(_MISLEADING[doc_type])
    return template.format(
        n=rng.randrange(1, 1000),
        k=rng.randint(1, 9),
        sup=rng.choice(_SUPPLIERS).split()[0],
        cust=rng.choice(_CUSTOMERS).split()[0].lower(),
        merchant=rng.choice(_MERCHANTS).split()[0].lower(),
        mon=rng.choice(["jan", "feb", "march", "Q2"]),
        name=rng.choice(_SURNAMES).lower(),
    )


def make_document(
    doc_type: str,
    seed: int | str,
    doc_id: str | None = None,
    filename_kind: str | None = None,
) -> Document:
    """One document of ``doc_type``, fully determined by ``seed``.

    ``filename_kind`` forces how the upload is named ("honest", "generic", "misleading");
    by default it is drawn from ``FILENAME_MIX``. Scanner output, for example, is "generic".
    """
    if doc_type not in _TEMPLATES:
        raise ValueError(f"unknown document type {doc_type!r}; expected one of {DOC_TYPES}")
    if filename_kind is not None and filename_kind not in FILENAME_MIX:
        raise ValueError(f"unknown filename kind {filename_kind!r}")
    rng = random.Random(f"doc:{seed}")
    lines, fields, layout = _TEMPLATES[doc_type](rng)
    drawn = rng.choices(list(FILENAME_MIX), list(FILENAME_MIX.values()))[0]
    kind = filename_kind or drawn
    return Document(
        doc_id=doc_id or f"doc-{seed}",
        doc_type=doc_type,
        filename=_filename(rng, doc_type, kind),
        filename_kind=kind,
        lines=tuple(lines),
        fields=fields,
        layout=layout,
    )


def generate_corpus(n: int, seed: int = 7) -> list[Document]:
    """``n`` documents drawn from ``TYPE_MIX``, deterministic for a given ``seed``."""
    if n < 0:
        raise ValueError("n must be non-negative")
    rng = random.Random(seed)
    types = rng.choices(list(TYPE_MIX), list(TYPE_MIX.values()), k=n)
    return [make_document(t, f"{seed}:{i}", doc_id=f"doc-{i:04d}") for i, t in enumerate(types)]


# ------------------------------------------------------------------------------- rendering

_A4 = (595.27, 841.89)  # points


def render_scan(doc: Document, width: int = 560, seed: int = 0) -> Image.Image:
    """The page as a cheap office scanner returns it: grey, slightly rotated, noisy."""
    height = int(width * _A4[1] / _A4[0])
    scale = width / 640
    img = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(img)
    sans = ImageFont.truetype(str(_SANS), round(14 * scale))
    mono = ImageFont.truetype(str(_MONO), round(13 * scale))
    y = 40 * scale
    for line in doc.visual_lines:
        is_mrz = len(line) == 44 and set(line) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")
        draw.text((36 * scale, y), line, fill=20, font=mono if is_mrz else sans)
        y += 22 * scale
    rng = np.random.default_rng(seed)
    tilt = float(rng.uniform(-1.0, 1.0))
    img = img.rotate(tilt, fillcolor=255, resample=Image.Resampling.BICUBIC)
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    noisy = np.asarray(img, dtype=np.float64) + rng.normal(0, 10, (height, width))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def render_pdf(
    doc: Document,
    *,
    scanned: bool = False,
    scanner_footer: str | None = None,
    password: str | None = None,
    seed: int = 0,
) -> bytes:
    """A one-page PDF of ``doc``.

    ``scanned=False``: a text layer in content-stream order (a two-column layout draws all
    labels, then all values). ``scanned=True``: only an embedded JPEG of :func:`render_scan`,
    plus ``scanner_footer`` as a tiny text layer if given (as many scanners stamp).
    ``password`` encrypts the file (user password), as banks do with e-statements.
    """
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=_A4, encrypt=password, invariant=1)
    if scanned:
        jpeg = io.BytesIO()
        render_scan(doc, seed=seed).save(jpeg, format="JPEG", quality=75)
        jpeg.seek(0)
        pdf.drawImage(ImageReader(jpeg), 0, 0, width=_A4[0], height=_A4[1])
        if scanner_footer:
            pdf.setFont("Helvetica", 6)
            pdf.drawString(20, 10, scanner_footer)
    else:
        pdf.setFont("Helvetica", 10)
        top, step = _A4[1] - 50, 14.0
        pending: list[tuple[float, str, str]] = []
        for row, line in enumerate(doc.lines):
            y = top - row * step
            if isinstance(line, str):
                _flush_pairs(pdf, pending)
                pdf.drawString(40, y, line)
            elif doc.layout == "two_column":
                pending.append((y, *line))
            else:
                pdf.drawString(40, y, f"{line[0]} {line[1]}")
        _flush_pairs(pdf, pending)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def _flush_pairs(pdf: Canvas, pending: list[tuple[float, str, str]]) -> None:
    for y, label, _ in pending:
        pdf.drawString(40, y, label)
    for y, _, value in pending:
        pdf.drawString(200, y, value)
    pending.clear()
