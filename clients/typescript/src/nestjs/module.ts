// FaceModule: one FaceClient per application, under the FACE_CLIENT token (and the FaceClient class, its alias).

import { Module, type DynamicModule, type InjectionToken, type ModuleMetadata, type OptionalFactoryDependency, type Provider } from "@nestjs/common";

import { FaceClient } from "../generated.js";
import type { FaceAuth } from "../sigv4.js";
import type { FaceClientConfig } from "../transport.js";

/**
 * The injection token of the client: `@Inject(FACE_CLIENT) private readonly faces: FaceApi`. The FaceClient class
 * is an alias of it, so `constructor(private readonly faces: FaceClient)` works too. In a test, provide a plain
 * object that implements FaceApi under the same token.
 */
export const FACE_CLIENT: unique symbol = Symbol.for("face-recognition-service-client.FaceClient");

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

/** FACE_SERVICE_AUTH: "api-key" (the default), "none" or "iam" (SigV4; region from AWS_REGION). */
function authFromEnvironment(): FaceAuth | undefined {
  const mode = process.env["FACE_SERVICE_AUTH"];
  if (!mode) return undefined;
  if (mode === "iam") return { mode: "iam" };
  if (mode === "api-key" || mode === "none") return mode;
  throw new TypeError(`FaceModule.forRoot(): FACE_SERVICE_AUTH=${mode}: api-key, none or iam`);
}

function fromEnvironment(options: Partial<FaceClientConfig>): FaceClientConfig {
  const baseUrl = options.baseUrl ?? process.env["FACE_SERVICE_URL"];
  if (!baseUrl) throw new TypeError("FaceModule.forRoot(): no baseUrl, and FACE_SERVICE_URL is not set");
  return { ...options, baseUrl, apiKey: options.apiKey ?? process.env["FACE_SERVICE_API_KEY"], auth: options.auth ?? authFromEnvironment() };
}

function dynamic(client: Provider, imports: ModuleMetadata["imports"], isGlobal: boolean | undefined): DynamicModule {
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
  static forRoot(options: FaceModuleOptions = {}): DynamicModule {
    const { isGlobal, ...config } = options;
    return dynamic({ provide: FACE_CLIENT, useFactory: () => new FaceClient(fromEnvironment(config)) }, [], isGlobal);
  }

  /** Configuration from a factory, e.g. `{ imports: [ConfigModule], inject: [ConfigService], useFactory: ... }`. */
  static forRootAsync(options: FaceModuleAsyncOptions): DynamicModule {
    return dynamic({
      provide: FACE_CLIENT,
      inject: options.inject ?? [],
      useFactory: async (...args: unknown[]) => new FaceClient(await options.useFactory(...args)),
    }, options.imports, options.isGlobal);
  }
}

// The @Module() decorator, applied as a call so that this package builds without experimentalDecorators.
Module({})(FaceModule);
