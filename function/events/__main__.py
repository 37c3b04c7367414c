"""python -m function.events [PHOTO ...] --route ROUTE [--http-api] — print an API Gateway event for one request.

The photos go into a multipart/form-data body, base64-encoded with isBase64Encoded true, as API Gateway delivers an
upload when multipart/form-data is a binary media type (template.yaml). Fields: one photo = `image`, two = `image1`
and `image2` (/compare); FIELD=PATH names a field. No photo = a GET (e.g. --route /health). Examples:

    python -m function.events photo.jpg --route /detect > event.json
    python -m function.events a.jpg b.jpg --route /compare --http-api > event.json
    curl -X POST http://localhost:9000/2015-03-31/functions/function/invocations -d @event.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from function.events import photo_event

DEFAULT_FIELDS = {1: ["image"], 2: ["image1", "image2"]}


def photo_fields(args: list[str]) -> dict[str, Path]:
    """FIELD=PATH or PATH arguments -> field -> path; unnamed photos get the default names for their count."""
    named: dict[str, Path] = {}
    unnamed: list[Path] = []
    for arg in args:
        field, sep, rest = arg.partition("=")
        if sep and field.isidentifier() and not Path(arg).exists():
            named[field] = Path(rest)
        else:
            unnamed.append(Path(arg))
    if unnamed:
        if named or len(unnamed) not in DEFAULT_FIELDS:
            raise ValueError("give one or two photos, or name every field as FIELD=PATH")
        named = dict(zip(DEFAULT_FIELDS[len(unnamed)], unnamed, strict=True))
    return named


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m function.events", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("photos", nargs="*", help="PATH or FIELD=PATH")
    parser.add_argument("--route", required=True, help="the app's path: /detect, /extract-embedding, /compare, /health")
    parser.add_argument("--http-api", action="store_true", help="HTTP API payload 2.0 (default: REST API payload 1.0)")
    parser.add_argument("--query", action="append", default=[], metavar="NAME=VALUE", help="query parameter (repeatable)")
    parser.add_argument("--method", help="HTTP method (default: POST with photos, GET without)")
    parser.add_argument("--stage", help="API stage (default: Prod for REST, $default for an HTTP API)")
    parser.add_argument("-o", "--output", type=Path, help="write the event here instead of stdout")
    args = parser.parse_args(argv)
    if not args.route.startswith("/"):
        parser.error("--route must start with / (e.g. /detect)")
    try:
        fields = photo_fields(args.photos)
        photos = {name: path.read_bytes() for name, path in fields.items()}
    except (ValueError, OSError) as exc:
        parser.error(str(exc))
    query = dict(q.partition("=")[::2] for q in args.query)
    event = photo_event(args.route, photos, http_api=args.http_api, query=query or None, method=args.method,
                        stage=args.stage)
    text = json.dumps(event, indent=1) + "\n"
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
