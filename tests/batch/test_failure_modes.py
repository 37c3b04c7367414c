"""The batch path's failure modes (issue #26) on moto S3 with the real buffalo_sc pack: whatever one photo, S3 or the
sandbox does, a Distributed Map batch retried as the state machine retries it (and an SQS record redelivered as SQS
redelivers it) ends with exactly one line per photo, and the run completes.

S3's answers that moto cannot give (403 for one object, a failed PutObject) are made by a botocore `before-call`
hook on the client the batch code itself uses, answering that one call as S3 would."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from function.batch.core import BatchJob, Options
from function.batch.events import map_event, sqs_s3_event
from function.batch.handler import BatchHandler, BatchIncomplete, S3Output
from function.batch.lines import MAX_PHOTO_TRIES, PhotoLine
from function.batch.sources import Photo, PhotoRef, S3Reader
from function.startup import build_service
from tests.support.photos import DATA
from tests.support.s3fixtures import moto_s3

IN, OUT = "modes-in", "modes-out"
MAX_BYTES = 250_000
GOOD = DATA.root / "lfw" / "Abdullah_Gul" / "Abdullah_Gul_0001.jpg"
RETRIES = 10  # the state machine's Retry of BatchIncomplete (template.yaml): MaxAttempts 10, so 11 invocations


def padded(size: int) -> bytes:
    good = GOOD.read_bytes()
    return good + b"\0" * (size - len(good))  # a valid JPEG with trailing bytes, `size` bytes in all


PHOTOS = {
    "p/good.jpg": GOOD.read_bytes(),
    "p/zero-byte.jpg": b"",
    "p/one-byte.jpg": b"\xff",
    "p/a key with spaces and ünïcödé 人脸.jpg": GOOD.read_bytes(),
    "p/at-the-cap.jpg": padded(MAX_BYTES),
    "p/one-over-the-cap.jpg": padded(MAX_BYTES + 1),
    "p/denied.jpg": GOOD.read_bytes(),
    "p/deleted.jpg": GOOD.read_bytes(),
}
EXPECTED = {"p/good.jpg": None, "p/zero-byte.jpg": "INVALID_IMAGE", "p/one-byte.jpg": "INVALID_IMAGE",
            "p/a key with spaces and ünïcödé 人脸.jpg": None, "p/at-the-cap.jpg": None,
            "p/one-over-the-cap.jpg": "S3_OBJECT_TOO_LARGE", "p/denied.jpg": "S3_ACCESS_DENIED",
            "p/deleted.jpg": "S3_OBJECT_NOT_FOUND"}


class Context:
    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def s3_answers(client: Any, operation: str, status: int, code: str, when: Callable[[dict[str, Any]], bool],
               message: str = "") -> list[int]:
    """Make `client` answer the `operation` calls whose serialized request matches `when` with S3's error `code`
    (and count them)."""
    hits: list[int] = []

    def answer(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if not when(params):
            return None
        hits.append(1)
        return (AWSResponse("https://s3.amazonaws.com", status, {}, None),
                {"Error": {"Code": code, "Message": message or code}, "ResponseMetadata": {"HTTPStatusCode": status}})

    client.meta.events.register(f"before-call.s3.{operation}", answer)
    return hits


@pytest.fixture(scope="module")
def aws(monkeypatch_module) -> Iterator[Any]:
    with moto_s3(monkeypatch_module, IN, OUT) as client:
        yield client


@pytest.fixture()
def prefix(aws, request) -> str:
    """The photos under a prefix of this test's own, listed, then p/deleted.jpg deleted (between list and read)."""
    base = request.node.name.replace("[", "-").replace("]", "") + "/"
    for key, data in PHOTOS.items():
        aws.put_object(Bucket=IN, Key=base + key, Body=data)
    return base


@pytest.fixture(scope="module")
def service(settings, engine):
    return build_service(settings, engine, "buffalo_sc")


def make_handler(service, deadline_s: float = 10.0) -> BatchHandler:
    reader = S3Reader(MAX_BYTES, (IN,))
    s3_answers(reader.client(), "HeadObject", 403, "AccessDenied", lambda p: p["url_path"].endswith("/p/denied.jpg"))
    return BatchHandler(BatchJob(service, "buffalo_sc", Options(), deadline_s), reader,
                        S3Output(f"s3://{OUT}/results/", S3Reader(MAX_BYTES)), reserve_s=1.0)


def listed_then_one_deleted(aws, prefix: str) -> list[tuple[str, int, str]]:
    objs = aws.list_objects_v2(Bucket=IN, Prefix=prefix)["Contents"]
    aws.delete_object(Bucket=IN, Key=prefix + "p/deleted.jpg")
    return [(o["Key"], o["Size"], o["ETag"].strip('"')) for o in objs]


def run_like_the_map(handler: BatchHandler, event: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Invoke as the state machine does: again on BatchIncomplete (and on a crash, Sandbox.Timedout), at most
    RETRIES more times. (summary, invocations)."""
    for attempt in range(1, RETRIES + 2):
        try:
            return handler(event, Context()), attempt
        except (BatchIncomplete, Crash):
            continue
    raise AssertionError("the batch did not complete within the state machine's retries")


def lines_of(aws, uri: str) -> list[PhotoLine]:
    prefix = uri.split("/", 3)[3]
    keys = [o["Key"] for o in aws.list_objects_v2(Bucket=OUT, Prefix=prefix).get("Contents", [])]
    return [PhotoLine.model_validate_json(x) for k in keys
            for x in aws.get_object(Bucket=OUT, Key=k)["Body"].read().splitlines()]


def verdicts(lines: list[PhotoLine], prefix: str) -> dict[str, str | None]:
    assert len({x.key for x in lines}) == len(lines), "a photo has two lines"
    return {x.key.removeprefix(prefix): x.error.code if x.error else None for x in lines}


def test_every_failure_of_a_photo_is_its_line(aws, prefix, service) -> None:
    handler = make_handler(service)
    summary, invocations = run_like_the_map(handler, map_event(IN, listed_then_one_deleted(aws, prefix), run="modes"))
    assert invocations == 1 and summary["left"] == 0  # none of these is worth a retry
    lines = lines_of(aws, summary["output"])
    assert verdicts(lines, prefix) == EXPECTED
    unicode_line = next(x for x in lines if "ünïcödé" in x.key)
    assert unicode_line.faces and unicode_line.key == prefix + "p/a key with spaces and ünïcödé 人脸.jpg"
    assert next(x for x in lines if x.key.endswith("one-over-the-cap.jpg")).size == MAX_BYTES + 1


def test_sqs_records_of_the_same_photos(aws, prefix, service) -> None:
    """The same photos as S3 notifications (keys URL-encoded as S3 sends them): no record fails."""
    handler = make_handler(service)
    event = sqs_s3_event([(IN, k, s, e) for k, s, e in listed_then_one_deleted(aws, prefix)])
    assert handler(event, Context())["batchItemFailures"] == []
    ids = {r["messageId"] for r in event["Records"]}
    lines = [x for i in ids for x in lines_of(aws, f"s3://{OUT}/results/sqs/{i}.jsonl")]
    assert verdicts(lines, prefix) == EXPECTED


def test_access_denied_by_a_kms_key_says_so(aws, prefix, service) -> None:
    reader = S3Reader(MAX_BYTES, (IN,))
    s3_answers(reader.client(), "GetObject", 403, "AccessDenied", lambda p: True,
               "The ciphertext refers to a customer master key that does not exist... (Service: AWSKMS)")
    job = BatchJob(service, "buffalo_sc", Options(), 10.0)
    (line,) = job.run([PhotoRef(prefix + "p/good.jpg", IN)], reader).lines
    assert line.error and line.error.code == "S3_ACCESS_DENIED" and "kms:Decrypt" in line.error.message


class SlowReader(S3Reader):
    """One photo whose read outlasts its deadline, every time (S3 as slow as it ever gets)."""

    def __init__(self, slow_key: str, seconds: float) -> None:
        super().__init__(MAX_BYTES, (IN,))
        self.slow_key, self.seconds = slow_key, seconds

    def read(self, ref: PhotoRef, stop_at: float = float("inf")) -> Photo:
        if ref.key == self.slow_key:
            time.sleep(self.seconds)
        return super().read(ref, stop_at)


def test_a_photo_that_always_times_out_ends_as_its_line(aws, prefix, service) -> None:
    deadline = 5.0  # one ordinary photo must finish well inside it, also on a loaded machine (failed at 3.0, load ~8)
    keys = [prefix + "p/good.jpg", prefix + "p/a key with spaces and ünïcödé 人脸.jpg"]
    items = [(o["Key"], o["Size"], o["ETag"].strip('"')) for o in aws.list_objects_v2(Bucket=IN, Prefix=prefix)["Contents"]
             if o["Key"] in keys]
    handler = make_handler(service, deadline)
    handler.reader = SlowReader(keys[0], deadline + 0.5)
    summary, invocations = run_like_the_map(handler, map_event(IN, items, run="slow"))
    assert invocations == MAX_PHOTO_TRIES and summary["left"] == 0 and summary["reused"] == 1
    lines = {x.key: x for x in lines_of(aws, summary["output"])}
    assert set(lines) == set(keys)
    slow = lines[keys[0]]
    assert slow.error and slow.error.code == "DEADLINE_EXCEEDED" and slow.tries == MAX_PHOTO_TRIES
    assert f"gave up after {MAX_PHOTO_TRIES} tries" in slow.error.message and lines[keys[1]].ok
    # SQS: the record fails (SQS delivers it again) until its MAX_PHOTO_TRIES-th receive, then the error is the line
    event = sqs_s3_event([(IN, keys[0], 0, "")])
    for receive in range(1, MAX_PHOTO_TRIES + 1):
        event["Records"][0]["attributes"]["ApproximateReceiveCount"] = str(receive)
        failed = handler(event, Context())["batchItemFailures"]
        assert len(failed) == (0 if receive == MAX_PHOTO_TRIES else 1)
    (line,) = lines_of(aws, f"s3://{OUT}/results/sqs/{event['Records'][0]['messageId']}.jsonl")
    assert line.error and line.error.code == "DEADLINE_EXCEEDED" and line.tries == MAX_PHOTO_TRIES


def test_a_result_write_failing_once(aws, prefix, service) -> None:
    handler = make_handler(service)
    hits = s3_answers(handler.output.reader.client(), "PutObject", 503, "SlowDown", lambda p: not hits)
    summary, invocations = run_like_the_map(handler, map_event(IN, listed_then_one_deleted(aws, prefix), run="put"))
    assert invocations == 2 and summary["left"] == 0 and len(hits) == 1
    assert verdicts(lines_of(aws, summary["output"]), prefix) == EXPECTED


class Crash(BaseException):
    """The sandbox dying mid-batch (out of memory, Sandbox.Timedout): nothing after it runs."""


def test_a_crash_mid_batch_then_the_retry(aws, prefix, service) -> None:
    handler = make_handler(service)
    put, calls = handler.output.put, []

    def crashing_put(name: str, lines: list[PhotoLine]) -> None:
        calls.append(name)
        if len(calls) == 4:
            raise Crash
        put(name, lines)

    handler.output.put = crashing_put  # type: ignore[method-assign]
    event = map_event(IN, listed_then_one_deleted(aws, prefix), run="crash")
    with pytest.raises(Crash):
        handler(event, Context())
    written = lines_of(aws, f"s3://{OUT}/results/map/crash/")
    assert len(written) == 3  # every photo finished before the crash is kept: only the one in flight is lost
    summary, _ = run_like_the_map(handler, event)
    assert summary["reused"] == 3 and summary["left"] == 0
    assert verdicts(lines_of(aws, summary["output"]), prefix) == EXPECTED


def test_the_api_answers_an_empty_s3_object_as_a_bad_image(aws, prefix, settings, engine) -> None:
    """image_s3 shares the read (function/s3read.py): a zero-byte object is the image's fault (400), not S3's (502)."""
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from function.api.app import create_app

    app = create_app(replace(settings, allowed_s3_buckets=(IN,), max_s3_bytes=MAX_BYTES), engine=engine)
    with TestClient(app) as api:
        r = api.post("/extract-embedding", json={"image_s3": f"s3://{IN}/{prefix}p/zero-byte.jpg"})
        assert r.status_code == 400 and r.json()["code"] == "INVALID_IMAGE" and r.json()["field"] == "image_s3", r.text
        r = api.post("/extract-embedding", json={"image_s3": f"s3://{IN}/{prefix}p/good.jpg"})
        assert r.status_code == 200, r.text


def test_wiring_the_queue_keeps_the_buckets_other_notifications(aws, capsys) -> None:
    """docs/bulk.md's wiring step: the bulk queue's entry merged into the bucket's configuration, never replacing it."""
    from function.batch import notify

    bucket = "wired-photos"
    aws.create_bucket(Bucket=bucket)
    theirs = {"TopicConfigurations": [{"Id": "their-topic", "TopicArn": "arn:aws:sns:us-east-1:123456789012:uploads",
                                       "Events": ["s3:ObjectRemoved:*"]}],
              "QueueConfigurations": [{"Id": "their-queue", "QueueArn": "arn:aws:sqs:us-east-1:123456789012:audit",
                                       "Events": ["s3:ObjectCreated:*"],
                                       "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "audit/"}]}}}]}
    aws.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=theirs)
    queue = "arn:aws:sqs:us-east-1:123456789012:face-BulkQueue"
    for _ in range(2):  # a rerun changes nothing
        assert notify.main([bucket, queue, "--prefix", "photos/"]) == 0
        now = aws.get_bucket_notification_configuration(Bucket=bucket)
        assert now["TopicConfigurations"][0]["Id"] == "their-topic"
        assert [q["Id"] for q in now["QueueConfigurations"]] == ["their-queue", notify.ENTRY_ID]
        ours = now["QueueConfigurations"][1]
        assert ours["QueueArn"] == queue and ours["Events"] == ["s3:ObjectCreated:*"]
        assert ours["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": "photos/"}]
    assert notify.main([bucket, "--remove"]) == 0
    now = aws.get_bucket_notification_configuration(Bucket=bucket)
    assert [q["Id"] for q in now["QueueConfigurations"]] == ["their-queue"] and now["TopicConfigurations"]
    assert '"bulk_queue": false' in capsys.readouterr().out


def test_a_retry_reads_back_only_what_it_can(aws, service) -> None:
    """With `all`, a batch's lines can outgrow the read cap; each photo's object stays one line, so the retry reads
    every one back (main's single batch object failed every retry with S3_OBJECT_TOO_LARGE)."""
    cap = 40_000
    groups = sorted(DATA.group.glob("*.jpg"))[:4]
    for p in groups:
        aws.put_object(Bucket=IN, Key=f"groups/{p.name}", Body=p.read_bytes())
    items = [(o["Key"], o["Size"], o["ETag"].strip('"')) for o in aws.list_objects_v2(Bucket=IN, Prefix="groups/")["Contents"]]
    handler = BatchHandler(BatchJob(service, "buffalo_sc", Options(all_faces=True), 10.0), S3Reader(MAX_BYTES, (IN,)),
                           S3Output(f"s3://{OUT}/results/", S3Reader(cap)), reserve_s=1.0)
    event = map_event(IN, items, run="groups")
    first, _ = run_like_the_map(handler, event)
    objects = aws.list_objects_v2(Bucket=OUT, Prefix=first["output"].split("/", 3)[3])["Contents"]
    assert sum(o["Size"] for o in objects) > cap >= max(o["Size"] for o in objects)  # the batch is larger than the cap
    again, invocations = run_like_the_map(handler, event)
    assert invocations == 1 and again["reused"] == len(groups) and again["faces"] == first["faces"] >= 2 * len(groups)


def test_an_earlier_result_that_cannot_be_read_is_done_again(aws, prefix, service) -> None:
    handler = make_handler(service)
    ok = [prefix + "p/good.jpg", prefix + "p/at-the-cap.jpg"]
    items = [(o["Key"], o["Size"], o["ETag"].strip('"')) for o in aws.list_objects_v2(Bucket=IN, Prefix=prefix)["Contents"]
             if o["Key"] in ok]
    event = map_event(IN, items, run="unreadable")
    run_like_the_map(handler, event)
    hits = s3_answers(handler.output.reader.client(), "HeadObject", 403, "AccessDenied", lambda p: True)
    again, invocations = run_like_the_map(handler, event)  # every earlier object denied: each photo is redone
    assert invocations == 1 and again["reused"] == 0 and again["left"] == 0 and hits
    lines = lines_of(aws, again["output"])
    assert sorted(x.key for x in lines) == sorted(ok) and all(x.ok for x in lines)


class CountingReader(S3Reader):
    def __init__(self) -> None:
        super().__init__(MAX_BYTES, (IN,))
        self.reads: list[str] = []

    def read(self, ref: PhotoRef, stop_at: float = float("inf")) -> Photo:
        self.reads.append(ref.key)
        return super().read(ref, stop_at)


def test_a_record_delivered_again_after_its_write_is_not_embedded_again(aws, prefix, service) -> None:
    """An invocation that wrote a record's lines and then died leaves the record in the queue: the next receive finds
    its object and succeeds without reading the photo again."""
    handler = make_handler(service)
    handler.reader = reader = CountingReader()
    event = sqs_s3_event([(IN, prefix + "p/good.jpg", 0, "")])
    assert handler(event, Context())["batchItemFailures"] == [] and len(reader.reads) == 1
    event["Records"][0]["attributes"]["ApproximateReceiveCount"] = "2"
    assert handler(event, Context())["batchItemFailures"] == [] and len(reader.reads) == 1
    (line,) = lines_of(aws, f"s3://{OUT}/results/sqs/{event['Records'][0]['messageId']}.jsonl")
    assert line.ok and line.key == prefix + "p/good.jpg"
