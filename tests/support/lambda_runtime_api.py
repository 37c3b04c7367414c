"""A minimal local implementation of the AWS Lambda Runtime API (2018-06-01), enough for the real runtime client
(awslambdaric) to run its loop against it:

    GET  /2018-06-01/runtime/invocation/next          -> the next queued event (blocks while none)
    POST /2018-06-01/runtime/invocation/{id}/response -> the handler's result
    POST /2018-06-01/runtime/invocation/{id}/error    -> the handler's error
    POST /2018-06-01/runtime/init/error               -> the init phase failed

https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/2018-06-01/runtime"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:face-recognition-service"


class RuntimeAPI:
    def __init__(self) -> None:
        self.events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self.results: dict[str, tuple[str, Any]] = {}  # request id -> ("response" | "error", decoded body)
        self.init_error: Any = None
        self.next_calls = 0
        self._done = threading.Condition()
        self._stopping = threading.Event()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt: str, *args: Any) -> None:  # keep pytest output clean
                pass

            def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path != f"{PREFIX}/invocation/next":
                    return self._reply(404, b'{"errorMessage": "unknown path"}')
                api.next_calls += 1
                while not api._stopping.is_set():
                    try:
                        request_id, event = api.events.get(timeout=0.2)
                    except queue.Empty:
                        continue
                    deadline_ms = int((time.time() + 60) * 1000)
                    return self._reply(200, json.dumps(event).encode(), {
                        "Lambda-Runtime-Aws-Request-Id": request_id,
                        "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                        "Lambda-Runtime-Invoked-Function-Arn": FUNCTION_ARN,
                        "Lambda-Runtime-Trace-Id": f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]};Sampled=0",
                    })
                self._reply(500, b'{"errorMessage": "runtime API shutting down"}')

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                parts = self.path[len(PREFIX):].strip("/").split("/")
                if parts == ["init", "error"]:
                    api._record(None, "init_error", body)
                    return self._reply(202, b'{"status": "OK"}')
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in {"response", "error"}:
                    api._record(parts[1], parts[2], body)
                    return self._reply(202, b'{"status": "OK"}')
                self._reply(404, b'{"errorMessage": "unknown path"}')

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host}:{port}"

    def _record(self, request_id: str | None, kind: str, body: Any) -> None:
        with self._done:
            if request_id is None:
                self.init_error = body
            else:
                self.results[request_id] = (kind, body)
            self._done.notify_all()

    def invoke(self, event: dict[str, Any]) -> str:
        """Queue an event; returns its request id."""
        request_id = str(uuid.uuid4())
        self.events.put((request_id, event))
        return request_id

    def wait(self, request_id: str, timeout: float) -> tuple[str, Any]:
        """("response" | "error", body) once the runtime posts it; raises TimeoutError (or on an init error)."""
        with self._done:
            ok = self._done.wait_for(lambda: request_id in self.results or self.init_error is not None, timeout)
            if request_id in self.results:
                return self.results[request_id]
            if self.init_error is not None:
                raise RuntimeError(f"init error: {self.init_error}")
            raise TimeoutError(f"no result for {request_id} within {timeout}s (ok={ok})")

    def wait_init_error(self, timeout: float) -> Any:
        with self._done:
            self._done.wait_for(lambda: self.init_error is not None, timeout)
            return self.init_error

    def __enter__(self) -> RuntimeAPI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self.server.shutdown()
        self.server.server_close()
