"""The batch Lambda function: `function.batch.handler.handler` (template.yaml's BatchFunction, same image as the
API, its own ImageConfig.Command). Two triggers, one job; each photo's line is written as soon as it is done, as an
object of its own, so a crash, a time-out or a failed write loses at most the photo in flight, and a retry reads
back only small objects (one photo's line each, far under MAX_S3_BYTES whatever `all` finds).

* Step Functions Distributed Map with an ItemBatcher: `{"Items": [{"Key", "Size", "Etag", ...}], "BatchInput":
  {"bucket": ..., "run": <execution name>}}`. Each photo's line goes to
  `<BATCH_OUTPUT>map/<run>/<batch>/<sha256 of the key>.jsonl`, `<batch>` a hash of bucket, keys, model and options,
  so the Map's retry of a batch (or a redriven run) finds the lines already written and keeps the final ones of the
  same key and ETag: photos are not embedded twice. When time runs short, a photo meets a transient error
  (S3_UNAVAILABLE, DEADLINE_EXCEEDED) or a write fails, the invocation fails with `BatchIncomplete`, which the
  state machine retries; a photo whose transient error comes back MAX_PHOTO_TRIES times keeps it as its line.
* SQS records whose bodies are S3 event notifications (Powertools' BatchProcessor, partial batch response): each
  record's lines go to `<BATCH_OUTPUT>sqs/<message id>.jsonl` as soon as the record is done (a record SQS delivers
  again after that is not embedded again). A record fails (and SQS delivers it again, then to the dead-letter
  queue) when its body is not an S3 notification, when its lines cannot be written, when the time left no longer
  holds a photo's deadline, or when one of its photos meets a transient error on a receive before the
  MAX_PHOTO_TRIES-th (from then on the error is the photo's line).

Logs carry counts and the output folder's or object's name (hashes and message ids), never a key, an ETag or an
embedding.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

from function.awslambda.logs import configure_logging
from function.config import Settings
from function.errors import InvalidRequest, S3ObjectNotFound, ServiceError

from .core import BatchJob, Options, Outcome, load_job
from .lines import PhotoLine
from .sources import PhotoRef, S3Reader, parse_s3_prefix

log = logging.getLogger("function")
_RUN = re.compile(r"[^A-Za-z0-9._-]")


class BatchIncomplete(Exception):  # its name is the error the state machine's Retry matches
    """Some photos of a Distributed Map batch are left for the Map's retry (time ran out, a transient error, or a
    result write failed)."""


class RecordNotFinished(Exception):
    """An SQS record left for SQS to deliver again."""


class OutputUnavailable(Exception):
    """The results bucket could not be listed or written (the batch or record is retried)."""


def batch_name(parts: list[Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:40]


def part_name(key: str) -> str:
    """The object name of one photo's line in its batch's folder (a hash: keys stay out of object names)."""
    return hashlib.sha256(key.encode()).hexdigest()[:32] + ".jsonl"


class S3Output:
    """Result objects under s3://bucket/prefix/ (SSE and retention are the bucket's: template.yaml)."""

    def __init__(self, uri: str, reader: S3Reader) -> None:
        if not uri:
            raise InvalidRequest("BATCH_OUTPUT is empty: the batch function needs s3://bucket/prefix/ to write to.")
        self.bucket, prefix = parse_s3_prefix(uri)
        self.prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self.reader = reader

    def uri(self, name: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}{name}"

    def put(self, name: str, lines: list[PhotoLine]) -> None:
        """One object holding `lines` (whole or absent: one PutObject); OutputUnavailable when S3 refuses it."""
        from botocore.exceptions import BotoCoreError, ClientError

        body = "".join(line.json_line() for line in lines).encode()
        try:
            self.reader.client().put_object(Bucket=self.bucket, Key=self.prefix + name, Body=body,
                                            ContentType="application/x-ndjson")
        except (ClientError, BotoCoreError) as exc:
            raise OutputUnavailable(f"the result object could not be written ({type(exc).__name__})") from None

    def exists(self, name: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.reader.client().head_object(Bucket=self.bucket, Key=self.prefix + name)
        except ClientError as exc:
            if str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "")) == "404":
                return False
            raise OutputUnavailable(f"the results bucket could not be read ({type(exc).__name__})") from None
        except BotoCoreError as exc:
            raise OutputUnavailable(f"the results bucket could not be read ({type(exc).__name__})") from None
        return True

    def get(self, name: str) -> list[PhotoLine]:
        """The lines of an earlier object, or [] when there is none or it cannot be read (its photos are redone)."""
        try:
            photo = self.reader.read(PhotoRef(self.prefix + name, self.bucket), float("inf"))
            return [PhotoLine.model_validate_json(line) for line in photo.data.splitlines() if line.strip()]
        except S3ObjectNotFound:
            return []
        except (ServiceError, ValueError) as exc:
            log.warning("batch: an earlier result object was unreadable (%s); its photos are done again",
                        getattr(exc, "code", type(exc).__name__))
            return []

    def under(self, folder: str) -> list[PhotoLine]:
        """Every line of the objects under `folder` (an earlier attempt of a batch)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            pages = self.reader.client().get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix + folder)
            names = [obj["Key"][len(self.prefix):] for page in pages for obj in page.get("Contents", [])]
        except (ClientError, BotoCoreError) as exc:
            raise OutputUnavailable(f"the results bucket could not be listed ({type(exc).__name__})") from None
        return [line for name in names for line in self.get(name)]


def map_refs(event: dict[str, Any]) -> tuple[list[PhotoRef], str, str]:
    """(photos, bucket, run) from an ItemBatcher batch."""
    batch_input = event.get("BatchInput") or {}
    bucket = batch_input.get("bucket") or batch_input.get("Bucket")
    if not isinstance(bucket, str) or not bucket:
        raise InvalidRequest("The Map batch has no BatchInput.bucket.")
    run = _RUN.sub("_", str(batch_input.get("run") or "default"))[:80]
    refs = []
    for item in event["Items"]:
        key = item.get("Key") if isinstance(item, dict) else None
        if not isinstance(key, str) or not key:
            raise InvalidRequest("A Map item has no Key.")
        if key.endswith("/"):
            continue
        etag = item.get("Etag") or item.get("ETag")
        refs.append(PhotoRef(key, bucket, item.get("Size"), str(etag).strip('"') or None if etag else None))
    return refs, bucket, run


def s3_event_refs(body: str) -> list[PhotoRef]:
    """The photos of an S3 event notification (keys URL-decoded as S3 encodes them); [] for s3:TestEvent."""
    doc = json.loads(body)
    if doc.get("Event") == "s3:TestEvent":
        return []
    refs = []
    for rec in doc["Records"]:
        if not str(rec.get("eventName", "ObjectCreated")).startswith("ObjectCreated"):
            continue
        s3 = rec["s3"]
        key = unquote_plus(s3["object"]["key"])
        if key.endswith("/"):
            continue
        etag = s3["object"].get("eTag")
        refs.append(PhotoRef(key, s3["bucket"]["name"], s3["object"].get("size") or None, str(etag) if etag else None))
    return refs


class BatchHandler:
    def __init__(self, job: BatchJob, reader: S3Reader, output: S3Output, reserve_s: float) -> None:
        self.job = job
        self.reader = reader
        self.output = output
        self.reserve_s = reserve_s

    @classmethod
    def from_settings(cls, settings: Settings, job: BatchJob | None = None) -> BatchHandler:
        client_kwargs = settings.s3_client_kwargs()
        reader = S3Reader(settings.max_s3_bytes, settings.allowed_s3_buckets, client_kwargs)
        if not settings.allowed_s3_buckets:
            raise InvalidRequest("ALLOWED_S3_BUCKETS is empty: the batch function reads only the buckets named there.")
        return cls(job or load_job(settings, Options.from_settings(settings)), reader,
                   S3Output(settings.batch_output, S3Reader(settings.max_s3_bytes, (), client_kwargs)),
                   settings.batch_reserve_s)

    def time_left(self, context: Any) -> Callable[[], float]:
        if context is None or not hasattr(context, "get_remaining_time_in_millis"):
            return lambda: float("inf")
        return lambda: context.get_remaining_time_in_millis() / 1000.0 - self.reserve_s

    def __call__(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        if isinstance(event, dict) and "Items" in event:
            return self.handle_map(event, context)
        records = event.get("Records") if isinstance(event, dict) else None
        if isinstance(records, list) and records and all(r.get("eventSource") == "aws:sqs" for r in records):
            return self.handle_sqs(event, context)
        raise InvalidRequest("Not a Distributed Map batch ({\"Items\": [...]}) nor an SQS event.")

    # -- Step Functions Distributed Map ----------------------------------------------------------------------------
    def handle_map(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        refs, bucket, run = map_refs(event)
        folder = f"map/{run}/" + batch_name([bucket, sorted(r.key for r in refs), self.job.model,
                                              self.job.options.describe()]) + "/"
        try:
            earlier = {line.key: line for line in self.output.under(folder)}
        except OutputUnavailable as exc:
            raise BatchIncomplete(f"{len(refs)} photos left for the retry: {exc}") from None
        kept, tries = {}, {}
        for r in refs:
            line = earlier.get(r.key)
            if line is not None and not line.transient and r.etag and line.etag == r.etag:
                kept[r.key] = line  # a final line of the same object
            elif line is not None and line.transient:
                tries[r.key] = line.tries or 1  # counted by key: an item without an ETag cannot loop either
        todo = [r for r in refs if r.key not in kept]
        done: list[PhotoLine] = []
        left, failed_write = 0, ""
        try:
            for item in self.job.lines(todo, self.reader, self.time_left(context)):
                if isinstance(item, PhotoRef):
                    left += 1
                    continue
                line = item.tried(tries.get(item.key, 0) + 1)
                self.output.put(folder + part_name(line.key), [line])
                done.append(line)
                left += line.transient
        except OutputUnavailable as exc:
            failed_write = str(exc)
            left = len(todo) - len(done) + sum(1 for x in done if x.transient)
        lines = list(kept.values()) + [x for x in done if not x.transient]
        summary = {"output": self.output.uri(folder), "photos": len(refs), "written": len(kept) + len(done),
                   "reused": len(kept), "faces": sum(len(x.faces or ()) for x in lines),
                   "errors": sum(1 for x in lines if not x.ok), "left": left}
        log.info("batch map: %s", json.dumps(summary))
        if left:
            why = failed_write or "time ran out or a transient error"
            raise BatchIncomplete(f"{left} of {len(refs)} photos left for the retry ({why}); "
                                  f"{len(lines)} done in {self.output.uri(folder)}")
        return summary

    # -- SQS with S3 event notifications -----------------------------------------------------------------------------
    def handle_sqs(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
        from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

        time_left = self.time_left(context)
        written: list[PhotoLine] = []
        ids: list[str] = []

        def record_handler(record: SQSRecord) -> None:
            name = f"sqs/{_RUN.sub('_', record.message_id)}.jsonl"
            if self.output.exists(name):  # written by an invocation that ended before SQS deleted the record
                ids.append(record.message_id)
                return
            outcome = self.job.run(s3_event_refs(record.body), self.reader, time_left)
            if outcome.unfinished:
                raise RecordNotFinished("the time left does not hold another photo")
            receives = int(record.attributes.approximate_receive_count or 1)
            lines = [line.tried(receives) for line in outcome.lines]
            if any(line.transient for line in lines):
                raise RecordNotFinished("a photo met a transient error")
            if lines:
                self.output.put(name, lines)
            written.extend(lines)
            ids.append(record.message_id)

        processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        response = process_partial_response(event, record_handler, processor, context)
        log.info("batch sqs: %s", json.dumps({"output": self.output.uri("sqs/"), "records": len(ids),
                                              "photos": len(written), "failed": len(response["batchItemFailures"]),
                                              "errors": sum(1 for x in written if not x.ok)}))
        return dict(response)


_handler: BatchHandler | None = None


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """The Lambda entry point; the job (model pack) is loaded once per sandbox, in the init phase on Lambda."""
    global _handler
    if _handler is None:
        _handler = BatchHandler.from_settings(Settings.from_env())
    return _handler(event, context)


if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):  # Lambda's init phase: load the pack before the first event
    _settings = Settings.from_env()
    configure_logging(_settings.log_level)
    _handler = BatchHandler.from_settings(_settings)

__all__ = ["BatchHandler", "BatchIncomplete", "Outcome", "handler"]
