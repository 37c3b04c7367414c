import { type DynamicModule, type InjectionToken, type ModuleMetadata, type OptionalFactoryDependency } from "@nestjs/common";
import type { FaceClientConfig } from "../transport.js";
/**
 * The injection token of the client: `@Inject(FACE_CLIENT) private readonly faces: FaceApi`. The FaceClient class
 * is an alias of it, so `constructor(private readonly faces: FaceClient)` works too. In a test, provide a plain
 * object that implements FaceApi under the same token.
 */
export declare const FACE_CLIENT: unique symbol;
/** FaceModule.forRoot(): the client's configuration, and whether the module is global. */
export interface FaceModuleOptions extends Partial<FaceClientConfig> {
    /** Register the module globally (import it once, in the root module). */
    isGlobal?: boolean | undefined;
}
/** FaceModule.forRootAsync(): the configuration from a factory, e.g. with ConfigService injected. */
export interface FaceModuleAsyncOptions {
    /** Modules the factory's dependencies come from, e.g. [ConfigModule]. */
    imports?: ModuleMetadata["imports"];
    /** Providers passed to useFactory, e.g. [ConfigService]. */
    inject?: (InjectionToken | OptionalFactoryDependency)[];
    /** The client's configuration (the `any[]` is Nest's own FactoryProvider signature). */
    useFactory: (...args: any[]) => FaceClientConfig | Promise<FaceClientConfig>;
    /** Register the module globally. */
    isGlobal?: boolean | undefined;
}
/** The client as a Nest module: `FaceModule.forRoot({ baseUrl })`, or `forRootAsync` with ConfigService. */
export declare class FaceModule {
    /**
     * Configuration given here; baseUrl, apiKey and auth default to FACE_SERVICE_URL, FACE_SERVICE_API_KEY and
     * FACE_SERVICE_AUTH ("api-key", "none" or "iam": SigV4 with the AWS SDK's credential chain, region AWS_REGION).
     */
    static forRoot(options?: FaceModuleOptions): DynamicModule;
    /** Configuration from a factory, e.g. `{ imports: [ConfigModule], inject: [ConfigService], useFactory: ... }`. */
    static forRootAsync(options: FaceModuleAsyncOptions): DynamicModule;
}
//# sourceMappingURL=module.d.ts.map