"use strict";
// The client's errors as Nest HTTP exceptions: what a Nest application answers its own caller when the face service
// refused the caller's photo (4xx, the service's sentence) or failed (502/503/504, no upstream detail).
Object.defineProperty(exports, "__esModule", { value: true });
exports.FaceServiceExceptionFilter = exports.FACE_HTTP_STATUS = void 0;
exports.httpStatusOf = httpStatusOf;
exports.toHttpException = toHttpException;
exports.failureLogLine = failureLogLine;
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
    BEYOND_CALIBRATION: common_1.HttpStatus.UNPROCESSABLE_ENTITY,
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
 * The log line of a failure the filter answers with a 5xx: what an operator needs to find it (code, status, the
 * request id the service logged, attempts, the retry quota) and the client's message. Never the request's images
 * or embeddings, nor the error's body.
 */
function failureLogLine(error, answered) {
    const meta = error.$metadata;
    const quota = meta?.retryQuota ? `, retry quota ${meta.retryQuota.available}/${meta.retryQuota.capacity}` : "";
    return `${error.code} (status ${error.status ?? "none"}, request ${error.requestId ?? meta?.requestId ?? "none"}, ` +
        `${meta?.attempts ?? 1} attempt(s)${quota}) answered ${answered}: ${error.message}`;
}
/** Answers without Nest's HTTP adapter (a filter made with `new` and no argument): Express's or Fastify's response. */
function replyDirectly(host, exception) {
    const response = host.switchToHttp().getResponse();
    const status = exception.getStatus();
    const body = exception.getResponse();
    if (response.headersSent || response.sent) {
        response.end?.();
    }
    else if (typeof response.status === "function" && typeof response.json === "function") {
        response.status(status);
        response.json(body); // Express
    }
    else if (typeof response.status === "function" && typeof response.send === "function") {
        response.status(status);
        response.send(body); // Fastify
    }
    else {
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
class FaceServiceExceptionFilter extends core_1.BaseExceptionFilter {
    logger = new common_1.Logger("FaceServiceExceptionFilter");
    catch(exception, host) {
        const http = toHttpException(exception);
        if (http.getStatus() >= 500)
            this.logger.error(failureLogLine(exception, http.getStatus()));
        if (this.applicationRef || this.httpAdapterHost?.httpAdapter || host.getType() !== "http") {
            super.catch(http, host);
        }
        else {
            replyDirectly(host, http);
        }
    }
}
exports.FaceServiceExceptionFilter = FaceServiceExceptionFilter;
(0, common_1.Catch)(errors_js_1.FaceServiceError)(FaceServiceExceptionFilter);
//# sourceMappingURL=exceptions.js.map