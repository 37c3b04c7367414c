"use strict";
// The client's errors as Nest HTTP exceptions: what a Nest application answers its own caller when the face service
// refused the caller's photo (4xx, the service's sentence) or failed (502/503/504, no upstream detail).
Object.defineProperty(exports, "__esModule", { value: true });
exports.FaceServiceExceptionFilter = exports.FACE_HTTP_STATUS = void 0;
exports.httpStatusOf = httpStatusOf;
exports.toHttpException = toHttpException;
const common_1 = require("@nestjs/common");
const core_1 = require("@nestjs/core");
const errors_js_1 = require("../errors.js");
/**
 * The status a Nest application answers for each code. Problems with the caller's input keep their 4xx and the
 * service's message; failures of the service, or of this application's use of it (UNAUTHORIZED: a wrong API key,
 * INVALID_REQUEST: a client bug), are 502 with no upstream detail. A code not listed here is 502.
 */
exports.FACE_HTTP_STATUS = {
    NO_FACE: common_1.HttpStatus.UNPROCESSABLE_ENTITY,
    MULTIPLE_FACES: common_1.HttpStatus.UNPROCESSABLE_ENTITY,
    FACE_QUALITY: common_1.HttpStatus.UNPROCESSABLE_ENTITY,
    INVALID_IMAGE: common_1.HttpStatus.BAD_REQUEST,
    IMAGE_TOO_SMALL: common_1.HttpStatus.BAD_REQUEST,
    INVALID_EMBEDDING: common_1.HttpStatus.BAD_REQUEST,
    INVALID_GALLERY: common_1.HttpStatus.BAD_REQUEST,
    IMAGE_TOO_LARGE: common_1.HttpStatus.PAYLOAD_TOO_LARGE,
    PAYLOAD_TOO_LARGE: common_1.HttpStatus.PAYLOAD_TOO_LARGE,
    GALLERY_TOO_LARGE: common_1.HttpStatus.PAYLOAD_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE: common_1.HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    S3_OBJECT_NOT_FOUND: common_1.HttpStatus.NOT_FOUND,
    MODEL_NOT_READY: common_1.HttpStatus.SERVICE_UNAVAILABLE,
    DEADLINE_EXCEEDED: common_1.HttpStatus.SERVICE_UNAVAILABLE,
    TIMEOUT: common_1.HttpStatus.GATEWAY_TIMEOUT,
    ABORTED: 499,
};
/** The HTTP status FACE_HTTP_STATUS gives an error (502 for any code it does not list). */
function httpStatusOf(error) {
    return Object.prototype.hasOwnProperty.call(exports.FACE_HTTP_STATUS, error.code) ? exports.FACE_HTTP_STATUS[error.code] : common_1.HttpStatus.BAD_GATEWAY;
}
function toHttpException(error) {
    if (!(error instanceof errors_js_1.FaceServiceError))
        return error;
    const status = httpStatusOf(error);
    const message = status < 500 ? error.message : `The face service failed (${error.code}).`;
    const body = { statusCode: status, message, code: error.code, requestId: error.requestId };
    if ("reasons" in error)
        body["reasons"] = error.reasons;
    return new common_1.HttpException(body, status, { cause: error });
}
/**
 * Catches every FaceServiceError a controller lets through and answers as toHttpException says. Register it with
 * `app.useGlobalFilters(new FaceServiceExceptionFilter(app.get(HttpAdapterHost).httpAdapter))`, as an APP_FILTER
 * provider, or `@UseFilters(FaceServiceExceptionFilter)` on a controller.
 */
class FaceServiceExceptionFilter extends core_1.BaseExceptionFilter {
    catch(exception, host) {
        super.catch(toHttpException(exception), host);
    }
}
exports.FaceServiceExceptionFilter = FaceServiceExceptionFilter;
(0, common_1.Catch)(errors_js_1.FaceServiceError)(FaceServiceExceptionFilter);
//# sourceMappingURL=exceptions.js.map