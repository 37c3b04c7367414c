// Type-level tests (compiled with `tsc -p test/tsconfig.json`, strict + exactOptionalPropertyTypes, never run):
// what the generated types allow and refuse.
import {
  FaceClient,
  FaceQualityError,
  FaceServiceError,
  FaceTimeoutError,
  MultipleFacesError,
  embeddingToBytes,
  withMetadata,
  type ErrorCode,
  type ExtractEmbeddingResponse,
  type FaceApi,
  type HealthAnswer,
  type JsonOf,
  type ResponseMetadata,
  type UnknownErrorCode,
} from "face-recognition-service-client";
import { FACE_CLIENT, FaceModule, toHttpException } from "face-recognition-service-client/nestjs";

const client = new FaceClient({ baseUrl: "http://localhost:8000", apiKey: process.env["FACE_API_KEY"], timeoutMs: undefined });

export async function typed(photo: Buffer): Promise<void> {
  const r = await client.extractEmbedding({ image: photo }, { face: "largest", all: true, min_quality: undefined });
  const plain: ExtractEmbeddingResponse = r;
  void plain;
  const embedding: Float32Array = r.embedding;
  const first: Float32Array | undefined = r.faces?.[0]?.embedding;
  void first;
  await client.compare({ image1: new Blob([photo]), image2: { s3: "s3://bucket/key.jpg" } }, { face: "center" });
  await client.detect({ image: { base64: photo.toString("base64") } }, { signal: AbortSignal.timeout(5000), requestId: "abc", maxAttempts: 1 });

  // Every form of a stored embedding: Float32Array, number[], base64, the 2,048 stored bytes (Buffer, Uint8Array).
  const stored: Buffer = embeddingToBytes(embedding);
  for (const e of [embedding, Array.from(embedding), stored.toString("base64"), stored, new Uint8Array(stored)]) {
    await client.verify({ image: photo, embedding: e });
  }
  await client.search({ image: photo, gallery: [{ id: "a", embedding: stored }] }, { top_k: 3 });
  const gallery: readonly { readonly id: string; readonly embedding: Buffer }[] = [{ id: "b", embedding: stored }];
  await client.search({ image: photo, gallery }); // a readonly array (e.g. rows from a repository) goes as it is

  // Metadata on every answer.
  const meta: ResponseMetadata = r.$metadata;
  const attempts: number = meta.attempts;
  const status: number | undefined = meta.status;
  void attempts, status;

  // health(): the full answer with the key, `status` only without it.
  const health: HealthAnswer = await client.health();
  // @ts-expect-error: without the key the answer has no model: narrow first
  void health.model;
  if ("model" in health) {
    const model: string = health.model;
    void model;
  }

  // @ts-expect-error: not a face choice
  await client.extractEmbedding({ image: photo }, { face: "biggest" });
  // @ts-expect-error: compare needs image2
  await client.compare({ image1: photo });
  // @ts-expect-error: an image is bytes, { base64 } or { s3 }
  await client.detect({ image: "photo.jpg" });
  // @ts-expect-error: embeddings arrive as Float32Array, not number[]
  const asArray: number[] = r.embedding;
  void asArray;
}

export function narrowed(error: unknown): ErrorCode | string | undefined {
  if (error instanceof MultipleFacesError) {
    const code: "MULTIPLE_FACES" = error.code;
    return code;
  }
  if (error instanceof FaceQualityError) {
    const reasons: readonly FaceQualityError["reasons"][number][] = error.reasons;
    const first: "face_too_small" | "too_blurry" | "too_dark" | "too_bright" | "yaw_too_large" | "pitch_too_large" | "roll_too_large" | string | undefined = reasons[0];
    return first;
  }
  if (error instanceof FaceTimeoutError) {
    const code: "TIMEOUT" = error.code;
    return code;
  }
  if (error instanceof FaceServiceError) {
    const retryable: boolean = error.retryable;
    const status: number | undefined = error.status;
    void retryable, status;
    return error.code;
  }
  // @ts-expect-error: not a documented code
  const wrong: ErrorCode = "NO_FACES";
  return wrong;
}

// A plain object mocks the client (no private members to copy).
const meta: ResponseMetadata = { requestId: "t", status: 200, attempts: 1, totalRetryDelayMs: 0, durationMs: 0 };
export const mock: Pick<FaceApi, "health" | "extractEmbedding"> = {
  health: async () => withMetadata({ status: "healthy" as const }, meta),
  extractEmbedding: async () => withMetadata({ embedding: new Float32Array(512), embedding_size: 512, box: [0, 0, 1, 1], confidence: 1, landmarks: [] }, meta),
};
export const whole: FaceApi = client;

export const modules = [
  FaceModule.forRoot({ baseUrl: "http://face:8000", isGlobal: true }),
  FaceModule.forRootAsync({ inject: [], useFactory: () => ({ baseUrl: "http://face:8000", apiKey: undefined }) }),
];
export const token: symbol = FACE_CLIENT;
export const mapped = toHttpException(new MultipleFacesError("m")).getStatus();

// A switch over every code the client knows, with a default: compiles under strict; the `default` is where a
// newer service's code goes, and `const future: UnknownErrorCode = error.code` there compiles only while every
// FaceErrorCode has a case (a code added to the service and regenerated makes this function fail to compile).
export function statusFor(error: FaceServiceError): number {
  switch (error.code) {
    case "NO_FACE":
    case "MULTIPLE_FACES":
    case "FACE_QUALITY":
    case "BEYOND_CALIBRATION":
      return 422;
    case "INVALID_IMAGE":
    case "IMAGE_TOO_SMALL":
    case "INVALID_EMBEDDING":
    case "INVALID_GALLERY":
    case "INVALID_REQUEST":
    case "MISSING_FIELD":
    case "DUPLICATE_FIELD":
    case "S3_BUCKET_NOT_ALLOWED":
      return 400;
    case "UNAUTHORIZED":
    case "S3_ACCESS_DENIED":
      return 403;
    case "NOT_FOUND":
    case "S3_OBJECT_NOT_FOUND":
      return 404;
    case "METHOD_NOT_ALLOWED":
      return 405;
    case "REQUEST_TIMEOUT":
      return 408;
    case "IMAGE_TOO_LARGE":
    case "PAYLOAD_TOO_LARGE":
    case "GALLERY_TOO_LARGE":
    case "S3_OBJECT_TOO_LARGE":
      return 413;
    case "UNSUPPORTED_MEDIA_TYPE":
      return 415;
    case "CLIENT_CLOSED_REQUEST":
    case "ABORTED":
      return 499;
    case "INTERNAL_ERROR":
    case "S3_UNAVAILABLE":
    case "NETWORK_ERROR":
    case "UNEXPECTED_RESPONSE":
      return 502;
    case "MODEL_NOT_READY":
    case "DEADLINE_EXCEEDED":
      return 503;
    case "TIMEOUT":
      return 504;
    default: {
      const future: UnknownErrorCode = error.code;
      return future.length > 0 ? 500 : 500;
    }
  }
}

export function notExhaustive(error: FaceServiceError): string {
  switch (error.code) {
    case "NO_FACE":
      return "no face";
    default: {
      // @ts-expect-error: MULTIPLE_FACES (and the rest) have no case, so they reach this default too
      const future: UnknownErrorCode = error.code;
      return future;
    }
  }
}

// Answers as JSON (a controller's response, a cache): JsonOf gives its type; the embedding goes back to verify.
export async function roundTrip(photo: Buffer): Promise<boolean> {
  const answer = await client.extractEmbedding({ image: photo });
  const json: JsonOf<typeof answer> = JSON.parse(JSON.stringify(answer)) as JsonOf<ExtractEmbeddingResponse>;
  const numbers: number[] = json.embedding;
  const first: number[] | undefined = json.faces?.[0]?.embedding;
  void first;
  // @ts-expect-error: the JSON form has no $metadata
  void json.$metadata;
  const quota: { available: number; capacity: number } = client.retryQuota();
  void quota;
  return (await client.verify({ image: photo, embedding: numbers })).same_person;
}

// Auth modes: the API key (default), none, IAM (SigV4) with the default chain or given credentials.
export const modes = [
  new FaceClient({ baseUrl: "http://localhost:8000", apiKey: "k", auth: "api-key" }),
  new FaceClient({ baseUrl: "http://localhost:8000", auth: "none" }),
  new FaceClient({ baseUrl: "https://abc.execute-api.eu-west-1.amazonaws.com/prod", auth: { mode: "iam", region: "eu-west-1" } }),
  new FaceClient({ baseUrl: "https://abc.execute-api.eu-west-1.amazonaws.com/prod", auth: { mode: "iam", credentials: async () => ({ accessKeyId: "a", secretAccessKey: "s", sessionToken: undefined }) } }),
  // @ts-expect-error: not a mode
  new FaceClient({ baseUrl: "http://localhost:8000", auth: "sigv4" }),
];
