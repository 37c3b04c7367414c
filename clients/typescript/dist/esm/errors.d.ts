import type { ErrorCode } from "./generated.js";
import { type RetryQuotaState } from "./retry.js";
/** What the client knows of a call once it has ended: on every answer (`answer.$metadata`) and every error. */
export interface ResponseMetadata {
    /** The x-request-id of the call: the service's echo, else the one the client sent (the service logs it). */
    readonly requestId: string | undefined;
    /** The HTTP status of the last answer; undefined when no answer arrived (time-out, abort, network). */
    readonly status: number | undefined;
    /** Requests sent, retries included (1 = no retry). */
    readonly attempts: number;
    /** Time spent waiting between attempts, ms. */
    readonly totalRetryDelayMs: number;
    /** From the call to its answer or error, ms (encoding, every attempt and wait). */
    readonly durationMs: number;
    /** The client's retry quota when the call ended (see RetryQuotaState); absent in metadata not made by a client. */
    readonly retryQuota?: RetryQuotaState | undefined;
}
/** An answer of the service with the call's metadata, a non-enumerable property: JSON.stringify(answer) omits it. */
export type WithMetadata<T> = T & {
    readonly $metadata: ResponseMetadata;
};
/** Error details (the second argument of every error class). */
export interface ErrorDetails {
    /** The HTTP status of the answer; undefined when none arrived. */
    status?: number | undefined;
    /** The request field the error is about, where the service names one. */
    field?: string | undefined;
    /** The call's x-request-id. */
    requestId?: string | undefined;
    /** The parsed error body, or the start of a body that was not JSON (e.g. a proxy's HTML page). */
    body?: unknown;
    /** What caused it: fetch's TimeoutError or AbortError, its TypeError("fetch failed") with the socket error, ... */
    cause?: unknown;
}
/** Codes of the failures that are not the service's answers. */
export type ClientErrorCode = "TIMEOUT" | "ABORTED" | "NETWORK_ERROR" | "UNEXPECTED_RESPONSE";
/** Every code this version of the client knows: the service's documented codes and the client's own. */
export type FaceErrorCode = ErrorCode | ClientErrorCode;
declare const unknownCode: unique symbol;
/**
 * A code this version of the client does not know (a newer service's): at run time a plain string. Only a
 * `switch (error.code)` that has a case for every FaceErrorCode leaves this type in its `default`, so
 * `const future: UnknownErrorCode = error.code` there compiles exactly when the switch is exhaustive.
 */
export type UnknownErrorCode = string & {
    readonly [unknownCode]: true;
};
/** Attaches the metadata as a non-enumerable, read-only property (JSON and object spread leave it out). */
export declare function withMetadata<T extends object>(value: T, metadata: ResponseMetadata): WithMetadata<T>;
/**
 * Base of every error a call rejects with. `code` is the service's code (one subclass each, see ErrorCode) or a
 * ClientErrorCode; `retryable` says whether the retry policy retries this kind of failure (it already has, up to
 * maxAttempts, by the time you catch it); `$metadata.attempts` how many requests were sent.
 */
export declare class FaceServiceError extends Error {
    /** The code every instance of the class has (undefined for FaceServiceError itself: any code). */
    static readonly code: string | undefined;
    /** `instanceof` that also recognises errors made by the package's other build (CommonJS vs ESM). */
    static [Symbol.hasInstance](value: unknown): boolean;
    /**
     * The service's error code (ErrorCode), or TIMEOUT, ABORTED, NETWORK_ERROR, UNEXPECTED_RESPONSE (ClientErrorCode);
     * any other string from a newer service (UnknownErrorCode): a `switch` over it keeps a `default`.
     */
    readonly code: FaceErrorCode | UnknownErrorCode;
    /** The HTTP status of the answer; undefined when no answer arrived. */
    readonly status: number | undefined;
    /** The request field the error is about, where the service names one. */
    readonly field: string | undefined;
    /** The call's x-request-id: the service's log line for it carries the same id. */
    readonly requestId: string | undefined;
    /** The parsed error body (or the start of a non-JSON body). */
    readonly body: unknown;
    /** Whether this kind of failure is retried (see RETRYABLE_CODES, RETRYABLE_STATUSES). */
    readonly retryable: boolean;
    /** The call's metadata (attempts, duration, ...); set by the client on every error it throws. */
    readonly $metadata?: ResponseMetadata;
    constructor(code: string, message: string, details?: ErrorDetails);
}
/** The call's time budget (timeoutMs: every attempt and wait together) ran out. Not retried. */
export declare class FaceTimeoutError extends FaceServiceError {
    static readonly code = "TIMEOUT";
    readonly code: "TIMEOUT";
    constructor(message: string, details?: ErrorDetails);
}
/** The caller's AbortSignal fired (before or during a request, or during a wait between attempts). Not retried. */
export declare class FaceAbortError extends FaceServiceError {
    static readonly code = "ABORTED";
    readonly code: "ABORTED";
    constructor(message: string, details?: ErrorDetails);
}
/** No answer: the connection was refused, reset or failed (DNS, TLS, socket). Retried. */
export declare class FaceNetworkError extends FaceServiceError {
    static readonly code = "NETWORK_ERROR";
    readonly code: "NETWORK_ERROR";
    readonly status: undefined;
    constructor(message: string, details?: ErrorDetails);
}
/**
 * An answer that is not the service's: a non-JSON body (a proxy's HTML 502), an error without the service's
 * {error, code} shape (API Gateway's {"message": ...}), or a success that is not JSON. Retried on 429, 502, 503, 504.
 */
export declare class UnexpectedResponseError extends FaceServiceError {
    static readonly code = "UNEXPECTED_RESPONSE";
    readonly code: "UNEXPECTED_RESPONSE";
    readonly status: number;
    constructor(message: string, details: ErrorDetails & {
        status: number;
    });
}
export {};
//# sourceMappingURL=errors.d.ts.map