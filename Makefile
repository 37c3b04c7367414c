# make run   - create .venv, install (requirements-bulk.txt: the service and the bulk CLI's progress bar), bake the
#              embedded default pack if absent, serve on 0.0.0.0:$(PORT)
# make test  - install what the tests need and run pytest
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
export PORT

.PHONY: run test install install-dev bake bench accuracy lfw load audit lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Every install reads the hash-locked sets (requirements*.lock, made by `make lock` from requirements*.txt): each
# package, transitive ones included, at one version with its sha256, so two installs of one commit get the same code.
# --no-deps: a lock is the whole set (pip's resolver would also trip over extras such as boto3[crt] in hash mode).
# No `pip check` here: the --no-deps oracle set breaks it on purpose (the Docker build and the SAM venv run it).
PIP_LOCKED := $(BIN)/python -m pip install --quiet --require-hashes --no-deps
$(VENV)/.installed: $(BIN)/python requirements.lock requirements-nodeps.lock
	$(PIP_LOCKED) -r requirements.lock
	$(PIP_LOCKED) -r requirements-nodeps.lock
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.lock requirements-oracle.lock
	$(PIP_LOCKED) -r requirements-dev.lock
	$(PIP_LOCKED) -r requirements-oracle.lock
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

bake: $(VENV)/.installed
	$(BIN)/python -m function.models bake buffalo_sc --if-missing

# make bench-bulk - bulk embedding photos/s per vCPU (buffalo_sc, buffalo_l proxies) and Lambda cost per million
#                   photos (bench/bulk.py; docs/bulk.md)
.PHONY: bench-bulk
bench-bulk: install-dev bake
	$(BIN)/python -m bench.bulk $(BULK_BENCH_ARGS)

# make bench-scale - buffalo_l-scale latency, cold start and RSS on timing proxies (bench/scale.py; docs/lambda-sizing.md)
.PHONY: bench-scale
bench-scale: install-dev bake
	$(BIN)/python -m bench.scale $(SCALE_ARGS)

run: bake $(VENV)/.installed-bulk
	$(BIN)/python -m function

# make bulk SOURCE=photos/ OUT=photos.jsonl [BULK_ARGS="--face largest"] - every photo of a folder or s3:// prefix
#      -> one JSON line each (python -m function.batch; resumable: run it again after an interruption). README: Bulk
.PHONY: bulk
$(VENV)/.installed-bulk: $(VENV)/.installed requirements-bulk.lock
	$(PIP_LOCKED) -r requirements-bulk.lock
	touch $@

bulk: $(VENV)/.installed-bulk bake
	@test -n "$(SOURCE)" -a -n "$(OUT)" || { echo "usage: make bulk SOURCE=folder-or-s3://bucket/prefix OUT=file.jsonl" >&2; exit 2; }
	$(BIN)/python -m function.batch "$(SOURCE)" --out "$(OUT)" $(BULK_ARGS)

test: install-dev bake
	$(BIN)/python -m pytest

# make test-lfw - only the LFW-scale tests (make test runs them too when FACES_DIR has the data, else skips them)
.PHONY: test-lfw
test-lfw: install-dev bake
	$(BIN)/python -m pytest -m lfw

# make lfw      - download LFW + its view-2 pairs (UMass Amherst, sha256-pinned) into $FACES_DIR (default data/faces)
#                 for make accuracy and the LFW-scale tests (bench/lfw_fetch.py; standard library only)
lfw:
	$(PYTHON) -m bench.lfw_fetch $(LFW_ARGS)

# make bench    - ours vs the seed-style reference (bench/server.py): cold start, latency, floor, RSS, throughput,
#                 where each route's time goes (Server-Timing stages); BENCH_ARGS="--before <checkout>" adds before/after
# make accuracy - LFW 10-fold accuracy / AUC / TAR@FAR, group/ and noface/ detection, ours vs insightface, and the
#                 served pack's calibration over every LFW pair (record, DET plot, docs/accuracy.md; bench/calibrate.py)
bench: install-dev bake
	$(BIN)/python -m bench.bench $(BENCH_ARGS)

accuracy: install-dev bake
	$(BIN)/python -m bench.accuracy $(ACCURACY_ARGS)

# make identify - 1:N through the running service: strangers searched against galleries of 100 and 1,000 enrolled LFW
#                 people (FPIR) and enrolled people's other photos (rank-1), bench/identify.py; docs/search.md
.PHONY: identify
identify: install-dev bake
	$(BIN)/python -m bench.identify $(IDENTIFY_ARGS)

# make orientation - photos turned 0/90/180/270 without EXIF, ORIENTATION_SEARCH on vs off (bench/orientation.py;
#                    docs/orientation.md); LFW too when FACES_DIR has it
.PHONY: orientation
orientation: install-dev bake
	$(BIN)/python -m bench.orientation $(ORIENTATION_ARGS)

# make quality      - the quality gate's effect on LFW accuracy, measure distributions (bench/quality.py; docs/quality.md)
# make bench-search - /search latency at 100, 1,000 and 10,000 gallery entries over HTTP (bench/identify.py --latency;
#                     docs/search.md)
.PHONY: quality bench-search
quality: install-dev bake
	$(BIN)/python -m bench.quality $(QUALITY_ARGS)

bench-search: install-dev bake
	$(BIN)/python -m bench.identify --latency $(SEARCH_ARGS)

# make load  - 1,000 mixed requests at concurrency 8 against uvicorn on 127.0.0.1 (bench/load.py; docs/benchmarks.md)
load: install-dev bake
	$(BIN)/python -m bench.load $(LOAD_ARGS)

# make hostile - issue #10's hostile classes against uvicorn on 127.0.0.1: answers, worst latency, peak RSS over idle
#                (bench/hostile.py; docs/hostile.md)
.PHONY: hostile
hostile: install-dev bake
	$(BIN)/python -m bench.hostile $(HOSTILE_ARGS)

# make audit - pip-audit over the hash-locked sets the images install (requirements.lock, requirements-gpu.lock):
#              exactly the locked versions (--disable-pip: no resolution, no virtual environment). README: Security
# make lint  - ruff and mypy as configured in pyproject.toml (CI runs it)
.PHONY: lint
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

audit: install-dev
	$(BIN)/pip-audit --disable-pip --require-hashes -r requirements.lock -r requirements-gpu.lock --progress-spinner off --desc on

# make lock - re-resolve requirements*.txt into the hash-locked requirements*.lock after editing a pin (uv pip compile
#             --generate-hashes, uv from requirements-dev.txt); pins that still fit are kept. LOCK_ARGS=--upgrade
#             moves every transitive package to its newest allowed release. Runtime, dev, bulk and SAM sets: one
#             universal lock each (any OS; Python 3.11, this machine's, up to the image's 3.12: where they need
#             different releases the lock holds both, with markers). The GPU set is the image's only: Linux x86_64,
#             Python 3.12. The --no-deps sets (nodeps, oracle) lock their own lines only. Every set but SAM's is
#             constrained by requirements.lock, so one package has one version everywhere the service runs.
UV_COMPILE = $(BIN)/uv pip compile --quiet --generate-hashes --no-strip-extras --custom-compile-command "make lock" $(LOCK_ARGS)
UV_UNIVERSAL = --universal --python-version 3.11
lock: $(VENV)/.installed-dev
	$(UV_COMPILE) $(UV_UNIVERSAL) requirements.txt -o requirements.lock
	$(UV_COMPILE) $(UV_UNIVERSAL) -c requirements.lock requirements-dev.txt -o requirements-dev.lock
	$(UV_COMPILE) $(UV_UNIVERSAL) -c requirements.lock requirements-bulk.txt -o requirements-bulk.lock
	$(UV_COMPILE) $(UV_UNIVERSAL) requirements-sam.txt -o requirements-sam.lock
	$(UV_COMPILE) --no-deps requirements-nodeps.txt -o requirements-nodeps.lock
	$(UV_COMPILE) --no-deps requirements-oracle.txt -o requirements-oracle.lock
	echo onnxruntime > .lock-excludes.txt
	$(UV_COMPILE) --python-version 3.12 --python-platform x86_64-manylinux_2_34 -c requirements.lock \
	    --excludes .lock-excludes.txt requirements.txt requirements-gpu.txt -o requirements-gpu.lock; \
	    status=$$?; rm -f .lock-excludes.txt; exit $$status

clean:
	rm -rf $(VENV) model_cache/buffalo_sc .pytest_cache

# --- Deployment (issue #3): API Gateway event fixtures from SAM CLI's own generator ---------------------------
# aws-sam-cli pins pydantic/boto3 below the service's pins, so it lives in its own venv (requirements-sam.txt).
SAM_VENV ?= .venv-sam
.PHONY: events
$(SAM_VENV)/bin/sam: requirements-sam.lock
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --require-hashes --no-deps -r requirements-sam.lock
	$(SAM_VENV)/bin/python -m pip check

events: $(SAM_VENV)/bin/sam
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam local generate-event apigateway aws-proxy --stage Prod > function/events/apigateway-aws-proxy.json
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam local generate-event apigateway http-api-proxy > function/events/apigateway-http-api-proxy.json
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam local generate-event sqs receive-message > function/events/sqs-receive-message.json
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam local generate-event s3 put > function/events/s3-put.json

# --- The container image (issue #9) ---------------------------------------------------------------------------
# make image        - docker build (legacy builder or BuildKit: whichever $(DOCKER) uses; DOCKER_BUILDKIT=0/1 picks)
# make image-test   - make image, then the four routes with real photos against `docker run -p` and the Runtime
#                     Interface Emulator, every answer compared with uvicorn's on this machine (tools/image_test.py)
# make sam-local    - sam build + sam local start-api on $(SAM_PORT) with MODEL_PACK's image (template unchanged)
# make model-source - fetch MODEL_URI (s3://bucket/key or https://...) to model_sources/$(MODEL_PACK).zip on this
#                     machine, so that the build bakes from the context and no credentials enter an image layer
# Here (no AWS registry): BASE_IMAGE=local/lambda-python-buildca:3.12 (../shared/tools/docker/README.md).
DOCKER       ?= docker
MODEL_PACK   ?= buffalo_l
MODEL_SOURCE ?=
BASE_IMAGE   ?= public.ecr.aws/lambda/python:3.12
IMAGE        ?= face-recognition-service:$(MODEL_PACK)
SAM_PORT     ?= 3000
SAM          := SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam
SAM_PARAMS   := --parameter-overrides "ModelPack=$(MODEL_PACK) BaseImage=$(BASE_IMAGE)"
DOCKER_UP     = @$(DOCKER) info >/dev/null 2>&1 || { echo "$@: no Docker daemon answers ('$(DOCKER) info' failed); start dockerd or Docker Desktop first" >&2; exit 1; }

.PHONY: docker-up image image-test sam-local model-source
docker-up:
	$(DOCKER_UP)

image: docker-up
	$(DOCKER) build --build-arg BASE_IMAGE=$(BASE_IMAGE) --build-arg MODEL_PACK=$(MODEL_PACK) \
	    --build-arg MODEL_SOURCE=$(MODEL_SOURCE) -t $(IMAGE) .

image-test: docker-up install-dev image
	$(BIN)/python -m function.models bake $(MODEL_PACK) --if-missing --source "$(MODEL_SOURCE)"
	DOCKER=$(DOCKER) $(BIN)/python -m tools.image_test --image $(IMAGE) --pack $(MODEL_PACK)

sam-local: docker-up $(SAM_VENV)/bin/sam
	$(SAM) build $(SAM_PARAMS)
	$(SAM) local start-api --port $(SAM_PORT) --skip-pull-image $(SAM_PARAMS)

# make sam-invoke-batch BULK_BUCKET=b BULK_KEYS="k1 k2" BULK_OUTPUT=s3://out/prefix/ - sam build the batch function
#   (bulk switches on), then `sam local invoke BatchFunction` twice: a Distributed Map batch and an SQS event of S3
#   notifications for those keys (python -m function.batch.events). S3 is AWS's, with your credentials, unless
#   S3_ENDPOINT_URL names another; SAM_INVOKE_ARGS is passed on (e.g. --docker-network host for a local S3).
BULK_BUCKET     ?=
BULK_KEYS       ?=
BULK_OUTPUT     ?=
S3_ENDPOINT_URL ?=
SAM_BULK_PARAMS := --parameter-overrides "ModelPack=$(MODEL_PACK) BaseImage=$(BASE_IMAGE) EnableBulkMap=true EnableBulkQueue=true BulkInputBucket=$(BULK_BUCKET)"
.PHONY: sam-invoke-batch
sam-invoke-batch: docker-up $(SAM_VENV)/bin/sam $(VENV)/.installed
	@test -n "$(BULK_BUCKET)" -a -n "$(BULK_KEYS)" -a -n "$(BULK_OUTPUT)" || { echo "usage: make sam-invoke-batch BULK_BUCKET=bucket BULK_KEYS='key ...' BULK_OUTPUT=s3://bucket/prefix/ [S3_ENDPOINT_URL=...] [MODEL_PACK=buffalo_sc] [BASE_IMAGE=...]" >&2; exit 2; }
	$(SAM) build BatchFunction $(SAM_BULK_PARAMS)
	$(BIN)/python -m function.batch.events map $(BULK_BUCKET) $(BULK_KEYS) > .aws-sam/bulk-map-event.json
	$(BIN)/python -m function.batch.events sqs $(BULK_BUCKET) $(BULK_KEYS) > .aws-sam/bulk-sqs-event.json
	printf '{"BatchFunction": {"BATCH_OUTPUT": "%s", "S3_ENDPOINT_URL": "%s"}}\n' "$(BULK_OUTPUT)" "$(S3_ENDPOINT_URL)" > .aws-sam/bulk-env.json
	$(SAM) local invoke BatchFunction --skip-pull-image $(SAM_BULK_PARAMS) --env-vars .aws-sam/bulk-env.json \
	    -e .aws-sam/bulk-map-event.json $(SAM_INVOKE_ARGS)
	$(SAM) local invoke BatchFunction --skip-pull-image $(SAM_BULK_PARAMS) --env-vars .aws-sam/bulk-env.json \
	    -e .aws-sam/bulk-sqs-event.json $(SAM_INVOKE_ARGS)

model-source: $(VENV)/.installed
	@test -n "$(MODEL_URI)" || { echo "usage: make model-source MODEL_URI=s3://bucket/key|https://... [MODEL_PACK=$(MODEL_PACK)]" >&2; exit 2; }
	$(BIN)/python -m function.models fetch "$(MODEL_URI)" model_sources/$(MODEL_PACK).zip
	@echo "then: make image MODEL_PACK=$(MODEL_PACK) MODEL_SOURCE=model_sources/$(MODEL_PACK).zip"

# --- TypeScript client (issues #12, #17) -----------------------------------------------------------------------
# make client-test - clients/typescript: npm ci (package-lock.json); npm test: the committed dist/ is the build of
#                    src/, type tests, node's test runner against the service it starts on a free port (python -m
#                    function, this venv, the buffalo_sc pack) and against local servers that fail on purpose
#                    (retries, time-out, abort, a proxy's 502); then npm run test:consumers: the client installed from
#                    a pristine copy of the folder and from its npm pack tarball into new CommonJS, ESM and NestJS
#                    projects (downloaded from the npm registry), the README's examples compiled and run there; the
#                    Nest 12 one (issue #27) follows the README's recipe: its vitest spec, its app's JSON answers and
#                    round trip, one log line for a wrong API key and a stopped service
NPM    ?= npm
CLIENT := clients/typescript
.PHONY: client-test
$(CLIENT)/node_modules/.package-lock.json: $(CLIENT)/package-lock.json
	@command -v $(NPM) >/dev/null || { echo "client-test: npm not found (Node.js >= 20 is needed)" >&2; exit 1; }
	cd $(CLIENT) && $(NPM) ci --no-audit --no-fund

client-test: bake $(CLIENT)/node_modules/.package-lock.json
	cd $(CLIENT) && PYTHON=$(abspath $(BIN))/python $(NPM) test
	cd $(CLIENT) && PYTHON=$(abspath $(BIN))/python $(NPM) run test:consumers

# make asl-validator - tools/asl: npm ci of the Amazon States Language validator (asl-validator, package-lock.json)
#                      that tests/deploy/test_bulk_contract.py runs on the rendered bulk state machine (CI runs it)
.PHONY: asl-validator
asl-validator: tools/asl/node_modules/.package-lock.json
tools/asl/node_modules/.package-lock.json: tools/asl/package-lock.json
	@command -v $(NPM) >/dev/null || { echo "asl-validator: npm not found (Node.js >= 20 is needed)" >&2; exit 1; }
	cd tools/asl && $(NPM) ci --no-audit --no-fund
