"""One S3 object -> bytes, within the limits, synchronously: HeadObject's ContentLength checked against the cap
before any byte is fetched, the read stopping one byte past the cap and at `stop_at` (time.monotonic()), every
S3/botocore failure mapped to one of the service's S3 error codes. Messages name neither the key nor any library
class. Shared by the API's `image_s3` input (function/api/s3.py, which runs it on a worker thread under the
request's deadline) and the batch jobs (function/batch/), so neither imports the other's framework.

boto3 is imported on the first client only (its import costs ~0.3-1 s of cold start that image-bytes requests
never pay)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from function.errors import InvalidImage, S3AccessDenied, S3ObjectNotFound, S3ObjectTooLarge, S3Unavailable
from function.limits import S3_CHUNK_BYTES, S3_CONNECT_TIMEOUT_S, S3_READ_TIMEOUT_S

_NOT_FOUND = {"404", "NoSuchKey", "NoSuchBucket", "NotFound"}
_DENIED = {"403", "AccessDenied", "Forbidden", "AllAccessDisabled", "InvalidAccessKeyId", "SignatureDoesNotMatch"}
_S3_CODE = re.compile(r"^[A-Za-z0-9]{1,40}$")  # an S3 error code worth echoing (SlowDown, InternalError, 503)


@dataclass(frozen=True)
class S3Object:
    data: bytes
    etag: str  # without its quotes
    size: int  # HeadObject's ContentLength


def make_client(**client_kwargs: Any) -> Any:
    """An S3 client with short timeouts and one retry (boto3 imported here, on first use)."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"total_max_attempts": 2, "mode": "standard"},
                    connect_timeout=S3_CONNECT_TIMEOUT_S, read_timeout=S3_READ_TIMEOUT_S,
                    s3={"addressing_style": "path"} if client_kwargs.get("endpoint_url") else None)
    return boto3.client("s3", config=config, **client_kwargs)


def s3_error(exc: Exception, field: str | None) -> Exception:
    """The service error for a botocore exception (ClientError by code/status, anything else unavailable)."""
    from botocore.exceptions import ClientError

    if not isinstance(exc, ClientError):
        return S3Unavailable("S3 could not be reached.", field=field)
    code = str(exc.response.get("Error", {}).get("Code", ""))
    status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    if code in _NOT_FOUND or status == "404":
        return S3ObjectNotFound("The S3 object does not exist.", field=field)
    if code in _DENIED or status == "403":
        if "kms" in str(exc.response.get("Error", {}).get("Message", "")).lower():  # SSE-KMS without kms:Decrypt
            return S3AccessDenied("This service may not read that S3 object: it is encrypted with a KMS key the "
                                  "service's role may not use (kms:Decrypt).", field=field)
        return S3AccessDenied("This service may not read that S3 object.", field=field)
    if code == "InvalidRange":  # a ranged GET of an object that became empty after HeadObject
        return InvalidImage("The S3 object is empty (0 bytes): not an image.", field=field)
    shown = code if _S3_CODE.match(code) else status if _S3_CODE.match(status) else "no code"
    return S3Unavailable(f"S3 refused the read ({shown}).", field=field)


def read_object(client: Any, bucket: str, key: str, max_bytes: int, stop_at: float = float("inf"),
                field: str | None = None) -> S3Object:
    """The object's bytes, ETag and size; raises S3ObjectTooLarge (from HeadObject, or when the body outgrows the
    cap), InvalidImage (an empty object), S3ObjectNotFound, S3AccessDenied or S3Unavailable (also when `stop_at`
    passes during the read)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        head = client.head_object(Bucket=bucket, Key=key)
        size = int(head["ContentLength"])
        if size > max_bytes:
            raise S3ObjectTooLarge(f"The S3 object is {size:,} bytes; the limit is {max_bytes:,} bytes.", field=field)
        if size == 0:  # a ranged GET of nothing is S3's 416 InvalidRange: the object's fault, not S3's
            raise InvalidImage("The S3 object is empty (0 bytes): not an image.", field=field)
        got = client.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{max_bytes}",
                                **({"IfMatch": head["ETag"]} if head.get("ETag") else {}))
        body = got["Body"]
        chunks, total = [], 0
        try:
            for chunk in body.iter_chunks(S3_CHUNK_BYTES):
                chunks.append(chunk)
                total += len(chunk)
                if total > max_bytes or time.monotonic() > stop_at:
                    break
        finally:
            body.close()
    except (ClientError, BotoCoreError) as exc:
        raise s3_error(exc, field) from None
    if time.monotonic() > stop_at:
        raise S3Unavailable("S3 did not answer in time.", field=field)
    if total > max_bytes:
        raise S3ObjectTooLarge(f"The S3 object is larger than the limit of {max_bytes:,} bytes.", field=field)
    return S3Object(b"".join(chunks), str(head.get("ETag", "")).strip('"'), size)
