"""Bulk embedding (issue #20) on moto S3 with the real buffalo_sc pack and real photos: the batch core's one line per
photo, the Distributed Map and SQS shapes through the handler (retries, partial failures, running out of time), and
the CLI's resume."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from function.batch import __main__ as cli
from function.batch.core import BatchJob, Options
from function.batch.events import map_event, sqs_event, sqs_s3_event
from function.batch.handler import BatchHandler, BatchIncomplete, S3Output
from function.batch.lines import PhotoLine, decode_embedding
from function.batch.sources import LocalReader, S3Reader
from function.startup import build_service
from tests.support.photos import DATA
from tests.support.s3fixtures import moto_s3

IN, OUT = "bulk-in", "bulk-out"
MAX_BYTES = 250_000
GOOD = DATA.root / "lfw" / "Abdullah_Gul" / "Abdullah_Gul_0001.jpg"
GROUP = DATA.group / "dlib_2008_001322.jpg"  # 3 annotated faces
NOFACE = DATA.noface_photos[0]


def photos() -> dict[str, bytes]:
    good = GOOD.read_bytes()
    return {
        "in/good.jpg": good,
        "in/corrupt.jpg": good[: len(good) // 3],  # a JPEG cut short
        "in/oversized.jpg": good + b"\0" * MAX_BYTES,  # a valid JPEG with trailing bytes: over the cap by size alone
        "in/noface.jpg": NOFACE.read_bytes(),
        "in/group.jpg": GROUP.read_bytes(),
    }


EXPECTED_SINGLE = {"in/good.jpg": None, "in/corrupt.jpg": "INVALID_IMAGE", "in/oversized.jpg": "S3_OBJECT_TOO_LARGE",
                   "in/noface.jpg": "NO_FACE", "in/group.jpg": "MULTIPLE_FACES"}


class Context:
    """A Lambda context whose remaining time follows a script: one value per call, the last one repeating."""

    def __init__(self, *ms: int) -> None:
        self.ms = list(ms)

    def get_remaining_time_in_millis(self) -> int:
        return self.ms.pop(0) if len(self.ms) > 1 else self.ms[0]


@pytest.fixture(scope="module")
def aws(monkeypatch_module):
    with moto_s3(monkeypatch_module, IN, OUT, "not-allowed") as client:
        for key, data in photos().items():
            client.put_object(Bucket=IN, Key=key, Body=data)
        client.put_object(Bucket=IN, Key="in/folder/", Body=b"")  # a console "folder": not a photo
        client.put_object(Bucket="not-allowed", Key="x.jpg", Body=GOOD.read_bytes())
        yield client


@pytest.fixture(scope="module")
def service(settings, engine):
    return build_service(settings, engine, "buffalo_sc")


def job(service, **options) -> BatchJob:
    return BatchJob(service, "buffalo_sc", Options(**options), deadline_s=10.0)


def handler(service, **options) -> BatchHandler:
    return BatchHandler(job(service, **options), S3Reader(MAX_BYTES, (IN,)), S3Output(f"s3://{OUT}/results/",
                        S3Reader(MAX_BYTES)), reserve_s=1.0)


def listed(aws) -> list[tuple[str, int, str]]:
    objs = aws.list_objects_v2(Bucket=IN, Prefix="in/")["Contents"]
    return [(o["Key"], o["Size"], o["ETag"].strip('"')) for o in objs]


def read_lines(aws, uri: str) -> list[PhotoLine]:
    """The lines of one result object, or of every object under a folder (a Map batch's: one per photo), in key
    order of the photos."""
    bucket, _, key = uri[5:].partition("/")
    keys = [o["Key"] for o in aws.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])]
    bodies = [aws.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys]
    return sorted((PhotoLine.model_validate_json(x) for body in bodies for x in body.splitlines()), key=lambda x: x.key)


def objects(aws, uri: str) -> dict[str, bytes]:
    bucket, _, key = uri[5:].partition("/")
    keys = [o["Key"] for o in aws.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])]
    return {k: aws.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}


def outcome(lines: list[PhotoLine]) -> dict[str, str | None]:
    return {x.key: None if x.ok else x.error.code for x in lines}  # type: ignore[union-attr]


# -- the core ------------------------------------------------------------------------------------------------------

def test_prefix_one_line_per_photo_with_the_right_outcome(aws, service, client) -> None:
    reader = S3Reader(MAX_BYTES)
    refs = list(reader.list(IN, "in/"))
    assert [r.key for r in refs] == sorted(photos())  # the folder marker is not a photo
    result = job(service).run(refs, reader)
    assert not result.unfinished and outcome(result.lines) == EXPECTED_SINGLE
    by_key = {x.key: x for x in result.lines}
    good = by_key["in/good.jpg"]
    assert good.etag == aws.head_object(Bucket=IN, Key="in/good.jpg")["ETag"].strip('"')
    assert good.size == GOOD.stat().st_size and good.model == "buffalo_sc" and good.faces and len(good.faces) == 1
    vector = decode_embedding(good.faces[0].embedding)
    api = client.post("/extract-embedding", files={"image": GOOD.read_bytes()}).json()
    assert vector.dtype == np.float32 and vector.shape == (512,)
    assert np.array_equal(vector, np.asarray(api["embedding"], dtype=np.float32))  # the API's own answer, bit for bit
    assert good.faces[0].box == api["box"] and good.faces[0].quality.model_dump() == api["quality"]
    assert by_key["in/oversized.jpg"].size == len(photos()["in/oversized.jpg"])  # refused from HeadObject's size
    for line in result.lines:
        if not line.ok:
            assert line.faces is None and line.error and line.error.message


def test_all_faces_carry_every_face_the_api_finds(aws, service, client) -> None:
    reader = S3Reader(MAX_BYTES)
    lines = {x.key: x for x in job(service, all_faces=True).run(reader.list(IN, "in/"), reader).lines}
    group = lines["in/group.jpg"]
    api = client.post("/extract-embedding", params={"all": "true"}, files={"image": GROUP.read_bytes()}).json()
    assert group.ok and group.faces and group.face_count == api["face_count"] == len(group.faces) >= 3
    for face, theirs in zip(group.faces, api["faces"], strict=True):
        assert face.box == theirs["box"]
        assert np.array_equal(decode_embedding(face.embedding), np.asarray(theirs["embedding"], dtype=np.float32))
        assert abs(float(np.linalg.norm(decode_embedding(face.embedding))) - 1) < 1e-5
    assert outcome(list(lines.values()))["in/noface.jpg"] == "NO_FACE"
    largest = job(service, face="largest").run(reader.list(IN, "in/group"), reader).lines
    assert len(largest) == 1 and largest[0].faces and len(largest[0].faces) == 1


def test_local_folder_reads_within_the_same_limits(tmp_path, service) -> None:
    for key, data in photos().items():
        (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / key).write_bytes(data)
    (tmp_path / ".hidden.jpg").write_bytes(b"x")
    reader = LocalReader(tmp_path, MAX_BYTES)
    lines = job(service).run(reader.list(), reader).lines
    assert outcome(lines) == {**EXPECTED_SINGLE, "in/oversized.jpg": "PAYLOAD_TOO_LARGE"}
    assert all(x.etag is None and x.bucket is None for x in lines)


# -- Step Functions Distributed Map ---------------------------------------------------------------------------------

def test_map_batch_writes_one_object_per_photo_and_a_retry_adds_none(aws, service) -> None:
    h = handler(service)
    event = map_event(IN, listed(aws), run="run-1")
    first = h(event, Context(900_000))
    assert first["photos"] == 5 and first["written"] == 5 and first["left"] == 0 and first["reused"] == 0
    assert first["output"].startswith(f"s3://{OUT}/results/map/run-1/") and "in/" not in first["output"]
    lines = read_lines(aws, first["output"])
    assert [x.key for x in lines] == sorted(photos()) and outcome(lines) == EXPECTED_SINGLE  # no line for the folder
    before = objects(aws, first["output"])
    assert len(before) == 5 and all(body.count(b"\n") == 1 for body in before.values())
    assert not any("in/" in name or ".jpg" in name for name in before)  # object names are hashes, not keys
    again = h(event, Context(900_000))  # the Map retries a batch whole
    assert again["output"] == first["output"] and again["reused"] == 5 and again["written"] == 5
    assert objects(aws, first["output"]) == before  # reused, not redone nor duplicated


def test_map_batch_out_of_time_hands_the_rest_back(aws, service) -> None:
    h = handler(service)
    event = map_event(IN, listed(aws), run="run-2")
    with pytest.raises(BatchIncomplete, match="4 of 5 photos left"):
        h(event, Context(60_000, 500))  # time for one photo (10 s deadline + 1 s reserve), then not
    partial = read_lines(aws, f"s3://{OUT}/results/map/run-2/")
    assert len(partial) == 1 and partial[0].key == sorted(photos())[0]  # whole lines only, the first photo
    done = h(event, Context(900_000))  # the retry finishes the rest, keeping the line already written
    assert done["reused"] == 1 and done["left"] == 0
    full = read_lines(aws, done["output"])
    other = read_lines(aws, done["output"].replace("/run-2/", "/run-1/"))
    assert [x.model_dump() for x in full] == [x.model_dump() for x in other]


def test_map_batch_from_a_bucket_not_allowed_is_an_error_line(aws, service) -> None:
    result = handler(service)(map_event("not-allowed", [("x.jpg", 1, "e")], run="run-3"), Context(900_000))
    (line,) = read_lines(aws, result["output"])
    assert line.error and line.error.code == "S3_BUCKET_NOT_ALLOWED"


# -- SQS with S3 notifications ----------------------------------------------------------------------------------------

def test_sqs_partial_failure_names_exactly_the_failing_records(aws, service) -> None:
    photos_event = sqs_s3_event([(IN, k, s, e) for k, s, e in listed(aws)])
    bad = sqs_event(["Hello from SQS!", json.dumps({"not": "an S3 notification"})])
    test = sqs_event([json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": IN})])
    records = photos_event["Records"][:2] + bad["Records"] + photos_event["Records"][2:] + test["Records"]
    response = handler(service)({"Records": records}, Context(900_000))
    failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
    assert failed == {r["messageId"] for r in bad["Records"]}
    written = objects(aws, f"s3://{OUT}/results/sqs/")
    assert set(written) == {f"results/sqs/{r['messageId']}.jsonl" for r in photos_event["Records"]  # one per record
                            if "folder" not in r["body"]}  # (a folder marker is no photo: its record has no lines)
    lines = read_lines(aws, f"s3://{OUT}/results/sqs/")
    assert outcome(lines) == EXPECTED_SINGLE  # every photo once, bad photos as lines, not as failed records


def test_sqs_out_of_time_fails_the_records_not_reached(aws, service) -> None:
    event = sqs_s3_event([(IN, k, s, e) for k, s, e in listed(aws) if not k.endswith("/")])
    response = handler(service)(event, Context(60_000, 500))
    failed = [f["itemIdentifier"] for f in response["batchItemFailures"]]
    assert failed == [r["messageId"] for r in event["Records"][1:]]


def test_an_unknown_event_is_refused(service) -> None:
    with pytest.raises(Exception, match="Not a Distributed Map batch"):
        handler(service)({"hello": "world"}, Context(900_000))


# -- the CLI ------------------------------------------------------------------------------------------------------------

def test_cli_resumes_after_an_interruption(tmp_path, service, monkeypatch) -> None:
    src = tmp_path / "photos"
    for key, data in photos().items():
        (src / key).parent.mkdir(parents=True, exist_ok=True)
        (src / key).write_bytes(data)
    monkeypatch.setenv("MAX_S3_BYTES", str(MAX_BYTES))
    monkeypatch.setattr(cli, "load_job", lambda settings, options: job(service, face=options.face))
    out = tmp_path / "out.jsonl"
    fresh = tmp_path / "fresh.jsonl"
    assert cli.main([str(src), "--out", str(fresh), "--no-progress"]) == 0

    real_photo, calls = BatchJob.photo, []

    def interrupted(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_photo(self, *args, **kwargs)

    monkeypatch.setattr(BatchJob, "photo", interrupted)
    assert cli.main([str(src), "--out", str(out), "--no-progress"]) == 130
    monkeypatch.setattr(BatchJob, "photo", real_photo)
    assert len(out.read_text().splitlines()) == 2
    with open(out, "a") as fh:
        fh.write('{"key": "in/half-writ')  # a line cut off by a kill
    assert cli.main([str(src), "--out", str(out), "--no-progress"]) == 0
    assert out.read_text() == fresh.read_text()  # each photo once, the same lines as an uninterrupted run
    assert cli.main([str(src), "--out", str(out), "--no-progress"]) == 0  # nothing left: nothing added
    assert out.read_text() == fresh.read_text()
    import fcntl

    with open(out, "rb") as held:  # another run writing the same OUT
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        with pytest.raises(SystemExit, match=r"another python -m function\.batch"):
            cli.main([str(src), "--out", str(out), "--no-progress"])
    assert out.read_text() == fresh.read_text()


def test_batch_path_imports_no_web_framework() -> None:
    code = "import sys, function.batch.handler, function.batch.__main__; print('fastapi' in sys.modules, 'starlette' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_logs_name_no_key_and_no_embedding(aws, service, caplog) -> None:
    """Keys and embeddings are biometric data's handles: the batch function's logs (its own and Powertools' batch
    processor's, at DEBUG) carry counts and the object's hashed name only."""
    import logging

    caplog.set_level(logging.INFO)
    for name in ("function", "aws_lambda_powertools"):  # ours and the batch utilities' at DEBUG (botocore's DEBUG
        caplog.set_level(logging.DEBUG, logger=name)    # names every URL: leave the root at INFO, as on Lambda)
    h = handler(service)
    result = h(map_event(IN, listed(aws), run="run-logs"), Context(900_000))
    bad = sqs_event(["Hello from SQS!"])["Records"]
    h({"Records": sqs_s3_event([(IN, "in/good.jpg", 1, "")])["Records"] + bad}, Context(900_000))
    text = caplog.text
    assert "batch map" in text and "batch sqs" in text
    for key in photos():
        assert key not in text and key.split("/")[-1] not in text
    embedding = read_lines(aws, result["output"])[1].faces[0].embedding  # in/good.jpg
    assert embedding[:40] not in text


class FlakyReader(S3Reader):
    """S3 answering 503 for one key (a transient error: the photo is retried, not given a final line)."""

    def __init__(self, flaky_key: str) -> None:
        super().__init__(MAX_BYTES, (IN,))
        self.flaky_key = flaky_key

    def read(self, ref, stop_at=float("inf")):
        from function.errors import S3Unavailable

        if ref.key == self.flaky_key:
            raise S3Unavailable("S3 refused the read (SlowDown).")
        return super().read(ref, stop_at)


def test_transient_s3_errors_go_back_for_a_retry(aws, service) -> None:
    h = handler(service)
    h.reader = FlakyReader("in/good.jpg")
    event = sqs_s3_event([(IN, k, s, e) for k, s, e in listed(aws) if not k.endswith("/")])
    response = h(event, Context(900_000))
    (good,) = [r["messageId"] for r in event["Records"] if "good.jpg" in r["body"]]
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == [good]  # that record only
    map_batch = map_event(IN, listed(aws), run="run-flaky")
    with pytest.raises(BatchIncomplete, match="1 of 5 photos left"):
        h(map_batch, Context(900_000))
    h.reader = S3Reader(MAX_BYTES, (IN,))  # S3 is back: the retry reads only that photo again
    done = h(map_batch, Context(900_000))
    assert done["reused"] == 4 and done["left"] == 0
    assert outcome(read_lines(aws, done["output"])) == EXPECTED_SINGLE
