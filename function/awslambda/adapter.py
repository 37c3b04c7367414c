"""Mangum wrapping: the app behind a top-level guard, so that an event Mangum cannot read is answered in the
service's one error shape (400 INVALID_REQUEST), never an exception out of the handler."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from mangum import Mangum

from function.api.errors import error_body
from function.awslambda.checks import malformed
from function.awslambda.stages import stage_relative
from function.errors import InvalidRequest

log = logging.getLogger("function")


def _ensure_event_loop() -> None:
    """Mangum runs the app on the thread's current event loop; give the thread one if something (asyncio.run) left
    it without."""
    try:
        asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        asyncio.set_event_loop(asyncio.new_event_loop())


def bad_event(reason: str) -> dict[str, Any]:
    """The 400 answer (API Gateway proxy shape) for an event that cannot be read as a request."""
    error = InvalidRequest(f"Malformed event: {reason}.")
    return {"statusCode": error.status, "headers": {"content-type": "application/json"},
            "body": json.dumps(error_body(error)), "isBase64Encoded": False}


class StageAwareMangum(Mangum):
    """Mangum that routes `/Prod/detect` on an HTTP API named stage to the app's `/detect`, behind a top-level guard:
    an event Mangum cannot read gets a 400 JSON answer (one WARNING line), never an exception out of the handler.
    The app itself answers its own errors (including 500s for bugs) before anything reaches this guard."""

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        reason = malformed(event)
        if reason is None:
            _ensure_event_loop()
            try:
                return super().__call__(stage_relative(event), context)
            except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:  # Mangum could not map it
                reason = f"it could not be read as an HTTP request ({type(exc).__name__})"
            except RuntimeError as exc:
                if "infer a handler" not in str(exc):
                    raise
                reason = "it is not an API Gateway or ALB proxy event"
        log.warning("malformed Lambda event refused: %s", reason)
        return bad_event(reason)
