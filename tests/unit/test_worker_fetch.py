"""Input guards without a server: private and numeric addresses, schemes, base64 caps, volume escapes."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from gpu_image.worker.fetch import (
    FetchError,
    decode_b64,
    download_url,
    embedded_ipv4,
    fetch_input,
    is_public_address,
    resolve_volume_path,
    url_host_port,
)
from worker_contract.contract import parse_job_input
from worker_contract.redaction import redact_url

PDF_BYTES = b"%PDF-1.4\n" + b"0" * 4096 + b"\n%%EOF\n"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ALLOW_PRIVATE_URLS", "ALLOWED_URL_HOSTS", "VOLUME_ROOT", "MAX_INPUT_BYTES"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("url", ["ftp://example.org/a.pdf", "file:///etc/passwd", "gopher://x/"])
def test_non_http_schemes_are_rejected(url: str, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="only http"):
        download_url(url, tmp_path / "a.pdf")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.0.1", False),
        ("172.16.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:a9fe:a9fe::1", False),  # 6to4 of 169.254.169.254 (cloud metadata)
        ("2002:c0a8:1::", False),  # 6to4 of 192.168.0.1
        ("2002:808:808::", True),  # 6to4 of 8.8.8.8
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("64:ff9b:1::a00:1", False),  # local-use NAT64
        ("::7f00:1", False),  # IPv4-compatible 127.0.0.1
        ("::a00:1", False),  # IPv4-compatible 10.0.0.1
        ("::ffff:0:7f00:1", False),  # IPv4-translated 127.0.0.1
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo, client 192.0.2.45
    ],
)
def test_only_globally_routable_addresses_are_public(address: str, public: bool) -> None:
    assert is_public_address(address) is public


def test_file_b64_is_decoded_capped_and_checked() -> None:
    encoded = base64.b64encode(PDF_BYTES).decode()
    assert decode_b64(encoded, 10_000) == PDF_BYTES
    with pytest.raises(FetchError, match="byte cap"):
        decode_b64(encoded, 100)
    with pytest.raises(FetchError, match="not a PDF"):
        decode_b64(base64.b64encode(b"PK\x03\x04zip").decode(), 10_000)
    with pytest.raises(FetchError, match="not valid base64"):
        decode_b64("%%%not-base64%%%", 10_000)


def test_volume_path_must_stay_under_the_volume_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "volume"
    root.mkdir()
    inside = root / "doc.pdf"
    inside.write_bytes(PDF_BYTES)
    outside = tmp_path / "secret.pdf"
    outside.write_bytes(PDF_BYTES)
    (root / "link.pdf").symlink_to(outside)
    monkeypatch.setenv("VOLUME_ROOT", str(root))

    assert resolve_volume_path(str(inside)) == inside.resolve()
    for escape in (str(outside), str(root / "link.pdf"), str(root / ".." / "secret.pdf")):
        with pytest.raises(FetchError, match="outside the allowed volume root") as caught:
            resolve_volume_path(escape)
        assert str(tmp_path) not in str(caught.value)
    with pytest.raises(FetchError, match="does not exist"):
        resolve_volume_path(str(root / "nope.pdf"))
    with pytest.raises(FetchError, match="not a regular file"):
        resolve_volume_path(str(root))


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/doc.pdf",  # 127.0.0.1 as one decimal number
        "http://0x7f.1/doc.pdf",  # hex, short form
        "http://017700000001/doc.pdf",  # octal
        "http://127.1/doc.pdf",  # dotted short form
        "http://0/doc.pdf",  # 0.0.0.0
        "http://[::ffff:127.0.0.1]/doc.pdf",  # IPv4-mapped IPv6
        "http://[::ffff:7f00:1]/doc.pdf",  # the same, in hex groups
        "http://[::1]/doc.pdf",
    ],
)
def test_numeric_spellings_of_loopback_are_refused_in_a_job(url: str, tmp_path: Path) -> None:
    job = parse_job_input({"input": {"file_url": url}})
    with pytest.raises(FetchError, match="resolves to a non-public address"):
        fetch_input(job, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_embedded_ipv4_addresses_are_found_in_every_form() -> None:
    import ipaddress

    def embedded(address: str) -> str | None:
        found = embedded_ipv4(ipaddress.IPv6Address(address))
        return str(found) if found else None

    assert embedded("2002:7f00:1::") == "127.0.0.1"
    assert embedded("64:ff9b::a9fe:a9fe") == "169.254.169.254"
    assert embedded("::ffff:10.0.0.1") == "10.0.0.1"
    assert embedded("::10.0.0.1") == "10.0.0.1"
    assert embedded("::1") is None and embedded("::") is None and embedded("2606:4700::1111") is None


@pytest.mark.parametrize(
    "url",
    [
        "http://[2002:7f00:1::]/doc.pdf",
        "http://[64:ff9b::7f00:1]/doc.pdf",
        "http://[::7f00:1]/doc.pdf",
        "http://[2002:a9fe:a9fe::]/latest/meta-data",
    ],
)
def test_ipv6_urls_carrying_a_private_ipv4_are_refused(url: str, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="resolves to a non-public address"):
        download_url(url, tmp_path / "a.pdf")
    assert not (tmp_path / "a.pdf").exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://::1/doc.pdf",
        "http://fe80::1:8080/doc.pdf",
        "http://2002:7f00:1::/doc.pdf",
        "http://u@::1:80/x",
    ],
)
def test_an_unbracketed_ipv6_host_is_refused_never_read_as_host_and_port(url: str) -> None:
    with pytest.raises(FetchError, match=re.escape("an IPv6 host must be written in brackets")):
        url_host_port(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com:99999/doc.pdf",
        "http://[::1]:65536/",
        "http://h:abc/",
        "http://h:0/",
        "http://h:-1/",
    ],
)
def test_an_invalid_port_is_its_own_clear_error(url: str, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="the URL's port is not a number from 1 to 65535"):
        download_url(url, tmp_path / "a.pdf")
    assert redact_url(url).startswith("http://")  # redaction never raises on it either


def test_bracketed_ipv6_hosts_and_ports_still_parse() -> None:
    assert url_host_port("http://[2606:4700::1111]:8443/doc.pdf") == ("2606:4700::1111", 8443)
    assert url_host_port("https://user:pw@example.com/doc.pdf") == ("example.com", None)
