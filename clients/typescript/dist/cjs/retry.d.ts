/** Statuses retried when the answer is not one of the service's own error bodies (proxy, gateway, load balancer). */
export declare const RETRYABLE_STATUSES: readonly number[];
/**
 * Service error codes that are retried, with the most retries each may take. DEADLINE_EXCEEDED at most once: it
 * also means "too costly an input", which a second try will not change. S3_UNAVAILABLE is the service's 502.
 */
export declare const RETRYABLE_CODES: Readonly<Record<string, number>>;
/**
 * Whether a failure may be retried: a service error by its code (RETRYABLE_CODES), an answer that is not the
 * service's (a proxy's HTML 502, API Gateway's 429 or 504) by its status, a connection that failed before an answer
 * always; a time-out or an abort never (the call's time budget is spent, or its caller gave up).
 */
export declare function isRetryable(code: string, status: number | undefined): boolean;
/** Tuning of the retries (the defaults are the AWS SDK v3 standard mode's). */
export interface RetryOptions {
    /** First backoff ceiling in ms; attempt n waits a random time in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))). */
    baseDelayMs?: number | undefined;
    /** Backoff cap in ms (default 20,000). */
    maxDelayMs?: number | undefined;
    /** Client-wide retry tokens (default 500); a retry costs 5 (10 after a network error), a success refunds. */
    quota?: number | undefined;
}
/** Backoff before the next attempt: full jitter over an exponentially growing ceiling. */
export declare function backoffMs(attempt: number, options?: RetryOptions, random?: () => number): number;
/** A Retry-After header as milliseconds (delay-seconds or an HTTP date); undefined when absent or unreadable. */
export declare function retryAfterMs(header: string | null, now?: number): number | undefined;
/**
 * The retry quota's state: `client.retryQuota()` and `$metadata.retryQuota`. A retry takes 5 tokens (10 after a
 * network error); a call that succeeds gives back what its retries took, or 1 token when it needed none. While `available` is below a retry's cost, calls get one attempt each; the bucket refills
 * only through successes (after an outage that drained it, 5 successful calls allow one retry again).
 */
export interface RetryQuotaState {
    /** Tokens left now. */
    readonly available: number;
    /** The bucket's size (`retry.quota`, default 500). */
    readonly capacity: number;
}
/** The AWS standard mode's retry quota: a token bucket shared by every call of one client. */
export declare class RetryQuota {
    #private;
    constructor(capacity?: number);
    get available(): number;
    get state(): RetryQuotaState;
    /** Takes the cost of one retry; false (and nothing taken) when the bucket has too few tokens. */
    acquire(networkError: boolean): number | undefined;
    /** After a success: gives back what its retries took, or 1 token when it needed none. */
    release(taken: number): void;
}
//# sourceMappingURL=retry.d.ts.map