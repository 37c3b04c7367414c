// Type-level tests (compiled with `tsc -p test/tsconfig.json`, never run): what the generated types allow and refuse.
import {
  FaceClient,
  FaceServiceError,
  MultipleFacesError,
  type ErrorCode,
  type ExtractEmbeddingResponse,
} from "face-recognition-service-client";

const client = new FaceClient({ baseUrl: "http://localhost:8000", apiKey: process.env.FACE_API_KEY });

export async function typed(photo: Buffer): Promise<void> {
  const r: ExtractEmbeddingResponse = await client.extractEmbedding({ image: photo }, { face: "largest", all: true });
  const embedding: Float32Array = r.embedding;
  const first: Float32Array | undefined = r.faces?.[0]?.embedding;
  void embedding;
  void first;
  await client.compare({ image1: new Blob([photo]), image2: { s3: "s3://bucket/key.jpg" } }, { face: "center" });
  await client.detect({ image: { base64: photo.toString("base64") } }, { signal: AbortSignal.timeout(5000), requestId: "abc" });

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
  if (error instanceof FaceServiceError) return error.code;
  // @ts-expect-error: not a documented code
  const wrong: ErrorCode = "NO_FACES";
  return wrong;
}
