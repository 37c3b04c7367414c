"""python -m function.entry [HANDLER] — the container image's entry point; one image, two modes.

* Inside Lambda (and under the Runtime Interface Emulator, `sam local`), `AWS_LAMBDA_RUNTIME_API` is set: run the
  Lambda runtime client (awslambdaric) with HANDLER (the image's CMD; default function.lambda_handler.handler).
* Otherwise (`docker run -p 8000:8000 IMAGE`): serve the same app with uvicorn on $HOST:$PORT (default
  0.0.0.0:8000), exactly as `python -m function`; HANDLER is ignored.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

DEFAULT_HANDLER = "function.lambda_handler.handler"


def choose_mode(env: Mapping[str, str]) -> str:
    return "lambda" if env.get("AWS_LAMBDA_RUNTIME_API", "").strip() else "http"


def lambda_handler_name(argv: Sequence[str]) -> str:
    return argv[0] if argv and argv[0].strip() else DEFAULT_HANDLER


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if choose_mode(os.environ) == "lambda":
        from awslambdaric.__main__ import main as run_lambda_runtime

        run_lambda_runtime([sys.argv[0], lambda_handler_name(argv)])  # loops until the sandbox is shut down
        return 0
    from function.__main__ import main as serve

    return serve()


if __name__ == "__main__":
    sys.exit(main())
