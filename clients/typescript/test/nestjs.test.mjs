// The NestJS entry point in a Nest application context (no HTTP, no service): FaceModule's providers, and the
// mapping of every kind of client error to the HTTP exception a Nest application answers with.
import "reflect-metadata";

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { HttpException, Logger, Module } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import {
  ERROR_CLASSES,
  FaceAbortError,
  FaceClient,
  FaceNetworkError,
  FaceQualityError,
  FaceTimeoutError,
  UnexpectedResponseError,
} from "face-recognition-service-client";
import { FACE_CLIENT, FaceModule, FaceServiceExceptionFilter, failureLogLine, httpStatusOf, toHttpException } from "face-recognition-service-client/nestjs";

async function context(faceModule) {
  class AppModule {}
  Module({ imports: [faceModule] })(AppModule);
  return NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
}

describe("FaceModule", () => {
  test("forRootAsync: the factory's configuration, one client under FACE_CLIENT and the FaceClient class", async () => {
    const app = await context(FaceModule.forRootAsync({
      inject: [],
      useFactory: async () => ({ baseUrl: "http://face-service:8000/", apiKey: undefined, maxAttempts: 1 }),
    }));
    const client = app.get(FACE_CLIENT);
    assert.ok(client instanceof FaceClient);
    assert.equal(client.baseUrl, "http://face-service:8000");
    assert.equal(app.get(FaceClient), client);
    await app.close();
  });

  test("forRoot(): FACE_SERVICE_URL when no baseUrl is given; a clear error when neither is", async () => {
    process.env.FACE_SERVICE_URL = "http://from-env:8000";
    try {
      const app = await context(FaceModule.forRoot());
      assert.equal(app.get(FACE_CLIENT).baseUrl, "http://from-env:8000");
      await app.close();
      delete process.env.FACE_SERVICE_URL;
      await assert.rejects(context(FaceModule.forRoot()), /FACE_SERVICE_URL/);
    } finally {
      delete process.env.FACE_SERVICE_URL;
    }
  });
});

describe("toHttpException", () => {
  test("the caller's input keeps its 4xx and the service's message; FACE_QUALITY carries its reasons", () => {
    const e = toHttpException(new FaceQualityError("The face is too blurry.", { requestId: "r1", body: { reasons: ["too_blurry"] } }));
    assert.ok(e instanceof HttpException);
    assert.equal(e.getStatus(), 422);
    assert.deepEqual(e.getResponse(), { statusCode: 422, message: "The face is too blurry.", code: "FACE_QUALITY", requestId: "r1", reasons: ["too_blurry"] });
    assert.ok(e.cause instanceof FaceQualityError);
    for (const [code, status] of [["NO_FACE", 422], ["MULTIPLE_FACES", 422], ["BEYOND_CALIBRATION", 422], ["INVALID_IMAGE", 400], ["INVALID_EMBEDDING", 400], ["IMAGE_TOO_LARGE", 413], ["UNSUPPORTED_MEDIA_TYPE", 415]]) {
      assert.equal(toHttpException(new ERROR_CLASSES[code]("m")).getStatus(), status, code);
    }
  });

  test("the service's or this application's failures: 502/503/504 without upstream detail", () => {
    const cases = [
      [new ERROR_CLASSES.UNAUTHORIZED("API key missing"), 502],
      [new ERROR_CLASSES.INVALID_REQUEST("bad multipart"), 502],
      [new ERROR_CLASSES.INTERNAL_ERROR("bug"), 502],
      [new FaceNetworkError("refused"), 502],
      [new UnexpectedResponseError("<html>", { status: 502 }), 502],
      [new ERROR_CLASSES.MODEL_NOT_READY("loading"), 503],
      [new ERROR_CLASSES.DEADLINE_EXCEEDED("slow"), 503],
      [new FaceTimeoutError("slow"), 504],
      [new FaceAbortError("gone"), 499],
    ];
    for (const [error, status] of cases) {
      const e = toHttpException(error);
      assert.equal(e.getStatus(), status, error.code);
      if (status >= 500) assert.equal(e.getResponse().message, `The face service failed (${error.code}).`);
    }
    assert.equal(httpStatusOf(new ERROR_CLASSES.S3_UNAVAILABLE("s3")), 502);
  });

  test("anything that is not a client error is returned unchanged; the filter catches FaceServiceError", () => {
    const other = new Error("x");
    assert.equal(toHttpException(other), other);
    assert.equal(typeof FaceServiceExceptionFilter.prototype.catch, "function");
    const filters = Reflect.getMetadata("__filterCatchExceptions__", FaceServiceExceptionFilter);
    assert.equal(filters?.[0]?.name, "FaceServiceError");
  });
});

/** An Express-like response and an ArgumentsHost for it (what Nest hands a filter on an HTTP request). */
function httpHost() {
  const response = { statusCode: 200, body: undefined, headersSent: false };
  response.status = (code) => ((response.statusCode = code), response);
  response.json = (body) => ((response.body = body), (response.headersSent = true), response);
  const host = { getType: () => "http", getArgByIndex: (i) => [{}, response][i], switchToHttp: () => ({ getResponse: () => response, getRequest: () => ({}) }) };
  return { host, response };
}

/** Nest's Logger output while fn runs: [level, message, context] per line. */
async function logged(fn) {
  const lines = [];
  const record = (level) => (message, ...rest) => lines.push([level, message, rest.at(-1)]); // (message, [stack], context)
  Logger.overrideLogger({ log: record("log"), error: record("error"), warn: record("warn"), debug: record("debug"), verbose: record("verbose"), fatal: record("fatal") });
  try {
    await fn();
  } finally {
    Logger.overrideLogger(false);
    Logger.overrideLogger(undefined);
  }
  return lines;
}

describe("FaceServiceExceptionFilter", () => {
  const unauthorized = () => {
    const e = new ERROR_CLASSES.UNAUTHORIZED("API key missing or invalid", { requestId: "req-1", body: { error: "API key missing or invalid", code: "UNAUTHORIZED" } });
    Object.defineProperty(e, "$metadata", { value: { requestId: "req-1", status: 401, attempts: 1, totalRetryDelayMs: 0, durationMs: 3, retryQuota: { available: 500, capacity: 500 } } });
    return e;
  };

  test("made with `new` and no adapter (app.useGlobalFilters(new FaceServiceExceptionFilter())): answers through the response", async () => {
    const { host, response } = httpHost();
    const lines = await logged(() => new FaceServiceExceptionFilter().catch(new ERROR_CLASSES.NO_FACE("No face found in the image.", { requestId: "r2" }), host));
    assert.equal(response.statusCode, 422);
    assert.deepEqual(response.body, { statusCode: 422, message: "No face found in the image.", code: "NO_FACE", requestId: "r2" });
    assert.deepEqual(lines, [], "a 4xx is the caller's problem: not logged");
  });

  test("a 5xx (a wrong API key, the service unreachable) is logged once: code, status, request id, attempts; nothing else", async () => {
    const { host, response } = httpHost();
    const lines = await logged(() => new FaceServiceExceptionFilter().catch(unauthorized(), host));
    assert.equal(response.statusCode, 502);
    assert.equal(response.body.message, "The face service failed (UNAUTHORIZED).");
    assert.equal(lines.length, 1, JSON.stringify(lines));
    const [level, message, context] = lines[0];
    assert.equal(level, "error");
    assert.equal(context, "FaceServiceExceptionFilter");
    assert.equal(message, "UNAUTHORIZED (status 401, request req-1, 1 attempt(s), retry quota 500/500) answered 502: API key missing or invalid");
    const network = new FaceNetworkError("POST /extract-embedding: no answer (ECONNREFUSED).", { requestId: "req-3" });
    assert.equal(failureLogLine(network, 502), "NETWORK_ERROR (status none, request req-3, 1 attempt(s)) answered 502: POST /extract-embedding: no answer (ECONNREFUSED).");
    const timeout = await logged(() => new FaceServiceExceptionFilter().catch(new FaceTimeoutError("slow", { requestId: "req-4" }), httpHost().host));
    assert.equal(timeout.length, 1);
    assert.match(timeout[0][1], /^TIMEOUT \(status none, request req-4, .*answered 504/);
    assert.deepEqual(await logged(() => new FaceServiceExceptionFilter().catch(new FaceAbortError("gone"), httpHost().host)), [], "499: the caller left");
  });

  test("with the adapter (constructor argument): answers through it, logs the same", async () => {
    const replies = [];
    const adapter = { isHeadersSent: () => false, reply: (res, body, status) => replies.push([body, status]), end: () => {} };
    const lines = await logged(() => new FaceServiceExceptionFilter(adapter).catch(unauthorized(), httpHost().host));
    assert.deepEqual(replies, [[{ statusCode: 502, message: "The face service failed (UNAUTHORIZED).", code: "UNAUTHORIZED", requestId: "req-1" }, 502]]);
    assert.equal(lines.length, 1);
  });
});
