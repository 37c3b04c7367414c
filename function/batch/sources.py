"""Where a batch's photos come from: a local folder or an S3 prefix, listed and read within the service's limits.

A photo is a `PhotoRef` (key, and for S3 the bucket, size and ETag when the listing gave them). Readers return its
bytes or raise the ServiceError the API would answer: S3 objects are read by function/s3read.py (HeadObject's size
against MAX_S3_BYTES before any byte, the read cut at the cap and at the caller's stop time); local files are sized
by stat() against the same cap before they are opened. Keys ending in "/" (S3's folder markers) and hidden files
are not photos and are never listed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from function.errors import InvalidRequest, PayloadTooLarge, S3NotAllowed
from function.s3read import make_client, read_object


@dataclass(frozen=True)
class PhotoRef:
    key: str
    bucket: str | None = None
    size: int | None = None
    etag: str | None = None

    @property
    def ident(self) -> tuple[str | None, str]:
        return self.bucket, self.key


@dataclass(frozen=True)
class Photo:
    data: bytes
    size: int
    etag: str | None = None


class Reader(Protocol):
    def read(self, ref: PhotoRef, stop_at: float) -> Photo: ...


def is_photo_key(key: str) -> bool:
    name = key.rsplit("/", 1)[-1]
    return bool(name) and not name.startswith(".")


def parse_s3_prefix(uri: str) -> tuple[str, str]:
    """('bucket', 'prefix') from 's3://bucket/prefix' (the prefix may be empty)."""
    if not uri.startswith("s3://") or not uri[5:].split("/", 1)[0]:
        raise InvalidRequest(f"not an s3://bucket/prefix URI: {uri!r}")
    bucket, _, prefix = uri[5:].partition("/")
    return bucket, prefix


# -- local folders -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LocalReader:
    root: Path
    max_bytes: int

    def list(self) -> Iterator[PhotoRef]:
        """Every regular file under root (hidden ones and hidden folders skipped), in key order."""
        keys = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                key = (Path(dirpath) / name).relative_to(self.root).as_posix()
                if is_photo_key(key):
                    keys.append(key)
        for key in sorted(keys):
            yield PhotoRef(key)

    def read(self, ref: PhotoRef, stop_at: float = float("inf")) -> Photo:
        path = self.root / ref.key
        try:
            size = path.stat().st_size
            if size > self.max_bytes:
                raise PayloadTooLarge(f"The file is {size:,} bytes; the limit is {self.max_bytes:,} bytes "
                                      "(MAX_S3_BYTES).")
            with open(path, "rb") as fh:
                data = fh.read(self.max_bytes + 1)
        except OSError as exc:
            raise InvalidRequest(f"The file could not be read ({type(exc).__name__}).") from None
        if len(data) > self.max_bytes:
            raise PayloadTooLarge(f"The file is larger than the limit of {self.max_bytes:,} bytes (MAX_S3_BYTES).")
        return Photo(data, len(data))


# -- S3 ------------------------------------------------------------------------------------------------------------

@dataclass
class S3Reader:
    """Reads objects of the allowed buckets (empty tuple: any bucket the credentials can read, for the CLI)."""

    max_bytes: int
    allowed_buckets: tuple[str, ...] = ()
    client_kwargs: dict[str, Any] = field(default_factory=dict)
    _client: Any = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = make_client(**self.client_kwargs)
            return self._client

    def list(self, bucket: str, prefix: str) -> Iterator[PhotoRef]:
        """ListObjectsV2 over the prefix (S3 lists in key order)."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for page in pages:
            for obj in page.get("Contents", []):
                if is_photo_key(obj["Key"]):
                    yield PhotoRef(obj["Key"], bucket, int(obj["Size"]), str(obj.get("ETag", "")).strip('"') or None)

    def read(self, ref: PhotoRef, stop_at: float = float("inf")) -> Photo:
        if ref.bucket is None:
            raise InvalidRequest("an S3 photo needs its bucket")
        if self.allowed_buckets and ref.bucket not in self.allowed_buckets:
            raise S3NotAllowed("The bucket is not one this function may read (ALLOWED_S3_BUCKETS).")
        obj = read_object(self.client(), ref.bucket, ref.key, self.max_bytes, stop_at)
        return Photo(obj.data, obj.size, obj.etag)
