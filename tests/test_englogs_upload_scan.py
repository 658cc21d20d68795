"""Tests for englogs.upload_scan: YARA rules, PDF inspection and recursive archive scanning."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, String

from englogs.upload_scan import RULES, Limits, inspect_pdf, scan, sniff

# Built from parts so this file trips no scanner.
EICAR = (
    b"X5O!P%@AP" + b"[4\\PZX54(P^)7CC)7}" + b"$EICAR-STANDARD-" + b"ANTIVIRUS-TEST-FILE!" + b"$H+H*"
)
HTML = b"<html><script>alert(document.domain)</script></html>"


def pdf_bytes(
    mutate: Callable[[pikepdf.Pdf], None] | None = None, *, objstm: bool = False
) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    if mutate is not None:
        mutate(pdf)
    out = io.BytesIO()
    mode = pikepdf.ObjectStreamMode.generate if objstm else pikepdf.ObjectStreamMode.disable
    pdf.save(out, object_stream_mode=mode, compress_streams=True)
    return out.getvalue()


def js_action() -> Dictionary:
    return Dictionary(S=Name.JavaScript, JS=String("app.alert(1)"))


def page_action(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].obj.AA = Dictionary(O=js_action())


def link(action: Dictionary) -> Callable[[pikepdf.Pdf], None]:
    def mutate(pdf: pikepdf.Pdf) -> None:
        annot = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([0, 0, 99, 99]), A=action)
        pdf.pages[0].obj.Annots = Array([pdf.make_indirect(annot)])

    return mutate


def launch(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = Dictionary(S=Name.Launch, F=String("cmd.exe"))


def attachment(pdf: pikepdf.Pdf) -> None:
    pdf.attachments["a.exe"] = pikepdf.AttachedFileSpec(pdf, b"payload", filename="a.exe")


def stream_payload(pdf: pikepdf.Pdf) -> None:
    pdf.Root.Payload = pdf.make_stream(EICAR)  # Flate-compressed on save


def zip_bytes(members: dict[str, bytes], *, encrypt_flag: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    data = bytearray(out.getvalue())
    if encrypt_flag:  # set "encrypted" in the local and central headers, as a locked zip has
        for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            data[data.index(signature) + flag_offset] |= 0x1
    return bytes(data)


def codes(data: bytes, limits: Limits | None = None) -> set[str]:
    return {f.code for f in scan(data, limits)}


# --- benign files pass --------------------------------------------------------------------------


def test_clean_pdf_and_archive_have_no_findings() -> None:
    assert scan(pdf_bytes()) == []
    assert scan(zip_bytes({"data.csv": b"1,2\n3,4\n", "r.pdf": pdf_bytes()})) == []


def test_a_benign_open_action_that_only_shows_a_page_is_not_active_content() -> None:
    def goto(pdf: pikepdf.Pdf) -> None:
        pdf.Root.OpenAction = Array([pdf.pages[0].obj, Name.Fit])

    assert scan(pdf_bytes(goto)) == []


# --- the reviewer's five files and more ---------------------------------------------------------


@pytest.mark.parametrize(
    "mutate",
    [
        page_action,
        link(js_action()),
        launch,
        attachment,
        link(Dictionary(S=Name.URI, URI=String(" JavaScript:alert(1)"))),
    ],
    ids=["page-AA", "link-JS", "launch", "embedded-file", "uri-javascript"],
)
def test_pdf_active_content_is_found_by_rules_and_by_the_object_walk(mutate: Callable) -> None:
    data = pdf_bytes(mutate)
    assert "active-content" in {f.code for f in inspect_pdf(data)}
    assert any(m.rule == "PDF_Active_Content" for m in RULES.match(data=data))


def test_javascript_in_an_object_stream_is_invisible_to_rules_but_not_to_pikepdf() -> None:
    data = pdf_bytes(page_action, objstm=True)
    assert b"JavaScript" not in data and not RULES.match(data=data)
    assert "active-content" in codes(data)


@pytest.mark.parametrize("spelling", [b"/J#61vaScript", b"/#4AavaScript", b"/J#61v#61Script"])
def test_hex_escaped_names_match_the_rule_and_the_parser(spelling: bytes) -> None:
    data = pdf_bytes(page_action).replace(b"/JavaScript", spelling)
    assert spelling in data
    assert any(m.rule == "PDF_Active_Content" for m in RULES.match(data=data))
    assert "/JavaScript action" in {f.detail for f in inspect_pdf(data)}


def test_payload_in_a_compressed_stream_is_scanned_after_decoding() -> None:
    data = pdf_bytes(stream_payload)
    assert EICAR not in data
    assert "malware" in codes(data)


def test_zip_with_javascript_pdf_and_html_reports_both() -> None:
    findings = scan(zip_bytes({"invoice.pdf": pdf_bytes(page_action), "index.html": HTML}))
    paths = {(f.code, f.path.split("!")[0]) for f in findings}
    assert ("active-content", "/invoice.pdf") in paths
    assert ("type", "/index.html") in paths


def test_eicar_inside_zip_in_zip_is_found() -> None:
    data = zip_bytes({"inner.zip": zip_bytes({"x.txt": EICAR})})
    assert EICAR not in data
    assert [f.path for f in scan(data) if f.code == "malware"] == ["/inner.zip!/x.txt!/"]


def test_polyglot_pdf_that_is_also_a_zip_is_refused() -> None:
    assert "polyglot" in codes(pdf_bytes() + zip_bytes({"index.html": HTML}))


def test_pdf_header_late_in_another_format_is_a_polyglot() -> None:
    assert "polyglot" in codes(b"GIF89a" + bytes(100) + pdf_bytes())


def test_executable_is_flagged_wherever_it_hides() -> None:
    pe = b"MZ" + bytes(58) + (64).to_bytes(4, "little") + b"PE\0\0" + bytes(64)
    assert "executable" in codes(pe)
    assert "executable" in codes(zip_bytes({"readme.txt": pe}))


def test_encrypted_pdf_is_not_published() -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out, encryption=pikepdf.Encryption(owner="o", user="u"))
    assert codes(out.getvalue()) == {"encrypted"}


# --- budgets --------------------------------------------------------------------------------------


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    data = b"1,2\n"
    for level in range(4):
        data = zip_bytes({f"level{level}.zip" if level else "d.csv": data})
    assert "nesting" in codes(data)
    assert "nesting" not in codes(data, Limits(max_depth=4))


def test_inflation_budget_is_shared_across_members_and_levels() -> None:
    member = bytes(range(256)) * 4096  # 1 MiB, compresses only ~250:1 ... under ratio 1000
    data = zip_bytes({"a.csv": member, "inner.zip": zip_bytes({"b.csv": member})})
    assert "zip-bomb" not in codes(data, Limits(max_ratio=1000, max_inflated=8 << 20))
    assert "zip-bomb" in codes(data, Limits(max_ratio=1000, max_inflated=(3 << 20) // 2))


def test_ratio_limit_catches_a_bomb_inside_an_archive() -> None:
    bomb = zip_bytes({"zeros.bin": bytes(8 << 20)})
    assert "zip-bomb" in codes(zip_bytes({"inner.zip": bomb}))


def test_member_count_limit() -> None:
    data = zip_bytes({f"{i}.txt": b"x" for i in range(20)})
    assert "zip-bomb" in codes(data, Limits(max_members=10))


@pytest.mark.parametrize("name", ["../../etc/cron.d/x.txt", "/abs.txt", "..\\win.txt"])
def test_zip_slip_names_are_refused(name: str) -> None:
    assert "zip-slip" in codes(zip_bytes({name: b"x"}))


def test_encrypted_member_and_disallowed_type() -> None:
    assert "encrypted" in codes(zip_bytes({"a.txt": b"x"}, encrypt_flag=True))
    assert "type" in codes(zip_bytes({"run.js": b"alert(1)"}))


@pytest.mark.parametrize("data", [pdf_bytes()[:200], zip_bytes({"a.txt": b"x" * 100})[:60]])
def test_truncated_files_are_findings_not_crashes(data: bytes) -> None:
    assert codes(data) == {"undecodable"}


def test_sniff_ignores_names_and_recognises_markup() -> None:
    assert sniff(b"  <!DOCTYPE html><p>") == "text/markup"
    assert sniff(b"%PDF-1.7") == "application/pdf"
    assert sniff(b"plain") == "application/octet-stream"


def test_findings_come_most_serious_first() -> None:
    findings = scan(zip_bytes({"x.com": EICAR}))
    assert [f.code for f in findings] == ["malware", "type"]


def test_a_flate_bomb_inside_a_pdf_stream_stops_at_the_budget() -> None:
    def bomb(pdf: pikepdf.Pdf) -> None:
        pdf.Root.Payload = pdf.make_stream(bytes(8 << 20))  # 8 MiB of zeros, ~8 KiB deflated

    data = pdf_bytes(bomb)
    assert len(data) < 64 << 10
    assert "zip-bomb" in codes(data, Limits(max_inflated=1 << 20))
    assert "zip-bomb" not in codes(data)


def test_payload_behind_an_ascii_filter_is_decoded_too() -> None:
    def hexed(pdf: pikepdf.Pdf) -> None:
        stream = pdf.make_stream(EICAR.hex().encode() + b">")
        stream.Filter = Name.ASCIIHexDecode
        pdf.Root.Payload = stream

    out = io.BytesIO()
    pdf = pikepdf.new()
    pdf.add_blank_page()
    hexed(pdf)
    pdf.save(out, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    data = out.getvalue()
    assert EICAR not in data
    assert "malware" in codes(data)


def test_object_count_limit_bounds_the_walk() -> None:
    assert codes(pdf_bytes(), Limits(max_pdf_objects=2)) == {"too-complex"}


@pytest.mark.parametrize(
    "uri", ["java\tscript:alert(1)", "\x01 JAVASCRIPT:alert(1)", "data:text/html,x"]
)
def test_uris_a_browser_would_run_are_caught_by_the_object_walk(uri: str) -> None:
    data = pdf_bytes(link(Dictionary(S=Name.URI, URI=String(uri))), objstm=True)
    assert "active-content" in {f.code for f in inspect_pdf(data)}


def test_an_ordinary_https_link_is_not_active_content() -> None:
    data = pdf_bytes(link(Dictionary(S=Name.URI, URI=String("https://example.com/a"))))
    assert scan(data) == []
