"""python -m function.batch.notify BUCKET QUEUE_ARN [--prefix photos/]: the input bucket's s3:ObjectCreated:*
notifications to the bulk queue (template.yaml's BulkQueue, output BulkQueueArn), merged into the bucket's own
notification configuration.

S3's PutBucketNotificationConfiguration replaces the whole configuration, so a plain
`aws s3api put-bucket-notification-configuration` would drop the bucket's other destinations (Lambda functions,
SNS topics, other queues, EventBridge). This reads the configuration, replaces only the entry whose Id is
`face-recognition-bulk` (so a rerun changes nothing) and writes it back; `--remove` takes that entry out. S3 itself
refuses an entry whose events and prefix overlap another destination's; the message then says so.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

ENTRY_ID = "face-recognition-bulk"


def merged(current: dict[str, Any], queue_arn: str | None, prefix: str) -> dict[str, Any]:
    """`current` (GetBucketNotificationConfiguration's answer) with our queue entry set (or, queue_arn None, gone)."""
    config = {k: v for k, v in current.items() if k != "ResponseMetadata"}
    queues = [q for q in config.get("QueueConfigurations", []) if q.get("Id") != ENTRY_ID]
    if queue_arn:
        entry: dict[str, Any] = {"Id": ENTRY_ID, "QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}
        if prefix:
            entry["Filter"] = {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}}
        queues.append(entry)
    if queues:
        config["QueueConfigurations"] = queues
    else:
        config.pop("QueueConfigurations", None)
    return config


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m function.batch.notify", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bucket", help="the input bucket (BulkInputBucket)")
    p.add_argument("queue_arn", nargs="?", help="the BulkQueueArn output of the stack")
    p.add_argument("--prefix", default="", help="only keys under this prefix (BulkInputPrefix)")
    p.add_argument("--remove", action="store_true", help="take the bulk queue's entry out instead")
    args = p.parse_args(argv)
    if not args.remove and not args.queue_arn:
        p.error("QUEUE_ARN is needed (or --remove)")
    from botocore.exceptions import BotoCoreError, ClientError

    from function.config import Settings
    from function.s3read import make_client

    client = make_client(**Settings.from_env().s3_client_kwargs())
    try:
        config = merged(client.get_bucket_notification_configuration(Bucket=args.bucket),
                        None if args.remove else args.queue_arn, args.prefix)
        client.put_bucket_notification_configuration(Bucket=args.bucket, NotificationConfiguration=config)
    except (ClientError, BotoCoreError) as exc:
        print(f"{args.bucket}: the notification configuration was not changed: {exc}", file=sys.stderr)
        return 1
    kept = {k: len(v) for k, v in config.items() if isinstance(v, list)}
    print(json.dumps({"bucket": args.bucket, "bulk_queue": not args.remove, "destinations": kept}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
