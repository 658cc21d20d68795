"""Tests for englogs.ssrf: a corpus of hostile address forms, public controls, and URLs."""

from __future__ import annotations

import ipaddress

import pytest

from englogs.ssrf import (
    HOSTILE_FORMS,
    Blocked,
    embedded_ipv4,
    is_public,
    literal_ip,
    system_resolve,
    vet_url,
)

A = ipaddress.ip_address

# Hosts that denote a loopback, private, link-local (cloud metadata), CGNAT, multicast or
# otherwise internal address, in every spelling we know.
HOSTILE_LITERALS = [*HOSTILE_FORMS, "ff0e::1", "::ffff:10.0.0.1"]
PUBLIC_LITERALS = [
    "93.184.215.14", "8.8.8.8", "2606:4700::1111", "2a00:1450:4001:81b::200e",
    "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
]  # fmt: skip


@pytest.mark.parametrize("host", HOSTILE_LITERALS)
def test_hostile_literals_are_not_public(host: str) -> None:
    address = literal_ip(host)
    assert address is not None, host
    assert not is_public(address), host
    bracketed = f"[{host.replace('%', '%25')}]" if ":" in host else host
    with pytest.raises(Blocked):
        vet_url(f"http://{bracketed}:8080/x", lambda h: pytest.fail(f"resolved {h}"))


@pytest.mark.parametrize("host", PUBLIC_LITERALS)
def test_public_literals_pass(host: str) -> None:
    address = literal_ip(host)
    assert address is not None and is_public(address), host


def test_embedded_ipv4_forms() -> None:
    loopback = A("127.0.0.1")
    for form in ["::ffff:127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::", "::127.0.0.1",
                 "::ffff:0:7f00:1", "2001:0:4136:e378:8000:63bf:80ff:fffe"]:  # fmt: skip
        assert embedded_ipv4(A(form)) == loopback, form  # type: ignore[arg-type]
    assert embedded_ipv4(A("2606:4700::1111")) is None  # type: ignore[arg-type]


def test_dns_names_are_judged_by_every_address() -> None:
    zone = {
        "ok.example": [A("93.184.215.14"), A("2606:4700::1111")],
        "localtest.example": [A("127.0.0.1")],
        "mixed.example": [A("93.184.215.14"), A("10.0.0.7")],
        "nat64.example": [A("64:ff9b::a9fe:a9fe")],
        "mapped.example": [A("::ffff:192.168.0.1")],
        "empty.example": [],
    }
    assert vet_url("https://ok.example/hook", zone.__getitem__) == zone["ok.example"]
    for host in ["localtest.example", "mixed.example", "nat64.example", "mapped.example"]:
        with pytest.raises(Blocked, match="not public"):
            vet_url(f"https://{host}/", zone.__getitem__)
    with pytest.raises(Blocked, match="does not resolve"):
        vet_url("https://empty.example/", zone.__getitem__)


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "gopher://127.0.0.1:6379/_", "http:///nohost", "ftp://8.8.8.8/",
     "http://user:pw@8.8.8.8/", "http://8.8.8.8@127.0.0.1/", "javascript:alert(1)"],
)  # fmt: skip
def test_bad_schemes_hosts_and_credentials(url: str) -> None:
    with pytest.raises(Blocked):
        vet_url(url, lambda h: [A("8.8.8.8")])


def test_system_resolver_on_localhost() -> None:
    addresses = system_resolve("localhost")  # /etc/hosts: no network needed
    assert addresses and all(not is_public(a) for a in addresses)
    with pytest.raises(Blocked, match="localhost"):
        vet_url("http://localhost:8080/", system_resolve)
    with pytest.raises(Blocked, match="does not resolve"):
        system_resolve("does-not-exist.invalid")


@pytest.mark.parametrize(
    "url",
    ["http://[::1", "http://\x00127.0.0.1/", "http://%31%32%37.0.0.1/",
     "http://\u24db\u24de\u24d2\u24d0\u24db\u24d7\u24de\u24e2\u24e3/",  # circled "localhost"
     "http://127\u30020\u30020\u30021/", "http://exa mple.com/", "http://a_b.example/"],
)  # fmt: skip
def test_malformed_and_unicode_hosts_never_crash_or_slip_through(url: str) -> None:
    """Regression: urlsplit's ValueError escaped; Unicode look-alikes reached the resolver."""
    zone = {"localhost": [A("127.0.0.1")]}
    with pytest.raises(Blocked):
        vet_url(url, lambda h: zone.get(h, [A("93.184.215.14")]))


def test_idna_names_resolve_by_their_ascii_form() -> None:
    seen: list[str] = []
    vet_url("https://B\u00fccher.example/", lambda h: seen.append(h) or [A("93.184.215.14")])
    assert seen == ["xn--bcher-kva.example"]
