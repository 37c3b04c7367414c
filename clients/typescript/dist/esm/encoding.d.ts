/**
 * An image: bytes (a Buffer, any typed array, an ArrayBuffer or a Blob: sent as multipart/form-data), base64 text
 * (`{ base64 }`, a data: URL prefix is accepted) or an object in an S3 bucket the service allows (`{ s3: "s3://b/k" }`);
 * the last two are sent as JSON.
 */
export type ImageInput = Blob | ArrayBuffer | ArrayBufferView | {
    base64: string;
} | {
    s3: string;
};
/**
 * A stored embedding, as /verify and /search take it: the Float32Array an answer carries, its 512 numbers, the
 * 2,048 bytes of little-endian float32 you stored (`Buffer.from(embedding.buffer)`: a Buffer or Uint8Array), or
 * those bytes as base64 text.
 */
export type EmbeddingInput = Float32Array | readonly number[] | Uint8Array | ArrayBuffer | string;
/** What the runtime needs to know of a route (generated from the spec: ROUTES). */
export interface RouteSpec {
    readonly method: string;
    readonly path: string;
    /** Body fields that hold an image. */
    readonly images: readonly string[];
    /** Non-image fields the multipart body accepts; null when the route takes no multipart body. */
    readonly multipartFields: readonly string[] | null;
    /** Whether the route takes a JSON body. */
    readonly json: boolean;
    /** Query parameter names. */
    readonly query: readonly string[];
    /** Statuses whose body is an answer, not an error (e.g. GET /health's 503). */
    readonly ok: readonly number[];
}
/**
 * The Float32Array of every answer's `embedding`, whose JSON is the service's: its numbers as an array. A plain
 * Float32Array serialises as an object ({"0": 0.02, "1": ...}), which breaks what an application does with an
 * answer: a Nest controller returning it, a cache or a queue storing it, a later `verify` reading it back. With
 * `toJSON`, `JSON.stringify(answer)`, `JSON.stringify({ ...answer })` and `JSON.stringify(answer.embedding)` give
 * number arrays, and the parsed result goes back to `verify`/`search` as it is (an embedding as `number[]`).
 */
export declare class EmbeddingArray extends Float32Array {
    /** The numbers, as the service sent them (JSON.stringify calls this). */
    toJSON(): number[];
}
/** A Float32Array as the service reads an embedding in base64: little-endian float32 (`Buffer.from(f32.buffer)`). */
export declare function embeddingToBase64(embedding: Float32Array): string;
/** A Float32Array as the 2,048 bytes to store (little-endian float32); `embeddingFromBytes` reads them back. */
export declare function embeddingToBytes(embedding: Float32Array): Buffer;
/** Stored bytes (a Buffer, Uint8Array or ArrayBuffer of little-endian float32) as a Float32Array (an EmbeddingArray). */
export declare function embeddingFromBytes(bytes: Uint8Array | ArrayBuffer): Float32Array;
/** The inverse of embeddingToBase64, e.g. for an embedding stored as base64 text. */
export declare function embeddingFromBase64(text: string): Float32Array;
/**
 * The JSON form of an answer type (what `JSON.parse(JSON.stringify(answer))` gives, e.g. from a cache or a
 * controller's response): every Float32Array a `number[]`, `$metadata` left out. `JsonOf<ExtractEmbeddingResponse>`.
 */
export type JsonOf<T> = T extends Float32Array ? number[] : T extends readonly (infer U)[] ? JsonOf<U>[] : T extends object ? {
    [K in keyof T as K extends "$metadata" ? never : K]: JsonOf<T[K]>;
} : T;
/** Answers: every array of numbers under a key named `embedding` becomes an EmbeddingArray (a Float32Array). */
export declare function decodeAnswer(value: unknown, key?: string): unknown;
/** Multipart when every image is bytes and every other field is one the multipart body declares; else JSON. */
export declare function encodeBody(route: RouteSpec, request: Record<string, unknown>): Promise<{
    body: FormData | string;
    type?: string;
}>;
//# sourceMappingURL=encoding.d.ts.map