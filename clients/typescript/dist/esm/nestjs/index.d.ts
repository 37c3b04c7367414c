export { FACE_CLIENT, FaceModule, type FaceModuleAsyncOptions, type FaceModuleOptions } from "./module.js";
export { FACE_HTTP_STATUS, FaceServiceExceptionFilter, failureLogLine, httpStatusOf, toHttpException } from "./exceptions.js";
//# sourceMappingURL=index.d.ts.map