// Embedding encoding, no service needed: the bytes the service reads for a base64 embedding.
import assert from "node:assert/strict";
import { test } from "node:test";

import { embeddingFromBase64, embeddingToBase64 } from "face-recognition-service-client";

test("embeddingToBase64: little-endian float32, as Buffer.from(f32.buffer) on x86/ARM", () => {
  // 1.0 = 0x3f800000, -2.0 = 0xc0000000, little-endian: 00 00 80 3f | 00 00 00 c0
  assert.equal(embeddingToBase64(new Float32Array([1, -2])), Buffer.from([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]).toString("base64"));
});

test("embeddingToBase64 reads a subarray's own bytes, not its whole buffer", () => {
  const whole = new Float32Array([5, 1, -2, 7]);
  assert.equal(embeddingToBase64(whole.subarray(1, 3)), embeddingToBase64(new Float32Array([1, -2])));
});

test("embeddingFromBase64 inverts embeddingToBase64 and refuses a partial float", () => {
  const values = Float32Array.from({ length: 512 }, (_, i) => Math.sin(i));
  const back = embeddingFromBase64(embeddingToBase64(values));
  assert.ok(back instanceof Float32Array);
  assert.deepEqual(Array.from(back), Array.from(values));
  assert.equal(JSON.stringify(back), JSON.stringify(Array.from(values)), "its JSON is its numbers, as an answer's embedding");
  assert.throws(() => embeddingFromBase64(Buffer.from([1, 2, 3]).toString("base64")), RangeError);
});
