"""Tests for englogs.upload_serve: download headers and pre-signed GET verification."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.config import Config

from englogs.aws import REGION, local_aws
from englogs.upload_serve import (
    MAX_TTL_S,
    content_disposition,
    presign_download,
    serving_headers,
    verify_presigned_get,
)

BUCKET = "acme-uploads-clean"


@pytest.fixture
def s3_and_secret() -> Iterator[tuple[object, str]]:
    with local_aws() as session:
        s3 = session.client("s3", config=Config(signature_version="s3v4"))
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield s3, session.get_credentials().secret_key


def signed_at(url: str) -> datetime:
    stamp = parse_qs(urlsplit(url).query)["X-Amz-Date"][0]
    return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


@pytest.mark.parametrize(
    "filename",
    ['evil".html', "a\r\nSet-Cookie: x=1.pdf", "x;filename=b.html", "../../etc/passwd", "ünï.pdf"],
)
def test_content_disposition_cannot_be_broken_out_of(filename: str) -> None:
    header = content_disposition(filename)
    assert header.startswith('attachment; filename="')
    assert "\r" not in header and "\n" not in header
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert not set(fallback) & set('";\\/')
    assert header.count(";") == 2  # exactly two parameters, whatever the name


def test_content_disposition_keeps_the_exact_name_for_modern_browsers() -> None:
    assert content_disposition("Résumé.pdf").endswith("filename*=UTF-8''R%C3%A9sum%C3%A9.pdf")


def test_serving_headers_disarm_the_response() -> None:
    headers = serving_headers("image/png", "cat.png")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in headers["Content-Security-Policy"]
    assert headers["Content-Disposition"].startswith("attachment")
    assert headers["Referrer-Policy"] == "no-referrer"


def test_presigned_url_is_short_lived_and_verifies(s3_and_secret: tuple[object, str]) -> None:
    s3, secret = s3_and_secret
    url = presign_download(s3, BUCKET, "ab/cd.pdf", mime="application/pdf", filename="r.pdf")
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["300"]
    assert query["response-content-disposition"][0].startswith("attachment")
    t0 = signed_at(url)
    assert verify_presigned_get(url, secret_key=secret, now=t0) == []
    assert verify_presigned_get(url, secret_key=secret, now=t0 + timedelta(seconds=299)) == []
    expired = verify_presigned_get(url, secret_key=secret, now=t0 + timedelta(seconds=300))
    assert expired == ["URL expired"]


@pytest.mark.parametrize(
    ("old", "new"),
    [("X-Amz-Expires=300", "X-Amz-Expires=86400"), ("attachment", "inline"), ("cd.pdf", "ce.pdf")],
)
def test_tampered_urls_fail_the_signature(
    s3_and_secret: tuple[object, str], old: str, new: str
) -> None:
    s3, secret = s3_and_secret
    url = presign_download(s3, BUCKET, "ab/cd.pdf", mime="application/pdf", filename="r.pdf")
    assert old in url
    tampered = url.replace(old, new)
    assert verify_presigned_get(tampered, secret_key=secret, now=signed_at(url)) == [
        "signature does not match"
    ]


def test_wrong_secret_and_garbage_are_refused(s3_and_secret: tuple[object, str]) -> None:
    s3, _ = s3_and_secret
    url = presign_download(s3, BUCKET, "k.png", mime="image/png", filename="k.png")
    now = signed_at(url)
    assert verify_presigned_get(url, secret_key="not-the-secret", now=now) == [
        "signature does not match"
    ]
    assert verify_presigned_get("https://x/k.png", secret_key="s", now=now)[0].startswith(
        "malformed"
    )


@pytest.mark.parametrize("ttl", [0, MAX_TTL_S + 1, 7 * 24 * 3600])
def test_long_lived_links_are_refused(s3_and_secret: tuple[object, str], ttl: int) -> None:
    s3, _ = s3_and_secret
    with pytest.raises(ValueError, match="ttl_s"):
        presign_download(s3, BUCKET, "k.png", mime="image/png", filename="k.png", ttl_s=ttl)
