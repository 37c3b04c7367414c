// Request encoding and answer decoding: images as multipart or JSON, embeddings as base64 little-endian float32,
// answers' `embedding` arrays as Float32Array. Node 20 built-ins only (FormData, Blob, Buffer).
/**
 * The Float32Array of every answer's `embedding`, whose JSON is the service's: its numbers as an array. A plain
 * Float32Array serialises as an object ({"0": 0.02, "1": ...}), which breaks what an application does with an
 * answer: a Nest controller returning it, a cache or a queue storing it, a later `verify` reading it back. With
 * `toJSON`, `JSON.stringify(answer)`, `JSON.stringify({ ...answer })` and `JSON.stringify(answer.embedding)` give
 * number arrays, and the parsed result goes back to `verify`/`search` as it is (an embedding as `number[]`).
 */
export class EmbeddingArray extends Float32Array {
    /** The numbers, as the service sent them (JSON.stringify calls this). */
    toJSON() {
        return Array.from(this);
    }
}
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** A Float32Array as the service reads an embedding in base64: little-endian float32 (`Buffer.from(f32.buffer)`). */
export function embeddingToBase64(embedding) {
    return embeddingToBytes(embedding).toString("base64");
}
/** A Float32Array as the 2,048 bytes to store (little-endian float32); `embeddingFromBytes` reads them back. */
export function embeddingToBytes(embedding) {
    if (LITTLE_ENDIAN)
        return Buffer.from(embedding.buffer, embedding.byteOffset, embedding.byteLength);
    const copy = Buffer.alloc(embedding.byteLength);
    embedding.forEach((v, i) => copy.writeFloatLE(v, i * 4));
    return copy;
}
/** Stored bytes (a Buffer, Uint8Array or ArrayBuffer of little-endian float32) as a Float32Array (an EmbeddingArray). */
export function embeddingFromBytes(bytes) {
    const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
    if (view.byteLength % 4 !== 0)
        throw new RangeError(`${view.byteLength} bytes is not a whole number of float32 values`);
    const data = new DataView(view.buffer, view.byteOffset, view.byteLength);
    const out = new EmbeddingArray(view.byteLength / 4);
    for (let i = 0; i < out.length; i++)
        out[i] = data.getFloat32(i * 4, true);
    return out;
}
/** The inverse of embeddingToBase64, e.g. for an embedding stored as base64 text. */
export function embeddingFromBase64(text) {
    return embeddingFromBytes(Buffer.from(text, "base64"));
}
function isBytes(value) {
    return value instanceof Blob || value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}
function viewBytes(value) {
    return value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}
function toBlob(value) {
    return value instanceof Blob ? value : new Blob([viewBytes(value)]);
}
async function toBase64(value) {
    if (value instanceof Blob)
        return Buffer.from(await value.arrayBuffer()).toString("base64");
    return Buffer.from(viewBytes(value)).toString("base64");
}
/**
 * JSON-ready copy of a request value: a Float32Array becomes base64 little-endian float32, other bytes (a stored
 * embedding's Buffer) base64 of those bytes as they are.
 */
function jsonValue(value) {
    if (value instanceof Float32Array)
        return embeddingToBase64(value);
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value))
        return Buffer.from(viewBytes(value)).toString("base64");
    if (Array.isArray(value))
        return value.map(jsonValue);
    if (value && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, jsonValue(v)]));
    }
    return value;
}
/** Answers: every array of numbers under a key named `embedding` becomes an EmbeddingArray (a Float32Array). */
export function decodeAnswer(value, key = "") {
    if (Array.isArray(value)) {
        if (key === "embedding" && value.every((v) => typeof v === "number"))
            return new EmbeddingArray(value);
        return value.map((v) => decodeAnswer(v));
    }
    if (value && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeAnswer(v, k)]));
    }
    return value;
}
/** A non-image multipart field as text: bytes as base64, an object or array as a JSON document. */
function multipartText(value) {
    if (typeof value === "string")
        return value;
    const json = jsonValue(value);
    return typeof json === "string" ? json : JSON.stringify(json);
}
/** Multipart when every image is bytes and every other field is one the multipart body declares; else JSON. */
export async function encodeBody(route, request) {
    const entries = Object.entries(request).filter(([, v]) => v !== undefined);
    const imageNames = new Set(route.images);
    const multipartFields = route.multipartFields;
    const multipart = multipartFields !== null && entries.every(([k, v]) => (imageNames.has(k) ? isBytes(v) : multipartFields.includes(k)));
    if (multipart) {
        const form = new FormData();
        for (const [k, v] of entries) {
            if (imageNames.has(k))
                form.append(k, toBlob(v), k);
            else
                form.append(k, multipartText(v));
        }
        return { body: form };
    }
    if (!route.json)
        throw new TypeError(`${route.method} ${route.path} takes multipart only: send images as bytes`);
    const json = {};
    for (const [k, v] of entries) {
        if (!imageNames.has(k))
            json[k] = jsonValue(v);
        else if (isBytes(v))
            json[k] = await toBase64(v);
        else if (v && typeof v === "object" && "s3" in v)
            json[`${k}_s3`] = v.s3;
        else if (v && typeof v === "object" && "base64" in v)
            json[k] = v.base64;
        else
            throw new TypeError(`${k}: an image is bytes, { base64 } or { s3 }`);
    }
    return { body: JSON.stringify(json), type: "application/json" };
}
//# sourceMappingURL=encoding.js.map