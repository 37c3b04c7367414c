"""Events for the batch function, built on the shapes AWS sends (function/events/*.json):

* SQS: `sam local generate-event sqs receive-message`, one record per photo, each body the S3 notification
  `sam local generate-event s3 put` writes (its key URL-encoded as S3 encodes keys in notifications);
* Distributed Map: SAM CLI has no generator for ItemBatcher's batches, so stepfunctions-map-itembatcher.json is
  written from the Step Functions developer guide (ItemBatcher, and ItemReader's ListObjectsV2 items: Etag, Key,
  LastModified, Size, StorageClass); BatchInput is what template.yaml's state machine passes (bucket, run).

    python -m function.batch.events map BUCKET KEY... > map.json   (sizes and ETags from --etag/--size are optional)
    python -m function.batch.events sqs BUCKET KEY... > sqs.json
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import uuid
from typing import Any
from urllib.parse import quote_plus

from function.events import generated_event

SQS = "sqs-receive-message.json"
S3_PUT = "s3-put.json"
MAP = "stepfunctions-map-itembatcher.json"


def s3_notification(bucket: str, key: str, size: int = 0, etag: str = "") -> dict[str, Any]:
    event = generated_event(S3_PUT)
    rec = event["Records"][0]
    rec["s3"]["bucket"].update(name=bucket, arn=f"arn:aws:s3:::{bucket}")
    rec["s3"]["object"].update(key=quote_plus(key, safe="/"), size=size, eTag=etag)
    return event


def sqs_event(bodies: list[str]) -> dict[str, Any]:
    template = generated_event(SQS)["Records"][0]
    records = []
    for body in bodies:
        rec = copy.deepcopy(template)
        rec.update(messageId=str(uuid.uuid4()), body=body)
        records.append(rec)
    return {"Records": records}


def sqs_s3_event(photos: list[tuple[str, str, int, str]]) -> dict[str, Any]:
    """One SQS record per (bucket, key, size, etag), each carrying that photo's S3 notification."""
    return sqs_event([json.dumps(s3_notification(*p)) for p in photos])


def map_event(bucket: str, items: list[tuple[str, int, str]], run: str = "example-execution") -> dict[str, Any]:
    """An ItemBatcher batch of ListObjectsV2 items (key, size, etag)."""
    event = generated_event(MAP)
    template = event["Items"][0]
    event["Items"] = [{**template, "Key": key, "Size": size, "Etag": f'"{etag}"'} for key, size, etag in items]
    event["BatchInput"] = {"bucket": bucket, "run": run}
    return event


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m function.batch.events", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("shape", choices=["map", "sqs"])
    p.add_argument("bucket")
    p.add_argument("keys", nargs="+")
    p.add_argument("--run", default="example-execution", help="map: the execution name in BatchInput")
    args = p.parse_args(argv)
    if args.shape == "map":
        event = map_event(args.bucket, [(k, 0, "") for k in args.keys], args.run)
    else:
        event = sqs_s3_event([(args.bucket, k, 0, "") for k in args.keys])
    json.dump(event, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
