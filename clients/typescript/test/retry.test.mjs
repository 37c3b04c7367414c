// Retries, time-outs, aborts and answers that are not the service's, against local HTTP servers that misbehave on
// purpose (no service needed): the failure paths a live service cannot be made to take on demand.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, describe, test } from "node:test";

import {
  backoffMs,
  DeadlineExceededError,
  ERROR_CODES,
  FaceAbortError,
  FaceClient,
  FaceNetworkError,
  FaceServiceError,
  FaceTimeoutError,
  InternalError,
  InvalidImageError,
  ModelNotReadyError,
  NoFaceError,
  retryAfterMs,
  UnexpectedResponseError,
} from "face-recognition-service-client";

import { freePort } from "./service.mjs";

const HEALTHY = { status: "healthy", model: "buffalo_sc", model_loaded: true, version: "test" };
const servers = [];

/** A server that answers the n-th request with script[n] (the last entry repeats): [status, body, headers?] or "hang". */
async function scripted(script) {
  const seen = [];
  const server = createServer((req, res) => {
    const step = script[Math.min(seen.length, script.length - 1)];
    seen.push({ method: req.method, url: req.url, requestId: req.headers["x-request-id"], at: Date.now() });
    req.resume();
    if (step === "hang") return; // never answers
    if (step === "reset") return req.socket.destroy();
    const [status, body, headers = {}] = step;
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, { "content-type": typeof body === "string" ? "text/html" : "application/json", ...headers });
    res.end(text);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${server.address().port}`, seen };
}

after(() => {
  for (const s of servers) s.closeAllConnections?.(), s.close();
});

const FAST = { baseDelayMs: 5, maxDelayMs: 20 };
const error = (status, code, message = "m") => [status, { success: false, error: message, code }];
const caught = (promise) => promise.then(() => assert.fail("resolved"), (e) => e);

describe("retries (maxAttempts 3, full-jitter backoff)", () => {
  test("a server that fails twice (503 MODEL_NOT_READY, proxy 502) then answers: one answer, attempts 3", async () => {
    const s = await scripted([error(503, "MODEL_NOT_READY"), [502, "<html><body>502 Bad Gateway</body></html>"], [200, HEALTHY]]);
    const client = new FaceClient({ baseUrl: s.url, retry: FAST });
    const health = await client.health();
    assert.equal(health.status, "healthy");
    assert.equal(health.$metadata.attempts, 3);
    assert.equal(health.$metadata.status, 200);
    assert.ok(health.$metadata.durationMs >= 0);
    assert.equal(s.seen.length, 3);
    assert.equal(new Set(s.seen.map((r) => r.requestId)).size, 1, "one x-request-id for every attempt of a call");
    assert.equal(health.$metadata.requestId, s.seen[0].requestId);
    assert.deepEqual(JSON.parse(JSON.stringify(health)), HEALTHY, "JSON of an answer is the service's, no $metadata");
    assert.deepEqual(Object.keys(health), Object.keys(HEALTHY));
  });

  test("three failures: the last one is thrown, with attempts 3", async () => {
    const s = await scripted([[504, { message: "Endpoint request timed out" }]]);
    const e = await caught(new FaceClient({ baseUrl: s.url, retry: FAST }).health());
    assert.ok(e instanceof UnexpectedResponseError && e instanceof FaceServiceError);
    assert.equal(e.status, 504);
    assert.equal(e.code, "UNEXPECTED_RESPONSE");
    assert.equal(e.retryable, true);
    assert.deepEqual(e.body, { message: "Endpoint request timed out" });
    assert.equal(e.$metadata.attempts, 3);
    assert.equal(s.seen.length, 3);
  });

  test("API Gateway's 429 is retried; maxAttempts 1 turns retries off", async () => {
    const s = await scripted([[429, { message: "Too Many Requests" }], [200, HEALTHY]]);
    assert.equal((await new FaceClient({ baseUrl: s.url, retry: FAST }).health()).$metadata.attempts, 2);
    const once = await scripted([[429, { message: "Too Many Requests" }], [200, HEALTHY]]);
    const e = await caught(new FaceClient({ baseUrl: once.url, maxAttempts: 1 }).health());
    assert.equal(e.status, 429);
    assert.equal(once.seen.length, 1);
  });

  test("503 DEADLINE_EXCEEDED is retried at most once", async () => {
    const s = await scripted([error(503, "DEADLINE_EXCEEDED")]);
    const e = await caught(new FaceClient({ baseUrl: s.url, retry: FAST, maxAttempts: 5 }).health());
    assert.ok(e instanceof DeadlineExceededError);
    assert.equal(e.retryable, true);
    assert.equal(s.seen.length, 2);
    assert.equal(e.$metadata.attempts, 2);
  });

  test("never a 4xx, never 500 INTERNAL_ERROR: one request each", async () => {
    for (const [step, Cls] of [[error(422, "NO_FACE"), NoFaceError], [error(400, "INVALID_IMAGE"), InvalidImageError], [error(500, "INTERNAL_ERROR"), InternalError]]) {
      const s = await scripted([step, [200, HEALTHY]]);
      const e = await caught(new FaceClient({ baseUrl: s.url, retry: FAST }).detect({ image: Buffer.from("x") }));
      assert.ok(e instanceof Cls, `${e}`);
      assert.equal(e.retryable, false);
      assert.equal(s.seen.length, 1);
    }
    const proxy404 = await scripted([[404, "<html>Not Found</html>"], [200, HEALTHY]]);
    const e = await caught(new FaceClient({ baseUrl: proxy404.url, retry: FAST }).health());
    assert.ok(e instanceof UnexpectedResponseError);
    assert.equal(e.retryable, false);
    assert.equal(proxy404.seen.length, 1);
  });

  test("Retry-After is honoured (1 s), and a Retry-After past the time budget is not waited for", async () => {
    const s = await scripted([[503, { success: false, error: "busy", code: "MODEL_NOT_READY" }, { "retry-after": "1" }], [200, HEALTHY]]);
    const health = await new FaceClient({ baseUrl: s.url, retry: FAST }).health();
    assert.equal(health.$metadata.totalRetryDelayMs, 1000);
    assert.ok(s.seen[1].at - s.seen[0].at >= 990, `${s.seen[1].at - s.seen[0].at} ms between attempts`);
    const late = await scripted([[503, { success: false, error: "busy", code: "MODEL_NOT_READY" }, { "retry-after": "60" }], [200, HEALTHY]]);
    const e = await caught(new FaceClient({ baseUrl: late.url, timeoutMs: 2000 }).health());
    assert.ok(e instanceof ModelNotReadyError);
    assert.equal(late.seen.length, 1);
    assert.ok(e.$metadata.durationMs < 10_000, `${e.$metadata.durationMs} ms: it waited for Retry-After: 60`);
  });

  test("a refused connection: FaceNetworkError (retried, then thrown) with the socket error as cause", async () => {
    const port = await freePort(); // nothing listens there
    const e = await caught(new FaceClient({ baseUrl: `http://127.0.0.1:${port}`, retry: FAST }).health());
    assert.ok(e instanceof FaceNetworkError);
    assert.equal(e.code, "NETWORK_ERROR");
    assert.equal(e.status, undefined);
    assert.equal(e.retryable, true);
    assert.equal(e.$metadata.attempts, 3);
    assert.ok(e.cause instanceof TypeError, "fetch's TypeError is the cause");
    assert.match(e.message, /ECONNREFUSED/);
    assert.ok(e.requestId, "the request id the client sent");
  });

  test("a connection reset before an answer is retried", async () => {
    const s = await scripted(["reset", [200, HEALTHY]]);
    assert.equal((await new FaceClient({ baseUrl: s.url, retry: FAST }).health()).$metadata.attempts, 2);
  });

  test("the retry quota (client-wide token bucket): retries stop when it is spent", async () => {
    const s = await scripted([error(503, "MODEL_NOT_READY")]);
    const client = new FaceClient({ baseUrl: s.url, retry: { ...FAST, quota: 12 }, maxAttempts: 5 });
    await caught(client.health()); // 12 tokens: two retries of 5
    assert.equal(s.seen.length, 3);
    await caught(client.health()); // 2 left: no retry
    assert.equal(s.seen.length, 4);
  });

  test("the retry quota is visible (retryQuota(), $metadata.retryQuota) and refills through successes", async () => {
    const down = error(503, "MODEL_NOT_READY");
    const s = await scripted([down, down, down, down, [200, HEALTHY], [200, HEALTHY], [200, HEALTHY], down, [200, HEALTHY]]);
    const client = new FaceClient({ baseUrl: s.url, retry: { ...FAST, quota: 12 }, maxAttempts: 5 });
    assert.deepEqual(client.retryQuota(), { available: 12, capacity: 12 });
    const first = await caught(client.health()); // two retries of 5 tokens each, then too few for a third
    assert.equal(first.$metadata.attempts, 3);
    assert.deepEqual(first.$metadata.retryQuota, { available: 2, capacity: 12 });
    const drained = await caught(client.health());
    assert.equal(drained.$metadata.attempts, 1, "drained: one attempt");
    for (let i = 0; i < 3; i++) await client.health(); // each success without a retry gives back 1 token
    assert.deepEqual(client.retryQuota(), { available: 5, capacity: 12 });
    const recovered = await client.health(); // 503, then enough for one retry: 200
    assert.equal(recovered.$metadata.attempts, 2);
    assert.deepEqual(recovered.$metadata.retryQuota, { available: 5, capacity: 12 }, "a success gives back what its retries took");
  });

  test("backoff: full jitter under min(cap, base * 2^(attempt-1)); Retry-After as seconds or a date", () => {
    assert.equal(backoffMs(1, {}, () => 0.999), 99);
    assert.equal(backoffMs(3, {}, () => 0.5), 200);
    assert.equal(backoffMs(20, {}, () => 0.5), 10_000);
    assert.equal(backoffMs(2, {}, () => 0), 0);
    assert.equal(retryAfterMs("2"), 2000);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4000), 6000);
    assert.equal(retryAfterMs(null), undefined);
    assert.equal(retryAfterMs("soon"), undefined);
  });
});

describe("time-out, abort, answers that are not the service's", () => {
  test("a call past its time budget: FaceTimeoutError with fetch's TimeoutError as cause; not retried", async () => {
    const s = await scripted(["hang"]);
    const started = Date.now();
    const e = await caught(new FaceClient({ baseUrl: s.url, timeoutMs: 300 }).health());
    assert.ok(e instanceof FaceTimeoutError && e instanceof FaceServiceError);
    assert.equal(e.code, "TIMEOUT");
    assert.equal(e.retryable, false);
    assert.equal(e.cause?.name, "TimeoutError");
    assert.equal(e.$metadata.attempts, 1);
    assert.ok(Date.now() - started < 10_000, `${Date.now() - started} ms`);
  });

  test("the budget covers every attempt and wait: 502, 502, ... within timeoutMs", async () => {
    const s = await scripted([[502, "<html>bad gateway</html>"], "hang"]);
    const e = await caught(new FaceClient({ baseUrl: s.url, timeoutMs: 1500, retry: FAST }).health());
    assert.ok(e instanceof FaceTimeoutError);
    assert.equal(e.$metadata.attempts, 2);
    assert.ok(e.$metadata.durationMs >= 1400 && e.$metadata.durationMs < 10_000, `${e.$metadata.durationMs} ms`);
  });

  test("an abort: FaceAbortError with the signal's reason as cause, during a request and during a wait", async () => {
    const s = await scripted(["hang"]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const e = await caught(new FaceClient({ baseUrl: s.url }).health({ signal: controller.signal }));
    assert.ok(e instanceof FaceAbortError);
    assert.equal(e.code, "ABORTED");
    assert.equal(e.retryable, false);
    assert.equal(e.cause?.name, "AbortError");

    const waiting = await scripted([error(503, "MODEL_NOT_READY")]);
    const c2 = new AbortController();
    const p = new FaceClient({ baseUrl: waiting.url, retry: { baseDelayMs: 10_000, maxDelayMs: 10_000 } }).health({ signal: c2.signal });
    setTimeout(() => c2.abort(new Error("user cancelled")), 150);
    const e2 = await caught(p);
    assert.ok(e2 instanceof FaceAbortError);
    assert.equal(e2.cause?.message, "user cancelled");
    assert.ok(e2.$metadata.durationMs < 5000);

    const already = AbortSignal.abort();
    assert.ok((await caught(new FaceClient({ baseUrl: s.url }).health({ signal: already }))) instanceof FaceAbortError);
  });

  test("a proxy's HTML 502: UnexpectedResponseError, status 502, the start of the page as body", async () => {
    const page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    const s = await scripted([[502, page]]);
    const e = await caught(new FaceClient({ baseUrl: s.url, maxAttempts: 1 }).detect({ image: Buffer.from("x") }));
    assert.ok(e instanceof UnexpectedResponseError);
    assert.equal(e.status, 502);
    assert.equal(e.code, "UNEXPECTED_RESPONSE");
    assert.equal(e.body, page);
    assert.equal(e.retryable, true);
  });

  test("a 200 that is not JSON: UnexpectedResponseError", async () => {
    const s = await scripted([[200, "<html>captive portal</html>"]]);
    const e = await caught(new FaceClient({ baseUrl: s.url }).health());
    assert.ok(e instanceof UnexpectedResponseError);
    assert.equal(e.status, 200);
  });

  test("an error code this client does not know (a newer service): FaceServiceError with that code", async () => {
    const s = await scripted([error(409, "SOMETHING_NEW", "new")]);
    const e = await caught(new FaceClient({ baseUrl: s.url }).health());
    assert.equal(e.constructor, FaceServiceError);
    assert.equal(e.code, "SOMETHING_NEW");
    assert.equal(e.status, 409);
    assert.equal(e.retryable, false);
    const known = new Set([...Object.keys(ERROR_CODES), "TIMEOUT", "ABORTED", "NETWORK_ERROR", "UNEXPECTED_RESPONSE"]);
    assert.ok(!known.has(e.code), "a switch over the known codes sends it to its default");
  });
});
