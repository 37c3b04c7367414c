import { HttpException, Logger, type ArgumentsHost } from "@nestjs/common";
import { BaseExceptionFilter } from "@nestjs/core";
import { FaceServiceError } from "../errors.js";
/**
 * The status a Nest application answers for each code. Problems with the caller's input keep their 4xx and the
 * service's message; failures of the service, or of this application's use of it (UNAUTHORIZED: a wrong API key,
 * INVALID_REQUEST: a client bug), are 502 with no upstream detail. A code not listed here is 502.
 */
export declare const FACE_HTTP_STATUS: Readonly<Record<string, number>>;
/** The HTTP status FACE_HTTP_STATUS gives an error (502 for any code it does not list). */
export declare function httpStatusOf(error: FaceServiceError): number;
/**
 * A FaceServiceError as an HttpException: body { statusCode, message, code, requestId }, the message the service's
 * for a 4xx and a generic one otherwise; the client error is the exception's cause. Anything else is returned as is.
 */
export declare function toHttpException(error: FaceServiceError): HttpException;
export declare function toHttpException(error: unknown): unknown;
/**
 * The log line of a failure the filter answers with a 5xx: what an operator needs to find it (code, status, the
 * request id the service logged, attempts, the retry quota) and the client's message. Never the request's images
 * or embeddings, nor the error's body.
 */
export declare function failureLogLine(error: FaceServiceError, answered: number): string;
/**
 * Catches every FaceServiceError a controller lets through and answers as toHttpException says; logs each failure
 * it answers with a 5xx (a wrong API key, the service down or timing out) once, through Nest's Logger (context
 * "FaceServiceExceptionFilter", level error; see failureLogLine). Register it any of these ways:
 * `app.useGlobalFilters(new FaceServiceExceptionFilter())`, the same with `app.get(HttpAdapterHost).httpAdapter`
 * as the argument, an APP_FILTER provider, or `@UseFilters(FaceServiceExceptionFilter)` on a controller.
 */
export declare class FaceServiceExceptionFilter extends BaseExceptionFilter {
    protected readonly logger: Logger;
    catch(exception: FaceServiceError, host: ArgumentsHost): void;
}
//# sourceMappingURL=exceptions.d.ts.map