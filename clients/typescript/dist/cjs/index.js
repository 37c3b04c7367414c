"use strict";
var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __exportStar = (this && this.__exportStar) || function(m, exports) {
    for (var p in m) if (p !== "default" && !Object.prototype.hasOwnProperty.call(exports, p)) __createBinding(exports, m, p);
};
Object.defineProperty(exports, "__esModule", { value: true });
exports.retryAfterMs = exports.RETRYABLE_STATUSES = exports.RETRYABLE_CODES = exports.isRetryable = exports.backoffMs = exports.withMetadata = exports.UnexpectedResponseError = exports.FaceTimeoutError = exports.FaceServiceError = exports.FaceNetworkError = exports.FaceAbortError = exports.EmbeddingArray = exports.embeddingToBytes = exports.embeddingToBase64 = exports.embeddingFromBytes = exports.embeddingFromBase64 = void 0;
// face-recognition-service-client: a typed client generated from the service's OpenAPI document (openapi.json).
__exportStar(require("./generated.js"), exports);
var encoding_js_1 = require("./encoding.js");
Object.defineProperty(exports, "embeddingFromBase64", { enumerable: true, get: function () { return encoding_js_1.embeddingFromBase64; } });
Object.defineProperty(exports, "embeddingFromBytes", { enumerable: true, get: function () { return encoding_js_1.embeddingFromBytes; } });
Object.defineProperty(exports, "embeddingToBase64", { enumerable: true, get: function () { return encoding_js_1.embeddingToBase64; } });
Object.defineProperty(exports, "embeddingToBytes", { enumerable: true, get: function () { return encoding_js_1.embeddingToBytes; } });
Object.defineProperty(exports, "EmbeddingArray", { enumerable: true, get: function () { return encoding_js_1.EmbeddingArray; } });
var errors_js_1 = require("./errors.js");
Object.defineProperty(exports, "FaceAbortError", { enumerable: true, get: function () { return errors_js_1.FaceAbortError; } });
Object.defineProperty(exports, "FaceNetworkError", { enumerable: true, get: function () { return errors_js_1.FaceNetworkError; } });
Object.defineProperty(exports, "FaceServiceError", { enumerable: true, get: function () { return errors_js_1.FaceServiceError; } });
Object.defineProperty(exports, "FaceTimeoutError", { enumerable: true, get: function () { return errors_js_1.FaceTimeoutError; } });
Object.defineProperty(exports, "UnexpectedResponseError", { enumerable: true, get: function () { return errors_js_1.UnexpectedResponseError; } });
Object.defineProperty(exports, "withMetadata", { enumerable: true, get: function () { return errors_js_1.withMetadata; } });
var retry_js_1 = require("./retry.js");
Object.defineProperty(exports, "backoffMs", { enumerable: true, get: function () { return retry_js_1.backoffMs; } });
Object.defineProperty(exports, "isRetryable", { enumerable: true, get: function () { return retry_js_1.isRetryable; } });
Object.defineProperty(exports, "RETRYABLE_CODES", { enumerable: true, get: function () { return retry_js_1.RETRYABLE_CODES; } });
Object.defineProperty(exports, "RETRYABLE_STATUSES", { enumerable: true, get: function () { return retry_js_1.RETRYABLE_STATUSES; } });
Object.defineProperty(exports, "retryAfterMs", { enumerable: true, get: function () { return retry_js_1.retryAfterMs; } });
//# sourceMappingURL=index.js.map