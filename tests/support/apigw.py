"""API Gateway events for tests: the event maker in function/events (the same one that `python -m function.events`
runs for docs/deploy.md's Runtime Interface Emulator example), re-exported under the names the tests use."""

from function.events import (
    generated_event,
    http_api_event,
    multipart,
    photo_event,
    response_body,
    response_headers,
    rest_event,
)

__all__ = ["generated_event", "http_api_event", "multipart", "photo_event", "response_body", "response_headers",
           "rest_event"]
