"""Turn a MinerU result into what travels back: an archive (base64 or S3), inline JSON, or a folder left
on this machine (`local_dir`).

Only regular files with safe relative names enter an archive or a left folder; anything left out is named
in `degraded`. A left folder holds only what the orchestrator reads (`middle_json.json` and its images):
the renderings an archive carries for other clients (markdown, structured content, model output, content
list) were 85% of the package phase.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import tarfile
import uuid
import zipfile
from pathlib import Path
from typing import Any

from docvortex.export import materialize_middle, validate_materialized_assets
from mineru.parser import ParseResult
from mineru.parser.writer import FileBasedDataWriter
from mineru.render import render_content_list
from mineru.types import MiddleJson

from worker_contract.contract import ArchiveFormat, JobInput

SAFE_MEMBER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,200}(/[A-Za-z0-9_][A-Za-z0-9._-]{0,200}){0,8}$")
"""Archive member names: relative, no `..`, no leading dot, a small safe charset."""
BUCKET_SETTINGS = ("BUCKET_ENDPOINT_URL", "BUCKET_NAME", "BUCKET_ACCESS_KEY_ID", "BUCKET_SECRET_ACCESS_KEY")
DEFAULT_BUCKET_URL_TTL = 3600


class PackageError(RuntimeError):
    """The result cannot be delivered at all (no markdown, or the transport is not configured)."""


def check_transport(job: JobInput, *, local: bool = False) -> None:
    """Fail before any work when the job's transport cannot deliver: S3 without bucket settings, or
    `local_dir` outside a `local` worker (a remote caller never names folders on the worker's machine)."""
    if job.transport == "local_dir" and not local:
        raise PackageError("transport 'local_dir' is served only by a worker on the caller's machine")
    if job.transport == "local_dir" and job.result_dir is None:
        raise PackageError("transport 'local_dir' needs result_dir, the folder to leave the result in")
    missing = [name for name in BUCKET_SETTINGS if not os.environ.get(name)]
    if job.transport == "s3" and missing:
        raise PackageError(
            f"transport 's3' needs the S3 bucket settings ({', '.join(BUCKET_SETTINGS)}, "
            f"optional BUCKET_REGION, BUCKET_PREFIX); missing: {', '.join(missing)}"
        )


def package_result(result: ParseResult, job: JobInput, workdir: Path) -> dict[str, Any]:
    """The transport-specific `JobResult` fields (+ `degraded` when an artifact was lost).

    `local_dir` saves straight into the job's `result_dir` (created here, private) and leaves it there.
    """
    if job.transport == "local_dir":
        out = Path(str(job.result_dir))  # the contract pairs them
        out.mkdir(mode=0o700)  # in the caller's hand-off directory; it must not exist yet
        degraded = save_middle(result, out)
        return {"result_dir": str(out), **({"degraded": degraded} if degraded else {})}
    out = workdir / "out"
    result.save(FileBasedDataWriter(str(out)))
    if not (out / "markdown.md").is_file():
        raise PackageError("MinerU produced no markdown.md")
    degraded = _add_content_list(out)
    if job.transport == "inline":
        fields = _inline_fields(out, degraded)
    else:
        files, skipped = safe_members(out)
        degraded.extend(skipped)
        archive = build_archive(out, files, job.archive_format)
        fields = (
            {"tarball_b64": base64.b64encode(archive).decode("ascii")}
            if job.transport == "tarball_b64"
            else upload_to_bucket(archive, job.basename, job.archive_format)
        )
    if degraded:
        fields["degraded"] = degraded
    return fields


def save_middle(result: ParseResult, out: Path) -> list[str]:
    """Save `middle_json.json` (compact) and the images it references into `out`, as MinerU's `save`
    would, without its renderings; `degraded` entries for images whose names are not safe (not written)."""
    middle, assets = materialize_middle(result.middle_json)
    validate_materialized_assets(middle, assets)
    exported = json.dumps(ParseResult(middle_json=middle).to_dict(), ensure_ascii=False)
    # errors="replace" as MinerU's writer: a lone surrogate in extracted text must not fail the batch
    files = {**assets, "middle_json.json": exported.encode("utf-8", errors="replace")}
    return write_safe_files(out, files)


def write_safe_files(root: Path, files: dict[str, bytes]) -> list[str]:
    """Write each file whose name is a safe relative member name under `root`; `degraded` for the rest."""
    degraded: list[str] = []
    for name, payload in sorted(files.items()):
        if _safe_name(name):
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(payload)
        else:
            degraded.append(f"{name[:200]}: unsafe member name")
    return degraded


def _safe_name(name: str) -> bool:
    return bool(SAFE_MEMBER.match(name)) and ".." not in name.split("/")


def _add_content_list(out: Path) -> list[str]:
    """Render content_list.json (V1) from the saved middle JSON; a failure is reported, not raised."""
    try:
        middle = MiddleJson.from_dict(json.loads((out / "middle_json.json").read_text(encoding="utf-8")))
        content_list = render_content_list(middle)
        (out / "content_list.json").write_text(json.dumps(content_list, ensure_ascii=False), encoding="utf-8")
    except Exception as error:
        return [f"content_list.json: {type(error).__name__}: {str(error)[:200]}"]
    return []


def _inline_fields(out: Path, degraded: list[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {"markdown": (out / "markdown.md").read_text(encoding="utf-8")}
    for name, key in (("middle_json.json", "middle_json"), ("content_list.json", "content_list")):
        path = out / name
        if path.is_file():
            fields[key] = json.loads(path.read_text(encoding="utf-8"))
    image_dir = out / "images"
    images = [p for p in image_dir.rglob("*") if p.is_file()] if image_dir.is_dir() else []
    if images:
        degraded.append(f"images: {len(images)} files not carried by the inline transport")
    return fields


def safe_members(root: Path) -> tuple[list[str], list[str]]:
    """Regular files under `root` with safe relative names, and `degraded` entries for the rest."""
    files: list[str] = []
    degraded: list[str] = []
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_dir() and not path.is_symlink():
            continue
        if path.is_symlink() or not path.is_file():
            degraded.append(f"{name[:200]}: not a regular file")
        elif not _safe_name(name):
            degraded.append(f"{name[:200]}: unsafe member name")
        else:
            files.append(name)
    return files, degraded


def build_archive(root: Path, names: list[str], archive_format: ArchiveFormat) -> bytes:
    """A tar.gz or zip of `names` (relative to `root`), regular files only, fixed modes and times."""
    buffer = io.BytesIO()
    if archive_format == "zip":
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in names:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = 0o100644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, (root / name).read_bytes())
    else:
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            for name in names:
                data = (root / name).read_bytes()
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mode = 0o644
                archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def upload_to_bucket(archive: bytes, basename: str, archive_format: ArchiveFormat) -> dict[str, Any]:
    """Upload to `{BUCKET_PREFIX}{basename}-{uuid}.{ext}` and presign a GET (TTL env `BUCKET_URL_TTL`)."""
    import boto3
    from botocore.config import Config

    bucket = os.environ["BUCKET_NAME"]
    key = f"{os.environ.get('BUCKET_PREFIX', '')}{basename}-{uuid.uuid4().hex}.{archive_format}"
    ttl = int(os.environ.get("BUCKET_URL_TTL", DEFAULT_BUCKET_URL_TTL))
    client = boto3.client(
        "s3",
        endpoint_url=os.environ["BUCKET_ENDPOINT_URL"],
        aws_access_key_id=os.environ["BUCKET_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["BUCKET_SECRET_ACCESS_KEY"],
        region_name=os.environ.get("BUCKET_REGION") or None,
        # SigV4 pinned: R2 accepts nothing else, and the presigned URL must not fall back to SigV2.
        config=Config(signature_version="s3v4", retries={"max_attempts": 5, "mode": "standard"}),
    )
    content_type = "application/zip" if archive_format == "zip" else "application/gzip"
    client.put_object(Bucket=bucket, Key=key, Body=archive, ContentType=content_type)
    url = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=ttl)
    return {
        "tarball_url": url,
        "tarball_url_expires_in": ttl,
        "bucket_key": key,
        "bucket_bytes": len(archive),
    }
