// AWS IAM authentication (SigV4) for a service behind API Gateway with AWS_IAM authorisation. The signing itself is
// AWS's own code: @smithy/signature-v4 (the AWS SDK v3's signer) with @aws-crypto/sha256-js, and credentials from
// @aws-sdk/credential-provider-node (the SDK's default chain: environment, SSO, shared files, web identity, ECS,
// EC2 instance metadata). They are optional peer dependencies, imported only when a client is made in this mode,
// so the core client keeps no runtime dependency.
const PEERS = "@smithy/signature-v4 @aws-crypto/sha256-js @aws-sdk/credential-provider-node";
async function load(name, loader) {
    try {
        return await loader();
    }
    catch (cause) {
        throw new Error(`FaceClient auth "iam" needs ${name}, which is not installed: npm install ${PEERS}`, { cause });
    }
}
/** A SigV4 signer for the options (the AWS packages are imported on the first call). */
export function sigv4Signer(options) {
    const region = options.region ?? process.env["AWS_REGION"] ?? process.env["AWS_DEFAULT_REGION"];
    if (!region)
        throw new TypeError('FaceClient auth "iam": no region, and neither AWS_REGION nor AWS_DEFAULT_REGION is set');
    let ready;
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
        return async (request, signingDate) => {
            const query = {};
            for (const [k, v] of request.url.searchParams)
                query[k] = v;
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
        }
        catch (error) {
            ready = undefined; // a missing package or a failed credential lookup: try again on the next call
            throw error;
        }
    };
}
//# sourceMappingURL=sigv4.js.map