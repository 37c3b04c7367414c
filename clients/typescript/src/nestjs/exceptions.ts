// The client's errors as Nest HTTP exceptions: what a Nest application answers its own caller when the face service
// refused the caller's photo (4xx, the service's sentence) or failed (502/503/504, no upstream detail).

import { Catch, HttpException, HttpStatus, Logger, type ArgumentsHost } from "@nestjs/common";
import { BaseExceptionFilter } from "@nestjs/core";

import { FaceServiceError } from "../errors.js";

/**
 * The status a Nest application answers for each code. Problems with the caller's input keep their 4xx and the
 * service's message; failures of the service, or of this application's use of it (UNAUTHORIZED: a wrong API key,
 * INVALID_REQUEST: a client bug), are 502 with no upstream detail. A code not listed here is 502.
 */
export const FACE_HTTP_STATUS: Readonly<Record<string, number>> = {
  NO_FACE: HttpStatus.UNPROCESSABLE_ENTITY,
  MULTIPLE_FACES: HttpStatus.UNPROCESSABLE_ENTITY,
  FACE_QUALITY: HttpStatus.UNPROCESSABLE_ENTITY,
  BEYOND_CALIBRATION: HttpStatus.UNPROCESSABLE_ENTITY,
  INVALID_IMAGE: HttpStatus.BAD_REQUEST,
  IMAGE_TOO_SMALL: HttpStatus.BAD_REQUEST,
  INVALID_EMBEDDING: HttpStatus.BAD_REQUEST,
  INVALID_GALLERY: HttpStatus.BAD_REQUEST,
  IMAGE_TOO_LARGE: HttpStatus.PAYLOAD_TOO_LARGE,
  PAYLOAD_TOO_LARGE: HttpStatus.PAYLOAD_TOO_LARGE,
  GALLERY_TOO_LARGE: HttpStatus.PAYLOAD_TOO_LARGE,
  UNSUPPORTED_MEDIA_TYPE: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  S3_OBJECT_NOT_FOUND: HttpStatus.NOT_FOUND,
  MODEL_NOT_READY: HttpStatus.SERVICE_UNAVAILABLE,
  DEADLINE_EXCEEDED: HttpStatus.SERVICE_UNAVAILABLE,
  TIMEOUT: HttpStatus.GATEWAY_TIMEOUT,
  ABORTED: 499,
};

/** The HTTP status FACE_HTTP_STATUS gives an error (502 for any code it does not list). */
export function httpStatusOf(error: FaceServiceError): number {
  return Object.prototype.hasOwnProperty.call(FACE_HTTP_STATUS, error.code) ? FACE_HTTP_STATUS[error.code]! : HttpStatus.BAD_GATEWAY;
}

/**
 * A FaceServiceError as an HttpException: body { statusCode, message, code, requestId }, the message the service's
 * for a 4xx and a generic one otherwise; the client error is the exception's cause. Anything else is returned as is.
 */
export function toHttpException(error: FaceServiceError): HttpException;
export function toHttpException(error: unknown): unknown;
export function toHttpException(error: unknown): unknown {
  if (!(error instanceof FaceServiceError)) return error;
  const status = httpStatusOf(error);
  const message = status < 500 ? error.message : `The face service failed (${error.code}).`;
  const body: Record<string, unknown> = { statusCode: status, message, code: error.code, requestId: error.requestId };
  if ("reasons" in error) body["reasons"] = (error as { reasons: unknown }).reasons;
  return new HttpException(body, status, { cause: error });
}

/**
 * The log line of a failure the filter answers with a 5xx: what an operator needs to find it (code, status, the
 * request id the service logged, attempts, the retry quota) and the client's message. Never the request's images
 * or embeddings, nor the error's body.
 */
export function failureLogLine(error: FaceServiceError, answered: number): string {
  const meta = error.$metadata;
  const quota = meta?.retryQuota ? `, retry quota ${meta.retryQuota.available}/${meta.retryQuota.capacity}` : "";
  return `${error.code} (status ${error.status ?? "none"}, request ${error.requestId ?? meta?.requestId ?? "none"}, ` +
    `${meta?.attempts ?? 1} attempt(s)${quota}) answered ${answered}: ${error.message}`;
}

/** Answers without Nest's HTTP adapter (a filter made with `new` and no argument): Express's or Fastify's response. */
function replyDirectly(host: ArgumentsHost, exception: HttpException): void {
  const response = host.switchToHttp().getResponse<{
    headersSent?: boolean; sent?: boolean; status?: (code: number) => unknown; json?: (body: unknown) => unknown; send?: (body: unknown) => unknown; end?: () => unknown;
  }>();
  const status = exception.getStatus();
  const body = exception.getResponse();
  if (response.headersSent || response.sent) {
    response.end?.();
  } else if (typeof response.status === "function" && typeof response.json === "function") {
    response.status(status);
    response.json(body); // Express
  } else if (typeof response.status === "function" && typeof response.send === "function") {
    response.status(status);
    response.send(body); // Fastify
  } else {
    throw new TypeError("FaceServiceExceptionFilter: not an Express or Fastify response; register the filter with the HTTP adapter");
  }
}

/**
 * Catches every FaceServiceError a controller lets through and answers as toHttpException says; logs each failure
 * it answers with a 5xx (a wrong API key, the service down or timing out) once, through Nest's Logger (context
 * "FaceServiceExceptionFilter", level error; see failureLogLine). Register it any of these ways:
 * `app.useGlobalFilters(new FaceServiceExceptionFilter())`, the same with `app.get(HttpAdapterHost).httpAdapter`
 * as the argument, an APP_FILTER provider, or `@UseFilters(FaceServiceExceptionFilter)` on a controller.
 */
export class FaceServiceExceptionFilter extends BaseExceptionFilter {
  protected readonly logger = new Logger("FaceServiceExceptionFilter");

  override catch(exception: FaceServiceError, host: ArgumentsHost): void {
    const http = toHttpException(exception);
    if (http.getStatus() >= 500) this.logger.error(failureLogLine(exception, http.getStatus()));
    if (this.applicationRef || this.httpAdapterHost?.httpAdapter || host.getType() !== "http") {
      super.catch(http, host);
    } else {
      replyDirectly(host, http);
    }
  }
}

Catch(FaceServiceError)(FaceServiceExceptionFilter);
