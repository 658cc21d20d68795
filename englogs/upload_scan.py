"""Scanning untrusted uploads: YARA rules, PDF object inspection, recursive archives.

The lesson code of "Designing Secure File Upload Systems on AWS". Three layers, each catching
what the others cannot:

* :data:`RULES` - YARA rules (``yara-python``) over the raw bytes of every file and every
  archive member: malware signatures (here only the EICAR test file: ClamAV's signature
  database cannot be downloaded offline, so these rules stand in for ClamAV or a commercial
  engine run by an S3-event Lambda), executables, PDF active-content names in any ``#xx``
  spelling, and polyglots. Rules see bytes, so they are blind inside compressed streams.
* :func:`inspect_pdf` - ``pikepdf`` (QPDF) parses the PDF, including compressed object
  streams, and walks every object for actions that run code or leave the document.
* :func:`scan` - archives are opened recursively under one :class:`Limits` budget (depth,
  members, inflated bytes, expansion ratio), so zip-in-zip hides nothing and no bomb inflates.

Every finding is returned, not only the first, so a reviewer sees why a file was refused.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import pikepdf
import yara  # type: ignore[import-not-found]  # a C extension without stubs

MiB = 1 << 20

# -- sniffing: type from content alone --
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"MZ", "application/x-msdownload"),
    (b"\x7fELF", "application/x-elf"),
)
MARKUP = (b"<!doctype html", b"<html", b"<script", b"<svg", b"<?xml", b"<?php")


def sniff(data: bytes) -> str:
    """Type from the leading bytes; markup is ``text/markup``; anything else is opaque."""
    for magic, mime in MAGIC:
        if data.startswith(magic):
            return mime
    head = data[:256].lstrip().lower()
    return "text/markup" if head.startswith(MARKUP) else "application/octet-stream"


# -- layer 1: YARA rules over raw bytes --
def _pdf_name(name: str) -> str:
    """A YARA regex for a PDF name in any spelling: each character may be written ``#xx``."""

    def digit(d: str) -> str:
        return d if d.isdigit() else f"[{d}{d.upper()}]"

    parts = [f"({c}|#{''.join(digit(d) for d in f'{ord(c):02x}')})" for c in name]
    return r"\/" + "".join(parts) + r"[\s\/<>\[\]()%]"  # a name ends at a delimiter


_EICAR_HEX = (  # the EICAR test string, in hex so this file trips no scanner
    "58 35 4F 21 50 25 40 41 50 5B 34 5C 50 5A 58 35 34 28 50 5E 29 37 43 43 29 37 7D 24 "
    "45 49 43 41 52 2D 53 54 41 4E 44 41 52 44 2D 41 4E 54 49 56 49 52 55 53 2D 54 45 53 "
    "54 2D 46 49 4C 45 21 24 48 2B 48 2A"
)
# Action *types* and payload keys: /OpenAction and /AA only say "when", and a /GoTo is benign.
_PDF_ACTIVE_NAMES = ("JavaScript", "JS", "Launch", "EmbeddedFile", "RichMedia", "XFA",
                     "SubmitForm", "ImportData")  # fmt: skip
_PDF_STRINGS = "\n".join(
    f"        $n{i} = /{_pdf_name(n)}/" for i, n in enumerate(_PDF_ACTIVE_NAMES)
)

RULES_SOURCE = f"""
rule EICAR_Test_File : malware {{
    meta:
        code = "malware"
        description = "stands in for a ClamAV / commercial signature set"
    strings: $eicar = {{ {_EICAR_HEX} }}
    condition: $eicar
}}
rule Executable : executable {{
    meta: code = "executable" description = "PE, ELF or Mach-O header"
    condition: (uint16(0) == 0x5A4D and filesize > 0x40 and uint32(0x3C) < filesize - 4
                and uint32(uint32(0x3C)) == 0x00004550)
               or uint32(0) == 0x464C457F or uint32(0) == 0xFEEDFACF or uint32(0) == 0xCFFAEDFE
}}
rule PDF_Active_Content : pdf {{
    meta: code = "active-content" description = "PDF name that runs code or opens something"
    strings:
        $header = "%PDF-"
{_PDF_STRINGS}
        $uri_js = /\\/URI\\s*\\(\\s*(javascript|vbscript|data|file):/ nocase
    condition: $header in (0..1024) and any of ($n*, $uri_js)
}}
rule Polyglot_PDF_Late_Header : polyglot {{
    meta: code = "polyglot" description = "PDF readers accept a header anywhere in 1 KiB"
    strings: $pdf = "%PDF-"
    condition: $pdf in (1..1024) and not $pdf at 0
}}
rule Polyglot_PDF_With_Zip : polyglot {{
    meta: code = "polyglot" description = "a PDF that is also a ZIP archive"
    strings: $local = {{ 50 4B 03 04 }} $end = {{ 50 4B 05 06 }}
    condition: uint32(0) == 0x46445025 and $local and $end
}}
"""
RULES = yara.compile(source=RULES_SOURCE)


# -- findings and budgets --
@dataclass(frozen=True)
class Finding:
    """One reason to refuse a file: a short code, where in the file, and the detail."""

    code: str
    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.code} at {self.path}: {self.detail}"


@dataclass(frozen=True)
class Limits:
    """Budgets for one upload, shared by every level of nesting."""

    max_depth: int = 3  # archive inside archive inside archive, no deeper
    max_members: int = 1_000
    max_inflated: int = 64 * MiB  # total bytes decompressed, all levels together
    max_ratio: int = 100  # per member, uncompressed / compressed
    max_pdf_objects: int = 200_000  # far above real documents; bounds the object walk
    member_types: frozenset[str] = frozenset(
        {".pdf", ".png", ".jpg", ".jpeg", ".csv", ".txt", ".json", ".zip"}
    )


@dataclass
class _Budget:
    limits: Limits
    members: int = 0
    inflated: int = 0
    findings: list[Finding] = field(default_factory=list)

    def add(self, code: str, path: str, detail: str) -> None:
        self.findings.append(Finding(code, path, detail))


# -- layer 2: PDF objects --
_DANGEROUS_ACTIONS = frozenset(
    {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToE", "/RichMediaExecute"}
)
_ACTIVE_KEYS = frozenset(
    {"/JS", "/JavaScript", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia", "/XFA"}
)
_BAD_URI_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")


def _walk(obj: pikepdf.Object) -> Iterator[pikepdf.Dictionary]:
    """Dictionaries in ``obj`` and its direct children; indirect ones are visited on their own."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, pikepdf.Stream):
            item = item.stream_dict
        if isinstance(item, pikepdf.Dictionary):
            yield item
            children = list(item.values())
        elif isinstance(item, pikepdf.Array):
            children = list(item)
        else:
            continue
        stack.extend(c for c in children if isinstance(c, pikepdf.Object) and not c.is_indirect)


def inspect_pdf(data: bytes, path: str = "/", limits: Limits | None = None) -> list[Finding]:
    """Actions and payloads anywhere in the object graph, object streams included.

    pikepdf decodes ``#xx`` escapes in names, so ``/J#61vaScript`` is ``/JavaScript`` here.
    Decoded stream contents go through the YARA rules too, within the inflation budget. An
    encrypted or unparsable PDF is a finding: what cannot be inspected is not published.
    """
    budget = _Budget(limits or Limits())
    _inspect_pdf(data, path, budget)
    return budget.findings


def _inspect_pdf(data: bytes, path: str, budget: _Budget) -> None:
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        budget.add("encrypted", path, "PDF needs a password")
        return
    except pikepdf.PdfError as error:
        budget.add("undecodable", path, f"PDF does not parse: {str(error)[:80]}")
        return
    with pdf:
        if pdf.is_encrypted:
            budget.add("encrypted", path, "PDF is encrypted")
        objects = pdf.objects
        if len(objects) > budget.limits.max_pdf_objects:
            budget.add("too-complex", path, f"{len(objects)} PDF objects")
            return
        for obj in objects:
            where = f"{path}obj {obj.objgen[0]}"
            for d in _walk(obj):
                _check_pdf_dict(d, where, budget)
            if isinstance(obj, pikepdf.Stream):
                _scan_stream(obj, where, budget)


def _check_pdf_dict(d: pikepdf.Dictionary, where: str, budget: _Budget) -> None:
    action = d.get("/S")
    if action is not None and str(action) in _DANGEROUS_ACTIONS:
        budget.add("active-content", where, f"{action} action")
    for key in sorted(_ACTIVE_KEYS.intersection(d.keys())):
        budget.add("active-content", where, f"{key} entry")
    uri = d.get("/URI")
    if isinstance(uri, pikepdf.String):  # browsers drop tabs, newlines, controls in URLs
        scheme = "".join(c for c in str(uri) if ord(c) > 0x20).lower()
        if scheme.startswith(_BAD_URI_SCHEMES):
            budget.add("active-content", where, f"URI {str(uri)[:40]!r}")


_IMAGE_FILTERS = frozenset({"/DCTDecode", "/JPXDecode", "/CCITTFaxDecode", "/JBIG2Decode"})
_BOUNDED_FILTERS = frozenset({"/ASCIIHexDecode", "/ASCII85Decode", "/RunLengthDecode"})
_SMALL_STREAM = 256 * 1024  # RunLength expands at most 128x: 32 MiB


def _decode_bounded(stream: pikepdf.Stream, allowance: int) -> bytes | None:
    """The decoded stream, never inflating more than ``allowance`` + 1 bytes; None to skip.

    QPDF's ``read_bytes`` decodes a whole stream in memory, so a Flate bomb inside a PDF would
    inflate before any budget could stop it: Flate is decoded here with a hard limit instead.
    """
    raw_filter = stream.stream_dict.get("/Filter")
    filters = [str(f) for f in raw_filter] if isinstance(raw_filter, pikepdf.Array) else (
        [] if raw_filter is None else [str(raw_filter)])  # fmt: skip
    if not filters or _IMAGE_FILTERS.intersection(filters):
        return None  # plain bytes were scanned as part of the file; image codecs hide no text
    if filters == ["/FlateDecode"]:
        try:
            return zlib.decompressobj().decompress(stream.read_raw_bytes(), allowance + 1)
        except zlib.error:
            return None
    if set(filters) <= _BOUNDED_FILTERS and len(stream.read_raw_bytes()) <= _SMALL_STREAM:
        try:
            return stream.read_bytes()
        except pikepdf.PdfError:
            return None
    return None  # chains such as Flate over LZW: not decoded, the raw bytes were scanned


def _scan_stream(stream: pikepdf.Stream, where: str, budget: _Budget) -> None:
    """Signature rules over a decoded stream: compression hides bytes from a raw scan."""
    allowance = budget.limits.max_inflated - budget.inflated
    content = _decode_bounded(stream, allowance)
    if content is None:
        return
    budget.inflated += len(content)
    if budget.inflated > budget.limits.max_inflated:
        budget.add("zip-bomb", where, f"streams inflate past {budget.limits.max_inflated} bytes")
        return
    for match in RULES.match(data=content):
        if match.meta.get("code") in ("malware", "executable"):
            budget.add(match.meta["code"], where, f"{match.rule} in a decoded stream")


# -- layer 3: archives, recursively --
def _scan_zip(data: bytes, path: str, depth: int, budget: _Budget) -> None:
    limits = budget.limits
    if depth >= limits.max_depth:
        budget.add("nesting", path, f"archive nested deeper than {limits.max_depth}")
        return
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.infolist():
            name = member.filename
            where = f"{path}{name}"
            budget.members += 1
            if budget.members > limits.max_members:
                budget.add("zip-bomb", path, f"more than {limits.max_members} members")
                return
            if member.is_dir():
                continue
            if name.startswith("/") or ".." in PurePosixPath(name).parts or "\\" in name:
                budget.add("zip-slip", where, "path escapes the extraction folder")
                continue
            if member.flag_bits & 0x1:
                budget.add("encrypted", where, "encrypted member cannot be scanned")
                continue
            if member.file_size > limits.max_ratio * max(member.compress_size, 1):
                ratio = member.file_size / max(member.compress_size, 1)
                budget.add("zip-bomb", where, f"declares {ratio:.0f}:1 expansion")
                continue
            allowance = limits.max_inflated - budget.inflated
            with archive.open(member) as stream:  # header sizes can lie: cap the inflation
                content = stream.read(allowance + 1)
            budget.inflated += len(content)
            if budget.inflated > limits.max_inflated:
                budget.add("zip-bomb", where, f"inflates past {limits.max_inflated} bytes")
                return
            suffix = PurePosixPath(name).suffix.lower()
            if suffix not in limits.member_types:
                budget.add("type", where, f"member type {suffix or '(none)'} not allowed")
            _scan_node(content, f"{where}!/", depth + 1, budget)


def _scan_node(data: bytes, path: str, depth: int, budget: _Budget) -> None:
    for match in RULES.match(data=data):
        budget.add(match.meta.get("code", "rule"), path, match.rule)
    kind = sniff(data)
    if depth > 0 and kind in ("text/markup", "application/x-msdownload", "application/x-elf"):
        budget.add("type", path, f"archive member is {kind}")
    if kind == "application/pdf":
        _inspect_pdf(data, path, budget)
    elif kind == "application/zip":
        try:
            _scan_zip(data, path, depth, budget)
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            NotImplementedError,
            OSError,
            EOFError,
        ) as error:
            budget.add("undecodable", path, f"archive: {type(error).__name__}")


# Most serious first, so the first finding is the one to tag and alert on.
SEVERITY = ("malware", "executable", "active-content", "polyglot", "zip-bomb", "nesting",
            "zip-slip", "encrypted", "type", "too-complex", "undecodable")  # fmt: skip


def scan(data: bytes, limits: Limits | None = None) -> list[Finding]:
    """Every finding for one upload, most serious first; ``[]`` means no layer objected.

    No finding is not proof of safety: a signature set only knows known malware.
    """
    budget = _Budget(limits or Limits())
    _scan_node(data, "/", 0, budget)
    rank = {code: i for i, code in enumerate(SEVERITY)}
    return sorted(budget.findings, key=lambda f: rank.get(f.code, len(SEVERITY)))
