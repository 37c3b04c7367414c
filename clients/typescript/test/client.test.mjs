// The built client (dist/, through the package's own exports) against the live Python service, on real photos.
// Every answer the service sends here is recorded and checked against the OpenAPI document at the end.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { after, before, describe, test } from "node:test";

import {
  ERROR_CLASSES,
  ERROR_CODES,
  FaceClient,
  FaceQualityError,
  FaceServiceError,
  FaceTimeoutError,
  InvalidEmbeddingError,
  InvalidImageError,
  MultipleFacesError,
  NoFaceError,
  S3BucketNotAllowedError,
  UnauthorizedError,
  embeddingFromBytes,
  embeddingToBase64,
  embeddingToBytes,
} from "face-recognition-service-client";

import { patchedSpec, render, SPEC_PATH, GENERATED_PATH } from "../scripts/generate.mjs";
import { lastAnswer, recordingFetch, validateAnswers } from "./answers.mjs";
import { derivedPhoto, lfwPairs, nofacePhoto, startService, wheelPhoto } from "./service.mjs";

const API_KEY = randomBytes(16).toString("hex");
const ONE_FACE = readFileSync(wheelPhoto("yaoming.jpg"));
const FIVE_FACES = readFileSync(wheelPhoto("gdp.jpg"));
const PAIRS = lfwPairs();

let service;
let client;

before(async () => {
  service = await startService({ API_KEY });
  client = new FaceClient({ baseUrl: service.url, apiKey: service.apiKey, fetch: recordingFetch });
});

after(async () => {
  await service?.stop();
});

const dot = (a, b) => a.reduce((sum, v, i) => sum + v * b[i], 0);

describe("spec", () => {
  test("the running service's /openapi.json is the committed openapi.json", async () => {
    const live = await (await fetch(`${service.url}/openapi.json`)).json();
    const committed = JSON.parse(readFileSync(SPEC_PATH, "utf8"));
    assert.deepEqual(live, committed, "the service's OpenAPI document changed: run `npm run generate` in clients/typescript");
  });

  test("src/generated.ts is what the generator makes of the live spec", async () => {
    const live = await (await fetch(`${service.url}/openapi.json`)).json();
    const [committed, fresh] = [readFileSync(GENERATED_PATH, "utf8").split("\n"), render(live).split("\n")];
    const line = committed.findIndex((text, i) => text !== fresh[i]);
    assert.ok(line === -1 && committed.length === fresh.length,
      `src/generated.ts is stale from line ${line + 1} (${JSON.stringify(committed[line])} vs ${JSON.stringify(fresh[line])}): run \`npm run generate\``);
  });

  test("one error class per documented code, with its status", async () => {
    const live = await (await fetch(`${service.url}/openapi.json`)).json();
    assert.deepEqual(Object.keys(ERROR_CLASSES).sort(), Object.keys(live["x-error-codes"]).sort());
    for (const [code, Cls] of Object.entries(ERROR_CLASSES)) {
      const error = new Cls("m");
      assert.ok(error instanceof FaceServiceError);
      assert.equal(error.code, code);
      assert.equal(Cls.code, code);
      assert.equal(error.status, live["x-error-codes"][code].status);
      assert.equal(ERROR_CODES[code].status, error.status);
    }
  });

  test("the package loads through require() too (its CommonJS build); instanceof holds across the two builds", async () => {
    const cjs = createRequire(import.meta.url)("face-recognition-service-client");
    assert.notEqual(cjs.FaceClient, FaceClient, "two builds, two copies");
    assert.deepEqual(Object.keys(cjs).sort(), Object.keys(await import("face-recognition-service-client")).sort());
    const fromCjs = new cjs.NoFaceError("m");
    assert.ok(fromCjs instanceof NoFaceError && fromCjs instanceof FaceServiceError);
    assert.ok(!(fromCjs instanceof MultipleFacesError));
    assert.ok(new NoFaceError("m") instanceof cjs.FaceServiceError);
    assert.ok(!(new Error("m") instanceof cjs.FaceServiceError));
  });
});

describe("routes", () => {
  test("health (with the key: the full answer) and $metadata", async () => {
    const health = await client.health({ requestId: "client-health-1" });
    assert.equal(health.status, "healthy");
    assert.ok("model" in health, "the full answer");
    assert.equal(health.model_loaded, true);
    const { retryQuota, ...metadata } = health.$metadata;
    assert.deepEqual({ ...metadata, durationMs: 0 }, { requestId: "client-health-1", status: 200, attempts: 1, totalRetryDelayMs: 0, durationMs: 0 });
    assert.equal(retryQuota.capacity, 500);
    assert.ok(!Object.keys(health).includes("$metadata") && !JSON.stringify(health).includes("$metadata"));
    if (!process.env.FACE_SERVICE_URL) assert.equal(health.model, "buffalo_sc"); // the pack startService() asks for
    assert.equal(typeof health.similarity_threshold, "number");
  });

  test("detect: gdp.jpg has 5 faces, a no-face photo none", async () => {
    const five = await client.detect({ image: FIVE_FACES });
    assert.equal(five.face_count, 5);
    assert.equal(five.faces.length, 5);
    const none = await client.detect({ image: readFileSync(nofacePhoto()) });
    assert.equal(none.detected, false);
    assert.equal(none.face_count, 0);
  });

  test("extractEmbedding: a unit-length Float32Array of 512", async () => {
    const r = await client.extractEmbedding({ image: ONE_FACE });
    assert.ok(r.embedding instanceof Float32Array);
    assert.equal(r.embedding.length, 512);
    assert.equal(r.embedding_size, 512);
    assert.ok(Math.abs(Math.sqrt(dot(r.embedding, r.embedding)) - 1) < 1e-3);
    assert.match(r.$metadata.requestId, /^[0-9a-f-]{36}$/, "a UUID the client made up");
    assert.equal(r.$metadata.status, 200);
  });

  test("extractEmbedding ?min_quality=enrol: FaceQualityError.reasons on a blurred face, the embedding on a good one", async () => {
    assert.equal((await client.extractEmbedding({ image: ONE_FACE }, { min_quality: "enrol" })).embedding.length, 512);
    const e = await client.extractEmbedding({ image: derivedPhoto("yaoming.jpg", "blur") }, { min_quality: "enrol" })
      .then(() => assert.fail("no error"), (x) => x);
    assert.ok(e instanceof FaceQualityError);
    assert.equal(e.status, 422);
    assert.equal(e.retryable, false);
    assert.ok(e.reasons.includes("too_blurry"), JSON.stringify(e.reasons));
  });

  test("the same photo as a Buffer, a Blob (multipart) and base64 (JSON) gives the same embedding", async () => {
    const fromBuffer = (await client.extractEmbedding({ image: ONE_FACE })).embedding;
    const fromBlob = (await client.extractEmbedding({ image: new Blob([ONE_FACE], { type: "image/jpeg" }) })).embedding;
    const fromBase64 = (await client.extractEmbedding({ image: { base64: ONE_FACE.toString("base64") } })).embedding;
    assert.deepEqual(fromBlob, fromBuffer);
    assert.ok(dot(fromBase64, fromBuffer) > 0.9999);
  });

  test("extractEmbedding options: face=largest, all=true", async () => {
    await assert.rejects(client.extractEmbedding({ image: FIVE_FACES }), MultipleFacesError);
    const largest = await client.extractEmbedding({ image: FIVE_FACES }, { face: "largest" });
    assert.equal(largest.embedding.length, 512);
    const all = await client.extractEmbedding({ image: FIVE_FACES }, { all: true, face: "largest" });
    assert.equal(all.faces.length, 5);
    for (const face of all.faces) assert.ok(face.embedding instanceof Float32Array && face.embedding.length === 512);
    assert.ok(all.faces.some((f) => dot(f.embedding, largest.embedding) > 0.999));
  });

  test("compare: an LFW same-person pair and a different-person pair; similarity = dot of the two embeddings", async () => {
    for (const pair of [PAIRS.same, PAIRS.different]) {
      const [a, b] = [readFileSync(pair.image1), readFileSync(pair.image2)];
      const r = await client.compare({ image1: a, image2: b });
      assert.equal(r.same_person, pair.same, `${pair.image1} vs ${pair.image2}: similarity ${r.similarity}`);
      assert.equal(r.same_person, r.similarity >= r.threshold);
      const [ea, eb] = await Promise.all([client.extractEmbedding({ image: a }), client.extractEmbedding({ image: b })]);
      assert.ok(Math.abs(dot(ea.embedding, eb.embedding) - r.similarity) < 1e-3);
    }
  });
});

// /verify and /search (issue #12's server side) exist once the service has them and `npm run generate` has run.
describe("stored embeddings: verify and search", () => {
  const skip = (t, method) => (typeof client[method] === "function" ? false : (t.skip(`no ${method}() in this client: the service has no such route yet`), true));

  test("verify: a stored Float32Array (also as number[] and base64) against the pair's other photo", async (t) => {
    if (skip(t, "verify")) return;
    for (const pair of [PAIRS.same, PAIRS.different]) {
      const [a, b] = [readFileSync(pair.image1), readFileSync(pair.image2)];
      const stored = (await client.extractEmbedding({ image: a })).embedding;
      const compared = await client.compare({ image1: a, image2: b });
      const bytes = embeddingToBytes(stored); // the 2,048 bytes a database keeps
      assert.equal(bytes.length, 2048);
      const fromDatabase = Buffer.from(Uint8Array.from(bytes)); // a Buffer that does not share the Float32Array's memory
      assert.deepEqual(embeddingFromBytes(fromDatabase), stored);
      for (const embedding of [stored, Array.from(stored), embeddingToBase64(stored), fromDatabase, new Uint8Array(fromDatabase)]) {
        const r = await client.verify({ image: b, embedding });
        assert.equal(r.same_person, pair.same);
        assert.ok(Math.abs(r.similarity - compared.similarity) < 1e-3, `${r.similarity} vs /compare ${compared.similarity}`);
      }
    }
    await assert.rejects(client.verify({ image: ONE_FACE, embedding: new Float32Array(10) }), InvalidEmbeddingError);
    await assert.rejects(client.verify({ image: ONE_FACE, embedding: Buffer.alloc(2047) }), InvalidEmbeddingError);
  });

  test("answers survive JSON: the service's JSON back (embedding a number array), and the parsed answer goes to verify and search", async () => {
    const [a, b] = [readFileSync(PAIRS.same.image1), readFileSync(PAIRS.same.image2)];
    const answer = await client.extractEmbedding({ image: a });
    assert.ok(answer.embedding instanceof Float32Array, "code still gets a Float32Array");
    const wire = JSON.parse(lastAnswer("/extract-embedding").text); // the service's own JSON of this call
    for (const text of [JSON.stringify(answer), JSON.stringify({ ...answer })]) {
      const parsed = JSON.parse(text);
      assert.deepEqual(Object.keys(parsed).sort(), Object.keys(wire).sort(), "the service's fields, no $metadata");
      assert.ok(Array.isArray(parsed.embedding) && parsed.embedding.length === 512 && parsed.embedding.every(Number.isFinite));
      assert.deepEqual(parsed.embedding, Array.from(answer.embedding));
    }
    assert.deepEqual(JSON.parse(JSON.stringify(answer.embedding)), Array.from(answer.embedding));
    const all = await client.extractEmbedding({ image: FIVE_FACES }, { all: true, face: "largest" });
    const allParsed = JSON.parse(JSON.stringify(all));
    assert.equal(allParsed.faces.length, 5);
    for (const [i, face] of allParsed.faces.entries()) {
      assert.ok(Array.isArray(face.embedding) && face.embedding.length === 512);
      assert.equal(JSON.stringify(all.faces[i].embedding), JSON.stringify(face.embedding));
    }
    // What a cache, a queue or a controller's response hands back: the parsed JSON, straight to verify and search.
    const stored = JSON.parse(JSON.stringify(answer));
    assert.equal((await client.verify({ image: b, embedding: stored.embedding })).same_person, true);
    const found = await client.search({ image: b, gallery: [{ id: "stored", embedding: stored.embedding }] });
    assert.equal(found.matches[0]?.id, "stored");
  });

  test("search: the same person ranks first, with multipart and with JSON", async (t) => {
    if (skip(t, "search")) return;
    const same = readFileSync(PAIRS.same.image1);
    const gallery = [
      { id: "different", embedding: (await client.extractEmbedding({ image: readFileSync(PAIRS.different.image1) })).embedding },
      { id: "same", embedding: (await client.extractEmbedding({ image: same })).embedding },
    ];
    const probe = readFileSync(PAIRS.same.image2);
    for (const image of [probe, { base64: probe.toString("base64") }]) {
      const r = await client.search({ image, gallery }, { top_k: 2 });
      assert.equal(r.matches[0]?.id, "same", JSON.stringify(r.matches));
    }
  });
});

describe("errors", () => {
  test("NO_FACE, INVALID_IMAGE: their classes, status, message and request id", async () => {
    const noface = await client.extractEmbedding({ image: readFileSync(nofacePhoto()) }, { requestId: "client-test-1" })
      .then(() => assert.fail("no error"), (e) => e);
    assert.ok(noface instanceof NoFaceError && noface instanceof FaceServiceError && noface instanceof Error);
    assert.equal(noface.code, "NO_FACE");
    assert.equal(noface.status, 422);
    assert.equal(noface.requestId, "client-test-1");
    assert.equal(noface.name, "NoFaceError");
    assert.ok(noface.message.length > 0);
    await assert.rejects(client.detect({ image: Buffer.from("not an image") }), (e) => e instanceof InvalidImageError && e.status === 400);
  });

  test("x-api-key: missing or wrong -> UnauthorizedError, not retried; /health stays open and answers status only", async (t) => {
    if (!service.apiKey) return t.skip("the service under test has no API_KEY");
    for (const apiKey of [undefined, "wrong"]) {
      const anonymous = new FaceClient({ baseUrl: `${service.url}/`, apiKey, fetch: recordingFetch });
      await assert.rejects(anonymous.detect({ image: ONE_FACE }), (e) => e instanceof UnauthorizedError && e.status === 401 && e.$metadata.attempts === 1);
      const health = await anonymous.health();
      assert.deepEqual(health, { status: "healthy" });
      assert.ok(!("model" in health));
    }
  });

  test("an s3:// image goes as JSON: S3BucketNotAllowedError while ALLOWED_S3_BUCKETS is empty", async () => {
    await assert.rejects(client.detect({ image: { s3: "s3://some-bucket/photo.jpg" } }),
      (e) => e instanceof S3BucketNotAllowedError && e.status === 403);
  });

  test("a call past its time budget rejects with FaceTimeoutError, not retried", async () => {
    // 1 ms: spent while encoding (no request sent) or during the request (then fetch's TimeoutError is the cause);
    // which one depends on the machine; test/retry.test.mjs checks the cause against a server that never answers.
    await assert.rejects(client.extractEmbedding({ image: FIVE_FACES }, { all: true, timeoutMs: 1 }),
      (e) => e instanceof FaceTimeoutError && (e.cause === undefined || e.cause.name === "TimeoutError") &&
        e.requestId !== undefined && e.$metadata.attempts === 1);
  });
});

describe("the OpenAPI document describes every answer above", () => {
  test("each recorded answer validates against its route's schema for its status (SPEC_PATCHES applied)", () => {
    const { checked, problems } = validateAnswers({ patched: true });
    assert.ok(checked >= 30, `only ${checked} answers recorded`);
    assert.deepEqual(problems, []);
  });

  test("the service's own document, unpatched, holds every answer (SPEC_PATCHES is empty)", () => {
    const { problems } = validateAnswers({ patched: false });
    const { applied } = patchedSpec(JSON.parse(readFileSync(SPEC_PATH, "utf8")));
    assert.deepEqual(applied, []);
    assert.deepEqual(problems, []);
  });
});
