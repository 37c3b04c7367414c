"""python -m function — serve the app with uvicorn on 0.0.0.0:$PORT (default 8000)."""

from __future__ import annotations

import logging
import os
import sys

from function.config import Settings
from function.errors import PackError
from function.loading import EngineLoader


def main() -> int:
    settings = Settings.from_env()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    loader = EngineLoader(settings)  # the models load on a thread while the web stack imports (cold start)
    import uvicorn

    from function.api.app import create_app

    try:
        app = create_app(settings, engine=loader.result())
    except PackError:
        app = create_app(settings)  # loads again and records the reason; exits below
    if app.state.service is None:
        print(f"error: {app.state.load_error}", file=sys.stderr)
        return 1
    uvicorn.run(app, host=os.environ.get("HOST", "0.0.0.0"), port=int(os.environ.get("PORT", "8000")),
                log_level=settings.log_level.lower(), access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
