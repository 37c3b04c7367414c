"use strict";
// The client's one error model: every failure of a call rejects with a FaceServiceError. The service's own error
// answers become one subclass per code (generated.ts, from the spec's x-error-codes); the four failures that are
// not a service error body are the classes below.
Object.defineProperty(exports, "__esModule", { value: true });
exports.UnexpectedResponseError = exports.FaceNetworkError = exports.FaceAbortError = exports.FaceTimeoutError = exports.FaceServiceError = void 0;
exports.withMetadata = withMetadata;
const retry_js_1 = require("./retry.js");
const META = "$metadata";
// Marks the errors of this package whichever copy made them (its CommonJS and its ESM build are two copies of every
// class: an application that both require()s and imports it would otherwise see `instanceof` fail across them).
const BRAND = Symbol.for("face-recognition-service-client.FaceServiceError");
/** Attaches the metadata as a non-enumerable, read-only property (JSON and object spread leave it out). */
function withMetadata(value, metadata) {
    Object.defineProperty(value, META, { value: Object.freeze({ ...metadata }), enumerable: false, configurable: true });
    return value;
}
/**
 * Base of every error a call rejects with. `code` is the service's code (one subclass each, see ErrorCode) or a
 * ClientErrorCode; `retryable` says whether the retry policy retries this kind of failure (it already has, up to
 * maxAttempts, by the time you catch it); `$metadata.attempts` how many requests were sent.
 */
class FaceServiceError extends Error {
    /** The code every instance of the class has (undefined for FaceServiceError itself: any code). */
    static code = undefined;
    /** `instanceof` that also recognises errors made by the package's other build (CommonJS vs ESM). */
    static [Symbol.hasInstance](value) {
        if (Function.prototype[Symbol.hasInstance].call(this, value))
            return true;
        if (!value || typeof value !== "object" || !(BRAND in value))
            return false;
        return this.code === undefined || value.code === this.code;
    }
    /**
     * The service's error code (ErrorCode), or TIMEOUT, ABORTED, NETWORK_ERROR, UNEXPECTED_RESPONSE (ClientErrorCode);
     * any other string from a newer service (UnknownErrorCode): a `switch` over it keeps a `default`.
     */
    code;
    /** The HTTP status of the answer; undefined when no answer arrived. */
    status;
    /** The request field the error is about, where the service names one. */
    field;
    /** The call's x-request-id: the service's log line for it carries the same id. */
    requestId;
    /** The parsed error body (or the start of a non-JSON body). */
    body;
    /** Whether this kind of failure is retried (see RETRYABLE_CODES, RETRYABLE_STATUSES). */
    retryable;
    constructor(code, message, details = {}) {
        super(message, details.cause === undefined ? undefined : { cause: details.cause });
        this.name = "FaceServiceError";
        this.code = code;
        this.status = details.status;
        this.field = details.field;
        this.requestId = details.requestId;
        this.body = details.body;
        this.retryable = (0, retry_js_1.isRetryable)(code, details.status);
        Object.defineProperty(this, BRAND, { value: true });
    }
}
exports.FaceServiceError = FaceServiceError;
/** The call's time budget (timeoutMs: every attempt and wait together) ran out. Not retried. */
class FaceTimeoutError extends FaceServiceError {
    static code = "TIMEOUT";
    constructor(message, details = {}) {
        super("TIMEOUT", message, details);
        this.name = "FaceTimeoutError";
    }
}
exports.FaceTimeoutError = FaceTimeoutError;
/** The caller's AbortSignal fired (before or during a request, or during a wait between attempts). Not retried. */
class FaceAbortError extends FaceServiceError {
    static code = "ABORTED";
    constructor(message, details = {}) {
        super("ABORTED", message, details);
        this.name = "FaceAbortError";
    }
}
exports.FaceAbortError = FaceAbortError;
/** No answer: the connection was refused, reset or failed (DNS, TLS, socket). Retried. */
class FaceNetworkError extends FaceServiceError {
    static code = "NETWORK_ERROR";
    constructor(message, details = {}) {
        super("NETWORK_ERROR", message, details);
        this.name = "FaceNetworkError";
    }
}
exports.FaceNetworkError = FaceNetworkError;
/**
 * An answer that is not the service's: a non-JSON body (a proxy's HTML 502), an error without the service's
 * {error, code} shape (API Gateway's {"message": ...}), or a success that is not JSON. Retried on 429, 502, 503, 504.
 */
class UnexpectedResponseError extends FaceServiceError {
    static code = "UNEXPECTED_RESPONSE";
    constructor(message, details) {
        super("UNEXPECTED_RESPONSE", message, details);
        this.name = "UnexpectedResponseError";
    }
}
exports.UnexpectedResponseError = UnexpectedResponseError;
//# sourceMappingURL=errors.js.map