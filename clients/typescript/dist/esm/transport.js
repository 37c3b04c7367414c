// The transport every generated method goes through: one call = encode once, then attempts under the retry
// policy (retry.ts) within the call's time budget, then an answer with its $metadata or one FaceServiceError.
import { setTimeout as sleep } from "node:timers/promises";
import { decodeAnswer, encodeBody } from "./encoding.js";
import { FaceAbortError, FaceNetworkError, FaceServiceError, FaceTimeoutError, UnexpectedResponseError, withMetadata, } from "./errors.js";
import { sigv4Signer } from "./sigv4.js";
import { backoffMs, RETRYABLE_CODES, retryAfterMs, RetryQuota } from "./retry.js";
const now = () => performance.now();
/** The transport under the generated FaceClient. */
export class FaceClientBase {
    baseUrl;
    #apiKey;
    #timeoutMs;
    #maxAttempts;
    #retry;
    #quota;
    #headers;
    #fetch;
    #errors;
    #signer;
    constructor(config, errors) {
        if (!config || typeof config.baseUrl !== "string" || !/^https?:\/\//.test(config.baseUrl)) {
            throw new TypeError("FaceClient: baseUrl must be an http(s) URL");
        }
        this.baseUrl = config.baseUrl.replace(/\/+$/, "");
        const auth = config.auth ?? "api-key";
        if (auth !== "api-key" && auth !== "none" && auth?.mode !== "iam")
            throw new TypeError('FaceClient: auth is "api-key", "none" or { mode: "iam", ... }');
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
    retryQuota() {
        return this.#quota.state;
    }
    async call(route, request, options = {}) {
        const started = now();
        const opts = options;
        const budget = (opts.timeoutMs ?? this.#timeoutMs) > 0 ? (opts.timeoutMs ?? this.#timeoutMs) : Infinity;
        const maxAttempts = Math.max(1, Math.floor(opts.maxAttempts ?? this.#maxAttempts));
        const requestId = opts.requestId ?? globalThis.crypto.randomUUID();
        const url = new URL(this.baseUrl + route.path);
        for (const name of route.query) {
            const v = opts[name];
            if (v !== undefined && v !== null)
                url.searchParams.set(name, String(v));
        }
        const headers = { accept: "application/json", ...this.#headers, ...opts.headers, "x-request-id": requestId };
        if (this.#apiKey)
            headers["x-api-key"] = this.#apiKey;
        let body;
        if (request !== undefined) {
            const encoded = await encodeBody(route, request);
            body = encoded.body;
            if (encoded.type)
                headers["content-type"] = encoded.type;
            if (this.#signer && body instanceof FormData) {
                // SigV4 hashes the body: the multipart bytes (and their boundary) fixed once, for every attempt.
                const multipart = new Request(url, { method: route.method, body });
                body = new Uint8Array(await multipart.arrayBuffer());
                headers["content-type"] = multipart.headers.get("content-type") ?? "multipart/form-data";
            }
        }
        const unsigned = { method: route.method, headers, ...(body === undefined ? {} : { body }) };
        const signer = this.#signer;
        const signed = signer
            ? async () => ({ ...unsigned, headers: await signer({ method: route.method, url, headers, body: body }) })
            : undefined;
        let attempts = 0;
        let retryDelay = 0;
        let retryTokens = 0;
        const retriesOf = {};
        const meta = (status, id) => ({ requestId: id ?? requestId, status, attempts, totalRetryDelayMs: retryDelay, durationMs: Math.round(now() - started), retryQuota: this.#quota.state });
        for (;;) {
            attempts += 1;
            const init = signed ? await signed() : unsigned; // signed anew for each attempt (x-amz-date)
            const outcome = await this.#attempt(url, init, opts.signal, started + budget - now(), requestId);
            let error;
            let delay;
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
            }
            else {
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
                    }
                    catch (cause) {
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
    async #attempt(url, init, signal, remainingMs, requestId) {
        if (signal?.aborted)
            return { error: new FaceAbortError("The call was aborted.", { requestId, cause: signal.reason }) };
        if (remainingMs <= 0)
            return { error: new FaceTimeoutError("The call's time budget ran out before an answer.", { requestId }) };
        const timer = Number.isFinite(remainingMs) ? AbortSignal.timeout(Math.ceil(remainingMs)) : undefined;
        const signals = [signal, timer].filter((s) => s !== undefined);
        const combined = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
        try {
            const response = await this.#fetch(url, { ...init, ...(combined ? { signal: combined } : {}) });
            const text = await response.text();
            return { response, text };
        }
        catch (cause) {
            if (signal?.aborted)
                return { error: new FaceAbortError("The call was aborted.", { requestId, cause: signal.reason ?? cause }) };
            if (timer?.aborted) {
                return { error: new FaceTimeoutError(`No answer within the call's time budget (${Math.round(remainingMs)} ms left of it).`, { requestId, cause: timer.reason ?? cause }) };
            }
            const reason = cause?.cause;
            const detail = reason?.code ?? reason?.message ?? cause?.message ?? String(cause);
            return { error: new FaceNetworkError(`${init.method} ${url.pathname}: no answer (${detail}).`, { requestId, cause }) };
        }
    }
    /** An answer's value, or the error it stands for. */
    #answer(route, status, text, requestId) {
        let parsed;
        try {
            parsed = text ? JSON.parse(text) : undefined;
        }
        catch {
            parsed = undefined;
        }
        const where = `${route.method} ${route.path}`;
        const b = parsed;
        const errorShaped = Boolean(b && typeof b === "object" && typeof b.code === "string" && typeof b.error === "string");
        // A 2xx is an answer; so is a documented non-2xx answer that is not an error body (GET /health's 503 unhealthy).
        if ((status >= 200 && status < 300) || (route.ok.includes(status) && !errorShaped)) {
            if (parsed && typeof parsed === "object")
                return decodeAnswer(parsed);
            return new UnexpectedResponseError(`${where}: the ${status} answer is not a JSON object.`, { status, requestId, body: text.slice(0, 500) });
        }
        if (!b || !errorShaped) {
            return new UnexpectedResponseError(`${where}: an answer ${status} that is not the service's (a proxy or gateway?).`, { status, requestId, body: parsed ?? text.slice(0, 500) });
        }
        const { code, error: message, field } = b;
        const details = { status, requestId, body: parsed, ...(typeof field === "string" ? { field } : {}) };
        const Cls = Object.prototype.hasOwnProperty.call(this.#errors, code) ? this.#errors[code] : undefined;
        return Cls ? new Cls(message, details) : new FaceServiceError(code, message, details);
    }
    #finish(error, metadata) {
        Object.defineProperty(error, "$metadata", { value: Object.freeze(metadata), enumerable: false, configurable: true });
        return error;
    }
}
//# sourceMappingURL=transport.js.map