export * from "./generated.js";
export { embeddingFromBase64, embeddingFromBytes, embeddingToBase64, embeddingToBytes, EmbeddingArray, type EmbeddingInput, type JsonOf, type ImageInput, type RouteSpec, } from "./encoding.js";
export { FaceAbortError, FaceNetworkError, FaceServiceError, FaceTimeoutError, UnexpectedResponseError, withMetadata, type ClientErrorCode, type ErrorDetails, type FaceErrorCode, type UnknownErrorCode, type ResponseMetadata, type WithMetadata, } from "./errors.js";
export { backoffMs, isRetryable, RETRYABLE_CODES, RETRYABLE_STATUSES, retryAfterMs, type RetryOptions, type RetryQuotaState } from "./retry.js";
export type { CallOptions, FaceClientConfig } from "./transport.js";
export type { AwsCredentials, AwsCredentialsInput, FaceAuth, IamAuth } from "./sigv4.js";
//# sourceMappingURL=index.d.ts.map