// FaceModule: one FaceClient per application, under the FACE_CLIENT token (and the FaceClient class, its alias).
import { Module } from "@nestjs/common";
import { FaceClient } from "../generated.js";
/**
 * The injection token of the client: `@Inject(FACE_CLIENT) private readonly faces: FaceApi`. The FaceClient class
 * is an alias of it, so `constructor(private readonly faces: FaceClient)` works too. In a test, provide a plain
 * object that implements FaceApi under the same token.
 */
export const FACE_CLIENT = Symbol.for("face-recognition-service-client.FaceClient");
/** FACE_SERVICE_AUTH: "api-key" (the default), "none" or "iam" (SigV4; region from AWS_REGION). */
function authFromEnvironment() {
    const mode = process.env["FACE_SERVICE_AUTH"];
    if (!mode)
        return undefined;
    if (mode === "iam")
        return { mode: "iam" };
    if (mode === "api-key" || mode === "none")
        return mode;
    throw new TypeError(`FaceModule.forRoot(): FACE_SERVICE_AUTH=${mode}: api-key, none or iam`);
}
function fromEnvironment(options) {
    const baseUrl = options.baseUrl ?? process.env["FACE_SERVICE_URL"];
    if (!baseUrl)
        throw new TypeError("FaceModule.forRoot(): no baseUrl, and FACE_SERVICE_URL is not set");
    return { ...options, baseUrl, apiKey: options.apiKey ?? process.env["FACE_SERVICE_API_KEY"], auth: options.auth ?? authFromEnvironment() };
}
function dynamic(client, imports, isGlobal) {
    return {
        module: FaceModule,
        global: Boolean(isGlobal),
        imports: imports ?? [],
        providers: [client, { provide: FaceClient, useExisting: FACE_CLIENT }],
        exports: [FACE_CLIENT, FaceClient],
    };
}
/** The client as a Nest module: `FaceModule.forRoot({ baseUrl })`, or `forRootAsync` with ConfigService. */
export class FaceModule {
    /**
     * Configuration given here; baseUrl, apiKey and auth default to FACE_SERVICE_URL, FACE_SERVICE_API_KEY and
     * FACE_SERVICE_AUTH ("api-key", "none" or "iam": SigV4 with the AWS SDK's credential chain, region AWS_REGION).
     */
    static forRoot(options = {}) {
        const { isGlobal, ...config } = options;
        return dynamic({ provide: FACE_CLIENT, useFactory: () => new FaceClient(fromEnvironment(config)) }, [], isGlobal);
    }
    /** Configuration from a factory, e.g. `{ imports: [ConfigModule], inject: [ConfigService], useFactory: ... }`. */
    static forRootAsync(options) {
        return dynamic({
            provide: FACE_CLIENT,
            inject: options.inject ?? [],
            useFactory: async (...args) => new FaceClient(await options.useFactory(...args)),
        }, options.imports, options.isGlobal);
    }
}
// The @Module() decorator, applied as a call so that this package builds without experimentalDecorators.
Module({})(FaceModule);
//# sourceMappingURL=module.js.map