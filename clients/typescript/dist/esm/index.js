// face-recognition-service-client: a typed client generated from the service's OpenAPI document (openapi.json).
export * from "./generated.js";
export { embeddingFromBase64, embeddingFromBytes, embeddingToBase64, embeddingToBytes, EmbeddingArray, } from "./encoding.js";
export { FaceAbortError, FaceNetworkError, FaceServiceError, FaceTimeoutError, UnexpectedResponseError, withMetadata, } from "./errors.js";
export { backoffMs, isRetryable, RETRYABLE_CODES, RETRYABLE_STATUSES, retryAfterMs } from "./retry.js";
//# sourceMappingURL=index.js.map