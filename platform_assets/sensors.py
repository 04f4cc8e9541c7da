"""Sensors: the inbox registers arriving PDFs; the registry sensor reloads the code location so new
documents and batches become partitions; the automation sensor carries them through every asset.
"""

import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg

from platform_assets.domain.common.data_store import DataStore
from platform_assets.domain.common.file_names import display_name
from platform_assets.domain.common.platform_paths import PlatformPaths
from platform_assets.domain.intake.intake import register_pdf
from platform_assets.domain.intake.registry import Registry
from platform_assets.domain.pdf.pdf_facts import PdfError
from platform_assets.partitions import PartitionScheme
from resources.settings import pdf_password
from worker_contract.redaction import redact, redact_url

INBOX_INTERVAL_S = 10
RELOAD_INTERVAL_S = 5
INBOX_PREFIX = "inbox/"
"""With the data in a bucket, PDFs arrive under `<PLATFORM_S3_PREFIX>data/inbox/`."""


@dataclass(frozen=True)
class Arrival:
    """A file in the inbox: its name, what identifies this version of it, and how to get it locally."""

    name: str
    version: list
    fetch: Callable[[], Path]


def folder_arrivals(inbox: Path) -> Iterator[Arrival]:
    """The regular files of the inbox folder (names starting with `.` are in-progress copies)."""
    inbox.mkdir(parents=True, exist_ok=True)
    for path in sorted(inbox.glob("*")):
        if path.is_file() and not path.name.startswith("."):
            stat = path.stat()
            yield Arrival(path.name, [stat.st_size, stat.st_mtime_ns], lambda path=path: path)


def store_arrivals(store: DataStore, scratch: Path) -> Iterator[Arrival]:
    """The objects under the store's `inbox/` prefix, each downloaded into `scratch` when fetched."""
    for stored in store.listing(INBOX_PREFIX):
        name = stored.key[len(INBOX_PREFIX) :]
        if "/" in name or name.startswith("."):
            continue

        def fetch(key: str = stored.key, name: str = name) -> Path:
            path = scratch / name
            store.download(key, path)
            return path

        yield Arrival(name, [stored.size, stored.md5], fetch)


def scan_inbox(
    arrivals: Iterable[Arrival],
    registry: Registry,
    landing: Path,
    cursor: dict[str, list],
    password: str | None,
) -> tuple[list[str], list[dg.AssetObservation], dict[str, list]]:
    """Register new or changed PDFs among `arrivals`; returns log lines, duplicate observations, new cursor.

    The cursor maps file name -> [*version, outcome] (size and mtime, or size and MD5 in a bucket) so
    unchanged files are not fetched or hashed again; outcome is a doc id, or `error: ...` for a file that
    was refused (kept in the inbox, untouched). Lines and metadata name files by their printable form
    (`display_name`): any name is safe in them.
    """
    lines, observations, seen = [], [], {}
    for arrival in arrivals:
        previous = cursor.get(arrival.name)
        if previous and previous[:-1] == arrival.version:
            seen[arrival.name] = previous
            continue
        name = display_name(arrival.name)
        try:
            intake = register_pdf(arrival.fetch(), registry, landing, source="inbox", password=password)
        except PdfError as err:
            seen[arrival.name] = [*arrival.version, f"error: {err}"]
            lines.append(f"refused {name}: {err}")
            continue
        doc_id = intake.record.doc_id
        seen[arrival.name] = [*arrival.version, doc_id]
        if intake.duplicate:
            lines.append(f"duplicate: {name} has the same bytes as {doc_id}; not registered again")
            observations.append(
                dg.AssetObservation(
                    asset_key="source_pdf",
                    partition=doc_id,
                    metadata={"duplicate_arrival": name, "same_bytes_as": doc_id},
                )
            )
        else:
            lines.append(f"registered {name} as {doc_id}")
    return lines, observations, seen


def build_inbox_sensor(paths: PlatformPaths, store: Callable[[], DataStore]) -> dg.SensorDefinition:
    """Watches the inbox folder (`PLATFORM_INBOX`) with the data folder as the store, else the bucket's
    `data/inbox/` prefix; `store` makes the data store when a tick needs it."""

    @dg.sensor(
        name="inbox_sensor",
        minimum_interval_seconds=INBOX_INTERVAL_S,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Registers PDFs dropped into the inbox (PLATFORM_INBOX, or the bucket's data/inbox/); "
        "cursor by content.",
    )
    def inbox_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        cursor = json.loads(context.cursor) if context.cursor else {}
        data = store()
        with tempfile.TemporaryDirectory(prefix="inbox-") as scratch:
            if data.folder is None:
                arrivals, landing, where = store_arrivals(data, Path(scratch)), Path(scratch), "the bucket"
            else:
                arrivals, landing, where = folder_arrivals(paths.inbox), paths.landing, str(paths.inbox)
            lines, observations, seen = scan_inbox(arrivals, Registry(data), landing, cursor, pdf_password())
        for line in lines:
            (context.log.warning if line.startswith("refused") else context.log.info)(line)
        return dg.SensorResult(
            asset_events=observations,
            cursor=json.dumps(seen, sort_keys=True),
            skip_reason="; ".join(lines) or f"no new PDFs in {where}",
        )

    return inbox_sensor


def build_registry_sensor(
    store: Callable[[], DataStore], scheme: PartitionScheme, webserver_url: str
) -> dg.SensorDefinition:
    @dg.sensor(
        name="registry_reload_sensor",
        minimum_interval_seconds=RELOAD_INTERVAL_S,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Reloads this code location when the registry gained documents or plans.",
    )
    def registry_reload_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        current = Registry(store()).fingerprint()
        if current == scheme.registry_fingerprint:
            return dg.SkipReason("partitions match the registry")
        if context.cursor == current:
            return dg.SkipReason(f"reload already requested for registry state {current}")
        origin = context.code_location_origin
        location = origin.location_name if origin else "document_platform"
        reload_code_location(location, webserver_url)
        context.update_cursor(current)
        return dg.SkipReason(
            f"registry changed ({scheme.registry_fingerprint} -> {current}): reloaded {location}"
        )

    return registry_reload_sensor


def reload_code_location(location: str, webserver_url: str) -> None:
    """Ask the webserver at `webserver_url` (DAGSTER_WEBSERVER_URL; `make dev` sets it) to reload a code
    location. A failure raises one line naming the URL (without credentials or query) and the root cause.
    """
    from dagster_graphql import (  # only this sensor's process needs the GraphQL client
        DagsterGraphQLClient,
        DagsterGraphQLClientError,
        ReloadRepositoryLocationStatus,
    )

    shown = redact_url(webserver_url)
    url = urlsplit(webserver_url)
    try:
        port = url.port  # ValueError unless a number from 0 to 65535
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(url.scheme)
    except ValueError:
        raise RuntimeError(f"DAGSTER_WEBSERVER_URL is not an http(s) URL with a host: {shown}") from None
    client = DagsterGraphQLClient(
        url.hostname, port_number=port, use_https=url.scheme == "https", path_prefix=url.path.rstrip("/")
    )
    where = f"could not reload code location {location!r} via the webserver at {shown}"
    try:
        info = client.reload_repository_location(location)
    except DagsterGraphQLClientError as err:
        raise RuntimeError(
            f"{where}: {_root_cause(err)}; set DAGSTER_WEBSERVER_URL to the URL the UI runs at"
        ) from err
    if info.status != ReloadRepositoryLocationStatus.SUCCESS:
        raise RuntimeError(f"{where}: {info.failure_type}: {redact(info.message or 'no message')}")


def _root_cause(error: BaseException) -> str:
    """The innermost exception of a chain in a few words (`connection refused`, `HTTP 500 ...`)."""
    while (inner := error.__cause__ or error.__context__) is not None:
        error = inner
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    response = getattr(error, "response", None)
    if response is not None and getattr(response, "status_code", None):
        return f"HTTP {response.status_code} {response.reason}".strip()
    return redact(f"{type(error).__name__}: {error}")


def build_automation_sensor() -> dg.AutomationConditionSensorDefinition:
    return dg.AutomationConditionSensorDefinition(
        "platform_automation",
        target=dg.AssetSelection.all(),
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=10,
        description="Carries each new document from source_pdf through its batches to its verification.",
        # Runs, not backfills: a check cannot join a backfill, so when one tick requests a document's whole
        # chain (parsed_document -> clause_tree -> verification), its checks would run apart, before the tree.
        emit_backfills=False,
    )
