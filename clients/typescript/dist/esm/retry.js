// The retry policy, in one place: which failures are retried, how long to wait, and the client-wide retry quota.
// Modelled on the AWS SDK v3 "standard" retry mode: at most maxAttempts (default 3), exponential backoff with full
// jitter (base 100 ms, cap 20 s), a token-bucket quota that stops retry storms while the service is down, and a
// server's Retry-After honoured. Every route of the service is a pure function of its inputs (no state is kept
// between requests), so repeating a request is safe whatever happened to the first one.
/** Statuses retried when the answer is not one of the service's own error bodies (proxy, gateway, load balancer). */
export const RETRYABLE_STATUSES = [429, 502, 503, 504];
/**
 * Service error codes that are retried, with the most retries each may take. DEADLINE_EXCEEDED at most once: it
 * also means "too costly an input", which a second try will not change. S3_UNAVAILABLE is the service's 502.
 */
export const RETRYABLE_CODES = {
    MODEL_NOT_READY: Infinity,
    S3_UNAVAILABLE: Infinity,
    DEADLINE_EXCEEDED: 1,
};
/**
 * Whether a failure may be retried: a service error by its code (RETRYABLE_CODES), an answer that is not the
 * service's (a proxy's HTML 502, API Gateway's 429 or 504) by its status, a connection that failed before an answer
 * always; a time-out or an abort never (the call's time budget is spent, or its caller gave up).
 */
export function isRetryable(code, status) {
    if (code === "NETWORK_ERROR")
        return true;
    if (code === "UNEXPECTED_RESPONSE")
        return status !== undefined && RETRYABLE_STATUSES.includes(status);
    return Object.prototype.hasOwnProperty.call(RETRYABLE_CODES, code);
}
/** Backoff before the next attempt: full jitter over an exponentially growing ceiling. */
export function backoffMs(attempt, options = {}, random = Math.random) {
    const base = options.baseDelayMs ?? 100;
    const cap = options.maxDelayMs ?? 20_000;
    return Math.floor(random() * Math.min(cap, base * 2 ** (attempt - 1)));
}
/** A Retry-After header as milliseconds (delay-seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterMs(header, now = Date.now()) {
    if (header === null || header.trim() === "")
        return undefined;
    const text = header.trim();
    if (/^\d+(\.\d+)?$/.test(text))
        return Math.round(Number(text) * 1000);
    const date = Date.parse(text);
    return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
/** The AWS standard mode's retry quota: a token bucket shared by every call of one client. */
export class RetryQuota {
    #tokens;
    #capacity;
    constructor(capacity = 500) {
        this.#capacity = capacity;
        this.#tokens = capacity;
    }
    get available() {
        return this.#tokens;
    }
    get state() {
        return { available: this.#tokens, capacity: this.#capacity };
    }
    /** Takes the cost of one retry; false (and nothing taken) when the bucket has too few tokens. */
    acquire(networkError) {
        const cost = networkError ? 10 : 5;
        if (this.#tokens < cost)
            return undefined;
        this.#tokens -= cost;
        return cost;
    }
    /** After a success: gives back what its retries took, or 1 token when it needed none. */
    release(taken) {
        this.#tokens = Math.min(this.#capacity, this.#tokens + (taken > 0 ? taken : 1));
    }
}
//# sourceMappingURL=retry.js.map