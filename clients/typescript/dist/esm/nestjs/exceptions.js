// The client's errors as Nest HTTP exceptions: what a Nest application answers its own caller when the face service
// refused the caller's photo (4xx, the service's sentence) or failed (502/503/504, no upstream detail).
import { Catch, HttpException, HttpStatus } from "@nestjs/common";
import { BaseExceptionFilter } from "@nestjs/core";
import { FaceServiceError } from "../errors.js";
/**
 * The status a Nest application answers for each code. Problems with the caller's input keep their 4xx and the
 * service's message; failures of the service, or of this application's use of it (UNAUTHORIZED: a wrong API key,
 * INVALID_REQUEST: a client bug), are 502 with no upstream detail. A code not listed here is 502.
 */
export const FACE_HTTP_STATUS = {
    NO_FACE: HttpStatus.UNPROCESSABLE_ENTITY,
    MULTIPLE_FACES: HttpStatus.UNPROCESSABLE_ENTITY,
    FACE_QUALITY: HttpStatus.UNPROCESSABLE_ENTITY,
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
export function httpStatusOf(error) {
    return Object.prototype.hasOwnProperty.call(FACE_HTTP_STATUS, error.code) ? FACE_HTTP_STATUS[error.code] : HttpStatus.BAD_GATEWAY;
}
export function toHttpException(error) {
    if (!(error instanceof FaceServiceError))
        return error;
    const status = httpStatusOf(error);
    const message = status < 500 ? error.message : `The face service failed (${error.code}).`;
    const body = { statusCode: status, message, code: error.code, requestId: error.requestId };
    if ("reasons" in error)
        body["reasons"] = error.reasons;
    return new HttpException(body, status, { cause: error });
}
/**
 * Catches every FaceServiceError a controller lets through and answers as toHttpException says. Register it with
 * `app.useGlobalFilters(new FaceServiceExceptionFilter(app.get(HttpAdapterHost).httpAdapter))`, as an APP_FILTER
 * provider, or `@UseFilters(FaceServiceExceptionFilter)` on a controller.
 */
export class FaceServiceExceptionFilter extends BaseExceptionFilter {
    catch(exception, host) {
        super.catch(toHttpException(exception), host);
    }
}
Catch(FaceServiceError)(FaceServiceExceptionFilter);
//# sourceMappingURL=exceptions.js.map