"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.toHttpException = exports.httpStatusOf = exports.failureLogLine = exports.FaceServiceExceptionFilter = exports.FACE_HTTP_STATUS = exports.FaceModule = exports.FACE_CLIENT = void 0;
// face-recognition-service-client/nestjs: FaceModule (forRoot / forRootAsync, an injection token), and the mapping
// of the client's errors to Nest's HTTP exceptions (toHttpException, FaceServiceExceptionFilter).
// @nestjs/common and @nestjs/core are optional peer dependencies: only this entry point imports them.
var module_js_1 = require("./module.js");
Object.defineProperty(exports, "FACE_CLIENT", { enumerable: true, get: function () { return module_js_1.FACE_CLIENT; } });
Object.defineProperty(exports, "FaceModule", { enumerable: true, get: function () { return module_js_1.FaceModule; } });
var exceptions_js_1 = require("./exceptions.js");
Object.defineProperty(exports, "FACE_HTTP_STATUS", { enumerable: true, get: function () { return exceptions_js_1.FACE_HTTP_STATUS; } });
Object.defineProperty(exports, "FaceServiceExceptionFilter", { enumerable: true, get: function () { return exceptions_js_1.FaceServiceExceptionFilter; } });
Object.defineProperty(exports, "failureLogLine", { enumerable: true, get: function () { return exceptions_js_1.failureLogLine; } });
Object.defineProperty(exports, "httpStatusOf", { enumerable: true, get: function () { return exceptions_js_1.httpStatusOf; } });
Object.defineProperty(exports, "toHttpException", { enumerable: true, get: function () { return exceptions_js_1.toHttpException; } });
//# sourceMappingURL=index.js.map