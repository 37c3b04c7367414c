"""Dockerfile, .dockerignore, template.yaml and samconfig.toml: linters clean (cfn-lint, hadolint), the SAM
template translated by AWS's own translator for each parameter setting, and the Dockerfile's COPY sources, entry
point and handler string checked against the code."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from function.config import REPO_ROOT
from tests.support.dockerfile import DOCKERFILE, context_includes, copy_sources, exec_form, instructions
from tests.support.services import import_lambda_handler

TEMPLATE = REPO_ROOT / "template.yaml"


def tool(name: str) -> str:
    path = Path(sys.executable).parent / name
    found = str(path) if path.exists() else shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed (requirements-dev.txt installs it; run `make install-dev`)")
    return found


def test_cfn_lint_clean() -> None:
    result = subprocess.run([tool("cfn-lint"), str(TEMPLATE)], capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_clean() -> None:
    result = subprocess.run([tool("hadolint"), str(DOCKERFILE)], capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


# -- the SAM template, as AWS's translator turns it into CloudFormation ------------------------------------------

def load_template() -> dict[str, Any]:
    from cfnlint.decode import decode

    template, matches = decode(str(TEMPLATE))
    assert not matches, matches
    return json.loads(json.dumps(template))


def translate(parameters: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """template.yaml through samtranslator (what `sam deploy` submits), ImageUri filled in as `sam build` does."""
    transform = pytest.importorskip("samtranslator.translator.transform", reason="aws-sam-translator (dev)").transform
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    template = load_template()
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["ImageUri"] = "123456789012.dkr.ecr.us-east-1.amazonaws.com/face:1"

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    return transform(template, parameters, NoManagedPolicies())


def resolve(node: Any, template: dict[str, Any], parameters: dict[str, str]) -> Any:
    """Resolve Fn::If / Ref AWS::NoValue the way CloudFormation does for these parameter values."""
    def condition(expr: Any) -> bool:
        if isinstance(expr, dict) and "Condition" in expr:
            return condition(template["Conditions"][expr["Condition"]])
        (fn, args), = expr.items()
        if fn == "Fn::Equals":
            return value(args[0]) == value(args[1])
        if fn == "Fn::Not":
            return not condition(args[0])
        if fn == "Fn::Or":
            return any(condition(a) for a in args)
        raise AssertionError(f"unsupported condition {fn}")

    def value(v: Any) -> Any:
        if isinstance(v, dict) and set(v) == {"Ref"} and v["Ref"] in template["Parameters"]:
            return parameters.get(v["Ref"], str(template["Parameters"][v["Ref"]].get("Default", "")))
        return v

    no_value = object()

    def walk(n: Any) -> Any:
        if isinstance(n, dict):
            if set(n) == {"Fn::If"}:
                name, yes, no = n["Fn::If"]
                return walk(yes if condition(template["Conditions"][name]) else no)
            if n == {"Ref": "AWS::NoValue"}:
                return no_value
            out = {k: walk(v) for k, v in n.items()}
            return {k: v for k, v in out.items() if v is not no_value}
        if isinstance(n, list):
            return [x for x in (walk(v) for v in n) if x is not no_value]
        return n

    def kept(section: str) -> dict[str, Any]:
        return {name: item for name, item in node.get(section, {}).items()
                if "Condition" not in item or condition(template["Conditions"][item["Condition"]])}

    return walk({**node, "Resources": kept("Resources"), "Outputs": kept("Outputs")})


def deployed(parameters: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    translated = translate(parameters, monkeypatch)
    return resolve(translated, translated, parameters)


def by_type(template: dict[str, Any], kind: str) -> dict[str, Any]:
    return {n: r for n, r in template["Resources"].items() if r["Type"] == kind}


def methods(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (api,) = by_type(template, "AWS::ApiGateway::RestApi").values()
    return {path: ops["x-amazon-apigateway-any-method"] for path, ops in api["Properties"]["Body"]["paths"].items()}


def role_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    (role,) = by_type(template, "AWS::IAM::Role").values()
    return [s for p in role["Properties"].get("Policies", []) for s in p["PolicyDocument"]["Statement"]]


def test_sam_translation_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    t = deployed({}, monkeypatch)
    (fn,) = by_type(t, "AWS::Lambda::Function").values()
    props = fn["Properties"]
    assert props["PackageType"] == "Image" and props["Architectures"] == ["x86_64"]
    assert load_template()["Parameters"]["MemorySize"]["Default"] == 1769
    assert props["MemorySize"] == {"Ref": "MemorySize"} and props["Timeout"] <= 29
    env = props["Environment"]["Variables"]
    assert "MODEL_PACK" not in env and env["ALLOWED_S3_BUCKETS"] == ""  # the image serves the pack it baked
    (api,) = by_type(t, "AWS::ApiGateway::RestApi").values()
    binary = [m.replace("~1", "/") for m in api["Properties"]["BinaryMediaTypes"]]
    assert "multipart/form-data" in binary and "image/*" in binary
    routes = methods(t)
    assert set(routes) == {"/", "/{proxy+}"}  # every route of the app reaches the function
    for op in routes.values():
        assert op["x-amazon-apigateway-integration"]["type"] == "aws_proxy"
        assert op["security"] == [{"api_key": []}]  # AuthMode's default (tests/deploy/test_secure_defaults.py)
    assert role_statements(t) == []  # no S3 access unless a bucket is named
    permissions = by_type(t, "AWS::Lambda::Permission")
    assert len(permissions) == 2 and all(p["Properties"]["Principal"] == "apigateway.amazonaws.com"
                                         for p in permissions.values())
    assert "ApiUrl" in t["Outputs"] and "execute-api" in json.dumps(t["Outputs"]["ApiUrl"])


def test_sam_translation_image_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    t = deployed({"ImageBucket": "face-photos"}, monkeypatch)
    (fn,) = by_type(t, "AWS::Lambda::Function").values()
    assert fn["Properties"]["Environment"]["Variables"]["ALLOWED_S3_BUCKETS"] == {"Ref": "ImageBucket"}
    assert role_statements(t) == [{"Effect": "Allow", "Action": "s3:GetObject",
                                   "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${ImageBucket}/*"}}]


def test_samconfig_has_no_account_or_secret() -> None:
    text = (REPO_ROOT / "samconfig.toml").read_text()
    config = tomllib.loads(text)
    deploy = config["default"]["deploy"]["parameters"]
    assert deploy["capabilities"] == "CAPABILITY_IAM" and deploy["resolve_image_repos"] is True
    assert re.search(r"\b\d{12}\b", text) is None  # no account id
    for word in ("aws_access_key", "aws_secret", "arn:aws", "profile"):
        assert word not in text.lower()


# -- the Dockerfile against the code ---------------------------------------------------------------------------

def test_dockerfile_copy_sources_exist_and_are_in_the_build_context() -> None:
    sources = copy_sources()
    assert {"requirements.lock", "function/", "model_sources/"} <= set(sources)
    for src in sources:
        assert (REPO_ROOT / src).exists(), src
        assert context_includes(src), f"{src} is excluded by .dockerignore"
    for kept_out in ("tests", ".venv", "model_cache", "bench", ".git", "template.yaml"):
        assert not context_includes(kept_out), kept_out


def test_dockerfile_base_image_and_requirements() -> None:
    froms = [rest for k, rest in instructions() if k == "FROM"]
    args = dict(rest.split("=", 1) for k, rest in instructions() if k == "ARG" and "=" in rest)
    assert args["BASE_IMAGE"] == "public.ecr.aws/lambda/python:3.12"
    assert all(f.startswith("${BASE_IMAGE}") for f in froms) and len(froms) == 2
    runs = " ".join(rest for k, rest in instructions() if k == "RUN")
    assert "requirements.lock" in runs and "requirements-dev" not in runs  # tests/deploy/test_locks.py: the lock
    for name in ("requirements.txt", "requirements.lock", "requirements-gpu.lock"):
        requirements = (REPO_ROOT / name).read_text()
        assert "opencv-python-headless==" in requirements
        assert not any(line.startswith("opencv-python==") for line in requirements.splitlines())


def test_dockerfile_entrypoint_and_handler_import(model_dir: Path) -> None:
    entrypoint, cmd = exec_form("ENTRYPOINT"), exec_form("CMD")
    assert entrypoint[1:] == ["-m", "function.entry"]
    importlib.import_module(entrypoint[2])
    (handler_name,) = cmd
    module_name, _, attr = handler_name.rpartition(".")
    assert module_name == "function.lambda_handler"
    handler = getattr(import_lambda_handler(model_dir), attr)
    assert callable(handler)
    from function.entry import DEFAULT_HANDLER

    assert handler_name == DEFAULT_HANDLER


# -- one image, any builder; the pack chosen once (issue #9) -----------------------------------------------------

def stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's instructions split into build stages (the global ARGs before the first FROM dropped)."""
    out: list[list[tuple[str, str]]] = []
    for keyword, rest in instructions():
        if keyword == "FROM":
            out.append([])
        if out:
            out[-1].append((keyword, rest))
    return out


def test_dockerfile_builds_on_the_legacy_builder_and_pulls_nothing_else() -> None:
    """What Docker's legacy builder (and so `sam build` on its defaults) rejects, and what makes BuildKit pull a
    frontend image from Docker Hub, is absent."""
    text = DOCKERFILE.read_text()
    assert not re.search(r"^\s*#\s*syntax\s*=", text, re.M | re.I)
    runs = [rest for k, rest in instructions() if k == "RUN"]
    assert runs and not any("--mount" in r or "--network" in r or "--security" in r or "<<" in r for r in runs)
    copies = [rest for k, rest in instructions() if k in {"COPY", "ADD"}]
    assert not any("--link" in c or "--chmod" in c or "--parents" in c or "<<" in c for c in copies)
    assert {k for k, _ in instructions()} <= {"ARG", "FROM", "WORKDIR", "COPY", "RUN", "ENV", "LABEL", "EXPOSE",
                                              "ENTRYPOINT", "CMD"}


def test_image_serves_the_pack_it_baked() -> None:
    build, final = stages()
    def arg_default(stage: list[tuple[str, str]]) -> str:
        (value,) = [rest.split("=", 1)[1] for k, rest in stage if k == "ARG" and rest.startswith("MODEL_PACK=")]
        return value
    assert arg_default(build) == arg_default(final) == "buffalo_l"
    env = " ".join(rest for k, rest in final if k == "ENV")
    assert "MODEL_PACK=${MODEL_PACK}" in env.split()
    bake_runs = [rest for k, rest in build if k == "RUN" and "function.models" in rest]
    assert bake_runs and '"${MODEL_PACK}"' in bake_runs[0]


def test_template_chooses_the_pack_once() -> None:
    """One parameter drives the build args and the tag; the function sets no MODEL_PACK of its own, so the deployed
    function cannot name a pack its image lacks."""
    from function.models.specs import PACKS

    template = load_template()
    function = template["Resources"]["FaceFunction"]
    meta = function["Metadata"]
    assert meta["DockerBuildArgs"]["MODEL_PACK"] == {"Ref": "ModelPack"} and meta["DockerTag"] == {"Ref": "ModelPack"}
    assert meta["DockerBuildArgs"]["BASE_IMAGE"] == {"Ref": "BaseImage"}
    assert "MODEL_PACK" not in function["Properties"]["Environment"]["Variables"]
    params = template["Parameters"]
    assert sorted(params["ModelPack"]["AllowedValues"]) == sorted(PACKS)
    dockerfile_args = dict(rest.split("=", 1) for k, rest in instructions() if k == "ARG" and "=" in rest)
    assert params["BaseImage"]["Default"] == dockerfile_args["BASE_IMAGE"]
    assert params["ModelPack"]["Default"] == dockerfile_args["MODEL_PACK"]
    assert "MODEL_PACK" not in json.dumps(template["Resources"]).replace('"MODEL_PACK": {"Ref": "ModelPack"}', "")


def test_samconfig_local_start_api() -> None:
    local = tomllib.loads((REPO_ROOT / "samconfig.toml").read_text())["default"]["local_start_api"]["parameters"]
    assert local["warm_containers"] == "EAGER" and local["skip_pull_image"] is True


@pytest.mark.parametrize("target", ["image", "image-test", "sam-local"])
def test_docker_targets_say_so_without_a_daemon(target: str, tmp_path: Path) -> None:
    """No Docker daemon: one line that says so, and a non-zero exit, before anything is built or installed."""
    fake = tmp_path / "docker"
    fake.write_text("#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n")
    fake.chmod(0o755)
    make = shutil.which("make") or pytest.skip("make is not installed")
    out = subprocess.run([make, "-s", target, f"DOCKER={fake}", "MODEL_PACK=buffalo_sc"], cwd=REPO_ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    lines = [line for line in out.stderr.splitlines() if not line.startswith("make")]
    assert len(lines) == 1 and "no Docker daemon answers" in lines[0], out.stderr
    assert out.stdout == ""


def test_ci_stays_docker_free() -> None:
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    commands = [line for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert not any(word in line for line in commands for word in ("docker", "image", "sam"))


# -- bulk embedding (issue #20): optional, least privilege, biometric data encrypted and expired -----------------

BULK = {"BulkInputBucket": "photo-archive", "BulkInputPrefix": "photos/"}


def statements_of(template: dict[str, Any], role_name: str) -> list[dict[str, Any]]:
    role = template["Resources"][role_name]
    return [s for p in role["Properties"].get("Policies", []) for s in p["PolicyDocument"]["Statement"]]


def test_bulk_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    t = deployed({}, monkeypatch)
    for kind in ("AWS::SQS::Queue", "AWS::StepFunctions::StateMachine", "AWS::S3::Bucket",
                 "AWS::Lambda::EventSourceMapping"):
        assert not by_type(t, kind), kind
    assert list(by_type(t, "AWS::Lambda::Function")) == ["FaceFunction"]


def test_bulk_on_both_triggers(monkeypatch: pytest.MonkeyPatch) -> None:
    t = deployed({"EnableBulkMap": "true", "EnableBulkQueue": "true", **BULK}, monkeypatch)
    fns = by_type(t, "AWS::Lambda::Function")
    assert set(fns) == {"FaceFunction", "BatchFunction"}
    api, batch = fns["FaceFunction"]["Properties"], fns["BatchFunction"]["Properties"]
    assert api["Timeout"] == 29 and "ImageConfig" not in api  # the API function is unchanged
    assert batch["ImageConfig"]["Command"] == ["function.batch.handler.handler"]
    assert batch["Code"] == api["Code"]  # the same image
    env = batch["Environment"]["Variables"]
    assert env["ALLOWED_S3_BUCKETS"] == {"Ref": "BulkInputBucket"} and "BATCH_OUTPUT" in env
    # the batch role: read the input prefix, read/write results/, consume the queue; nothing else, nothing on "*"
    statements = statements_of(t, batch["Role"]["Fn::GetAtt"][0])
    actions = sorted(a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]))
    assert actions == sorted(["s3:GetObject", "s3:GetObject", "s3:PutObject", "s3:ListBucket", "sqs:ReceiveMessage",
                              "sqs:DeleteMessage", "sqs:GetQueueAttributes"])  # what Lambda's SQS page requires
    for s in statements:  # every statement names one of the stack's own resources or the input bucket
        assert s["Resource"] != "*" and re.search(r"BulkInputBucket|BulkOutputBucket|BulkQueue", json.dumps(s["Resource"]))
    assert statements[0]["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:s3:::${BulkInputBucket}/${BulkInputPrefix}*"}
    role = t["Resources"][batch["Role"]["Fn::GetAtt"][0]]
    assert all("SQS" not in str(arn) for arn in role["Properties"].get("ManagedPolicyArns", []))
    # encrypted, private, expiring results; encrypted queues with a dead-letter queue
    (bucket,) = by_type(t, "AWS::S3::Bucket").values()
    b = bucket["Properties"]
    assert b["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"]
    assert all(b["PublicAccessBlockConfiguration"].values())
    assert b["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == {"Ref": "BulkRetentionDays"}
    queues = by_type(t, "AWS::SQS::Queue")
    assert set(queues) == {"BulkQueue", "BulkDeadLetterQueue"}
    assert all(q["Properties"]["SqsManagedSseEnabled"] is True for q in queues.values())
    assert queues["BulkQueue"]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["BulkDeadLetterQueue", "Arn"]}
    assert queues["BulkQueue"]["Properties"]["VisibilityTimeout"] >= 6 * load_template()["Parameters"]["BulkTimeout"]["MaxValue"]
    (mapping,) = by_type(t, "AWS::Lambda::EventSourceMapping").values()
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # the state machine: Distributed Map over the prefix, batches, concurrency, tolerated failures, retries
    (machine,) = by_type(t, "AWS::StepFunctions::StateMachine").values()
    from tests.support.rendered import render

    rendered = render({"EnableBulkMap": "true", "EnableBulkQueue": "true", **BULK}, monkeypatch)
    definition = json.loads(rendered["Resources"]["BulkStateMachine"]["Properties"]["DefinitionString"])
    photos = definition["States"]["Photos"]
    assert photos["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert photos["ItemReader"]["Resource"].endswith("s3:listObjectsV2")
    assert photos["ItemBatcher"]["BatchInput"] == {"bucket": BULK["BulkInputBucket"], "run.$": "$$.Execution.Name"}
    assert {"MaxConcurrency", "ToleratedFailurePercentage", "ResultWriter"} <= set(photos)
    retry = photos["ItemProcessor"]["States"]["Embed"]["Retry"]
    assert retry[0]["ErrorEquals"] == ["BatchIncomplete"]
    from function.batch.handler import BatchIncomplete

    assert BatchIncomplete.__name__ == "BatchIncomplete"
    assert photos["MaxConcurrency"] == load_template()["Parameters"]["BulkMaxConcurrency"]["Default"]
    machine_statements = statements_of(t, machine["Properties"]["RoleArn"]["Fn::GetAtt"][0])
    assert not any(s["Resource"] == "*" for s in machine_statements)


def test_bulk_map_only_has_no_queue_permissions(monkeypatch: pytest.MonkeyPatch) -> None:
    t = deployed({"EnableBulkMap": "true", **BULK}, monkeypatch)
    assert not by_type(t, "AWS::SQS::Queue") and not by_type(t, "AWS::Lambda::EventSourceMapping")
    batch = by_type(t, "AWS::Lambda::Function")["BatchFunction"]["Properties"]
    assert "sqs:" not in json.dumps(statements_of(t, batch["Role"]["Fn::GetAtt"][0]))


def test_bulk_handler_named_by_the_template_is_importable() -> None:
    command = load_template()["Resources"]["BatchFunction"]["Properties"]["ImageConfig"]["Command"]
    module_name, _, attr = command[0].rpartition(".")
    assert callable(getattr(importlib.import_module(module_name), attr))
