// Authentication modes against a local server that records what arrives: "api-key", "none", and "iam" (SigV4),
// whose every signature must equal botocore's SigV4Auth (the Python venv's, AWS's own signer) for the same request
// (method, URL, the headers the client signed, body bytes), credentials and instant. No service needed.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";

import "reflect-metadata";

import { Module } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { FaceClient } from "face-recognition-service-client";
import { FACE_CLIENT, FaceModule } from "face-recognition-service-client/nestjs";

import { python, REPO_ROOT } from "../scripts/generate.mjs";

const CREDENTIALS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "session-token-example" };
const REGION = "eu-west-1";
const HEALTHY = { status: "healthy", model: "buffalo_sc", model_loaded: true, version: "test" };
const PHOTO = Buffer.from("\xff\xd8\xff\xe0 not really a JPEG, but bytes to hash", "latin1");

let server;
let base;
const seen = [];
let script = [];

before(async () => {
  server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      const [status, body] = script.shift() ?? [200, HEALTHY];
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => server?.close());

/** botocore's SigV4Auth on each recorded request, at its X-Amz-Date: the Authorization header it computes. */
function botocoreAuthorization(requests, credentials) {
  const code = `
import base64, datetime, json, sys
from unittest import mock
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
cases = json.load(sys.stdin)
out = []
for c in cases:
    request = AWSRequest(method=c["method"], url=c["url"], headers=c["headers"], data=base64.b64decode(c["body"]))
    when = datetime.datetime.strptime(c["amzDate"], "%Y%m%dT%H%M%SZ")
    with mock.patch("botocore.auth.get_current_datetime", return_value=when):  # sign at the client's instant
        SigV4Auth(Credentials(*c["credentials"]), c["service"], c["region"]).add_auth(request)
    out.append(request.headers["Authorization"])
print(json.dumps(out))
`;
  const input = requests.map((r) => {
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(r.headers.authorization)[1].split(";");
    // The headers the client signed, as they arrived; botocore adds host, X-Amz-Date and X-Amz-Security-Token itself.
    const headers = Object.fromEntries(signedHeaders.filter((h) => !["host", "x-amz-date", "x-amz-security-token"].includes(h)).map((h) => [h, r.headers[h]]));
    return {
      method: r.method,
      url: base + r.url,
      headers,
      body: r.body.toString("base64"),
      amzDate: r.headers["x-amz-date"],
      credentials: [credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken ?? null],
      service: "execute-api",
      region: REGION,
    };
  });
  const out = execFileSync(python(), ["-c", code], { cwd: REPO_ROOT, input: JSON.stringify(input), encoding: "utf8" });
  return JSON.parse(out);
}

describe("auth modes", () => {
  test("api-key (the default): x-api-key, no signature; none: nothing, even with apiKey set", async () => {
    seen.length = 0;
    await new FaceClient({ baseUrl: base, apiKey: "k1" }).health();
    await new FaceClient({ baseUrl: base, apiKey: "k1", auth: "none" }).health();
    assert.equal(seen[0].headers["x-api-key"], "k1");
    assert.equal(seen[0].headers.authorization, undefined);
    assert.equal(seen[1].headers["x-api-key"], undefined);
    assert.equal(seen[1].headers.authorization, undefined);
  });

  test("iam: every request signed (GET, multipart, JSON, a stage path, a query, a retry), each signature equal to botocore's SigV4Auth", async () => {
    seen.length = 0;
    script = [[200, HEALTHY], [503, { success: false, error: "loading", code: "MODEL_NOT_READY" }], [200, { embedding: [0.5], embedding_size: 1 }], [200, { same_person: true }]];
    const client = new FaceClient({ baseUrl: `${base}/prod`, auth: { mode: "iam", region: REGION, credentials: CREDENTIALS }, retry: { baseDelayMs: 1 } });
    await client.health();
    const extracted = await client.extractEmbedding({ image: PHOTO }, { face: "largest", min_quality: "enrol" });
    assert.equal(extracted.$metadata.attempts, 2, "the 503 was retried, signed anew");
    await client.verify({ image: { base64: PHOTO.toString("base64") }, embedding: [0.6, 0.8] });
    assert.equal(seen.length, 4);
    assert.deepEqual(seen.map((r) => `${r.method} ${r.url}`), [
      "GET /prod/health", "POST /prod/extract-embedding?face=largest&min_quality=enrol", "POST /prod/extract-embedding?face=largest&min_quality=enrol", "POST /prod/verify",
    ]);
    for (const r of seen) {
      assert.match(r.headers.authorization, new RegExp(`^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\\d{8}/${REGION}/execute-api/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$`));
      assert.equal(r.headers["x-amz-security-token"], CREDENTIALS.sessionToken);
      assert.equal(r.headers["x-amz-content-sha256"], undefined, "no S3 payload header");
      const signed = /SignedHeaders=([^,]+)/.exec(r.headers.authorization)[1].split(";");
      for (const h of ["host", "x-amz-date", "x-amz-security-token", "x-request-id", "accept"]) assert.ok(signed.includes(h), `${h} not signed: ${signed}`);
      if (r.method === "POST") assert.ok(signed.includes("content-type"));
    }
    assert.match(seen[1].headers["content-type"], /^multipart\/form-data; boundary=/);
    assert.ok(seen[1].body.includes(PHOTO), "the photo's bytes in the signed multipart body");
    assert.equal(seen[3].headers["content-type"], "application/json");
    assert.deepEqual(botocoreAuthorization(seen, CREDENTIALS), seen.map((r) => r.headers.authorization));
  });

  test("iam with the AWS SDK's default credential chain (here: the environment) and apiKey sent and signed too", async () => {
    seen.length = 0;
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: "AKIDFROMENV", AWS_SECRET_ACCESS_KEY: "secret-from-env", AWS_REGION: REGION });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    try {
      await new FaceClient({ baseUrl: base, apiKey: "k2", auth: { mode: "iam" } }).health();
    } finally {
      for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"]) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
    }
    const [r] = seen;
    assert.equal(r.headers["x-api-key"], "k2");
    assert.match(r.headers.authorization, /Credential=AKIDFROMENV\//);
    assert.ok(/SignedHeaders=[^,]*x-api-key/.test(r.headers.authorization));
    assert.equal(r.headers["x-amz-security-token"], undefined);
    assert.deepEqual(botocoreAuthorization(seen, { accessKeyId: "AKIDFROMENV", secretAccessKey: "secret-from-env" }), [r.headers.authorization]);
    assert.notDeepEqual(botocoreAuthorization(seen, { accessKeyId: "AKIDFROMENV", secretAccessKey: "another-secret" }), [r.headers.authorization],
      "the comparison can fail: another secret, another signature");
  });

  test("FaceModule takes the mode: forRoot({ auth }) and FACE_SERVICE_AUTH=iam", async () => {
    const context = async (faceModule) => {
      class AppModule {}
      Module({ imports: [faceModule] })(AppModule);
      return NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
    };
    seen.length = 0;
    const app = await context(FaceModule.forRoot({ baseUrl: base, auth: { mode: "iam", region: REGION, credentials: CREDENTIALS } }));
    await app.get(FACE_CLIENT).health();
    await app.close();
    const saved = { ...process.env };
    Object.assign(process.env, { FACE_SERVICE_URL: base, FACE_SERVICE_AUTH: "iam", AWS_REGION: REGION, AWS_ACCESS_KEY_ID: "AKIDFROMENV", AWS_SECRET_ACCESS_KEY: "secret-from-env" });
    try {
      const fromEnv = await context(FaceModule.forRoot());
      await fromEnv.get(FACE_CLIENT).health();
      await fromEnv.close();
    } finally {
      for (const k of ["FACE_SERVICE_URL", "FACE_SERVICE_AUTH", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
    }
    assert.match(seen[0].headers.authorization, /Credential=AKIDEXAMPLE\//);
    assert.match(seen[1].headers.authorization, /Credential=AKIDFROMENV\//);
  });

  test("iam without a region: a clear error when the client is made", () => {
    const saved = [process.env.AWS_REGION, process.env.AWS_DEFAULT_REGION];
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    try {
      assert.throws(() => new FaceClient({ baseUrl: base, auth: { mode: "iam" } }), /no region/);
    } finally {
      if (saved[0] !== undefined) process.env.AWS_REGION = saved[0];
      if (saved[1] !== undefined) process.env.AWS_DEFAULT_REGION = saved[1];
    }
  });
});
