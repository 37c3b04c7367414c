"""python -m function — serve the app with uvicorn on 0.0.0.0:$PORT (default 8000)."""

from __future__ import annotations

import logging
import os
import sys

from function.config import Settings
from function.errors import StartupError
from function.startup import EngineLoader


def main() -> int:
    settings = Settings.from_env()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    loader = EngineLoader(settings)  # the models load on a thread while the web stack imports (cold start)
    import uvicorn

    from function.api.app import create_app

    try:
        engine = loader.result()
    except StartupError as exc:
        print(f"error: model pack {loader.pack_name!r} not loaded: {exc}", file=sys.stderr)
        return 1
    app = create_app(settings, engine=engine)
    uvicorn.run(app, host=os.environ.get("HOST", "0.0.0.0"), port=int(os.environ.get("PORT", "8000")),
                log_level=settings.log_level.lower(), access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
