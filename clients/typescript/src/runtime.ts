// The hand-written runtime under the generated client: configuration, request encoding, response decoding,
// errors. Node 20 built-ins only (fetch, FormData, Blob, Buffer, AbortSignal).

/** Client configuration. */
export interface FaceClientConfig {
  /** Where the service answers, e.g. `http://face-service:8000` or an API Gateway stage URL. */
  baseUrl: string;
  /** Sent as `x-api-key` when set (the service's API_KEY). */
  apiKey?: string;
  /** Per-request time limit in milliseconds (default 30,000; 0 = none). */
  timeoutMs?: number;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** A fetch implementation (default: the global fetch of Node 20). */
  fetch?: typeof fetch;
}

/** Per-call options, next to the route's query options. */
export interface CallOptions {
  /** Aborts the request. */
  signal?: AbortSignal;
  /** Overrides the client's timeoutMs for this call. */
  timeoutMs?: number;
  /** Extra headers for this call. */
  headers?: Record<string, string>;
  /** Sent as `x-request-id`; the service echoes it and logs it (1-64 of A-Z a-z 0-9 . _ -). */
  requestId?: string;
}

/**
 * An image: bytes (a Buffer, any typed array, an ArrayBuffer or a Blob: sent as multipart/form-data), base64 text
 * (`{ base64 }`, a data: URL prefix is accepted) or an object in an S3 bucket the service allows (`{ s3: "s3://b/k" }`);
 * the last two are sent as JSON.
 */
export type ImageInput = Blob | ArrayBuffer | ArrayBufferView | { base64: string } | { s3: string };

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

/** Details of an error answer. */
export interface ErrorDetails {
  /** The HTTP status of the answer. */
  status: number;
  /** The request field the error is about, where the service names one. */
  field?: string;
  /** The answer's x-request-id (the service's log line carries the same id). */
  requestId?: string;
  /** The parsed body, or the start of a body that was not JSON (e.g. from a proxy). */
  body?: unknown;
}

/** Base of every error the service answers; one subclass per documented code (see ErrorCode). */
export class FaceServiceError extends Error {
  readonly code: string;
  readonly status: number;
  readonly field?: string;
  readonly requestId?: string;
  readonly body?: unknown;

  constructor(code: string, message: string, details: ErrorDetails) {
    super(message);
    this.name = "FaceServiceError";
    this.code = code;
    this.status = details.status;
    if (details.field !== undefined) this.field = details.field;
    if (details.requestId !== undefined) this.requestId = details.requestId;
    if (details.body !== undefined) this.body = details.body;
  }
}

type ErrorClass = new (message: string, details?: ErrorDetails) => FaceServiceError;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A Float32Array as the service reads an embedding in base64: little-endian float32 (`Buffer.from(f32.buffer)`). */
export function embeddingToBase64(embedding: Float32Array): string {
  const bytes = Buffer.from(embedding.buffer, embedding.byteOffset, embedding.byteLength);
  if (LITTLE_ENDIAN) return bytes.toString("base64");
  const copy = Buffer.alloc(embedding.byteLength);
  embedding.forEach((v, i) => copy.writeFloatLE(v, i * 4));
  return copy.toString("base64");
}

/** The inverse of embeddingToBase64, e.g. for an embedding stored as base64 text. */
export function embeddingFromBase64(text: string): Float32Array {
  const bytes = Buffer.from(text, "base64");
  if (bytes.length % 4 !== 0) throw new RangeError(`${bytes.length} bytes is not a whole number of float32 values`);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

function isBytes(value: unknown): value is Blob | ArrayBuffer | ArrayBufferView {
  return value instanceof Blob || value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

function toBlob(value: Blob | ArrayBuffer | ArrayBufferView): Blob {
  if (value instanceof Blob) return value;
  if (value instanceof ArrayBuffer) return new Blob([value]);
  return new Blob([new Uint8Array(value.buffer, value.byteOffset, value.byteLength)]);
}

async function toBase64(value: Blob | ArrayBuffer | ArrayBufferView): Promise<string> {
  if (value instanceof Blob) return Buffer.from(await value.arrayBuffer()).toString("base64");
  if (value instanceof ArrayBuffer) return Buffer.from(value).toString("base64");
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
}

/** JSON-ready copy of a request value: Float32Arrays become base64 little-endian float32. */
function jsonValue(value: unknown): unknown {
  if (value instanceof Float32Array) return embeddingToBase64(value);
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, jsonValue(v)]));
  }
  return value;
}

/** Answers: every array of numbers under a key named `embedding` becomes a Float32Array. */
function decode(value: unknown, key = ""): unknown {
  if (Array.isArray(value)) {
    if (key === "embedding" && value.every((v) => typeof v === "number")) return Float32Array.from(value);
    return value.map((v) => decode(v));
  }
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v, k)]));
  }
  return value;
}

/** A non-image multipart field as text: a Float32Array as base64 float32, an object or array as a JSON document. */
function multipartText(value: unknown): string {
  if (value instanceof Float32Array) return embeddingToBase64(value);
  if (typeof value === "string") return value;
  if (value !== null && typeof value === "object") return JSON.stringify(jsonValue(value));
  return String(value);
}

/** Multipart when every image is bytes and every other field is one the multipart body declares; else JSON. */
async function encodeBody(route: RouteSpec, request: Record<string, unknown>): Promise<{ body: FormData | string; type?: string }> {
  const entries = Object.entries(request).filter(([, v]) => v !== undefined);
  const imageNames = new Set(route.images);
  const multipart = route.multipartFields !== null && entries.every(([k, v]) =>
    imageNames.has(k) ? isBytes(v) : route.multipartFields!.includes(k));
  if (multipart) {
    const form = new FormData();
    for (const [k, v] of entries) {
      if (imageNames.has(k)) form.append(k, toBlob(v as Blob | ArrayBuffer | ArrayBufferView), k);
      else form.append(k, multipartText(v));
    }
    return { body: form };
  }
  if (!route.json) throw new TypeError(`${route.method} ${route.path} takes multipart only: send images as bytes`);
  const json: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    if (!imageNames.has(k)) json[k] = jsonValue(v);
    else if (isBytes(v)) json[k] = await toBase64(v);
    else if (v && typeof v === "object" && "s3" in v) json[`${k}_s3`] = (v as { s3: string }).s3;
    else if (v && typeof v === "object" && "base64" in v) json[k] = (v as { base64: string }).base64;
    else throw new TypeError(`${k}: an image is bytes, { base64 } or { s3 }`);
  }
  return { body: JSON.stringify(json), type: "application/json" };
}

/** The transport every generated method goes through. */
export class FaceClientBase {
  readonly baseUrl: string;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;
  readonly #headers: Record<string, string>;
  readonly #fetch: typeof fetch;
  readonly #errors: Readonly<Record<string, ErrorClass>>;

  constructor(config: FaceClientConfig, errors: Readonly<Record<string, ErrorClass>>) {
    if (!config || typeof config.baseUrl !== "string" || !/^https?:\/\//.test(config.baseUrl)) {
      throw new TypeError("FaceClient: baseUrl must be an http(s) URL");
    }
    this.baseUrl = config.baseUrl.replace(/\/+$/, "");
    this.#apiKey = config.apiKey || undefined;
    this.#timeoutMs = config.timeoutMs ?? 30_000;
    this.#headers = { ...config.headers };
    this.#fetch = config.fetch ?? globalThis.fetch;
    this.#errors = errors;
  }

  protected async call(route: RouteSpec, request: object | undefined, options: object = {}): Promise<unknown> {
    const opts = options as CallOptions & Record<string, unknown>;
    const url = new URL(this.baseUrl + route.path);
    for (const name of route.query) {
      const v = opts[name];
      if (v !== undefined && v !== null) url.searchParams.set(name, String(v));
    }
    const headers: Record<string, string> = { accept: "application/json", ...this.#headers, ...opts.headers };
    if (this.#apiKey) headers["x-api-key"] = this.#apiKey;
    if (opts.requestId) headers["x-request-id"] = opts.requestId;
    let body: FormData | string | undefined;
    if (request !== undefined) {
      const encoded = await encodeBody(route, request as Record<string, unknown>);
      body = encoded.body;
      if (encoded.type) headers["content-type"] = encoded.type;
    }
    const timeoutMs = opts.timeoutMs ?? this.#timeoutMs;
    const signals = [opts.signal, timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined].filter((s) => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    const response = await this.#fetch(url, { method: route.method, headers, ...(body === undefined ? {} : { body }), ...(signal ? { signal } : {}) });
    const text = await response.text();
    const requestId = response.headers.get("x-request-id") ?? undefined;
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = undefined;
    }
    if (response.ok || route.ok.includes(response.status)) {
      if (parsed === undefined) {
        throw new FaceServiceError("INVALID_RESPONSE", `${route.method} ${route.path}: the answer is not JSON`, { status: response.status, ...(requestId ? { requestId } : {}), body: text.slice(0, 500) });
      }
      return decode(parsed);
    }
    throw this.#error(response.status, parsed ?? text.slice(0, 500), requestId);
  }

  #error(status: number, body: unknown, requestId: string | undefined): FaceServiceError {
    const b = (body && typeof body === "object" ? body : {}) as { code?: unknown; error?: unknown; field?: unknown };
    const code = typeof b.code === "string" ? b.code : `HTTP_${status}`;
    const message = typeof b.error === "string" ? b.error : `The service answered ${status}.`;
    const details: ErrorDetails = { status, body, ...(requestId ? { requestId } : {}), ...(typeof b.field === "string" ? { field: b.field } : {}) };
    const Cls = Object.prototype.hasOwnProperty.call(this.#errors, code) ? this.#errors[code] : undefined;
    return Cls ? new Cls(message, details) : new FaceServiceError(code, message, details);
  }
}
