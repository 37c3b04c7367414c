"""AWS Lambda entry point: `function.lambda_handler.handler`, the FastAPI app wrapped by Mangum
(the wrapping's pieces: function/awslambda/).

The app (and with it the model pack) is created at import, i.e. in Lambda's init phase, so every warm invocation
reuses the loaded ONNX Runtime sessions. A pack that fails to load raises here: the runtime reports an init error
and the function never answers with a half-loaded service (the same rule as `python -m function`, which exits 1).
Nothing is written to disk: uploads are parsed in memory and the packs are read from the image.
"""

from __future__ import annotations

from function.api.app import create_app
from function.awslambda.adapter import StageAwareMangum
from function.awslambda.logs import configure_logging
from function.awslambda.stages import RootPathFromEvent
from function.config import Settings


def build_handler(settings: Settings | None = None) -> StageAwareMangum:
    """The Lambda handler for these settings; raises RuntimeError when the model pack does not load."""
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    app = create_app(settings)
    if app.state.service is None:
        raise RuntimeError(f"model pack {app.state.pack_name!r} not loaded: {app.state.load_error}")
    # lifespan="off": the app has no lifespan work (models load in create_app), and Mangum would otherwise run the
    # lifespan protocol on every invocation.
    return StageAwareMangum(RootPathFromEvent(app), lifespan="off")


handler = build_handler()
