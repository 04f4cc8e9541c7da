"""The platform's data in an S3-compatible bucket (AWS S3, Cloudflare R2, MinIO): `DataStore` over boto3.

`create` is a conditional PUT (`If-None-Match: *`): S3 (since 2024-08) and R2 refuse it with
`412 PreconditionFailed` when the key exists, and with `409 ConditionalRequestConflict` when another
conditional write to that key is in flight; either way the other writer won, so `create` says False.
Errors name the object and the S3 error code only (boto3's messages may hold local paths).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

from platform_assets.domain.common.data_store import StoredObject, check_key

MULTIPART_BYTES = 64 * 1024 * 1024
_LOST_RACE = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}
_MISSING = {"NoSuchKey", "404", "NotFound"}


class DataStoreError(RuntimeError):
    """An S3 call of the data store failed; the message names `s3://bucket/key` and the error code."""


class S3DataStore:
    """Keys under `prefix` in `bucket`, through a boto3 S3 client the caller configured."""

    def __init__(self, client: Any, bucket: str, prefix: str = ""):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    @property
    def folder(self) -> None:
        return None

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def describe(self, key: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}{key}"

    def read(self, key: str) -> bytes | None:
        name = self._key(key)
        try:
            return self.client.get_object(Bucket=self.bucket, Key=name)["Body"].read()
        except Exception as error:
            if _code(error) in _MISSING:
                return None
            raise self._error("read", key, error) from None

    def create(self, key: str, data: bytes) -> bool:
        name = self._key(key)
        try:
            self.client.put_object(Bucket=self.bucket, Key=name, Body=data, IfNoneMatch="*")
        except Exception as error:
            if _code(error) in _LOST_RACE:
                return False
            raise self._error("create", key, error) from None
        return True

    def put(self, key: str, data: bytes) -> None:
        name = self._key(key)
        try:
            self.client.put_object(Bucket=self.bucket, Key=name, Body=data)
        except Exception as error:
            raise self._error("write", key, error) from None

    def listing(self, prefix: str) -> list[StoredObject]:
        found = []
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix + prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    etag = item.get("ETag", "").strip('"')
                    md5 = etag if len(etag) == 32 and "-" not in etag else None
                    found.append(StoredObject(item["Key"][len(self.prefix) :], int(item["Size"]), md5))
        except Exception as error:
            raise self._error("list", prefix, error) from None
        return sorted(found, key=lambda o: o.key)

    def download(self, key: str, path: Path) -> None:
        name = self._key(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                body = self.client.get_object(Bucket=self.bucket, Key=name)["Body"]  # one request, streamed
                for chunk in body.iter_chunks(1 << 20):
                    handle.write(chunk)
            os.replace(tmp, path)
        except Exception as error:
            if _code(error) in _MISSING:
                raise FileNotFoundError(f"no object at {self.describe(key)}") from None
            raise self._error("download", key, error) from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def upload(self, path: Path, key: str) -> None:
        """One PUT for a file up to `MULTIPART_BYTES`; boto3's multipart transfer above that."""
        name = self._key(key)
        try:
            if path.stat().st_size <= MULTIPART_BYTES:
                with path.open("rb") as body:
                    self.client.put_object(Bucket=self.bucket, Key=name, Body=body)
            else:
                self.client.upload_file(str(path), self.bucket, name)
        except Exception as error:
            raise self._error("upload", key, error) from None

    def delete(self, key: str) -> None:
        name = self._key(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=name)
        except Exception as error:
            raise self._error("delete", key, error) from None

    def _error(self, action: str, key: str, error: BaseException) -> DataStoreError:
        code = _code(error) or type(error).__name__
        return DataStoreError(f"S3 {action} of {self.describe(key)} failed: {code}")


def _code(error: BaseException) -> str:
    """The S3 error code of a botocore ClientError (also when boto3's transfer manager wrapped it)."""
    for candidate in (error, error.__cause__, error.__context__):
        response = getattr(candidate, "response", None)
        if response:
            return str(response.get("Error", {}).get("Code", ""))
    return ""
