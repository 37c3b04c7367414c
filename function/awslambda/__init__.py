"""The Lambda side of the entry: what `function/lambda_handler.py` wraps the app in, one job per module.

    checks.py   is this an API Gateway / ALB proxy event Mangum can read (why not, in words)
    stages.py   stage paths: `/Prod/detect` -> `/detect` for routing, `/Prod` as the ASGI root_path for /docs
    adapter.py  Mangum behind a guard: an unreadable event gets the one error shape (400), never an exception
    logs.py     log set-up when no runtime client has installed a handler
"""
