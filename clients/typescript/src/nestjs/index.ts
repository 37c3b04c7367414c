// face-recognition-service-client/nestjs: FaceModule (forRoot / forRootAsync, an injection token), and the mapping
// of the client's errors to Nest's HTTP exceptions (toHttpException, FaceServiceExceptionFilter).
// @nestjs/common and @nestjs/core are optional peer dependencies: only this entry point imports them.
export { FACE_CLIENT, FaceModule, type FaceModuleAsyncOptions, type FaceModuleOptions } from "./module.js";
export { FACE_HTTP_STATUS, FaceServiceExceptionFilter, failureLogLine, httpStatusOf, toHttpException } from "./exceptions.js";
