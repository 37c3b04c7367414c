"""Request body -> image bytes per field. Multipart (files held in memory, never spooled to disk) or JSON
(base64, optionally as a data URL). The body is capped at MAX_UPLOAD_BYTES while it streams in and must arrive
within the request's deadline; a client that disconnects mid-upload ends as one log line (499), not an error."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header
from starlette.requests import ClientDisconnect, Request

from function.deadline import Deadline
from function.errors import (
    ClientClosedRequest,
    DuplicateField,
    InvalidRequest,
    MissingField,
    PayloadTooLarge,
    RequestTimeout,
    S3NotAllowed,
    UnsupportedMediaType,
)
from function.limits import MAX_BOUNDARY, MAX_JSON_CONTAINERS, MAX_JSON_VALUES, MAX_PART_HEADERS, MAX_PARTS

S3Fetcher = Callable[[object, str, Deadline], Awaitable[bytes]]  # (uri as sent, field, deadline) -> bytes
_ECHO = 40  # characters of a client-sent field name echoed in an error message
_BASE64_BODY = re.compile(rb"^[A-Za-z0-9+/=\r\n]+$")
_DATA_URL = re.compile(r"^data:[\w.+-]+/[\w.+-]+(;[\w=.+-]+)*;base64,", re.IGNORECASE)


@dataclass
class Part:
    name: str = ""
    filename: str | None = None
    content_type: str = ""
    chunks: list[bytes] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)


async def read_body(request: Request, max_bytes: int, deadline: Deadline | None = None) -> bytes:
    """The whole body, refused with 413 from Content-Length alone or as soon as the stream passes the cap; 408 when
    it has not arrived by the deadline; 499 (logged, answered to nobody) when the client goes away."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(f"The request body is {int(declared):,} bytes; the limit is {max_bytes:,} bytes.")

    async def collect() -> bytes:
        chunks, total = [], 0
        async for chunk in request.stream():
            total += len(chunk)
            if total > max_bytes:
                raise PayloadTooLarge(f"The request body is larger than the limit of {max_bytes:,} bytes.")
            chunks.append(chunk)
        return b"".join(chunks)

    try:
        return await asyncio.wait_for(collect(), (deadline or Deadline.never()).timeout())
    except TimeoutError:
        raise RequestTimeout("The request body did not arrive within the request deadline.") from None
    except ClientDisconnect:
        raise ClientClosedRequest("The client disconnected before the request body arrived.") from None


def parse_multipart(body: bytes, boundary: bytes) -> list[Part]:
    parts: list[Part] = []
    current: list[Part] = []
    header_field: list[bytes] = []
    header_value: list[bytes] = []

    def on_part_begin() -> None:
        if len(parts) >= MAX_PARTS:
            raise InvalidRequest(f"The multipart body has more than {MAX_PARTS} parts.")
        current[:] = [Part()]

    def on_part_data(data: bytes, start: int, end: int) -> None:
        current[0].chunks.append(data[start:end])

    def on_part_end() -> None:
        parts.append(current[0])

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.append(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.append(data[start:end])

    def on_header_end() -> None:
        name = b"".join(header_field).decode("latin-1").lower()
        value = b"".join(header_value).decode("latin-1")
        current[0].headers[name] = value
        if len(current[0].headers) > MAX_PART_HEADERS:
            raise InvalidRequest(f"A multipart part has more than {MAX_PART_HEADERS} headers.")
        header_field.clear()
        header_value.clear()
        if name == "content-disposition":
            _, params = parse_options_header(value)
            current[0].name = params.get(b"name", b"").decode("utf-8", "replace")
            raw_filename = params.get(b"filename")
            current[0].filename = raw_filename.decode("utf-8", "replace") if raw_filename is not None else None
        elif name == "content-type":
            current[0].content_type = value

    try:
        parser = MultipartParser(boundary, {
            "on_part_begin": on_part_begin, "on_part_data": on_part_data, "on_part_end": on_part_end,
            "on_header_field": on_header_field, "on_header_value": on_header_value, "on_header_end": on_header_end,
        })
        parser.write(body)
        parser.finalize()
    except (MultipartParseError, ValueError) as exc:
        raise InvalidRequest(_explain_bad_multipart(body)) from exc
    if not parts and body.strip():
        raise InvalidRequest(_explain_bad_multipart(body))
    return parts


def _explain_bad_multipart(body: bytes) -> str:
    sample = body[:4096].strip()
    if sample and _BASE64_BODY.match(sample) and not sample.startswith(b"--"):
        return ("The multipart body arrived base64-encoded but not marked as such: behind API Gateway, add "
                "multipart/form-data to the API's binary media types (BinaryMediaTypes).")
    return "The request body is not valid multipart/form-data."


def decode_base64_field(value: object, name: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise InvalidRequest(f"Field {name!r} must be a non-empty base64 string.", field=name)
    text = "".join(_DATA_URL.sub("", value.strip(), count=1).split())  # line-wrapped base64 is fine
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequest(f"Field {name!r} is not valid base64.", field=name) from exc


@dataclass
class Form:
    """What a request carried: image bytes per image field, and the other named fields (the JSON value, or the
    text of a multipart part)."""

    images: dict[str, bytes]
    fields: dict[str, object]


async def read_images(request: Request, names: tuple[str, ...], max_bytes: int,
                      s3_fetch: S3Fetcher | None = None, deadline: Deadline | None = None) -> dict[str, bytes]:
    """The image bytes of each named field, from multipart/form-data or application/json."""
    return (await read_form(request, names, (), max_bytes, s3_fetch, deadline)).images


async def read_form(request: Request, names: tuple[str, ...], fields: tuple[str, ...], max_bytes: int,
                    s3_fetch: S3Fetcher | None = None, deadline: Deadline | None = None) -> Form:
    """The image bytes of each field in `names`, and the value of each field in `fields` (all required), from
    multipart/form-data or application/json."""
    deadline = deadline or Deadline.never()
    mime, params = parse_options_header(request.headers.get("content-type", ""))
    mime = mime.lower()
    if mime == b"multipart/form-data":
        boundary = params.get(b"boundary")
        if not boundary:
            raise InvalidRequest("multipart/form-data needs a boundary parameter in Content-Type.")
        if len(boundary) > MAX_BOUNDARY:
            raise InvalidRequest(f"The multipart boundary is {len(boundary)} bytes long; at most {MAX_BOUNDARY} "
                                 "are allowed (RFC 2046).")
        parts = parse_multipart(await read_body(request, max_bytes, deadline), boundary)
        found: dict[str, bytes] = {}
        for name in names + fields:
            matching = [p for p in parts if p.name == name]
            if not matching:
                raise MissingField(_missing(name, [p.name for p in parts]), field=name)
            if len(matching) > 1:
                raise DuplicateField(f"Field {name!r} holds {len(matching)} files; send exactly one.", field=name)
            found[name] = matching[0].data
        return Form({n: found[n] for n in names}, {f: _text_field(found[f], f) for f in fields})
    if mime == b"application/json":
        body = await read_body(request, max_bytes, deadline)
        _check_json_size(body)
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidRequest("The request body is not valid JSON.") from exc
        except RecursionError:  # nested deeper than the interpreter's recursion limit
            raise InvalidRequest("The JSON body is nested too deeply.") from None
        if not isinstance(doc, dict):
            raise InvalidRequest("The JSON body must be an object, e.g. {\"image\": \"<base64>\"}.")
        images = {}
        for name in names:
            if name in doc:
                images[name] = decode_base64_field(doc[name], name)
            elif f"{name}_s3" in doc:
                if s3_fetch is None:
                    raise S3NotAllowed("S3 input is not enabled on this service.", field=f"{name}_s3")
                images[name] = await s3_fetch(doc[f"{name}_s3"], name, deadline)
            else:
                raise MissingField(_missing(name, list(doc)), field=name)
        for name in fields:
            if name not in doc:
                raise MissingField(_missing(name, list(doc)), field=name)
        return Form(images, {f: doc[f] for f in fields})
    if not mime:
        raise UnsupportedMediaType("Content-Type is missing: send multipart/form-data or application/json.")
    raise UnsupportedMediaType(f"Content-Type {mime.decode('latin-1')!r} is not accepted: send multipart/form-data "
                               "or application/json.")


def _check_json_size(body: bytes) -> None:
    """Refuse, before parsing, a JSON body that would parse into more objects than any request needs (counted on
    the raw bytes: base64 and numbers hold none of these characters, so strings only overcount)."""
    containers = body.count(b"{") + body.count(b"[") + body.count(b'"') // 2
    if containers > MAX_JSON_CONTAINERS or body.count(b",") > MAX_JSON_VALUES:
        raise InvalidRequest(f"The JSON body holds more than {MAX_JSON_CONTAINERS:,} objects, arrays and strings or "
                             f"{MAX_JSON_VALUES:,} values; no request needs that many.")


def _text_field(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"Field {name!r} must be UTF-8 text.", field=name) from exc


def _missing(name: str, present: list[str]) -> str:
    msg = f"The field {name!r} is required."
    seen = [p if len(p) <= _ECHO else p[:_ECHO] + "..." for p in present if p]
    if seen:
        msg += f" Received: {', '.join(repr(p) for p in seen[:5])}."
    return msg
