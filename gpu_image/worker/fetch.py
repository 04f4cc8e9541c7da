"""Resolve a job's source (volume path, base64 bytes or URL) to a local PDF file.

Every URL hop is resolved once and connected to the checked address; errors never carry queries or paths.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import ipaddress
import os
import re
import socket
import ssl
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from worker_contract.contract import JobInput
from worker_contract.redaction import redact_url

DEFAULT_MAX_INPUT_BYTES = 200 * 1024 * 1024
DEFAULT_FETCH_TIMEOUT_SECONDS = 120.0
MAX_REDIRECTS = 5
STALL_SECONDS = 30.0
"""Longest single socket wait; the total budget is checked between reads."""
PDF_MAGIC = b"%PDF-"
_CHUNK = 1 << 16


class FetchError(ValueError):
    """The input could not be turned into a local PDF; the message is safe to return to the caller."""


def max_input_bytes() -> int:
    """Size cap for any input (env `MAX_INPUT_BYTES`, default 200 MB)."""
    return int(os.environ.get("MAX_INPUT_BYTES", DEFAULT_MAX_INPUT_BYTES))


def fetch_input(job: JobInput, workdir: Path) -> Path:
    """A local PDF for `job`: the volume file itself, or the decoded/downloaded bytes under `workdir`."""
    if job.volume_path is not None:
        path = resolve_volume_path(job.volume_path)
        with path.open("rb") as handle:
            _check_pdf_magic(handle.read(len(PDF_MAGIC)), path.name)
        return path
    dest = workdir / "input.pdf"
    if job.file_b64 is not None:
        dest.write_bytes(decode_b64(job.file_b64, max_input_bytes()))
    else:
        assert job.file_url is not None
        download_url(job.file_url, dest)
    return dest


def resolve_volume_path(raw: str) -> Path:
    """The real file behind `raw`, which must lie under env `VOLUME_ROOT` when set (symlinks resolved)."""
    name = Path(raw).name
    try:
        path = Path(raw).resolve(strict=True)
    except (OSError, RuntimeError):
        raise FetchError(f"volume_path {name!r} does not exist") from None
    root = os.environ.get("VOLUME_ROOT")
    if root and not path.is_relative_to(Path(root).resolve()):
        raise FetchError(f"volume_path {name!r} is outside the allowed volume root")
    if not path.is_file():
        raise FetchError(f"volume_path {name!r} is not a regular file")
    return path


def decode_b64(data: str, max_bytes: int) -> bytes:
    """Decode `file_b64` (whitespace tolerated), refusing more than `max_bytes` and non-PDF bytes."""
    compact = re.sub(r"\s+", "", data)
    if len(compact) // 4 * 3 > max_bytes + 2:
        raise FetchError(f"file_b64 is larger than the {max_bytes} byte cap")
    try:
        raw = base64.b64decode(compact, validate=True)
    except binascii.Error:
        raise FetchError("file_b64 is not valid base64") from None
    _check_pdf_magic(raw, "file_b64")
    return raw


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
"""Local-use NAT64 (RFC 8215): the IPv4 address sits at a site-chosen offset, so never public."""
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries: IPv4-mapped, -compatible or -translated, 6to4
    (`2002::/16`), NAT64 (`64:ff9b::/96`) or Teredo's client; None for a plain IPv6 address."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or ip in _IPV4_TRANSLATED or (ip in _IPV4_COMPATIBLE and int(ip) > 1):  # not ::, ::1
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address; an IPv6 address carrying an IPv4 address (6to4,
    NAT64, IPv4-mapped ...) is judged by that IPv4 address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64_LOCAL:
            return False
        ip = embedded_ipv4(ip) or ip
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def url_host_port(url: str) -> tuple[str, int | None]:
    """Host and port of an http(s) URL, or `FetchError`: an IPv6 host must be bracketed (its last group
    is never read as a port) and a port must be a number from 1 to 65535."""
    parts = urlsplit(url)
    authority = parts.netloc.rpartition("@")[2]
    if parts.scheme in ("http", "https") and not authority.startswith("[") and authority.count(":") > 1:
        raise FetchError(f"an IPv6 host must be written in brackets (http://[addr]:port/): {redact_url(url)}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"only http(s) URLs can be fetched: {redact_url(url)}")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise FetchError(f"the URL's port is not a number from 1 to 65535: {redact_url(url)}")
    return parts.hostname, port


def _allow_private_default() -> bool:
    return os.environ.get("ALLOW_PRIVATE_URLS", "") == "1"


def _allowed_hosts_default() -> frozenset[str]:
    raw = os.environ.get("ALLOWED_URL_HOSTS", "")
    return frozenset(host.strip().lower() for host in raw.split(",") if host.strip())


def download_url(
    url: str,
    dest: Path,
    *,
    max_bytes: int | None = None,
    timeout: float | None = None,
    allow_private: bool | None = None,
    allowed_hosts: frozenset[str] | None = None,
) -> None:
    """Download a PDF to `dest`, checking scheme, address, size and time budget on every redirect hop.

    Defaults come from env: `MAX_INPUT_BYTES`, `FETCH_TIMEOUT_SECONDS` (total), `ALLOW_PRIVATE_URLS=1`,
    `ALLOWED_URL_HOSTS` (comma-separated hosts that may resolve to private addresses).
    """
    cap = max_input_bytes() if max_bytes is None else max_bytes
    budget = float(os.environ.get("FETCH_TIMEOUT_SECONDS", DEFAULT_FETCH_TIMEOUT_SECONDS))
    deadline = time.monotonic() + (budget if timeout is None else timeout)
    private_ok = _allow_private_default() if allow_private is None else allow_private
    hosts_ok = _allowed_hosts_default() if allowed_hosts is None else allowed_hosts
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        host, port = url_host_port(url)
        host_ok = private_ok or host.lower() in hosts_ok
        addresses = _resolve_checked(host, port, host_ok)
        connection = _pinned_connection(parts.scheme, host, port, addresses, deadline)
        try:
            target = parts.path or "/"
            if parts.query:
                target += f"?{parts.query}"
            connection.request("GET", target, headers={"User-Agent": "mineru-worker", "Accept": "*/*"})
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    raise FetchError(f"redirect without Location from {redact_url(url)}")
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise FetchError(f"HTTP {response.status} from {redact_url(url)}")
            _stream_to(response, dest, cap, deadline, redact_url(url))
            return
        except (OSError, http.client.HTTPException) as error:
            raise FetchError(f"download failed from {redact_url(url)}: {type(error).__name__}") from None
        finally:
            connection.close()
    raise FetchError(f"more than {MAX_REDIRECTS} redirects from {redact_url(url)}")


def _resolve_checked(host: str, port: int | None, private_ok: bool) -> list[str]:
    """Resolve `host` once; every address must be public unless `private_ok`. Returns those to dial."""
    try:
        infos = socket.getaddrinfo(host, port or 0, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise FetchError(f"cannot resolve host {host!r}") from None
    addresses = [str(info[4][0]) for info in infos]
    if not private_ok and not all(is_public_address(address) for address in addresses):
        raise FetchError(f"host {host!r} resolves to a non-public address (ALLOW_PRIVATE_URLS=1 allows it)")
    return list(dict.fromkeys(addresses))


def _dial(addresses: list[str], port: int, timeout: float | None) -> socket.socket:
    """A TCP connection to the first of the checked `addresses` that answers."""
    error: OSError = OSError("no address to connect to")
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as failure:
            error = failure
    raise error


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError("download exceeded its time budget (FETCH_TIMEOUT_SECONDS)")
    return left


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to pre-checked addresses while the Host header keeps the URL's host."""

    def __init__(self, host: str, port: int | None, addresses: list[str], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses

    def connect(self) -> None:
        self.sock = _dial(self._addresses, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to pre-checked addresses, with SNI and certificate checks against the URL's host."""

    def __init__(self, host: str, port: int | None, addresses: list[str], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._addresses = addresses

    def connect(self) -> None:
        raw = _dial(self._addresses, self.port, self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


def _pinned_connection(
    scheme: str, host: str, port: int | None, addresses: list[str], deadline: float
) -> _PinnedHTTPConnection | _PinnedHTTPSConnection:
    if scheme == "https":
        return _PinnedHTTPSConnection(host, port, addresses, min(_remaining(deadline), STALL_SECONDS))
    return _PinnedHTTPConnection(host, port, addresses, min(_remaining(deadline), STALL_SECONDS))


def _stream_to(
    response: http.client.HTTPResponse,
    dest: Path,
    cap: int,
    deadline: float,
    where: str,
) -> None:
    """Write the body to `dest`; size cap and time budget are checked after every read."""
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > cap:
        raise FetchError(f"{where} is larger than the {cap} byte cap")
    size = 0
    head = b""
    with dest.open("wb") as handle:
        while True:
            _remaining(deadline)
            chunk = response.read1(_CHUNK)
            if not chunk:
                break
            if size < len(PDF_MAGIC):
                head = (head + chunk)[: len(PDF_MAGIC)]
                if len(head) == len(PDF_MAGIC):
                    _check_pdf_magic(head, where)
            size += len(chunk)
            if size > cap:
                raise FetchError(f"{where} is larger than the {cap} byte cap")
            handle.write(chunk)
    if size < len(PDF_MAGIC):
        _check_pdf_magic(head, where)


def _check_pdf_magic(head: bytes, what: str) -> None:
    if not head.startswith(PDF_MAGIC):
        raise FetchError(f"{what} is not a PDF (bytes do not start with %PDF-)")
