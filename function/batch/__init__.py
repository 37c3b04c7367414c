"""Bulk embedding: a whole folder or S3 prefix of photos -> one JSON line per photo (lines.py).

* core.py     the batch core: each photo read within the limits and run through the service's own use case.
* sources.py  local folders and S3 prefixes: listing and reading.
* handler.py  the batch Lambda function (template.yaml's BatchFunction): Step Functions Distributed Map batches
              and SQS records of S3 upload notifications; one result object per photo (Map) or record (SQS).
* __main__.py `python -m function.batch SOURCE --out OUT`: the same job on one machine, resumable.
* pgvector.py JSON lines -> CSV rows PostgreSQL + pgvector loads (docs/pgvector.md).
* events.py   the two event shapes, from SAM CLI's generator, for tests and `sam local invoke`.
* notify.py   `python -m function.batch.notify BUCKET QUEUE_ARN`: the bulk queue merged into a bucket's notifications.

Nothing here imports FastAPI: the batch path is entry point -> core -> service -> engine.
"""
