"""`{"image_s3": "s3://bucket/key"}` -> image bytes, for photos above API Gateway's and Lambda's request limits.

Only buckets in ALLOWED_S3_BUCKETS are read (empty: S3 input is off); HeadObject's ContentLength is checked
against MAX_S3_BYTES before any byte is fetched, and the read itself stops one byte past the cap. boto3 is
imported on the first S3 request only (its import costs ~0.3-1 s of cold start that image-bytes requests never
pay). The object is held in memory only, never written to disk.

Time is bounded below the request's deadline: short connect/read timeouts, one retry, the body read in chunks with
the deadline checked between them, and the whole fetch abandoned (502 S3_UNAVAILABLE) when the deadline, less a
reserve for decoding and the models, runs out. The read itself and its error mapping are function/s3read.py's (shared
with the batch jobs); error messages name neither the key nor any library class.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool

from function.deadline import Deadline
from function.errors import InvalidRequest, S3NotAllowed, S3Unavailable
from function.limits import S3_RESERVE_S
from function.s3read import make_client, read_object


def parse_s3_uri(uri: object, name: str) -> tuple[str, str]:
    """('bucket', 'key') from 's3://bucket/key'."""
    if not isinstance(uri, str) or not uri.startswith("s3://"):
        raise InvalidRequest(f"Field {name}_s3 must be a string 's3://bucket/key'.", field=f"{name}_s3")
    bucket, _, key = uri[len("s3://"):].partition("/")
    if not bucket or not key:
        raise InvalidRequest(f"Field {name}_s3 must name a bucket and a key: 's3://bucket/key'.", field=f"{name}_s3")
    return bucket, key  # literal, as the AWS CLI reads s3:// URIs (no percent-decoding)


@dataclass
class S3Reader:
    """Callable as the inputs' S3 hook: `await reader(uri, field) -> bytes`."""

    allowed_buckets: tuple[str, ...]
    max_bytes: int
    client_kwargs: dict[str, Any] = field(default_factory=dict)
    _client: Any = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    async def __call__(self, uri: object, name: str, deadline: Deadline | None = None) -> bytes:
        field_name = f"{name}_s3"
        if not self.allowed_buckets:
            raise S3NotAllowed("S3 input is not enabled on this service (ALLOWED_S3_BUCKETS is empty); send the "
                               "image bytes instead.", field=field_name)
        bucket, key = parse_s3_uri(uri, name)
        if bucket not in self.allowed_buckets:
            raise S3NotAllowed("The bucket is not one this service may read.", field=field_name)
        budget = (deadline or Deadline.never()).timeout(reserve=S3_RESERVE_S, floor=0.5)
        stop_at = math.inf if budget is None else time.monotonic() + budget
        try:
            return await asyncio.wait_for(run_in_threadpool(self._read, bucket, key, field_name, stop_at), budget)
        except TimeoutError:
            raise S3Unavailable("S3 did not answer in time.", field=field_name) from None

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = make_client(**self.client_kwargs)  # boto3 imported here: see module docstring
            return self._client

    def _read(self, bucket: str, key: str, field_name: str, stop_at: float) -> bytes:
        return read_object(self.client(), bucket, key, self.max_bytes, stop_at, field_name).data
