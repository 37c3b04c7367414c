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
/** A SigV4 signer for the options (the AWS packages are imported on the first call). */
export declare function sigv4Signer(options: IamAuth): RequestSigner;
//# sourceMappingURL=sigv4.d.ts.map