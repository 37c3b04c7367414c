#!/usr/bin/env node
// The client's generator: face-recognition-service's OpenAPI document -> src/generated.ts (no dependencies).
//
//   node scripts/generate.mjs --dump   dump the live spec from the Python app (create_app().openapi()) into
//                                      openapi.json, then generate src/generated.ts from it
//                                      (npm run generate: this, then scripts/build.mjs for dist/)
//   node scripts/generate.mjs          generate src/generated.ts from the committed openapi.json
//
// What it emits, per operation of the spec: a request interface (image fields -> ImageInput, every other body
// field typed from the JSON body schema, a stored embedding -> EmbeddingInput), a query interface, the response
// type (a property named `embedding` that is an array of numbers becomes a Float32Array), one entry of the route
// table the transport uses, one method of the FaceApi interface and of FaceClient. From `x-error-codes`: the
// ErrorCode union and one error class per code (with the ErrorResponse fields documented as "<CODE> only", e.g.
// FaceQualityError.reasons). The test suite re-renders the committed spec and compares, and compares the
// committed spec with the running service's /openapi.json: a drift in either fails `npm test`.
//
// Why hand-written rather than openapi-typescript: what this file emits beyond plain schema types (the route
// table, an error class per code, ImageInput/EmbeddingInput request shapes merged from the multipart and JSON
// bodies, Float32Array answers, the FaceApi interface and the methods) is most of it, and openapi-typescript emits
// none of that; its schema types would still need a type-level rewrite for Float32Array. openapi-typescript is a
// development dependency instead: test/wire.test.mjs checks that every schema type here equals its output.
//
// SPEC_PATCHES: where the service's document does not describe what the service sends, the client's types follow
// the service, and the test suite (answers.test.mjs) checks every answer against the patched document.

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const REPO_ROOT = resolve(PACKAGE_DIR, "..", "..");
export const SPEC_PATH = join(PACKAGE_DIR, "openapi.json");
export const GENERATED_PATH = join(PACKAGE_DIR, "src", "generated.ts");

/** The repository's virtualenv python unless PYTHON names another. */
export function python() {
  return process.env.PYTHON || join(REPO_ROOT, ".venv", "bin", "python");
}

/** The spec exactly as the service serves it at /openapi.json, from the Python app. */
export function dumpSpec() {
  const code = "import json; from function.api.app import create_app; print(json.dumps(create_app().openapi()))";
  const out = execFileSync(python(), ["-c", code], { cwd: REPO_ROOT, encoding: "utf8", maxBuffer: 64 << 20 });
  return JSON.parse(out);
}

/** The committed snapshot's text: keys sorted, two-space indent, so that a diff shows what changed. */
export function specText(spec) {
  return JSON.stringify(sortKeys(spec), null, 2) + "\n";
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
  }
  return value;
}

const HTTP_METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];
const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

const pascal = (text) => text.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join("");
const camel = (text) => { const p = pascal(text); return p[0].toLowerCase() + p.slice(1); };
const key = (name) => (IDENT.test(name) ? name : JSON.stringify(name));
const doc = (text, indent = "") => {
  if (!text) return "";
  const lines = String(text).replace(/\*\//g, "*\\/").split("\n");
  return lines.length === 1 ? `${indent}/** ${lines[0]} */\n` : `${indent}/**\n${lines.map((l) => `${indent} * ${l}`.trimEnd()).join("\n")}\n${indent} */\n`;
};
const errorClassName = (code) => {
  const name = pascal(code.toLowerCase());
  return name.endsWith("Error") ? name : `${name}Error`;
};

/**
 * Corrections of the service's document, each applied only while the service's own document still lacks it
 * (a no-op once the service describes the answer itself). Returns the names of the patches applied.
 */
export const SPEC_PATCHES = {
  // Empty: the service's document describes every answer (GET /health without a valid key included, since the
  // service declared its HealthStatus answer). A future gap gets a named patch here, which the tests then hold.
};

/** The spec the client is generated from: the service's, with SPEC_PATCHES applied where still needed. */
export function patchedSpec(spec) {
  const copy = structuredClone(spec);
  const applied = Object.entries(SPEC_PATCHES).filter(([, patch]) => patch(copy)).map(([name]) => name);
  return { spec: copy, applied };
}

/** Render src/generated.ts from a spec. Pure: the same spec gives the same text. */
export function render(serviceSpec) {
  const { spec: patched, applied } = patchedSpec(serviceSpec);
  const spec = sortKeys(patched);
  const schemas = spec.components?.schemas ?? {};
  const resolveRef = (ref) => {
    const m = /^#\/components\/schemas\/(.+)$/.exec(ref);
    if (!m || !schemas[m[1]]) throw new Error(`unsupported $ref ${ref}`);
    return { name: m[1], schema: schemas[m[1]] };
  };
  const deref = (s) => (s && s.$ref ? resolveRef(s.$ref).schema : s);
  const isNumberArray = (s) => {
    s = deref(s);
    return s?.type === "array" && ["number", "integer"].includes(deref(s.items)?.type);
  };

  // mode "out": response types (components by name; `embedding` number arrays -> Float32Array).
  // mode "in": request bodies (refs inlined; number arrays -> Float32Array | number[]).
  function tsType(s, mode, depth = 0, propName = "") {
    if (depth > 12) throw new Error("schema nested too deep");
    if (s === undefined || s === true || (s && Object.keys(s).length === 0)) return "unknown";
    if (s.$ref) return mode === "out" ? resolveRef(s.$ref).name : tsType(resolveRef(s.$ref).schema, mode, depth + 1, propName);
    if (s.const !== undefined) return JSON.stringify(s.const);
    if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
    const alts = s.anyOf ?? s.oneOf;
    if (mode === "in" && alts?.some(isNumberArray)) return "EmbeddingInput";
    if (alts) return [...new Set(alts.map((a) => tsType(a, mode, depth + 1, propName)))].join(" | ");
    if (s.allOf) return s.allOf.map((a) => tsType(a, mode, depth + 1, propName)).join(" & ");
    if (Array.isArray(s.type)) return s.type.map((t) => tsType({ ...s, type: t }, mode, depth + 1, propName)).join(" | ");
    switch (s.type) {
      case "string": return "string";
      case "integer":
      case "number": return "number";
      case "boolean": return "boolean";
      case "null": return "null";
      case "array": {
        if (isNumberArray(s)) {
          if (mode === "in") return "EmbeddingInput";
          if (propName === "embedding") return "Float32Array";
        }
        const item = tsType(s.items, mode, depth + 1);
        const list = /[ |&]/.test(item) ? `(${item})[]` : `${item}[]`;
        return mode === "in" ? `readonly ${list}` : list; // a request takes a readonly array too
      }
      case "object":
      case undefined: {
        if (!s.properties && !s.additionalProperties) return s.type ? "Record<string, unknown>" : "unknown";
        return objectType(s, mode, depth);
      }
      default: return "unknown";
    }
  }

  // An interface body over several lines with the properties' descriptions; nested (inline) objects on one line.
  function objectType(s, mode, depth, multiline = false) {
    const required = new Set(s.required ?? []);
    const members = Object.entries(s.properties ?? {}).map(([name, p]) =>
      [p.description, `${key(name)}${required.has(name) ? "" : "?"}: ${tsType(p, mode, depth + 1, name)}${required.has(name) || mode === "out" ? "" : " | undefined"};`]);
    if (s.additionalProperties) {
      members.push(["", `[key: string]: ${s.additionalProperties === true ? "unknown" : tsType(s.additionalProperties, mode, depth + 1)};`]);
    }
    if (!multiline) return `{ ${members.map(([, m]) => m).join(" ")} }`;
    return `{\n${members.map(([d, m]) => doc(d, "  ") + `  ${m}`).join("\n")}\n}`;
  }

  const out = [];
  out.push("// GENERATED by scripts/generate.mjs from openapi.json: do not edit. Regenerate with `npm run generate`.");
  out.push(`// ${spec.info?.title ?? "service"} ${spec.info?.version ?? ""}`.trimEnd());
  if (applied.length) out.push(`// SPEC_PATCHES applied: ${applied.join(", ")}`);
  out.push("");
  out.push('import type { EmbeddingInput, ImageInput, RouteSpec } from "./encoding.js";');
  out.push('import { FaceServiceError, type ErrorDetails, type WithMetadata } from "./errors.js";');
  out.push('import { FaceClientBase, type CallOptions, type FaceClientConfig } from "./transport.js";');
  out.push("");

  // Response and shared schemas.
  out.push("// ---- Schemas (responses: a number array named `embedding` arrives as a Float32Array) ----");
  for (const [name, s] of Object.entries(schemas)) {
    out.push("");
    if (s.description) out.push(doc(s.description).trimEnd());
    if (s.type === "object" || s.properties) out.push(`export interface ${name} ${objectType(s, "out", 0, true)}`);
    else out.push(`export type ${name} = ${tsType(s, "out")};`);
  }
  while (out.at(-1) === "") out.pop();

  // Error codes.
  const codes = Object.entries(spec["x-error-codes"] ?? {});
  if (codes.length === 0) throw new Error("the spec has no x-error-codes: is it the face-recognition-service spec?");
  out.push("");
  out.push("// ---- Error codes: one class per code, thrown by every method on an error answer ----");
  out.push("");
  out.push("/** Every error code the service documents (`code` of an error answer). */");
  out.push(`export type ErrorCode =\n${codes.map(([c]) => `  | ${JSON.stringify(c)}`).join("\n")};`);
  out.push("");
  out.push("/** Each code's HTTP status and meaning, as the service documents them. */");
  out.push("export const ERROR_CODES: { readonly [C in ErrorCode]: { readonly status: number; readonly description: string } } = {");
  for (const [c, info] of codes) out.push(`  ${c}: { status: ${info.status}, description: ${JSON.stringify(info.description)} },`);
  out.push("};");
  // ErrorResponse fields that belong to some codes only ("FACE_QUALITY only: ...") become those classes' fields.
  const errorSchema = schemas.ErrorResponse;
  if (!errorSchema?.properties) throw new Error("the spec has no ErrorResponse schema");
  const extras = {};
  for (const [name, p] of Object.entries(errorSchema.properties)) {
    const m = /^([A-Z][A-Z0-9_]*(?:, [A-Z][A-Z0-9_]*)*) only\b/.exec(p.description ?? "");
    for (const c of m ? m[1].split(", ") : []) (extras[c] ??= []).push({ name, description: p.description, array: (p.anyOf ?? [p]).some((a) => a.type === "array") });
  }
  for (const [c, info] of codes) {
    const cls = errorClassName(c);
    out.push("");
    out.push(doc(`${info.status} ${c}: ${info.description}`).trimEnd());
    out.push(`export class ${cls} extends FaceServiceError {`);
    out.push(`  static override readonly code = ${JSON.stringify(c)};`);
    out.push(`  static readonly status = ${info.status};`);
    out.push(`  declare readonly code: ${JSON.stringify(c)};`);
    out.push("  declare readonly status: number;");
    for (const e of extras[c] ?? []) {
      out.push(doc(e.description, "  ").trimEnd());
      out.push(`  readonly ${e.name}: NonNullable<ErrorResponse[${JSON.stringify(e.name)}]>${e.array ? "" : " | undefined"};`);
    }
    out.push("  constructor(message: string, details: ErrorDetails = {}) {");
    out.push(`    super(${JSON.stringify(c)}, message, { status: ${info.status}, ...details });`);
    out.push(`    this.name = ${JSON.stringify(cls)};`);
    for (const e of extras[c] ?? []) {
      out.push(`    this.${e.name} = (details.body as Partial<ErrorResponse> | undefined)?.${e.name} ?? ${e.array ? "[]" : "undefined"};`);
    }
    out.push("  }");
    out.push("}");
  }
  for (const c of Object.keys(extras)) if (!codes.some(([code]) => code === c)) throw new Error(`ErrorResponse names ${c}, not in x-error-codes`);
  out.push("");
  out.push("/** The class of each code: what the client instantiates for an error answer. */");
  out.push("export const ERROR_CLASSES: { readonly [C in ErrorCode]: (new (message: string, details?: ErrorDetails) => FaceServiceError) & { readonly code: C; readonly status: number } } = {");
  for (const [c] of codes) out.push(`  ${c}: ${errorClassName(c)},`);
  out.push("};");

  // Operations.
  const ops = [];
  for (const [path, item] of Object.entries(spec.paths ?? {})) {
    const methods = HTTP_METHODS.filter((m) => item[m]);
    for (const method of methods) ops.push({ path, method, op: item[method], name: camel(methods.length > 1 ? `${method} ${path}` : path) });
  }
  const routes = [];
  const methods = [];
  const signatures = [];
  out.push("");
  out.push("// ---- Operations: request, query and response types per route ----");
  for (const { path, method, op, name } of ops) {
    const base = pascal(name);
    const params = [...(item(spec, path).parameters ?? []), ...(op.parameters ?? [])];
    const unsupported = params.filter((p) => p.in !== "query");
    if (unsupported.length) throw new Error(`${method.toUpperCase()} ${path}: ${unsupported.map((p) => `${p.in} parameter ${p.name}`).join(", ")} not supported by the generator`);
    const content = op.requestBody?.content ?? {};
    const multipartSchema = deref(content["multipart/form-data"]?.schema);
    const jsonSchema = deref(content["application/json"]?.schema);
    const unknownTypes = Object.keys(content).filter((t) => t !== "multipart/form-data" && t !== "application/json");
    if (unknownTypes.length) throw new Error(`${method.toUpperCase()} ${path}: request content ${unknownTypes.join(", ")} not supported`);

    // Body fields: images are the multipart binary fields (or JSON fields with an `<name>_s3` sibling).
    const mProps = multipartSchema?.properties ?? {};
    const jProps = jsonSchema?.properties ?? {};
    const images = Object.keys(mProps).filter((f) => deref(mProps[f]).format === "binary");
    for (const f of Object.keys(jProps)) if (!images.includes(f) && `${f}_s3` in jProps) images.push(f);
    const s3Fields = new Set(images.map((f) => `${f}_s3`));
    const required = new Set([...(multipartSchema?.required ?? []), ...(jsonSchema?.required ?? [])]);
    const fields = [...new Set([...Object.keys(mProps), ...Object.keys(jProps)])].filter((f) => !images.includes(f) && !s3Fields.has(f));
    const multipartFields = multipartSchema ? fields.filter((f) => f in mProps) : null;
    const hasBody = Boolean(op.requestBody);

    if (hasBody) {
      const lines = [
        ...images.map((f) => doc(deref(mProps[f] ?? jProps[f]).description, "  ") + `  ${key(f)}${required.has(f) ? "" : "?"}: ImageInput${required.has(f) ? "" : " | undefined"};`),
        ...fields.map((f) => {
          const s = jProps[f] ?? mProps[f];
          return doc(deref(s).description ?? s.description, "  ") + `  ${key(f)}${required.has(f) ? "" : "?"}: ${tsType(s, "in", 1, f)}${required.has(f) ? "" : " | undefined"};`;
        }),
      ];
      out.push("");
      out.push(doc(`Body of ${method.toUpperCase()} ${path}: images as bytes (multipart), base64 or s3:// (JSON).`).trimEnd());
      out.push(`export interface ${base}Request {\n${lines.join("\n")}\n}`);
    }
    const query = params.map((p) => ({ name: p.name, required: Boolean(p.required), description: p.description ?? p.schema?.description, schema: p.schema ?? {} }));
    out.push("");
    out.push(doc(`Query options of ${method.toUpperCase()} ${path}.`).trimEnd());
    out.push(query.length
      ? `export interface ${base}Query {\n${query.map((q) => doc(q.description, "  ") + `  ${key(q.name)}${q.required ? "" : "?"}: ${tsType(q.schema, "in", 1)}${q.required ? "" : " | undefined"};`).join("\n")}\n}`
      : `export type ${base}Query = Record<never, never>;`);

    // Answers: 2xx, plus documented non-2xx statuses whose body is not the error shape (GET /health's 503).
    const ok = [];
    const answerTypes = [];
    for (const [status, r] of Object.entries(op.responses ?? {})) {
      const s = r.content?.["application/json"]?.schema;
      const isError = s?.$ref === "#/components/schemas/ErrorResponse";
      if (!/^\d+$/.test(status) || isError) continue;
      if (!status.startsWith("2") && !s) continue;
      ok.push(Number(status));
      answerTypes.push(s ? tsType(s, "out", 0, "") : "null");
    }
    // The answer's type name: <Route>Response, unless a schema of that name is a different type (<Route>Answer).
    const answer = [...new Set(answerTypes)].join(" | ") || "unknown";
    let answerName = `${base}Response`;
    if (answerName in schemas && answer !== answerName) answerName = `${base}Answer`;
    if (!(answerName in schemas)) {
      out.push("");
      out.push(`export type ${answerName} = ${answer};`);
    }

    routes.push(`  ${name}: {\n` +
      `    method: ${JSON.stringify(method.toUpperCase())},\n` +
      `    path: ${JSON.stringify(path)},\n` +
      `    images: ${JSON.stringify(images)},\n` +
      `    multipartFields: ${JSON.stringify(multipartFields)},\n` +
      `    json: ${Boolean(jsonSchema)},\n` +
      `    query: ${JSON.stringify(query.map((q) => q.name))},\n` +
      `    ok: ${JSON.stringify(ok)},\n` +
      "  },");
    const summary = [op.summary, op.description].filter(Boolean).join("\n\n") || `${method.toUpperCase()} ${path}`;
    const opts = `options?: ${base}Query & CallOptions`;
    const signature = `${name}(${hasBody ? `request: ${base}Request, ` : ""}${opts}): Promise<WithMetadata<${answerName}>>`;
    signatures.push(doc(`${summary}\n\n${method.toUpperCase()} ${path}`, "  ") + `  ${signature};`);
    methods.push(doc(`${summary}\n\n${method.toUpperCase()} ${path}`, "  ") +
      `  ${signature} {\n    return this.call(ROUTES.${name}, ${hasBody ? "request" : "undefined"}, options) as Promise<WithMetadata<${answerName}>>;\n  }`);
  }
  out.push("");
  out.push("/** What the runtime needs to know of each route. */");
  out.push(`export const ROUTES = {\n${routes.join("\n")}\n} as const satisfies Record<string, RouteSpec>;`);
  out.push("");
  out.push(doc("The client's methods, as an interface: what to inject, and what a test's plain-object mock implements.").trimEnd());
  out.push(`export interface FaceApi {\n${signatures.join("\n\n")}\n}`);
  out.push("");
  out.push(doc("The typed client: one method per route of the service's OpenAPI document.\n\n" +
    "Every method resolves with the answer (its `$metadata` a non-enumerable property) or rejects with a\n" +
    "FaceServiceError: one subclass per ErrorCode, FaceTimeoutError, FaceAbortError, FaceNetworkError or\n" +
    "UnexpectedResponseError. Retryable failures are retried first (maxAttempts, backoff, the time budget).").trimEnd());
  out.push("export class FaceClient extends FaceClientBase implements FaceApi {");
  out.push("  constructor(config: FaceClientConfig) {\n    super(config, ERROR_CLASSES);\n  }");
  out.push("");
  out.push(methods.join("\n\n"));
  out.push("}");
  out.push("");
  return out.join("\n");
}

function item(spec, path) {
  return spec.paths[path];
}

function main(argv) {
  if (argv.includes("--dump")) {
    writeFileSync(SPEC_PATH, specText(dumpSpec()));
    console.log(`wrote ${SPEC_PATH}`);
  }
  const spec = JSON.parse(readFileSync(SPEC_PATH, "utf8"));
  writeFileSync(GENERATED_PATH, render(spec));
  console.log(`wrote ${GENERATED_PATH}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
