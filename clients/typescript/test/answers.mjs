// Holds the OpenAPI document to what the service sends: a fetch that records every answer, and a check of each
// recorded answer against the document (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses it).
import { readFileSync } from "node:fs";

import Ajv2020 from "ajv/dist/2020.js";

import { patchedSpec, SPEC_PATH } from "../scripts/generate.mjs";

const recorded = [];

/** fetch that keeps a copy of each answer: method, path, query, status, body text, whether a key was sent. */
export async function recordingFetch(input, init = {}) {
  const response = await fetch(input, init);
  const url = new URL(input);
  recorded.push({
    method: (init.method ?? "GET").toLowerCase(),
    path: url.pathname,
    query: url.search,
    status: response.status,
    text: await response.clone().text(),
    withKey: Boolean(init.headers?.["x-api-key"]),
  });
  return response;
}

/** The last answer recorded for a path: { method, path, query, status, text, withKey }. */
export function lastAnswer(path) {
  return recorded.findLast((a) => a.path === path);
}

/** Every recorded answer against the document: { checked, problems: ["GET /health 200 (no key): why", ...] }. */
export function validateAnswers({ patched }) {
  const service = JSON.parse(readFileSync(SPEC_PATH, "utf8"));
  const spec = patched ? patchedSpec(service).spec : service;
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema(spec, "spec");
  const problems = [];
  const pointer = (...parts) => "spec#/" + parts.map((p) => String(p).replace(/~/g, "~0").replace(/\//g, "~1")).join("/");
  for (const a of recorded) {
    const where = `${a.method.toUpperCase()} ${a.path}${a.query} ${a.status}${a.withKey ? " (x-api-key sent)" : " (no x-api-key)"}`;
    const op = spec.paths?.[a.path]?.[a.method];
    const response = op?.responses?.[String(a.status)];
    if (!response) {
      problems.push(`${where}: status not documented for the route`);
      continue;
    }
    if (!response.content?.["application/json"]?.schema) {
      problems.push(`${where}: no JSON schema documented`);
      continue;
    }
    let body;
    try {
      body = JSON.parse(a.text);
    } catch {
      problems.push(`${where}: not JSON: ${a.text.slice(0, 80)}`);
      continue;
    }
    const validate = ajv.getSchema(pointer("paths", a.path, a.method, "responses", a.status, "content", "application/json", "schema"))
      ?? ajv.compile({ $ref: pointer("paths", a.path, a.method, "responses", a.status, "content", "application/json", "schema") });
    if (!validate(body)) problems.push(`${where}: ${ajv.errorsText(validate.errors)} in ${a.text.slice(0, 200)}`);
    if (a.status >= 400 && typeof body.code === "string") {
      const documented = spec["x-error-codes"]?.[body.code];
      if (!documented) problems.push(`${where}: code ${body.code} not in x-error-codes`);
      else if (documented.status !== a.status) problems.push(`${where}: ${body.code} is documented as ${documented.status}`);
    }
  }
  return { checked: recorded.length, problems };
}
