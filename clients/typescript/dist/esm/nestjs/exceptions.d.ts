import { HttpException, type ArgumentsHost } from "@nestjs/common";
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
 * Catches every FaceServiceError a controller lets through and answers as toHttpException says. Register it with
 * `app.useGlobalFilters(new FaceServiceExceptionFilter(app.get(HttpAdapterHost).httpAdapter))`, as an APP_FILTER
 * provider, or `@UseFilters(FaceServiceExceptionFilter)` on a controller.
 */
export declare class FaceServiceExceptionFilter extends BaseExceptionFilter {
    catch(exception: FaceServiceError, host: ArgumentsHost): void;
}
//# sourceMappingURL=exceptions.d.ts.map