// face-recognition-service-client: a typed client generated from the service's OpenAPI document (openapi.json).
export * from "./generated";
export {
  FaceServiceError,
  embeddingFromBase64,
  embeddingToBase64,
  type CallOptions,
  type ErrorDetails,
  type FaceClientConfig,
  type ImageInput,
  type RouteSpec,
} from "./runtime";
