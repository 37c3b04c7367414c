"""Secure and bounded by default on AWS (issue #30), on template.yaml as AWS's SAM translator renders it (what
`sam deploy` submits to CloudFormation), Fn::If resolved for each parameter setting: with the defaults every method
needs the API key, the stage throttles every method and the function's concurrency is reserved; AWS_IAM puts SigV4
on every method and creates the caller's policy; the NONE opt-out removes exactly the authorization and keeps the
bounds; samconfig.toml deploys with auth; docs/deploy.md's deploy commands name outputs the stack has."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

import jmespath
import pytest

from function.config import REPO_ROOT
from tests.deploy.test_deploy_files import by_type, deployed, load_template

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "x-amazon-apigateway-any-method"}
API_KEY_SCHEME = {"type": "apiKey", "name": "x-api-key", "in": "header"}
SIGV4_SCHEME = {"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authtype": "awsSigv4"}
AUTH_RESOURCES = {"ApiKey", "UsagePlan", "UsagePlanKey"}  # AuthMode=API_KEY's own


def body(t: dict[str, Any]) -> dict[str, Any]:
    (api,) = by_type(t, "AWS::ApiGateway::RestApi").values()
    return api["Properties"]["Body"]


def method_security(t: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """'METHOD /path' -> the security requirement of every method of the rendered API (None where none is set)."""
    out = {}
    for path, item in body(t)["paths"].items():
        assert set(item) <= HTTP_METHODS, (path, set(item))  # nothing but methods on a path
        for method, op in item.items():
            out[f"{method} {path}"] = op.get("security")
    assert out
    return out


def schemes_required(t: dict[str, Any]) -> list[dict[str, Any]]:
    """The security scheme each method requires (every method must require exactly one)."""
    definitions = body(t).get("securityDefinitions", {})
    found = []
    for route, security in method_security(t).items():
        assert security and len(security) == 1 and len(security[0]) == 1, f"{route} requires no authorization"
        (name,) = security[0]
        found.append(definitions[name])
    return found


def face_function(t: dict[str, Any]) -> dict[str, Any]:
    return by_type(t, "AWS::Lambda::Function")["FaceFunction"]["Properties"]


def stage_throttling(t: dict[str, Any]) -> list[dict[str, Any]]:
    (stage,) = by_type(t, "AWS::ApiGateway::Stage").values()
    return stage["Properties"].get("MethodSettings", [])


def test_defaults_every_method_needs_the_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    params = load_template()["Parameters"]
    assert params["AuthMode"]["Default"] == "API_KEY"
    assert sorted(params["AuthMode"]["AllowedValues"]) == ["API_KEY", "AWS_IAM", "NONE"]
    t = deployed({}, monkeypatch)
    assert schemes_required(t) == [API_KEY_SCHEME] * len(method_security(t))
    assert set(method_security(t)) == {"x-amazon-apigateway-any-method /", "x-amazon-apigateway-any-method /{proxy+}"}
    assert set(t["Resources"]) >= AUTH_RESOURCES
    plan = t["Resources"]["UsagePlan"]["Properties"]
    assert plan["ApiStages"][0]["ApiId"] == {"Ref": "FaceApi"}
    assert plan["Throttle"] == {"RateLimit": {"Ref": "ApiThrottleRate"}, "BurstLimit": {"Ref": "ApiThrottleBurst"}}
    key = t["Resources"]["UsagePlanKey"]["Properties"]
    assert key["KeyId"] == {"Ref": "ApiKey"} and key["UsagePlanId"] == {"Ref": "UsagePlan"}
    assert t["Resources"]["ApiKey"]["Properties"]["Enabled"] is True
    assert "ApiKeyId" in t["Outputs"] and "InvokePolicyArn" not in t["Outputs"]
    assert not by_type(t, "AWS::IAM::ManagedPolicy")


def test_iam_mode_every_method_needs_sigv4(monkeypatch: pytest.MonkeyPatch) -> None:
    t = deployed({"AuthMode": "AWS_IAM"}, monkeypatch)
    assert schemes_required(t) == [SIGV4_SCHEME] * len(method_security(t))
    assert not AUTH_RESOURCES & set(t["Resources"]) and "ApiKeyId" not in t["Outputs"]
    (policy,) = by_type(t, "AWS::IAM::ManagedPolicy").values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "execute-api:Invoke"
    resource = statement["Resource"]["Fn::Sub"]
    assert resource.endswith(":${FaceApi}/${StageName}/*") and ":execute-api:${AWS::Region}:${AWS::AccountId}:" in resource
    assert t["Outputs"]["InvokePolicyArn"]["Value"] == {"Ref": "InvokePolicy"}
    # the document docs/deploy.md's command prints is the policy's own
    printed = json.loads(t["Outputs"]["InvokePolicyDocument"]["Value"]["Fn::Sub"])
    assert printed["Statement"] == [{**statement, "Resource": resource}]
    assert printed["Version"] == policy["Properties"]["PolicyDocument"]["Version"]


@pytest.mark.parametrize("mode", ["API_KEY", "AWS_IAM", "NONE"])
def test_bounded_in_every_auth_mode(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stage throttling on every method and the API function's reserved concurrency, whatever AuthMode says."""
    params = load_template()["Parameters"]
    assert (params["ApiThrottleRate"]["Default"], params["ApiThrottleBurst"]["Default"]) == (20, 40)
    assert params["ApiReservedConcurrency"]["Default"] == 20 and params["ApiReservedConcurrency"]["MinValue"] == 0
    t = deployed({"AuthMode": mode}, monkeypatch)
    assert stage_throttling(t) == [{"ResourcePath": "/*", "HttpMethod": "*",
                                    "ThrottlingRateLimit": {"Ref": "ApiThrottleRate"},
                                    "ThrottlingBurstLimit": {"Ref": "ApiThrottleBurst"}}]
    assert face_function(t)["ReservedConcurrentExecutions"] == {"Ref": "ApiReservedConcurrency"}


def test_reserved_concurrency_zero_reserves_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """0 leaves the property out (Lambda reads ReservedConcurrentExecutions: 0 as 'never run')."""
    assert "ReservedConcurrentExecutions" not in face_function(deployed({"ApiReservedConcurrency": "0"}, monkeypatch))
    set_five = face_function(deployed({"ApiReservedConcurrency": "5"}, monkeypatch))
    assert set_five["ReservedConcurrentExecutions"] == {"Ref": "ApiReservedConcurrency"}


def normalized(t: dict[str, Any]) -> dict[str, Any]:
    """The rendered template with SAM's content-hashed deployment id (it follows the API body) made constant."""
    text = re.sub(r"FaceApiDeployment[0-9a-f]{10}", "FaceApiDeployment", json.dumps(t))
    return json.loads(re.sub(r"RestApi deployment id: [0-9a-f]+", "RestApi deployment id", text))


def test_opt_out_removes_exactly_the_authorization(monkeypatch: pytest.MonkeyPatch) -> None:
    default, opted_out = normalized(deployed({}, monkeypatch)), normalized(deployed({"AuthMode": "NONE"}, monkeypatch))
    assert all(s == [] for s in method_security(opted_out).values())  # `security: []`: no authorization
    assert set(default["Resources"]) - set(opted_out["Resources"]) == AUTH_RESOURCES
    assert set(opted_out["Resources"]) <= set(default["Resources"])
    assert set(default["Outputs"]) - set(opted_out["Outputs"]) == {"ApiKeyId"}
    # everything else is the same, throttling and concurrency included: only the methods' security differs
    for name, resource in opted_out["Resources"].items():
        if name == "FaceApi":
            for path in resource["Properties"]["Body"]["paths"]:
                for method in resource["Properties"]["Body"]["paths"][path]:
                    default["Resources"][name]["Properties"]["Body"]["paths"][path][method].pop("security")
                    resource["Properties"]["Body"]["paths"][path][method].pop("security")
        assert resource == default["Resources"][name], name
    assert stage_throttling(opted_out) and face_function(opted_out)["ReservedConcurrentExecutions"]


def test_samconfig_deploys_with_auth() -> None:
    deploy = tomllib.loads((REPO_ROOT / "samconfig.toml").read_text())["default"]["deploy"]["parameters"]
    overrides = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', deploy["parameter_overrides"]))
    assert overrides.get("AuthMode", "API_KEY") == "API_KEY"
    assert set(overrides) <= set(load_template()["Parameters"])  # no override the template no longer reads


def deploy_doc_section(title: str) -> str:
    text = (REPO_ROOT / "docs" / "deploy.md").read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def test_deploy_doc_commands_print_the_key_and_the_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each `describe-stacks --query` in docs/deploy.md's deploy section, run on a describe-stacks answer holding the
    outputs the stack has in the mode it is for, picks exactly that output."""
    section = deploy_doc_section("Deploy to AWS")
    queries = re.findall(r'--query\s+"(Stacks\[0\]\.Outputs\[\?OutputKey==\'(\w+)\'\]\.OutputValue)"', section)
    named = {key for _, key in queries}
    assert {"ApiUrl", "ApiKeyId", "InvokePolicyDocument"} <= named, named
    for mode in ("API_KEY", "AWS_IAM"):
        outputs = deployed({"AuthMode": mode}, monkeypatch)["Outputs"]
        answer = {"Stacks": [{"Outputs": [{"OutputKey": k, "OutputValue": f"value-of-{k}"} for k in outputs]}]}
        for query, key in queries:
            if key in outputs:
                assert jmespath.search(query, answer) == [f"value-of-{key}"], query
    assert "aws apigateway get-api-key" in section and "--include-value" in section
    assert "AuthMode=NONE" in section and "AuthMode=AWS_IAM" in section
