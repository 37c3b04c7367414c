import { type RouteSpec } from "./encoding.js";
import { FaceServiceError, type ErrorDetails } from "./errors.js";
import { type FaceAuth } from "./sigv4.js";
import { type RetryOptions, type RetryQuotaState } from "./retry.js";
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
/** The transport under the generated FaceClient. */
export declare class FaceClientBase {
    #private;
    readonly baseUrl: string;
    constructor(config: FaceClientConfig, errors: Readonly<Record<string, ErrorClass>>);
    /**
     * The client-wide retry quota now: `{ available, capacity }`. Below 5 tokens (10 for a network failure) no call
     * is retried; successes refill it (see RetryQuotaState).
     */
    retryQuota(): RetryQuotaState;
    protected call(route: RouteSpec, request: object | undefined, options?: object): Promise<unknown>;
}
export {};
//# sourceMappingURL=transport.d.ts.map