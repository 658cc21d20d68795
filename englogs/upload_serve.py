"""Serving user uploads back: headers that disarm them and short-lived pre-signed GETs.

The serving half of "Designing Secure File Upload Systems on AWS". Files are served from a
separate registrable domain (a CDN in front of the clean bucket), never from the app's
origin, and every response carries headers that stop a browser from running the bytes.
``verify_presigned_get`` checks a pre-signed URL the way S3 does (SigV4 query
authentication), because moto serves tampered and expired URLs alike.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

MAX_TTL_S = 900  # a download link outlives the page that showed it by minutes, not days
SIGV4_MAX_EXPIRES_S = 7 * 24 * 3600  # S3 refuses X-Amz-Expires above seven days
_UNSAFE_FALLBACK = set('"\\;%') | {chr(c) for c in range(32)} | {chr(127)}


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact name per RFC 6266 / RFC 8187.

    Quotes, backslashes, semicolons and control characters cannot break out of the header
    (no CRLF injection, no second parameter); path parts are dropped.
    """
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip() or "download"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    fallback = "".join("_" if c in _UNSAFE_FALLBACK else c for c in ascii_name) or "download"
    exact = quote(name, safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{exact}"


def serving_headers(mime: str, filename: str) -> dict[str, str]:
    """Headers for every user-content response (a CloudFront response headers policy)."""
    return {
        "Content-Type": mime,  # the sniffed type, never the uploader's
        "Content-Disposition": content_disposition(filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cross-Origin-Resource-Policy": "same-site",
        "Referrer-Policy": "no-referrer",  # a pre-signed URL must not leak in Referer
        "Cache-Control": "private, max-age=300",
    }


def presign_download(
    s3: Any, bucket: str, key: str, *, mime: str, filename: str, ttl_s: int = 300
) -> str:
    """A pre-signed GET that forces the download headers; refuses long-lived links."""
    if not 1 <= ttl_s <= MAX_TTL_S:
        raise ValueError(f"ttl_s must be in [1, {MAX_TTL_S}], got {ttl_s}")
    params = {
        "Bucket": bucket,
        "Key": key,
        "ResponseContentType": mime,
        "ResponseContentDisposition": content_disposition(filename),
    }
    return s3.generate_presigned_url("get_object", Params=params, ExpiresIn=ttl_s)


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def _uri_encode(text: str) -> str:
    return quote(text, safe="-_.~")


def verify_presigned_get(url: str, *, secret_key: str, now: datetime) -> list[str]:
    """The checks S3 makes on a pre-signed GET. Returns violations; ``[]`` accepts."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    fields = dict(query)
    try:
        amz_date = fields["X-Amz-Date"]
        expires_s = int(fields["X-Amz-Expires"])
        _, date, region, service, _ = fields["X-Amz-Credential"].split("/")
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        signature = fields["X-Amz-Signature"]
    except (KeyError, ValueError) as error:
        return [f"malformed pre-signed URL: {error}"]
    if fields.get("X-Amz-SignedHeaders") != "host":
        return ["unexpected signed headers"]
    canonical_query = "&".join(
        f"{_uri_encode(k)}={_uri_encode(v)}" for k, v in sorted(query) if k != "X-Amz-Signature"
    )
    canonical = "\n".join(
        ["GET", parts.path or "/", canonical_query, f"host:{parts.netloc}", "", "host",
         "UNSIGNED-PAYLOAD"]
    )  # fmt: skip
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac(
        _hmac(_hmac(_hmac(f"AWS4{secret_key}".encode(), date), region), service), "aws4_request"
    )
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return ["signature does not match"]
    violations = []
    if expires_s > SIGV4_MAX_EXPIRES_S:
        violations.append(f"X-Amz-Expires {expires_s} above the SigV4 maximum")
    if now >= signed_at + timedelta(seconds=expires_s):
        violations.append("URL expired")
    if now < signed_at - timedelta(minutes=15):
        violations.append("URL signed in the future")
    return violations
