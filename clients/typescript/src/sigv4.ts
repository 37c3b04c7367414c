// AWS IAM authentication (SigV4) for a service behind API Gateway with AWS_IAM authorisation. The signing itself is
// AWS's own code: @smithy/signature-v4 (the AWS SDK v3's signer) with @aws-crypto/sha256-js, and credentials from
// @aws-sdk/credential-provider-node (the SDK's default chain: environment, SSO, shared files, web identity, ECS,
// EC2 instance metadata). They are optional peer dependencies, imported only when a client is made in this mode,
// so the core client keeps no runtime dependency.

/** AWS credentials, as the AWS SDK v3 has them. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
  readonly expiration?: Date | undefined;
}

/** Where the signer gets credentials: fixed ones, or a provider (e.g. one of @aws-sdk/credential-providers). */
export type AwsCredentialsInput = AwsCredentials | (() => Promise<AwsCredentials>);

/** `auth: { mode: "iam", ... }`: every request signed with SigV4. */
export interface IamAuth {
  readonly mode: "iam";
  /** The API's region (default: AWS_REGION, then AWS_DEFAULT_REGION). */
  readonly region?: string | undefined;
  /** The signing name (default "execute-api", API Gateway's). */
  readonly service?: string | undefined;
  /** Default: the AWS SDK's default credential chain (@aws-sdk/credential-provider-node). */
  readonly credentials?: AwsCredentialsInput | undefined;
}

/**
 * How requests authenticate: "api-key" (the default: `x-api-key` when `apiKey` is set), "none" (no key is sent
 * even when `apiKey` is set), or IAM (SigV4; `apiKey`, when set, is sent and signed too).
 */
export type FaceAuth = "api-key" | "none" | IamAuth;

/** What is signed: the request exactly as fetch will send it (body as bytes or text). */
export interface SignableRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array | string | undefined;
}

/** Signs a request: the headers to send (the given ones plus authorization, x-amz-date, x-amz-security-token). */
export type RequestSigner = (request: SignableRequest, signingDate?: Date) => Promise<Record<string, string>>;

const PEERS = "@smithy/signature-v4 @aws-crypto/sha256-js @aws-sdk/credential-provider-node";

async function load<T>(name: string, loader: () => Promise<T>): Promise<T> {
  try {
    return await loader();
  } catch (cause) {
    throw new Error(`FaceClient auth "iam" needs ${name}, which is not installed: npm install ${PEERS}`, { cause });
  }
}

/** A SigV4 signer for the options (the AWS packages are imported on the first call). */
export function sigv4Signer(options: IamAuth): RequestSigner {
  const region = options.region ?? process.env["AWS_REGION"] ?? process.env["AWS_DEFAULT_REGION"];
  if (!region) throw new TypeError('FaceClient auth "iam": no region, and neither AWS_REGION nor AWS_DEFAULT_REGION is set');
  let ready: Promise<(request: SignableRequest, signingDate?: Date) => Promise<Record<string, string>>> | undefined;
  const setUp = async () => {
    const { SignatureV4 } = await load("@smithy/signature-v4", () => import("@smithy/signature-v4"));
    const { Sha256 } = await load("@aws-crypto/sha256-js", () => import("@aws-crypto/sha256-js"));
    let source = options.credentials;
    if (source === undefined) {
      const { defaultProvider } = await load("@aws-sdk/credential-provider-node", () => import("@aws-sdk/credential-provider-node"));
      source = defaultProvider();
    }
    const given = source;
    const credentials = async () => {
      const c = typeof given === "function" ? await given() : given;
      return {
        accessKeyId: c.accessKeyId,
        secretAccessKey: c.secretAccessKey,
        ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}),
        ...(c.expiration ? { expiration: c.expiration } : {}),
      };
    };
    // applyChecksum: false: no x-amz-content-sha256 header (S3's; API Gateway's SigV4, like botocore's SigV4Auth,
    // hashes the payload into the signature only).
    const signer = new SignatureV4({ service: options.service ?? "execute-api", region, credentials, sha256: Sha256, applyChecksum: false });
    return async (request: SignableRequest, signingDate?: Date) => {
      const query: Record<string, string> = {};
      for (const [k, v] of request.url.searchParams) query[k] = v;
      const signed = await signer.sign({
        method: request.method,
        protocol: request.url.protocol,
        hostname: request.url.hostname,
        ...(request.url.port ? { port: Number(request.url.port) } : {}),
        path: request.url.pathname,
        query,
        headers: { ...request.headers, host: request.url.host },
        body: request.body,
      }, signingDate ? { signingDate } : {});
      const { host: _host, ...headers } = signed.headers;
      return headers;
    };
  };
  return async (request, signingDate) => {
    ready ??= setUp();
    try {
      return await (await ready)(request, signingDate);
    } catch (error) {
      ready = undefined; // a missing package or a failed credential lookup: try again on the next call
      throw error;
    }
  };
}
