"""Object stores for source PDFs: content-addressed keys, a local folder by default, S3/R2 remotely.

Both implement the same methods; `worker_source` is how a parse worker reaches the object (a path on a
shared volume here, a presigned URL for a remote worker). Descriptions never carry credentials or queries.
"""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import os
import tempfile
from abc import abstractmethod
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field, PrivateAttr

from platform_assets.domain.common.atomic import copy_file_atomic
from resources.settings import PlatformSettings


class ObjectStore(dg.ConfigurableResource):
    """Where source PDFs live once ingested."""

    @abstractmethod
    def put_file(self, key: str, path: Path) -> None:
        """Store `path` under `key` (idempotent: an existing complete object is kept)."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def size(self, key: str) -> int: ...

    @abstractmethod
    def worker_source(self, key: str) -> dict[str, str]:
        """The job-input fields that let a parse worker read the object."""

    @abstractmethod
    def describe(self, key: str) -> str:
        """Human-readable location for metadata (no credentials, no query strings)."""


class LocalObjectStore(ObjectStore):
    """Objects as files under a local folder (the embedded default)."""

    root: str

    def _path(self, key: str) -> Path:
        path = (Path(self.root) / key).resolve()
        if Path(self.root).resolve() not in path.parents:
            raise ValueError(f"object key escapes the store: {key!r}")
        return path

    def put_file(self, key: str, path: Path) -> None:
        target = self._path(key)
        if not (target.is_file() and target.stat().st_size == path.stat().st_size):
            copy_file_atomic(path, target)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def worker_source(self, key: str) -> dict[str, str]:
        return {"volume_path": str(self._path(key))}

    def describe(self, key: str) -> str:
        return str(self._path(key))


class ObjectStoreError(RuntimeError):
    """An S3 call failed; the message names the object (`s3://bucket/key`) and the S3 error code only."""


SHA256_METADATA = "sha256"
"""User metadata (`x-amz-meta-sha256`) recorded on upload, so a re-upload can be skipped safely."""


class S3ObjectStore(ObjectStore):
    """Objects in an S3-compatible bucket (AWS S3, Cloudflare R2, MinIO); workers read them by presigned URL.

    Upload once (`put_file`, idempotent), presign per batch (`worker_source`). Pass the keys as
    `dg.EnvVar(...)`: they are left out of the resource's repr and of every message.
    """

    bucket: str = Field(description="Bucket name.")
    prefix: str = Field(default="", description="Prepended to every key, e.g. `platform/`.")
    endpoint_url: str | None = Field(
        default=None,
        description="S3 API endpoint; R2: `https://<account>.r2.cloudflarestorage.com`. None: AWS S3.",
    )
    region: str | None = Field(
        default=None,
        description="`auto` for R2, the bucket's region for AWS. None: botocore's default (us-east-1).",
    )
    access_key_id: str | None = Field(
        default=None, repr=False, description="Access key id (dg.EnvVar). None: boto3's credential chain."
    )
    secret_access_key: str | None = Field(
        default=None, repr=False, description="Secret access key (dg.EnvVar). None: boto3's credential chain."
    )
    presign_ttl_s: int = Field(
        default=6 * 3600,
        description="Lifetime of the presigned GET URL handed to a worker; covers queueing plus the parse.",
    )
    multipart_threshold_mb: int = Field(
        default=64, description="Files above this size are uploaded in parallel multipart chunks."
    )

    _client_cache: Any = PrivateAttr(default=None)

    def client(self) -> Any:
        """The boto3 S3 client for this bucket's endpoint and keys (made once)."""
        if self._client_cache is None:
            import boto3
            from botocore.config import Config

            self._client_cache = boto3.client(
                "s3",
                endpoint_url=self.endpoint_url,
                region_name=self.region,
                aws_access_key_id=self.access_key_id,
                aws_secret_access_key=self.secret_access_key,
                # SigV4 everywhere (R2 accepts nothing else); bounded retries with backoff.
                config=Config(signature_version="s3v4", retries={"max_attempts": 5, "mode": "standard"}),
            )
        return self._client_cache

    def _key(self, key: str) -> str:
        if not key or key.startswith("/") or any(part in ("", ".", "..") for part in key.split("/")):
            raise ValueError(f"invalid object key: {key!r}")
        return f"{self.prefix}{key}"

    def _head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return self.client().head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise self._error("head", key, error) from None

    def _error(self, action: str, key: str, error: BaseException) -> ObjectStoreError:
        """Only the S3 error code survives: boto3's own messages may name local paths."""
        cause = error.__cause__ or error.__context__  # boto3's S3UploadFailedError wraps a ClientError
        response = getattr(error, "response", None) or getattr(cause, "response", None) or {}
        code = response.get("Error", {}).get("Code") or type(error).__name__
        return ObjectStoreError(f"S3 {action} of {self.describe(key)} failed: {code}")

    def put_file(self, key: str, path: Path) -> None:
        """Upload `path` unless the object already holds the same bytes (same sha256, or same size when
        the object carries no sha256 metadata); big files go up in multipart chunks."""
        from boto3.exceptions import Boto3Error
        from boto3.s3.transfer import TransferConfig
        from botocore.exceptions import BotoCoreError, ClientError

        digest = _sha256_file(path)
        head = self._head(key)
        if head is not None and head.get("ContentLength") == path.stat().st_size:
            recorded = head.get("Metadata", {}).get(SHA256_METADATA)
            if recorded in (None, digest):
                return
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        threshold = self.multipart_threshold_mb * 1024 * 1024
        try:
            self.client().upload_file(
                str(path),
                self.bucket,
                self._key(key),
                ExtraArgs={"Metadata": {SHA256_METADATA: digest}, "ContentType": content_type},
                Config=TransferConfig(multipart_threshold=threshold, multipart_chunksize=threshold),
            )
        except (Boto3Error, BotoCoreError, ClientError) as error:
            raise self._error("upload", key, error) from None

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise FileNotFoundError(f"no object at {self.describe(key)}")
        return int(head["ContentLength"])

    def worker_source(self, key: str) -> dict[str, str]:
        return {"file_url": self.presigned_url(key)}

    def presigned_url(self, key: str, ttl_s: int | None = None) -> str:
        """A GET URL for the object, valid `ttl_s` (default `presign_ttl_s`); signed locally, no request."""
        return self.client().generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": self._key(key)},
            ExpiresIn=self.presign_ttl_s if ttl_s is None else ttl_s,
        )

    def download(self, key: str, dest: Path) -> None:
        """Fetch the object to `dest` atomically (a temp file beside it, renamed when complete)."""
        from boto3.exceptions import Boto3Error
        from botocore.exceptions import BotoCoreError, ClientError

        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
        os.close(fd)
        try:
            self.client().download_file(self.bucket, self._key(key), tmp)
            os.replace(tmp, dest)
        except (Boto3Error, BotoCoreError, ClientError) as error:
            raise self._error("download", key, error) from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def describe(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def pdf_object_key(sha256: str) -> str:
    return f"pdfs/{sha256[:2]}/{sha256}.pdf"


def bucket_for(settings: PlatformSettings, *, resolved: bool = False) -> S3ObjectStore:
    """The `PLATFORM_S3_*` bucket; its keys are `dg.EnvVar`s read at run time, or (`resolved`, for code
    that runs outside a step: loading the definitions, sensors) read from the environment now."""
    names = ("PLATFORM_S3_ACCESS_KEY_ID", "PLATFORM_S3_SECRET_ACCESS_KEY")
    key_id, secret = (dg.EnvVar(n).get_value() if resolved else dg.EnvVar(n) for n in names)
    return S3ObjectStore(
        bucket=settings.s3_bucket,
        prefix=settings.s3_prefix,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key_id=key_id,
        secret_access_key=secret,
    )
