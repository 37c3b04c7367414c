"""The README's example answers are the service's: every curl line of a block marked `<!-- example: ... -->` runs
against the app on the real buffalo_sc models, and its answer must match the same line of the ```json block after it.

How a shown answer matches a live one:
- strings, booleans, null and integers are equal; a number written with decimals may differ from the live one by at
  most one unit of its last written digit (0.675098: +-0.000001; 105.4: +-0.1), which keeps a model output rounded
  the other way on another CPU from failing while any real drift (0.070449 against 0.074884) still fails;
- an object holds exactly the live object's keys, unless it shows `...` among its members: then the live object may
  have more keys than those shown (each shown key must still be there, with a matching value);
- an array holds exactly the live array's elements, unless its last element is `...`: then the live array starts
  with the elements shown and has at least one more.
The bash block is read as a shell session (one for the whole README): `NAME=value` and
`NAME=$(curl ... | jq -c .field)` set a variable, `$NAME` is replaced, and every other line must be a curl call to
http://localhost:8000 with the options below, so that what the README tells a reader to run is what runs here.
"""

from __future__ import annotations

import json
import mimetypes
import re
import shlex
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from function.api.errors import ERROR_CODES
from function.config import REPO_ROOT

README = REPO_ROOT / "README.md"
BASE_URL = "http://localhost:8000"
ELIDED = "\u2026elided"  # what `...` becomes when the README's JSON is parsed
_BLOCK = re.compile(r"<!-- example:[^>]*-->\s*```bash\n((?:(?!```).)*)```(?:(?!```).)*```json\n((?:(?!```).)*)```", re.S)
_JQ_ASSIGN = re.compile(r"^(\w+)=\$\((curl .+) \| jq -c \.(\w+)\)$")
_ASSIGN = re.compile(r"^(\w+)=(\S+)$")
_VAR = re.compile(r"\$\{?(\w+)\}?")


# -- reading the README ---------------------------------------------------------------------------------------------
def parse_shown(text: str) -> Any:
    """A README answer as data: `...` becomes an ELIDED member (objects) or element (arrays); numbers with decimals
    become Decimal, so that the digits the README wrote are known."""
    out: list[str] = []
    stack: list[str] = []
    i, in_string = 0, False
    while i < len(text):
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\":
                out.append(text[i + 1])
                i += 1
            elif ch == '"':
                in_string = False
        elif text.startswith("...", i):
            out.append(f'"{ELIDED}":null' if stack and stack[-1] == "{" else f'"{ELIDED}"')
            i += 2
        else:
            if ch == '"':
                in_string = True
            elif ch in "{[":
                stack.append(ch)
            elif ch in "}]":
                stack.pop()
            out.append(ch)
        i += 1
    return json.loads("".join(out), parse_float=Decimal)


@dataclass
class Request:
    method: str = "GET"
    path: str = ""
    files: list[tuple[str, tuple[str, bytes, str]]] = field(default_factory=list)
    data: dict[str, str] = field(default_factory=dict)


def parse_curl(line: str, env: dict[str, str]) -> Request:
    """One curl command line (without its `| jq`), with the options the README uses, its variables replaced."""
    request = Request()
    args = iter(_VAR.sub(lambda m: env[m.group(1)], arg) for arg in shlex.split(line, comments=True))
    assert next(args) == "curl", line
    for arg in args:
        if arg == "-s":
            continue
        if arg == "-F":
            name, value = next(args).split("=", 1)
            if value.startswith("@"):
                path = REPO_ROOT / value[1:]
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                request.files.append((name, (path.name, path.read_bytes(), kind)))
            else:
                request.data[name] = value
            request.method = "POST"
        elif arg.startswith(BASE_URL):
            request.path = arg[len(BASE_URL):]
        else:
            raise AssertionError(f"curl option {arg!r} is not understood by this test: {line}")
    assert request.path, f"no {BASE_URL} URL: {line}"
    return request


def session() -> list[tuple[str, str | None]]:
    """Every command line of the marked bash blocks, in order, with its answer line from the json block after it
    (None for an assignment, which the json block does not answer)."""
    steps: list[tuple[str, str | None]] = []
    blocks = _BLOCK.findall(README.read_text())
    assert blocks, "the README has no marked example"
    for commands, answers in blocks:
        lines = [line for line in commands.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        shown = iter(line for line in answers.splitlines() if line.strip())
        for line in lines:
            steps.append((line, None if _ASSIGN.match(line) or _JQ_ASSIGN.match(line) else next(shown, "")))
        assert next(shown, None) is None, f"more answers than curl lines:\n{answers}"
    return steps


# -- comparing ------------------------------------------------------------------------------------------------------
def mismatches(shown: Any, live: Any, where: str = "$") -> list[str]:
    """Where `live` differs from the README's `shown` (empty: they match), by the rules in the module docstring."""
    if isinstance(shown, dict):
        if not isinstance(live, dict):
            return [f"{where}: object shown, {type(live).__name__} answered"]
        keys = [k for k in shown if k != ELIDED]
        problems = [f"{where}: no {k!r} in the answer" for k in keys if k not in live]
        if ELIDED not in shown and set(live) - set(keys):
            problems.append(f"{where}: the answer also has {sorted(set(live) - set(keys))} (show them, or `...`)")
        for k in keys:
            if k in live:
                problems += mismatches(shown[k], live[k], f"{where}.{k}")
        return problems
    if isinstance(shown, list):
        if not isinstance(live, list):
            return [f"{where}: array shown, {type(live).__name__} answered"]
        elided = bool(shown) and shown[-1] == ELIDED
        head = shown[:-1] if elided else shown
        if (len(live) <= len(head)) if elided else (len(live) != len(head)):
            return [f"{where}: {len(live)} elements answered, {len(head)}{' and more' if elided else ''} shown"]
        return [p for i, item in enumerate(head) for p in mismatches(item, live[i], f"{where}[{i}]")]
    if isinstance(shown, Decimal):
        if isinstance(live, bool) or not isinstance(live, int | float):
            return [f"{where}: {shown} shown, {live!r} answered"]
        unit = Decimal(1).scaleb(shown.as_tuple().exponent)  # type: ignore[arg-type]  # finite: from JSON
        return [] if abs(Decimal(repr(live)) - shown) <= unit else [f"{where}: {shown} shown, {live!r} answered"]
    if isinstance(shown, int) and not isinstance(shown, bool):
        ok = not isinstance(live, bool) and isinstance(live, int | float) and live == shown
        return [] if ok else [f"{where}: {shown} shown, {live!r} answered"]
    same = type(shown) is type(live) and shown == live
    return [] if same else [f"{where}: {shown!r} shown, {live!r} answered"]


# -- the test ---------------------------------------------------------------------------------------------------------
def test_readme_answers(client: TestClient) -> None:
    env: dict[str, str] = {}
    failures: list[str] = []
    checked = 0
    for line, shown in session():
        if m := _ASSIGN.match(line):
            env[m.group(1)] = m.group(2)
            continue
        jq = _JQ_ASSIGN.match(line)
        request = parse_curl(jq.group(2) if jq else line, env)
        response = client.request(request.method, request.path, files=request.files or None,
                                  data=request.data or None)
        live = response.json()
        if jq:
            assert response.status_code == 200, (line, live)
            env[jq.group(1)] = json.dumps(live[jq.group(3)], separators=(",", ":"))
            continue
        assert shown, f"no answer shown for {line}"
        checked += 1
        if isinstance(live, dict) and live.get("success") is False:
            expected = ERROR_CODES[live["code"]][0]
            if response.status_code != expected:
                failures.append(f"{line}\n  status {response.status_code}, {live['code']} is {expected}")
        elif response.status_code != 200:
            failures.append(f"{line}\n  status {response.status_code}: {live}")
        problems = mismatches(parse_shown(shown), live)
        if problems:
            failures.append(f"{line}\n  " + "\n  ".join(problems) + f"\n  live answer: {response.text}")
    assert checked >= 5, checked
    assert not failures, "README answers differ from the service's:\n" + "\n".join(failures)


def test_every_local_curl_in_the_readme_is_checked() -> None:
    """A curl call to the local service outside a marked example would be an answer nobody checks."""
    marked = "".join(commands for commands, _ in _BLOCK.findall(README.read_text()))
    for line in README.read_text().splitlines():
        if "curl " in line and BASE_URL in line:
            assert line in marked, line


# -- the comparison itself can fail -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("shown", "live", "ok"), [
    ('{"similarity":0.070449}', {"similarity": 0.074884}, False),  # the drift this test exists for
    ('{"similarity":0.070449}', {"similarity": 0.07045}, True),  # rounded the other way: one unit
    ('{"similarity":0.070449}', {"similarity": 0.070451}, False),  # two units
    ('{"face_count":1}', {"face_count": 2}, False),
    ('{"usable":true}', {"usable": 1}, False),
    ('{"a":1}', {"a": 1, "b": 2}, False),  # a field the README does not show
    ('{"a":1,...}', {"a": 1, "b": 2}, True),
    ('{...,"b":2}', {"a": 1, "b": 3}, False),
    ('{"a":1,...}', {"b": 2}, False),
    ('{"e":[0.1,0.2,...]}', {"e": [0.1, 0.2, 0.3]}, True),
    ('{"e":[0.1,0.2,...]}', {"e": [0.1, 0.2]}, False),  # `...` says more elements follow
    ('{"e":[0.1,0.5,...]}', {"e": [0.1, 0.2, 0.3]}, False),
    ('{"e":[0.1,0.2]}', {"e": [0.1, 0.2, 0.3]}, False),
    ('{"s":"a ... b"}', {"s": "a ... b"}, True),  # `...` inside a string is text
    ('{"x":250.0}', {"x": 250}, True),
    ('{"r":[]}', {"r": ["face_too_small"]}, False),
])
def test_comparison(shown: str, live: Any, ok: bool) -> None:
    assert (mismatches(parse_shown(shown), live) == []) is ok
