"""The batch Lambda function: `function.batch.handler.handler` (template.yaml's BatchFunction, same image as the
API, its own ImageConfig.Command). Two triggers, one job:

* Step Functions Distributed Map with an ItemBatcher: `{"Items": [{"Key", "Size", "Etag", ...}], "BatchInput":
  {"bucket": ..., "run": <execution name>}}`. The batch's lines go to one object,
  `<BATCH_OUTPUT>map/<run>/<sha256 of bucket, keys, model and options>.jsonl`, so the Map's retry of a batch (or a
  redriven run) overwrites it. A retry first reads that object back and keeps its final lines (answers and
  permanent errors of the same key and ETag): photos are not embedded twice. When time runs short or a photo meets
  a transient error (S3_UNAVAILABLE, DEADLINE_EXCEEDED), the lines done so far are written (one PutObject: an object
  is whole or absent) and the invocation fails with `BatchIncomplete`, which the state machine retries.
* SQS records whose bodies are S3 event notifications (Powertools' BatchProcessor, partial batch response): a
  record fails (and SQS delivers it again, then to the dead-letter queue) when its body is not an S3 notification,
  when one of its photos meets a transient error, or when the time left no longer holds a photo's deadline. The
  lines of the records that succeeded go to `<BATCH_OUTPUT>sqs/<sha256 of their message ids>.jsonl`, written
  before the response: if the write fails the invocation fails and every record comes back.

Logs carry counts and the output object's name (a hash), never a key, an ETag or an embedding.
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
from function.errors import InvalidRequest, S3ObjectNotFound

from .core import BatchJob, Options, Outcome, load_job
from .lines import PhotoLine
from .sources import PhotoRef, S3Reader, parse_s3_prefix

log = logging.getLogger("function")
_RUN = re.compile(r"[^A-Za-z0-9._-]")


class BatchIncomplete(Exception):  # its name is the error the state machine's Retry matches
    """Some photos of a Distributed Map batch are left for the Map's retry (time ran out, or a transient error)."""


class RecordNotFinished(Exception):
    """An SQS record left for SQS to deliver again."""


def batch_name(parts: list[Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:40]


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
        body = "".join(line.json_line() for line in lines).encode()
        self.reader.client().put_object(Bucket=self.bucket, Key=self.prefix + name, Body=body,
                                        ContentType="application/x-ndjson")

    def get(self, name: str) -> list[PhotoLine]:
        """The lines of an earlier attempt, or [] when there is none."""
        try:
            photo = self.reader.read(PhotoRef(self.prefix + name, self.bucket), float("inf"))
        except S3ObjectNotFound:
            return []
        return [PhotoLine.model_validate_json(line) for line in photo.data.splitlines() if line.strip()]


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
        name = f"map/{run}/" + batch_name([bucket, sorted(r.key for r in refs), self.job.model,
                                            self.job.options.describe()]) + ".jsonl"
        earlier = {(line.key, line.etag): line for line in self.output.get(name) if not line.transient}
        kept = {r.key: earlier[(r.key, r.etag)] for r in refs if r.etag and (r.key, r.etag) in earlier}
        todo = [r for r in refs if r.key not in kept]
        outcome = self.job.run(todo, self.reader, self.time_left(context))
        done = {line.key: line for line in outcome.lines}
        lines = [kept.get(r.key) or done[r.key] for r in refs if r.key in kept or r.key in done]
        self.output.put(name, lines)
        transient = sum(1 for line in outcome.lines if line.transient)
        left = len(outcome.unfinished) + transient
        summary = {"output": self.output.uri(name), "photos": len(refs), "written": len(lines),
                   "reused": len(kept), "faces": sum(len(x.faces or ()) for x in lines),
                   "errors": sum(1 for x in lines if not x.ok), "left": left}
        log.info("batch map: %s", json.dumps(summary))
        if left:
            raise BatchIncomplete(f"{left} of {len(refs)} photos left for the retry (time ran out or a transient "
                                  f"error); {len(lines) - transient} done in {self.output.uri(name)}")
        return summary

    # -- SQS with S3 event notifications -----------------------------------------------------------------------------
    def handle_sqs(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
        from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

        time_left = self.time_left(context)
        written: list[PhotoLine] = []
        ids: list[str] = []

        def record_handler(record: SQSRecord) -> None:
            refs = s3_event_refs(record.body)
            outcome = self.job.run(refs, self.reader, time_left)
            if outcome.unfinished:
                raise RecordNotFinished("the time left does not hold another photo")
            if any(line.transient for line in outcome.lines):
                raise RecordNotFinished("a photo met a transient error")
            written.extend(outcome.lines)
            ids.append(record.message_id)

        processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        response = process_partial_response(event, record_handler, processor, context)
        if written:
            name = "sqs/" + batch_name(sorted(ids)) + ".jsonl"
            self.output.put(name, written)
            log.info("batch sqs: %s", json.dumps({"output": self.output.uri(name), "records": len(ids),
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
