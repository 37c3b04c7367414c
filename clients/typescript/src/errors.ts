// The client's one error model: every failure of a call rejects with a FaceServiceError. The service's own error
// answers become one subclass per code (generated.ts, from the spec's x-error-codes); the four failures that are
// not a service error body are the classes below.

import type { ErrorCode } from "./generated.js";
import { isRetryable, type RetryQuotaState } from "./retry.js";

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
export type WithMetadata<T> = T & { readonly $metadata: ResponseMetadata };

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
export type UnknownErrorCode = string & { readonly [unknownCode]: true };

const META = "$metadata";
// Marks the errors of this package whichever copy made them (its CommonJS and its ESM build are two copies of every
// class: an application that both require()s and imports it would otherwise see `instanceof` fail across them).
const BRAND = Symbol.for("face-recognition-service-client.FaceServiceError");

/** Attaches the metadata as a non-enumerable, read-only property (JSON and object spread leave it out). */
export function withMetadata<T extends object>(value: T, metadata: ResponseMetadata): WithMetadata<T> {
  Object.defineProperty(value, META, { value: Object.freeze({ ...metadata }), enumerable: false, configurable: true });
  return value as WithMetadata<T>;
}

/**
 * Base of every error a call rejects with. `code` is the service's code (one subclass each, see ErrorCode) or a
 * ClientErrorCode; `retryable` says whether the retry policy retries this kind of failure (it already has, up to
 * maxAttempts, by the time you catch it); `$metadata.attempts` how many requests were sent.
 */
export class FaceServiceError extends Error {
  /** The code every instance of the class has (undefined for FaceServiceError itself: any code). */
  static readonly code: string | undefined = undefined;

  /** `instanceof` that also recognises errors made by the package's other build (CommonJS vs ESM). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (!value || typeof value !== "object" || !(BRAND in value)) return false;
    return this.code === undefined || (value as { code?: unknown }).code === this.code;
  }

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
  declare readonly $metadata?: ResponseMetadata;

  constructor(code: string, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "FaceServiceError";
    this.code = code as FaceErrorCode | UnknownErrorCode;
    this.status = details.status;
    this.field = details.field;
    this.requestId = details.requestId;
    this.body = details.body;
    this.retryable = isRetryable(code, details.status);
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** The call's time budget (timeoutMs: every attempt and wait together) ran out. Not retried. */
export class FaceTimeoutError extends FaceServiceError {
  static override readonly code = "TIMEOUT";
  declare readonly code: "TIMEOUT";
  constructor(message: string, details: ErrorDetails = {}) {
    super("TIMEOUT", message, details);
    this.name = "FaceTimeoutError";
  }
}

/** The caller's AbortSignal fired (before or during a request, or during a wait between attempts). Not retried. */
export class FaceAbortError extends FaceServiceError {
  static override readonly code = "ABORTED";
  declare readonly code: "ABORTED";
  constructor(message: string, details: ErrorDetails = {}) {
    super("ABORTED", message, details);
    this.name = "FaceAbortError";
  }
}

/** No answer: the connection was refused, reset or failed (DNS, TLS, socket). Retried. */
export class FaceNetworkError extends FaceServiceError {
  static override readonly code = "NETWORK_ERROR";
  declare readonly code: "NETWORK_ERROR";
  declare readonly status: undefined;
  constructor(message: string, details: ErrorDetails = {}) {
    super("NETWORK_ERROR", message, details);
    this.name = "FaceNetworkError";
  }
}

/**
 * An answer that is not the service's: a non-JSON body (a proxy's HTML 502), an error without the service's
 * {error, code} shape (API Gateway's {"message": ...}), or a success that is not JSON. Retried on 429, 502, 503, 504.
 */
export class UnexpectedResponseError extends FaceServiceError {
  static override readonly code = "UNEXPECTED_RESPONSE";
  declare readonly code: "UNEXPECTED_RESPONSE";
  declare readonly status: number;
  constructor(message: string, details: ErrorDetails & { status: number }) {
    super("UNEXPECTED_RESPONSE", message, details);
    this.name = "UnexpectedResponseError";
  }
}
