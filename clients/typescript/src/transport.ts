// The transport every generated method goes through: one call = encode once, then attempts under the retry
// policy (retry.ts) within the call's time budget, then an answer with its $metadata or one FaceServiceError.

import { setTimeout as sleep } from "node:timers/promises";

import { decodeAnswer, encodeBody, type RouteSpec } from "./encoding.js";
import {
  FaceAbortError,
  FaceNetworkError,
  FaceServiceError,
  FaceTimeoutError,
  UnexpectedResponseError,
  withMetadata,
  type ErrorDetails,
  type ResponseMetadata,
} from "./errors.js";
import { sigv4Signer, type FaceAuth, type RequestSigner } from "./sigv4.js";
import { backoffMs, RETRYABLE_CODES, retryAfterMs, RetryQuota, type RetryOptions, type RetryQuotaState } from "./retry.js";

/** Client configuration. Every optional field also takes `undefined` (e.g. `config.get("FACE_SERVICE_API_KEY")`). */
export interface FaceClientConfig {
  /** Where the service answers, e.g. `http://face-service:8000` or an API Gateway stage URL. */
  baseUrl: string;
  /** Sent as `x-api-key` when set (the service's API_KEY, or API Gateway's key); an empty string is the same as none. */
  apiKey?: string | undefined;
  /**
   * How requests authenticate (default "api-key": `x-api-key` when apiKey is set). `{ mode: "iam", region }` signs
   * every request with SigV4 (API Gateway's AWS_IAM), with the AWS SDK's default credential chain unless
   * `credentials` are given; it needs the optional peers @smithy/signature-v4, @aws-crypto/sha256-js and
   * @aws-sdk/credential-provider-node. "none" sends no key.
   */
  auth?: FaceAuth | undefined;
  /** Time budget of one call in ms, every attempt and every wait between attempts included (default 30,000; 0 = none). */
  timeoutMs?: number | undefined;
  /** Requests one call may send, the first included (default 3; 1 = no retries). */
  maxAttempts?: number | undefined;
  /** Backoff and quota tuning (defaults: the AWS SDK v3 standard mode's). */
  retry?: RetryOptions | undefined;
  /** Extra headers on every request. */
  headers?: Record<string, string> | undefined;
  /** A fetch implementation (default: the global fetch of Node 20). */
  fetch?: typeof fetch | undefined;
}

/** Per-call options, next to the route's query options. */
export interface CallOptions {
  /** Aborts the call (a request in flight or a wait between attempts): FaceAbortError. */
  signal?: AbortSignal | undefined;
  /** Overrides the client's timeoutMs (the whole call's budget) for this call. */
  timeoutMs?: number | undefined;
  /** Overrides the client's maxAttempts for this call. */
  maxAttempts?: number | undefined;
  /** Extra headers for this call. */
  headers?: Record<string, string> | undefined;
  /** Sent as `x-request-id` (1-64 of A-Z a-z 0-9 . _ -); default: a random UUID, the same for every attempt. */
  requestId?: string | undefined;
}

type ErrorClass = new (message: string, details?: ErrorDetails) => FaceServiceError;

/** One attempt's end: an answer's status, headers and text, or the error that ended it without one. */
type Attempt = { response: Response; text: string } | { error: FaceServiceError };

const now = (): number => performance.now();

/** The transport under the generated FaceClient. */
export class FaceClientBase {
  readonly baseUrl: string;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  readonly #retry: RetryOptions;
  readonly #quota: RetryQuota;
  readonly #headers: Record<string, string>;
  readonly #fetch: typeof fetch;
  readonly #errors: Readonly<Record<string, ErrorClass>>;
  readonly #signer: RequestSigner | undefined;

  constructor(config: FaceClientConfig, errors: Readonly<Record<string, ErrorClass>>) {
    if (!config || typeof config.baseUrl !== "string" || !/^https?:\/\//.test(config.baseUrl)) {
      throw new TypeError("FaceClient: baseUrl must be an http(s) URL");
    }
    this.baseUrl = config.baseUrl.replace(/\/+$/, "");
    const auth = config.auth ?? "api-key";
    if (auth !== "api-key" && auth !== "none" && auth?.mode !== "iam") throw new TypeError('FaceClient: auth is "api-key", "none" or { mode: "iam", ... }');
    this.#apiKey = auth === "none" ? undefined : config.apiKey || undefined;
    this.#signer = typeof auth === "object" ? sigv4Signer(auth) : undefined;
    this.#timeoutMs = config.timeoutMs ?? 30_000;
    this.#maxAttempts = Math.max(1, Math.floor(config.maxAttempts ?? 3));
    this.#retry = { ...config.retry };
    this.#quota = new RetryQuota(config.retry?.quota ?? 500);
    this.#headers = { ...config.headers };
    this.#fetch = config.fetch ?? globalThis.fetch;
    this.#errors = errors;
  }

  /**
   * The client-wide retry quota now: `{ available, capacity }`. Below 5 tokens (10 for a network failure) no call
   * is retried; successes refill it (see RetryQuotaState).
   */
  retryQuota(): RetryQuotaState {
    return this.#quota.state;
  }

  protected async call(route: RouteSpec, request: object | undefined, options: object = {}): Promise<unknown> {
    const started = now();
    const opts = options as CallOptions & Record<string, unknown>;
    const budget = (opts.timeoutMs ?? this.#timeoutMs) > 0 ? (opts.timeoutMs ?? this.#timeoutMs) : Infinity;
    const maxAttempts = Math.max(1, Math.floor(opts.maxAttempts ?? this.#maxAttempts));
    const requestId = opts.requestId ?? globalThis.crypto.randomUUID();
    const url = new URL(this.baseUrl + route.path);
    for (const name of route.query) {
      const v = opts[name];
      if (v !== undefined && v !== null) url.searchParams.set(name, String(v));
    }
    const headers: Record<string, string> = { accept: "application/json", ...this.#headers, ...opts.headers, "x-request-id": requestId };
    if (this.#apiKey) headers["x-api-key"] = this.#apiKey;
    let body: FormData | Uint8Array | string | undefined;
    if (request !== undefined) {
      const encoded = await encodeBody(route, request as Record<string, unknown>);
      body = encoded.body;
      if (encoded.type) headers["content-type"] = encoded.type;
      if (this.#signer && body instanceof FormData) {
        // SigV4 hashes the body: the multipart bytes (and their boundary) fixed once, for every attempt.
        const multipart = new Request(url, { method: route.method, body });
        body = new Uint8Array(await multipart.arrayBuffer());
        headers["content-type"] = multipart.headers.get("content-type") ?? "multipart/form-data";
      }
    }
    const unsigned: RequestInit = { method: route.method, headers, ...(body === undefined ? {} : { body }) };
    const signer = this.#signer;
    const signed = signer
      ? async (): Promise<RequestInit> => ({ ...unsigned, headers: await signer({ method: route.method, url, headers, body: body as Uint8Array | string | undefined }) })
      : undefined;

    let attempts = 0;
    let retryDelay = 0;
    let retryTokens = 0;
    const retriesOf: Record<string, number> = {};
    const meta = (status: number | undefined, id: string | undefined): ResponseMetadata =>
      ({ requestId: id ?? requestId, status, attempts, totalRetryDelayMs: retryDelay, durationMs: Math.round(now() - started), retryQuota: this.#quota.state });
    for (;;) {
      attempts += 1;
      const init = signed ? await signed() : unsigned; // signed anew for each attempt (x-amz-date)
      const outcome = await this.#attempt(url, init, opts.signal, started + budget - now(), requestId);
      let error: FaceServiceError;
      let delay: number | undefined;
      if ("response" in outcome) {
        const { response, text } = outcome;
        const id = response.headers.get("x-request-id") ?? requestId;
        const answer = this.#answer(route, response.status, text, id);
        if (!(answer instanceof FaceServiceError)) {
          this.#quota.release(retryTokens);
          return withMetadata(answer, meta(response.status, id));
        }
        error = answer;
        delay = retryAfterMs(response.headers.get("retry-after"));
      } else {
        error = outcome.error;
      }
      const code = error.code;
      const retriesLeft = (RETRYABLE_CODES[code] ?? Infinity) - (retriesOf[code] ?? 0);
      if (error.retryable && attempts < maxAttempts && retriesLeft > 0) {
        const wait = delay ?? backoffMs(attempts, this.#retry);
        const cost = now() + wait < started + budget ? this.#quota.acquire(error instanceof FaceNetworkError) : undefined;
        if (cost !== undefined) {
          retryTokens += cost;
          retriesOf[code] = (retriesOf[code] ?? 0) + 1;
          try {
            await sleep(wait, undefined, opts.signal ? { signal: opts.signal } : {});
          } catch (cause) {
            throw this.#finish(new FaceAbortError("The call was aborted while waiting to retry.", { requestId, cause: opts.signal?.reason ?? cause }), meta(undefined, undefined));
          }
          retryDelay += wait;
          continue;
        }
      }
      throw this.#finish(error, meta(error.status, error.requestId));
    }
  }

  /** One request: its answer, or a FaceTimeoutError, FaceAbortError or FaceNetworkError when none came. */
  async #attempt(url: URL, init: RequestInit, signal: AbortSignal | undefined, remainingMs: number, requestId: string): Promise<Attempt> {
    if (signal?.aborted) return { error: new FaceAbortError("The call was aborted.", { requestId, cause: signal.reason }) };
    if (remainingMs <= 0) return { error: new FaceTimeoutError("The call's time budget ran out before an answer.", { requestId }) };
    const timer = Number.isFinite(remainingMs) ? AbortSignal.timeout(Math.ceil(remainingMs)) : undefined;
    const signals = [signal, timer].filter((s): s is AbortSignal => s !== undefined);
    const combined = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    try {
      const response = await this.#fetch(url, { ...init, ...(combined ? { signal: combined } : {}) });
      const text = await response.text();
      return { response, text };
    } catch (cause) {
      if (signal?.aborted) return { error: new FaceAbortError("The call was aborted.", { requestId, cause: signal.reason ?? cause }) };
      if (timer?.aborted) {
        return { error: new FaceTimeoutError(`No answer within the call's time budget (${Math.round(remainingMs)} ms left of it).`, { requestId, cause: timer.reason ?? cause }) };
      }
      const reason = (cause as { cause?: { code?: string; message?: string } })?.cause;
      const detail = reason?.code ?? reason?.message ?? (cause as Error)?.message ?? String(cause);
      return { error: new FaceNetworkError(`${init.method} ${url.pathname}: no answer (${detail}).`, { requestId, cause }) };
    }
  }

  /** An answer's value, or the error it stands for. */
  #answer(route: RouteSpec, status: number, text: string, requestId: string): object | FaceServiceError {
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    const where = `${route.method} ${route.path}`;
    const b = parsed as { code?: unknown; error?: unknown; field?: unknown } | undefined;
    const errorShaped = Boolean(b && typeof b === "object" && typeof b.code === "string" && typeof b.error === "string");
    // A 2xx is an answer; so is a documented non-2xx answer that is not an error body (GET /health's 503 unhealthy).
    if ((status >= 200 && status < 300) || (route.ok.includes(status) && !errorShaped)) {
      if (parsed && typeof parsed === "object") return decodeAnswer(parsed) as object;
      return new UnexpectedResponseError(`${where}: the ${status} answer is not a JSON object.`, { status, requestId, body: text.slice(0, 500) });
    }
    if (!b || !errorShaped) {
      return new UnexpectedResponseError(`${where}: an answer ${status} that is not the service's (a proxy or gateway?).`,
        { status, requestId, body: parsed ?? text.slice(0, 500) });
    }
    const { code, error: message, field } = b as { code: string; error: string; field?: unknown };
    const details: ErrorDetails = { status, requestId, body: parsed, ...(typeof field === "string" ? { field } : {}) };
    const Cls = Object.prototype.hasOwnProperty.call(this.#errors, code) ? this.#errors[code] : undefined;
    return Cls ? new Cls(message, details) : new FaceServiceError(code, message, details);
  }

  #finish(error: FaceServiceError, metadata: ResponseMetadata): FaceServiceError {
    Object.defineProperty(error, "$metadata", { value: Object.freeze(metadata), enumerable: false, configurable: true });
    return error;
  }
}
