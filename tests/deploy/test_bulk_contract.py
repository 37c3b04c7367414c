"""The bulk stack against AWS's own contracts, offline (issue #26): template.yaml rendered as CloudFormation would
deploy it (tests/support/rendered.py) for every combination of the EnableBulk* switches; each state machine
definition checked by the Amazon States Language validator (npm asl-validator, tools/asl, `make asl-validator`) and
run in moto's Step Functions interpreter over a moto S3 prefix, with lambda:invoke answered by the real batch
handler in process; every IAM policy linted by parliament (docs/bulk.md keeps the table of actions).

What the interpreter run leaves untested (moto 5.2.5's ASL grammar and backends), listed in docs/bulk.md too:
ItemBatcher (not in its grammar: the run wraps each item as a batch of one with ItemSelector, and the handler is fed
the rendered ItemBatcher's batches directly below), ToleratedFailurePercentage (parsed only as a decimal, and
without effect), MaxConcurrency above 1 (the run uses 1: see the test), ResultWriter's objects, the state machine's IAM role (moto does not
enforce IAM), Lambda's own time-outs and throttling (Sandbox.Timedout, TooManyRequestsException) and redrive.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from function.batch.core import BatchJob, Options
from function.batch.events import map_event
from function.batch.handler import BatchHandler, S3Output
from function.batch.lines import PhotoLine
from function.batch.sources import S3Reader
from function.config import REPO_ROOT
from function.startup import build_service
from tests.support.photos import DATA
from tests.support.rendered import BULK, SWITCHES, physical, policies, render, state_machines, switches
from tests.support.s3fixtures import moto_s3

VALIDATOR = REPO_ROOT / "tools" / "asl" / "node_modules" / ".bin" / "asl-validator"
MAX_BYTES = 15 * 1024 * 1024


def asl_validator() -> str:
    if VALIDATOR.exists() and shutil.which("node"):
        return str(VALIDATOR)
    if os.environ.get("CI"):  # CI installs it (.ci/run: make asl-validator): a skip there would hide the check
        pytest.fail("asl-validator is not installed: .ci/run must run `make asl-validator` before `make test`")
    pytest.skip("asl-validator is not installed (needs Node.js and npm): run `make asl-validator`")


def bulk_kinds(rendered: dict[str, Any]) -> set[str]:
    return {r["Type"] for r in rendered["Resources"].values()}


# -- the States Language schema, every combination of the switches -------------------------------------------------

@pytest.mark.parametrize(("bulk_map", "bulk_queue"), SWITCHES)
def test_rendered_definitions_pass_the_asl_validator(bulk_map: str, bulk_queue: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    rendered = render(switches(bulk_map, bulk_queue), monkeypatch)
    machines = state_machines(rendered)
    functions = {n for n, r in rendered["Resources"].items() if r["Type"] == "AWS::Lambda::Function"}
    assert set(machines) == ({"BulkStateMachine"} if bulk_map == "true" else set())
    assert ("AWS::SQS::Queue" in bulk_kinds(rendered)) == (bulk_queue == "true")
    if bulk_map == bulk_queue == "false":  # the defaults: the API function alone
        assert functions == {"FaceFunction"} and "AWS::S3::Bucket" not in bulk_kinds(rendered)
        return
    assert functions == {"FaceFunction", "BatchFunction"}
    validator = asl_validator()
    for name, definition in machines.items():
        photos = definition["States"]["Photos"]
        numbers = [photos["ItemBatcher"]["MaxItemsPerBatch"], photos["MaxConcurrency"],
                   photos["ToleratedFailurePercentage"]]
        assert all(type(n) is int for n in numbers), numbers  # JSON numbers, not "100" (SCHEMA_VALIDATION_FAILED)
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(definition))
        result = subprocess.run([validator, "--json-path", str(path)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_validator_refuses_numbers_as_strings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check can fail: SAM's DefinitionSubstitutions gave "100" for MaxConcurrency (issue #26)."""
    validator = asl_validator()
    definition = state_machines(render(switches("true", "false"), monkeypatch))["BulkStateMachine"]
    definition["States"]["Photos"]["MaxConcurrency"] = "100"
    path = tmp_path / "strings.json"
    path.write_text(json.dumps(definition))
    result = subprocess.run([validator, "--json-path", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "MaxConcurrency" in result.stdout + result.stderr


# -- the rendered values AWS's guides ask for ------------------------------------------------------------------

def test_queue_numbers_follow_aws_guidance(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.deploy.test_deploy_files import load_template

    params = load_template()["Parameters"]
    rendered = render(switches("false", "true"), monkeypatch)
    res = rendered["Resources"]
    queue, dlq = res["BulkQueue"]["Properties"], res["BulkDeadLetterQueue"]["Properties"]
    mapping = res["BulkQueueMapping"]["Properties"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] >= 5  # Lambda's SQS guide
    # the dead-letter queue outlives the source queue, at the source's longest setting (age counts from 1st enqueue)
    assert int(dlq["MessageRetentionPeriod"]) > params["BulkQueueRetentionSeconds"]["MaxValue"]
    assert int(dlq["MessageRetentionPeriod"]) <= 1_209_600  # SQS's maximum
    longest = params["BulkTimeout"]["MaxValue"]
    assert queue["VisibilityTimeout"] >= 6 * longest + mapping["MaximumBatchingWindowInSeconds"]
    concurrency = mapping["ScalingConfig"]["MaximumConcurrency"]
    assert 2 <= int(concurrency) <= 1000
    assert params["BulkQueueMaxConcurrency"]["MinValue"] >= 2 and params["BulkQueueMaxConcurrency"]["MaxValue"] <= 1000
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_reserved_concurrency_and_kms_keys_follow_their_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    off = render(switches("true", "true"), monkeypatch)["Resources"]
    assert "ReservedConcurrentExecutions" not in off["BatchFunction"]["Properties"]  # 0 = off (the default)
    sse = off["BulkOutputBucket"]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert "kms:" not in json.dumps([doc for _, _, doc in policies({"Resources": off})])
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    on = render({**switches("true", "true"), "BulkReservedConcurrency": "110", "BulkOutputKmsKeyArn": key,
                 "BulkInputKmsKeyArn": key + "-in"}, monkeypatch)
    res = on["Resources"]
    machine = state_machines(on)["BulkStateMachine"]
    assert int(res["BatchFunction"]["Properties"]["ReservedConcurrentExecutions"]) == 110
    assert int(res["BatchFunction"]["Properties"]["ReservedConcurrentExecutions"]) >= machine["States"]["Photos"]["MaxConcurrency"]
    sse = res["BulkOutputBucket"]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}
    grants = {(r, s.get("Sid")): s for r, _, doc in policies(on) for s in doc["Statement"]}
    assert grants[("BatchFunctionRole", "ResultsKey")]["Resource"] == key
    assert set(grants[("BatchFunctionRole", "ResultsKey")]["Action"]) == {"kms:GenerateDataKey", "kms:Decrypt"}
    assert grants[("BatchFunctionRole", "PhotosKey")] == {"Sid": "PhotosKey", "Effect": "Allow",
                                                          "Action": "kms:Decrypt", "Resource": key + "-in"}
    assert grants[("BulkStateMachineRole", "RunSummaryKey")]["Resource"] == key


def test_state_machine_role_covers_child_executions_and_redrive(monkeypatch: pytest.MonkeyPatch) -> None:
    rendered = render(switches("true", "false"), monkeypatch)
    machine_arn = physical(rendered, "BulkStateMachine", None)  # stand-in; the role names <stack>-bulk
    assert machine_arn
    grants: dict[str, set[str]] = {}
    for res, _, doc in policies(rendered):
        if res == "BulkStateMachineRole":
            for s in doc["Statement"]:
                for action in [s["Action"]] if isinstance(s["Action"], str) else s["Action"]:
                    resources = [s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"]
                    grants.setdefault(action, set()).update(resources)
    execution = "arn:aws:states:us-east-1:123456789012:execution:face-bulk"
    for action in ("states:DescribeExecution", "states:StopExecution"):
        assert {f"{execution}:*", f"{execution}/*:*"} <= grants[action]  # the IAM page's form and the Map Run's children
    assert f"{execution}/*:*" in grants["states:RedriveExecution"]
    assert grants["states:StartExecution"] == {"arn:aws:states:us-east-1:123456789012:stateMachine:face-bulk"}
    role = rendered["Resources"]["BulkStateMachine"]["Properties"]["StateMachineName"]
    assert role == "face-bulk"


def test_an_empty_prefix_lists_without_a_prefix_condition(monkeypatch: pytest.MonkeyPatch) -> None:
    """ListObjectsV2 without a prefix carries no s3:prefix key, so a condition on it would deny the whole listing."""
    def list_statement(prefix: str) -> dict[str, Any]:
        rendered = render({**switches("true", "false"), "BulkInputPrefix": prefix}, monkeypatch)
        (s,) = [s for r, _, doc in policies(rendered) if r == "BulkStateMachineRole" for s in doc["Statement"]
                if s.get("Sid") == "ListPhotos"]
        return s

    assert list_statement("photos/")["Condition"] == {"StringLike": {"s3:prefix": "photos/*"}}
    assert "Condition" not in list_statement("")


# -- IAM: every policy of the rendered template through parliament ----------------------------------------------

@pytest.mark.parametrize(("bulk_map", "bulk_queue"), SWITCHES)
def test_iam_policies_pass_parliament(bulk_map: str, bulk_queue: str, monkeypatch: pytest.MonkeyPatch) -> None:
    parliament = pytest.importorskip("parliament", reason="parliament (requirements-dev.txt)")
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    rendered = render({**switches(bulk_map, bulk_queue), "BulkOutputKmsKeyArn": key, "BulkInputKmsKeyArn": key,
                       "ImageBucket": "face-photos"}, monkeypatch)
    docs = policies(rendered)
    if bulk_map == "true" or bulk_queue == "true":
        assert {r for r, _, _ in docs} >= {"BatchFunctionRole", "BulkOutputBucketPolicy"}
    findings = []
    for res, name, doc in docs:
        resource_policy = any("Principal" in s for s in doc["Statement"])
        policy = parliament.analyze_policy_string(json.dumps(doc), ignore_private_auditors=True,
                                                  include_community_auditors=False)
        if resource_policy:  # parliament reads identity policies: a resource policy's Principal is not its concern
            policy = parliament.analyze_policy_string(json.dumps(strip_principals(doc)),
                                                      ignore_private_auditors=True)
        findings += [f"{res}/{name}: {f.issue} {f.detail}" for f in policy.findings if not known(f)]
    assert findings == []


def known(finding: Any) -> bool:
    """parliament's one false positive here: the Service Authorization Reference lists DescribeExecution with two
    resource types, `execution` and `express`, and parliament wants a statement to match both; this stack's child
    executions are STANDARD (`execution:` ARNs), so no `express:` ARN is granted. Only that finding is let through."""
    return finding.issue == "RESOURCE_MISMATCH" and finding.detail == [
        {"action": "states:DescribeExecution", "required_format": "arn:*:states:*:*:express:*:*:*"}]


def strip_principals(doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    for s in doc["Statement"]:
        s.pop("Principal", None)
    return doc


# -- the rendered definition in moto's Step Functions interpreter -------------------------------------------------

GOOD = sorted(DATA.root.glob("lfw/*/*.jpg"))[:17]


def prefix_photos() -> dict[str, bytes]:
    """20 photos: 17 LFW crops, a zero-byte file, a corrupt JPEG and a photo without a face (keys with a space and
    non-ASCII letters too)."""
    prefix = BULK["BulkInputPrefix"]
    files = {f"{prefix}{p.parent.name}/{p.name}": p.read_bytes() for p in GOOD}
    first = GOOD[0].read_bytes()
    files[f"{prefix}empty file.jpg"] = b""
    files[f"{prefix}corrupt-é.jpg"] = first[: len(first) // 3]
    files[f"{prefix}noface.jpg"] = DATA.noface_photos[0].read_bytes()
    return files


def interpretable(definition: dict[str, Any]) -> dict[str, Any]:
    """The rendered definition less what moto 5.2.5's grammar lacks: ItemBatcher becomes an ItemSelector making a
    batch of one item with the same BatchInput (the handler's event shape), ToleratedFailurePercentage a decimal."""
    d = copy.deepcopy(definition)
    photos = d["States"]["Photos"]
    batcher = photos.pop("ItemBatcher")
    photos["ItemSelector"] = {"Items.$": "States.Array($$.Map.Item.Value)", "BatchInput": batcher["BatchInput"]}
    photos["ToleratedFailurePercentage"] = float(photos["ToleratedFailurePercentage"])
    return d


class Context:
    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def lambda_answering_with(handler: BatchHandler, function_arn: str, invoked: list[dict[str, Any]]) -> Any:
    """moto's Lambda invoke answered by the batch handler in process (moto's own would start a Docker container)."""
    def invoke(self: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any) -> bytes:
        assert function_name in (function_arn, function_arn.rsplit(":", 1)[-1])
        event = json.loads(body)
        invoked.append(event)
        try:
            payload: Any = handler(event, Context())
        except Exception as exc:  # what Lambda answers for an unhandled error: the state machine's Retry matches the type
            response_headers["x-amz-function-error"] = "Unhandled"
            payload = {"errorType": type(exc).__name__, "errorMessage": str(exc)}
        return json.dumps(payload).encode()

    from moto.awslambda.models import LambdaBackend

    return mock.patch.object(LambdaBackend, "invoke", invoke)


def result_lines(client: Any, bucket: str, prefix: str) -> list[PhotoLine]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    return [PhotoLine.model_validate_json(line) for k in keys
            for line in client.get_object(Bucket=bucket, Key=k)["Body"].read().splitlines()]


def test_rendered_map_runs_in_moto_interpreter(monkeypatch: pytest.MonkeyPatch, settings, engine) -> None:
    pytest.importorskip("antlr4", reason="moto[stepfunctions] (requirements-dev.txt)")
    # one child at a time: moto runs MaxConcurrency worker threads, and CPython 3.11's ast module (which the parser
    # reaches) can raise a spurious "SystemError: AST constructor recursion depth mismatch" when threads parse at
    # once (python/cpython#106905); the models take one photo at a time anyway
    rendered = render({**switches("true", "true"), "BulkBatchSize": "8", "BulkMaxConcurrency": "1"}, monkeypatch)
    definition = state_machines(rendered)["BulkStateMachine"]
    photos = definition["States"]["Photos"]
    in_bucket = photos["ItemReader"]["Parameters"]["Bucket"]
    out_bucket = photos["ResultWriter"]["Parameters"]["Bucket"]
    env = rendered["Resources"]["BatchFunction"]["Properties"]["Environment"]["Variables"]
    assert env["ALLOWED_S3_BUCKETS"] == in_bucket and env["BATCH_OUTPUT"] == f"s3://{out_bucket}/results/"
    function_arn = definition["States"]["Photos"]["ItemProcessor"]["States"]["Embed"]["Parameters"]["FunctionName"]
    job = BatchJob(build_service(settings, engine, "buffalo_sc"), "buffalo_sc", Options(env["BATCH_FACE"]), 10.0)
    files = prefix_photos()
    invoked: list[dict[str, Any]] = []
    monkeypatch.setitem(os.environ, "MOTO_STEPFUNCTIONS_EXECUTE", "1")
    import moto

    with moto_s3(monkeypatch, in_bucket, out_bucket) as s3, \
            moto.mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        for key, data in files.items():
            s3.put_object(Bucket=in_bucket, Key=key, Body=data)
        handler = BatchHandler(job, S3Reader(MAX_BYTES, (env["ALLOWED_S3_BUCKETS"],)),
                               S3Output(env["BATCH_OUTPUT"], S3Reader(MAX_BYTES)), reserve_s=1.0)
        import boto3

        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        machine = sfn.create_state_machine(name="face-bulk", definition=json.dumps(interpretable(definition)),
                                           roleArn="arn:aws:iam::123456789012:role/face-BulkStateMachineRole")
        with lambda_answering_with(handler, function_arn, invoked):
            run = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="run-20")
            deadline = time.monotonic() + 240
            while (status := sfn.describe_execution(executionArn=run["executionArn"]))["status"] == "RUNNING":
                assert time.monotonic() < deadline, "the execution did not finish"
                time.sleep(0.5)
        assert status["status"] == "SUCCEEDED", status
        lines = result_lines(s3, out_bucket, "results/map/run-20/")
        # the handler saw the shape an ItemBatcher batch has: Items of ListObjectsV2 entries, the rendered BatchInput
        assert all(set(e) == {"Items", "BatchInput"} and e["BatchInput"] == {"bucket": in_bucket, "run": "run-20"}
                   for e in invoked)
        assert sorted(k for e in invoked for k in (i["Key"] for i in e["Items"])) == sorted(files)
        errors = {x.key: x.error.code for x in lines if x.error}
        assert sorted(x.key for x in lines) == sorted(files) and len(lines) == 20
        assert errors == {f"{BULK['BulkInputPrefix']}empty file.jpg": "INVALID_IMAGE",
                          f"{BULK['BulkInputPrefix']}corrupt-é.jpg": "INVALID_IMAGE",
                          f"{BULK['BulkInputPrefix']}noface.jpg": "NO_FACE"}

        # the batches the rendered ItemBatcher makes (MaxItemsPerBatch of the listing, its BatchInput) straight to the
        # handler: the same 20 lines
        size = photos["ItemBatcher"]["MaxItemsPerBatch"]
        items = [(o["Key"], o["Size"], o["ETag"].strip('"'))
                 for o in s3.list_objects_v2(Bucket=in_bucket, Prefix=BULK["BulkInputPrefix"])["Contents"]]
        for i in range(0, len(items), size):
            event = map_event(photos["ItemBatcher"]["BatchInput"]["bucket"], items[i:i + size], run="batched")
            assert handler(event, Context())["left"] == 0
        batched = result_lines(s3, out_bucket, "results/map/batched/")
        assert {x.key: x.error.code if x.error else None for x in batched} == \
               {x.key: x.error.code if x.error else None for x in lines}


def test_docs_iam_table_matches_the_rendered_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/bulk.md's IAM table names every (role or policy, statement, action) of the stack, with everything on, and
    nothing else."""
    import re

    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    rendered = render({**switches("true", "true"), "BulkOutputKmsKeyArn": key, "BulkInputKmsKeyArn": key},
                      monkeypatch)
    granted = set()
    for res, _, doc in policies(rendered):
        for s in doc["Statement"]:
            for action in [s["Action"]] if isinstance(s["Action"], str) else s["Action"]:
                granted.add((res, s["Sid"], action))
    text = (REPO_ROOT / "docs" / "bulk.md").read_text()
    table = text[text.index("### IAM: every action"):]
    rows = set(re.findall(r"^\| (\w+) \| (\w+) \| `([^`]+)`", table, flags=re.M))
    assert rows == granted
