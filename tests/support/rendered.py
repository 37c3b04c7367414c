"""template.yaml rendered as CloudFormation would deploy it, down to plain values: SAM's translation and the
parameter conditions (tests/deploy/test_deploy_files.py's `deployed`), then every Ref, Fn::GetAtt, Fn::Sub,
Fn::Join and a state machine's DefinitionSubstitutions replaced by the parameter's value (given, else its default)
and stand-in names for the stack's own resources, as CloudFormation would give them."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.deploy.test_deploy_files import deployed

ACCOUNT, REGION, PARTITION, STACK = "123456789012", "us-east-1", "aws", "face"
PSEUDO = {"AWS::AccountId": ACCOUNT, "AWS::Region": REGION, "AWS::Partition": PARTITION, "AWS::StackName": STACK,
          "AWS::URLSuffix": "amazonaws.com"}
# The bulk switches with the values a user passes (docs/bulk.md's deploy command); the rest are the defaults.
BULK = {"BulkInputBucket": "photo-archive", "BulkInputPrefix": "photos/"}
SWITCHES = [(m, q) for m in ("false", "true") for q in ("false", "true")]


def switches(bulk_map: str, bulk_queue: str) -> dict[str, str]:
    return {"EnableBulkMap": bulk_map, "EnableBulkQueue": bulk_queue, **BULK}


def physical(template: dict[str, Any], name: str, attr: str | None) -> str:
    """What CloudFormation answers for Ref (attr None) or Fn::GetAtt of one of the stack's resources."""
    kind = template["Resources"][name]["Type"]
    base = f"{STACK}-{name}"
    arns = {"AWS::Lambda::Function": f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:{base}",
            "AWS::S3::Bucket": f"arn:{PARTITION}:s3:::{base.lower()}",
            "AWS::SQS::Queue": f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{base}",
            "AWS::IAM::Role": f"arn:{PARTITION}:iam::{ACCOUNT}:role/{base}",
            "AWS::StepFunctions::StateMachine": f"arn:{PARTITION}:states:{REGION}:{ACCOUNT}:stateMachine:{base}"}
    if attr is None:
        refs = {"AWS::S3::Bucket": base.lower(), "AWS::SQS::Queue": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{base}",
                "AWS::StepFunctions::StateMachine": arns.get(kind, base)}
        return refs.get(kind, base)
    if attr == "Arn" and kind in arns:
        return arns[kind]
    return f"{base}.{attr}"


def render(parameters: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The deployed template with every intrinsic function resolved to its value."""
    template = deployed(parameters, monkeypatch)
    params = {name: parameters.get(name, str(p.get("Default", ""))) for name, p in template["Parameters"].items()}

    def ref(name: str) -> str:
        if name in params:
            return params[name]
        if name in PSEUDO:
            return PSEUDO[name]
        return physical(template, name, None)

    def sub(text: str, extra: dict[str, Any]) -> str:
        def one(m: re.Match[str]) -> str:
            inner = m.group(1)
            if inner.startswith("!"):
                return "${" + inner[1:] + "}"
            if inner in extra:
                return str(walk(extra[inner]))
            if "." in inner and inner.split(".")[0] in template["Resources"]:
                res, attr = inner.split(".", 1)
                return physical(template, res, attr)
            return ref(inner)

        return re.sub(r"\$\{([^}]+)\}", one, text)

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(x) for x in node]
        if not isinstance(node, dict):
            return node
        if set(node) == {"Ref"}:
            return ref(node["Ref"])
        if set(node) == {"Fn::GetAtt"}:
            res, attr = node["Fn::GetAtt"] if isinstance(node["Fn::GetAtt"], list) else node["Fn::GetAtt"].split(".", 1)
            return physical(template, res, attr)
        if set(node) == {"Fn::Sub"}:
            arg = node["Fn::Sub"]
            return sub(arg, {}) if isinstance(arg, str) else sub(arg[0], arg[1])
        if set(node) == {"Fn::Join"}:
            sep, parts = node["Fn::Join"]
            return str(sep).join(str(walk(p)) for p in parts)
        return {k: walk(v) for k, v in node.items()}

    rendered: dict[str, Any] = walk({"Resources": template["Resources"]})
    for res in rendered["Resources"].values():  # CloudFormation's own substitution of a state machine's definition
        props = res.get("Properties", {})
        if res["Type"] == "AWS::StepFunctions::StateMachine" and "DefinitionSubstitutions" in props:
            text = props["DefinitionString"]
            for key, value in props["DefinitionSubstitutions"].items():
                text = text.replace("${" + key + "}", str(value))
            props["DefinitionString"] = text
    return rendered


def state_machines(rendered: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each state machine's definition as Step Functions receives it (parsed from its DefinitionString)."""
    out = {}
    for name, res in rendered["Resources"].items():
        if res["Type"] == "AWS::StepFunctions::StateMachine":
            props = res["Properties"]
            text = props.get("DefinitionString")
            out[name] = json.loads(text) if isinstance(text, str) else props["Definition"]
    return out


def policies(rendered: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(resource, policy name, document) of every IAM policy: roles' inline policies, bucket and queue policies."""
    out = []
    for name, res in rendered["Resources"].items():
        props = res.get("Properties", {})
        if res["Type"] == "AWS::IAM::Role":
            for pol in props.get("Policies", []):
                out.append((name, pol["PolicyName"], pol["PolicyDocument"]))
        elif res["Type"] in ("AWS::S3::BucketPolicy", "AWS::SQS::QueueInlinePolicy", "AWS::SQS::QueuePolicy"):
            out.append((name, res["Type"], props["PolicyDocument"]))
    return out
