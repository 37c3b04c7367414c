"""python -m tools.image_test --image IMAGE [--pack PACK] | --url URL — the image's answers against uvicorn's.

The reference is the app under uvicorn on this machine (the image's entry script in plain-HTTP mode, the same pack
from model_cache/). The same real-photo requests over the four routes then go to
  * the image in plain HTTP mode (`docker run -p`), and
  * the image under the Lambda Runtime Interface Emulator, as API Gateway events from the event maker
    (function/events: REST payload 1.0 and HTTP API payload 2.0),
or, with --url, to a service already running there (e.g. `make sam-local`). Every answer must equal uvicorn's field
for field: status, JSON body, headers. Volatile, and only compared in form: the health answer's `threads` (the
CPUs each side may use), the `x-request-id` header, and the HTTP server's own `date`/`server`/`connection`
headers.
Also checked: the image serves the pack it baked (no MODEL_PACK given at run time), and the emulator's log has no
X-Ray "Subsegment ... discarded" lines.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from function import events
from function.config import DEFAULT_MODEL_DIR
from tests.support import free_port
from tests.support.photos import DATA, wheel_photo
from tests.support.services import entry_env, start_entry, stop, wait_http
from tools.dockerrun import Container, daemon_answers, image_env

VOLATILE_FIELDS = {"/health": {"threads"}}
SERVER_HEADERS = {"date", "server", "connection"}  # the HTTP server's own (uvicorn, sam local's Flask)
VOLATILE_NOTE = "health.threads, x-request-id, date, server, connection"
SAME_PAIR = next((p.image1, p.image2) for p in DATA.lfw_pairs if p.same)


@dataclass(frozen=True)
class Case:
    name: str
    route: str
    photos: dict[str, Path]
    query: dict[str, str] | None = None


CASES = [
    Case("health", "/health", {}),
    Case("detect-group", "/detect", {"image": wheel_photo("gdp.jpg")}),
    Case("detect-noface", "/detect", {"image": DATA.noface / "dlib_eagle.jpg"}),
    Case("extract", "/extract-embedding", {"image": wheel_photo("yaoming.jpg")}),
    Case("extract-largest", "/extract-embedding", {"image": wheel_photo("players.jpg")}, {"face": "largest"}),
    Case("compare-lfw-same", "/compare", {"image1": SAME_PAIR[0], "image2": SAME_PAIR[1]}),
    Case("error-no-face", "/compare", {"image1": wheel_photo("yaoming.jpg"), "image2": DATA.noface / "dlib_eagle.jpg"}),
    Case("error-multiple-faces", "/extract-embedding", {"image": wheel_photo("players.jpg")}),
]


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]


def over_http(base_url: str, case: Case) -> Answer:
    photos = {k: p.read_bytes() for k, p in case.photos.items()}
    body, content_type = events.multipart(photos) if photos else (None, None)
    headers = {"content-type": content_type} if content_type else {}
    r = httpx.request("POST" if photos else "GET", base_url + case.route, content=body, headers=headers,
                      params=case.query, timeout=120)
    return Answer(r.status_code, r.json(), {k.lower(): v for k, v in r.headers.items() if k.lower() not in SERVER_HEADERS})


def over_rie(container: Container, case: Case, *, http_api: bool) -> Answer:
    photos = {k: p.read_bytes() for k, p in case.photos.items()}
    response = container.invoke(events.photo_event(case.route, photos, http_api=http_api, query=case.query))
    if "statusCode" not in response:
        raise RuntimeError(f"not an API Gateway proxy response: {str(response)[:500]}")
    return Answer(response["statusCode"], json.loads(events.response_body(response)), events.response_headers(response))


def differences(expected: Any, got: Any, path: str = "") -> Iterator[str]:
    """Every field where `got` differs from `expected`, by JSON path."""
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in sorted(set(expected) | set(got)):
            if key not in got or key not in expected:
                yield f"{path}.{key}: {'missing' if key not in got else 'unexpected'}"
            else:
                yield from differences(expected[key], got[key], f"{path}.{key}")
    elif isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        for i, (e, g) in enumerate(zip(expected, got, strict=True)):
            yield from differences(e, g, f"{path}[{i}]")
    elif expected != got or type(expected) is not type(got):
        yield f"{path or '.'}: expected {str(expected)[:80]!r}, got {str(got)[:80]!r}"


def compare(case: Case, reference: Answer, got: Answer) -> list[str]:
    problems = [] if got.status == reference.status else [f"status {got.status} != {reference.status}"]
    volatile = VOLATILE_FIELDS.get(case.route, set())
    ref_body, got_body = reference.body, got.body
    if volatile and isinstance(ref_body, dict) and isinstance(got_body, dict):
        missing = [f"body.{k}: missing" for k in volatile if (k in ref_body) != (k in got_body)]
        problems += missing
        ref_body = {k: v for k, v in ref_body.items() if k not in volatile}
        got_body = {k: v for k, v in got_body.items() if k not in volatile}
    problems += [f"body{d}" for d in differences(ref_body, got_body)]
    ref_headers, got_headers = dict(reference.headers), dict(got.headers)
    ref_id, got_id = ref_headers.pop("x-request-id", ""), got_headers.pop("x-request-id", "")
    if len(got_id) < 32 or len(ref_id) < 32:
        problems.append(f"x-request-id {got_id!r} (reference {ref_id!r})")
    problems += [f"header{d}" for d in differences(ref_headers, got_headers)]
    return problems


def summary(answer: Answer) -> str:
    body = answer.body if isinstance(answer.body, dict) else {}
    for key in ("face_count", "code", "same_person", "model"):
        if key in body:
            return f"{key}={body[key]}"
    return "embedding" if "embedding" in body else ""


def run_mode(mode: str, ask: Callable[[Case], Answer], reference: dict[str, Answer]) -> int:
    failures = 0
    for case in CASES:
        got = ask(case)
        problems = compare(case, reference[case.name], got)
        failures += bool(problems)
        verdict = "same as uvicorn" if not problems else "DIFFERS: " + "; ".join(problems[:5])
        print(f"  {mode:<14} {case.name:<22} {got.status} {summary(got):<18} {verdict}", flush=True)
    return failures


def reference_answers(pack: str, model_dir: Path, threads: str) -> dict[str, Answer]:
    with tempfile.TemporaryDirectory(prefix="image-test-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        port, log = free_port(), Path(tmp) / "uvicorn.log"
        proc = start_entry(entry_env(model_dir, home, PORT=str(port), HOST="127.0.0.1", MODEL_PACK=pack,
                                     ORT_THREADS=threads), log=log)
        try:
            wait_http(f"http://127.0.0.1:{port}/health", proc, log)
            return {case.name: over_http(f"http://127.0.0.1:{port}", case) for case in CASES}
        finally:
            stop(proc)


def test_image(image: str, pack: str, reference: dict[str, Answer], threads: str) -> int:
    baked = image_env(image).get("MODEL_PACK", "")
    print(f"image {image}: MODEL_PACK={baked!r} in its ENV")
    failures = int(baked != pack)
    if baked != pack:
        print(f"  FAIL: the image's MODEL_PACK is {baked!r}, expected {pack!r}")
    # Nothing but the thread count is set: the image must serve the pack it baked by itself.
    env = {"ORT_THREADS": threads}
    with Container(image, free_port(), 8000, env=env) as http:
        print(f"docker run -p (plain HTTP): first 200 after {http.wait_http():.2f} s")
        failures += run_mode("http", lambda c: over_http(http.base_url, c), reference)
    with Container(image, free_port(), 8080, env=env, rie=True) as rie:
        print("docker run under the Runtime Interface Emulator (API Gateway events from function/events):")
        failures += run_mode("rie rest-v1", lambda c: over_rie(rie, c, http_api=False), reference)
        failures += run_mode("rie http-v2", lambda c: over_rie(rie, c, http_api=True), reference)
        noise = [line for line in rie.logs().splitlines() if "discarded" in line.lower()]
        if noise:
            failures += 1
            print(f"  FAIL: {len(noise)} X-Ray 'discarded' lines in the emulator's log, e.g. {noise[0][:160]}")
        else:
            print("  emulator log: no X-Ray 'Subsegment discarded' lines")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.image_test", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--image", help="the image to test (built by `make image`)")
    target.add_argument("--url", help="a running service to compare instead (e.g. http://127.0.0.1:3000 of sam local)")
    parser.add_argument("--pack", default="buffalo_sc", help="the pack the image baked (default: %(default)s)")
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR, help="this machine's packs (reference)")
    parser.add_argument("--threads", default="1",
                        help="ORT_THREADS for the reference and the containers (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.image and not daemon_answers():
        print("image-test: no Docker daemon answers (`docker info` failed); start one first", file=sys.stderr)
        return 2
    print(f"reference: uvicorn on this machine, pack {args.pack}, ORT_THREADS={args.threads}")
    reference = reference_answers(args.pack, args.model_dir, args.threads)
    if args.url:
        print(f"{args.url}:")
        failures = run_mode("url", lambda c: over_http(args.url.rstrip("/"), c), reference)
        total = len(CASES)
    else:
        failures = test_image(args.image, args.pack, reference, args.threads)
        total = 3 * len(CASES)
    print(f"image-test: {'PASS' if not failures else 'FAIL'}: {total - failures if failures <= total else 0} of "
          f"{total} answers identical to uvicorn's (volatile aside: {VOLATILE_NOTE})"
          + (f"; {failures} failure(s)" if failures else ""))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
