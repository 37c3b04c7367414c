"""Log set-up for the Lambda entries (function/lambda_handler.py and function/batch/handler.py): the runtime client
installs its own root handler; anywhere else (a test, the Runtime Interface Emulator's host process) one is added,
in the same line format as `python -m function`."""

from __future__ import annotations

import logging

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    if not root.handlers:  # outside the Lambda runtime client (which installs its own handler)
        logging.basicConfig(format=LOG_FORMAT)
    logging.getLogger("function").setLevel(level)
