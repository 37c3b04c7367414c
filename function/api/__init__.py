"""HTTP layer: FastAPI app, routes, request parsing, error mapping. Knows nothing of ONNX Runtime."""
