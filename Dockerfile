# syntax=docker/dockerfile:1
# face-recognition-service: one image, two modes (function/entry.py decides at start):
#   on AWS Lambda / the Runtime Interface Emulator / `sam local` (AWS_LAMBDA_RUNTIME_API set): the Lambda runtime
#   client (awslambdaric) runs the Mangum handler named by CMD;
#   elsewhere (`docker run -p 8000:8000 IMAGE`): uvicorn serves the same app on $PORT (default 8000).
#
# Build args:
#   MODEL_PACK    pack baked into the image (default buffalo_l; pinned sha256 sums in function/models/bake.py)
#   MODEL_SOURCE  where to bake it from: empty = the official release URL; or a zip/folder under model_sources/
#                 in the build context (e.g. model_sources/buffalo_l.zip); or s3://bucket/key (credentials as the
#                 build secret "aws": --secret id=aws,src=$HOME/.aws/credentials)
ARG BASE_IMAGE=public.ecr.aws/lambda/python:3.12

# ---- build: dependencies and the baked model pack (the downloaded zip never reaches the final image; the pack is
# made world-readable because Lambda runs the function as a non-root user) ----
FROM ${BASE_IMAGE} AS build
ARG MODEL_PACK=buffalo_l
ARG MODEL_SOURCE=""
WORKDIR /build
COPY requirements.txt ./
RUN python3 -m pip install --no-cache-dir --target /opt/deps -r requirements.txt
COPY function/ function/
COPY model_sources/ model_sources/
RUN --mount=type=secret,id=aws,target=/root/.aws/credentials,required=false \
    PYTHONPATH=/opt/deps python3 -m function.models --model-dir /opt/model_cache bake "${MODEL_PACK}" --source "${MODEL_SOURCE}" \
    && PYTHONPATH=/opt/deps python3 -m function.models --model-dir /opt/model_cache verify "${MODEL_PACK}" \
    && chmod -R a+rX /opt/model_cache

# ---- runtime ----
FROM ${BASE_IMAGE}
ARG MODEL_PACK=buffalo_l
ENV PYTHONPATH=/opt/deps \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ORT_DISABLE_TELEMETRY=1 \
    MODEL_PACK=${MODEL_PACK} \
    PORT=8000
COPY --from=build /opt/deps /opt/deps
COPY --from=build /opt/model_cache ${LAMBDA_TASK_ROOT}/model_cache
COPY function/ ${LAMBDA_TASK_ROOT}/function/
# Bytecode compiled at build time: Lambda's filesystem is read-only, so it could not be cached at run time.
RUN python3 -m compileall -q "${LAMBDA_TASK_ROOT}/function"
WORKDIR ${LAMBDA_TASK_ROOT}
EXPOSE 8000
ENTRYPOINT ["python3", "-m", "function.entry"]
CMD ["function.lambda_handler.handler"]
