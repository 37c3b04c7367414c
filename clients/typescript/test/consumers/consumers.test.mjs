// The client as a user meets it: installed from a pristine copy of this folder (what a fresh clone has: tracked
// and untracked-but-not-ignored files, no node_modules) and from that copy's `npm pack` tarball, into new projects
// that compile this folder's README examples unchanged (TypeScript strict + exactOptionalPropertyTypes, module
// nodenext) and run them against the live service:
//   core-cjs  CommonJS, no NestJS, `npm install <folder>` (npm's default: a link): the README's quick start
//   nest-cjs  the tsconfig `nest new` wrote for a CommonJS project (Nest <= 11), `npm install <tarball>`; also
//             type-checked as an older Nest project is ("module": "commonjs", node10 resolution)
//   nest12    what `nest new --strict` (@nestjs/cli 12) makes: an ES-module project, its tsconfig (+
//             exactOptionalPropertyTypes), vitest on *.spec.ts; the client installed by the README's one line (the
//             packed tarball in vendor/), which a later `npm install` keeps a copy
// Each Nest project compiles the quick start and the README's Nest files, runs the quick start, and runs the
// application: uploads through its controller, which returns the client's answers as they are and stores one as
// JSON; the embedding's JSON fed back to verify; the exception filter's statuses; one log line for a wrong API key
// and for a stopped service (nest12: with each way of registering the filter). nest12 also runs the README's spec.
// Needs the npm registry (TypeScript, NestJS, vitest are downloaded into the projects) and the repository's .venv.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { FaceClient } from "face-recognition-service-client";

import { PACKAGE_DIR } from "../../scripts/generate.mjs";
import { derivedPhoto, freePort, lfwPairs, nofacePhoto, startService } from "../service.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const PKG = JSON.parse(readFileSync(join(PACKAGE_DIR, "package.json"), "utf8"));
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
// What `nest new` (@nestjs/cli 12) puts in a new project, pinned; TypeScript 6 as its template asks.
const TOOLCHAIN = { typescript: "6.0.3", "@types/node": "^20.19.0" };
const NEST = {
  "@nestjs/common": "12.5.1",
  "@nestjs/core": "12.5.1",
  "@nestjs/platform-express": "12.5.1",
  "reflect-metadata": "0.2.2",
  rxjs: "7.8.2",
};
// The README's `npm install @nestjs/config`, pinned.
const NEST_CONFIG = "@nestjs/config@12.0.1";
// The test runner of a Nest 12 project (what `nest new` puts in devDependencies for it), pinned.
const NEST12_TEST = { vitest: "4.1.12", vite: "8.4.1", "@nestjs/testing": "12.5.1" };
// The README's install line; /path/to/face-recognition-service/clients/typescript stands for this folder.
const README_PATH = "/path/to/face-recognition-service/clients/typescript";

const WORK = mkdtempSync(join(tmpdir(), "face-client-consumers-"));
const PRISTINE = join(WORK, "pristine", "face-recognition-service-client");
let tarball;
let service;
let photos;

/** Runs a command, prints it and the end of its output (the test log is the record of what was run). */
function run(cmd, args, options = {}) {
  const shown = `$ ${[cmd, ...args].join(" ")}`.replaceAll(WORK, "$WORK");
  try {
    const out = execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20, ...options });
    console.log(`${shown}  (in ${String(options.cwd ?? ".").replaceAll(WORK, "$WORK")})\n${out.trim().split("\n").slice(-4).join("\n")}`);
    return out;
  } catch (error) {
    throw new Error(`${shown} failed (${error.status}):\n${error.stdout}\n${error.stderr}`);
  }
}

/** The README's examples: each ```ts block whose first line is `// src/<file>.ts`. */
function readmeExamples() {
  const readme = readFileSync(join(PACKAGE_DIR, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```ts\n\/\/ (src\/[\w./-]+\.ts)\n([\s\S]*?)```/g)];
  return Object.fromEntries(blocks.map((m) => [m[1], `// ${m[1]}\n${m[2]}`]));
}

before(async () => {
  // A pristine copy: the files a clean checkout of clients/typescript has (git ls-files), nothing built here.
  const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: PACKAGE_DIR, encoding: "utf8" })
    .split("\0").filter((f) => f && existsSync(join(PACKAGE_DIR, f)));
  for (const f of listed) {
    mkdirSync(dirname(join(PRISTINE, f)), { recursive: true });
    cpSync(join(PACKAGE_DIR, f), join(PRISTINE, f));
  }
  assert.ok(!existsSync(join(PRISTINE, "node_modules")));
  run(NPM, ["pack", "--pack-destination", WORK, "--loglevel=error"], { cwd: PRISTINE });
  tarball = join(WORK, `${PKG.name}-${PKG.version}.tgz`);
  assert.ok(existsSync(tarball), "npm pack made no tarball");
  assert.ok(!existsSync(join(PRISTINE, "node_modules")), "npm pack needed no install");

  service = await startService({ API_KEY: "consumer-test-key" });
  const client = new FaceClient({ baseUrl: service.url, apiKey: service.apiKey });
  // An LFW same-person pair whose first photo passes ?min_quality=enrol (the quick start enrols with it).
  const { same } = lfwPairs();
  photos = { selfie: readFileSync(same.image1), id: readFileSync(same.image2), empty: readFileSync(nofacePhoto()) };
  await client.extractEmbedding({ image: photos.selfie }, { min_quality: "enrol" });
  photos.blurred = derivedPhoto("yaoming.jpg", "blur");
});

after(async () => {
  await service?.stop();
  if (!process.env.KEEP_CONSUMERS) rmSync(WORK, { recursive: true, force: true });
  else console.log(`projects kept in ${WORK}`);
});

/** The README's one-line install (packing into vendor/), as written, with this folder's pristine copy as the path. */
function readmeInstallLine() {
  const readme = readFileSync(join(PACKAGE_DIR, "README.md"), "utf8");
  const line = readme.split("\n").find((l) => l.startsWith("mkdir -p vendor && npm install "));
  assert.ok(line?.includes(README_PATH), "README.md has no `mkdir -p vendor && npm install ...` line with the repository path");
  return line.replace(README_PATH, PRISTINE);
}

/** A new project: package.json, tsconfig, the README's files and photos; then the installs a user runs, in order. */
function project(name, { type, tsconfig, dependencies, devDependencies = {}, files, extra = [], installs }) {
  const dir = join(WORK, name);
  mkdirSync(join(dir, "src"), { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, type, dependencies, devDependencies: { ...TOOLCHAIN, ...devDependencies } }, null, 2));
  cpSync(join(HERE, tsconfig), join(dir, "tsconfig.json"));
  const examples = readmeExamples();
  for (const f of files) {
    assert.ok(examples[f], `README.md has no \`// ${f}\` example`);
    writeFileSync(join(dir, f), examples[f]);
  }
  for (const [from, to] of extra) cpSync(join(HERE, from), join(dir, to));
  writeFileSync(join(dir, "selfie.jpg"), photos.selfie);
  writeFileSync(join(dir, "id.jpg"), photos.id);
  writeFileSync(join(dir, "empty-room.jpg"), photos.empty);
  const quiet = ["--no-audit", "--no-fund", "--loglevel=error"];
  for (const install of installs) {
    if (typeof install === "string") run("bash", ["-c", install], { cwd: dir, env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_loglevel: "error" } });
    else run(NPM, ["install", ...install, ...quiet], { cwd: dir });
  }
  const installed = JSON.parse(readFileSync(join(dir, "node_modules", PKG.name, "package.json"), "utf8"));
  assert.equal(installed.version, PKG.version);
  return dir;
}

/** The environment of a consumer's process: the service's address and key; nothing of this test runner's. */
function env() {
  const { NODE_TEST_CONTEXT: _, NODE_OPTIONS: __, ...rest } = process.env;
  return { ...rest, FACE_SERVICE_URL: service.url, FACE_SERVICE_API_KEY: service.apiKey };
}

function compileAndRunQuickStart(dir) {
  run(join(dir, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.json"], { cwd: dir });
  const out = run(process.execPath, ["dist/src/quickstart.js"], { cwd: dir, env: env() });
  assert.match(out, /^enrolled: 2048 bytes \(request [0-9a-f-]{36}, 1 attempt\(s\)\)$/m);
  assert.match(out, /^same person: true \(similarity 0\.\d{3}, threshold 0\.\d+\)$/m);
  assert.match(out, /^no face: .+ \(422 NO_FACE\)$/m);
}

/** A multipart upload of one photo as the field `photo` (or none). */
function upload(bytes, name = "photo.jpg") {
  const form = new FormData();
  if (bytes) form.append("photo", new Blob([bytes]), name);
  return form;
}

/** The Nest app (dist/src/<entry>) on a free port with the service's address and key (or others); stop() ends it. */
async function startNestApp(dir, { entry = "main.js", env: extra = {} } = {}) {
  const port = await freePort();
  const app = spawn(process.execPath, [join("dist", "src", entry)], { cwd: dir, env: { ...env(), NO_COLOR: "1", PORT: String(port), ...extra }, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  app.stdout.on("data", (c) => (log += c));
  app.stderr.on("data", (c) => (log += c));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (app.exitCode !== null) throw new Error(`the Nest app exited ${app.exitCode}:\n${log}`);
    try {
      await fetch(url);
      break;
    } catch {
      if (i > 150) throw new Error(`the Nest app did not listen:\n${log}`);
      await sleep(200);
    }
  }
  const post = async (path, form) => {
    const r = await fetch(url + path, { method: "POST", body: form });
    const text = await r.text();
    return { status: r.status, text, body: JSON.parse(text) };
  };
  const stop = async () => {
    if (app.exitCode === null) {
      const exited = new Promise((resolve) => app.once("exit", resolve));
      app.kill("SIGTERM");
      await exited;
    }
  };
  return { url, post, stop, log: () => log, errors: () => log.split("\n").filter((l) => / ERROR /.test(l)) };
}

/** The README's application: answers as the service's JSON, a JSON round trip, the filter's statuses. */
async function checkNestApp(dir) {
  const app = await startNestApp(dir);
  try {
    const extracted = await app.post("/faces/embedding", upload(photos.selfie));
    assert.equal(extracted.status, 200, extracted.text);
    const { embedding } = extracted.body;
    assert.ok(Array.isArray(embedding) && embedding.length === 512 && embedding.every((v) => typeof v === "number" && Number.isFinite(v)),
      `"embedding" is not 512 numbers: ${extracted.text.slice(0, 200)}`);
    assert.match(extracted.text, /"embedding":\[-?\d/);
    assert.ok(!("$metadata" in extracted.body));
    const direct = await new FaceClient({ baseUrl: service.url, apiKey: service.apiKey }).extractEmbedding({ image: photos.selfie });
    assert.deepEqual(Object.keys(extracted.body).sort(), Object.keys(JSON.parse(JSON.stringify(direct))).sort(), "the service's fields");
    const fed = await new FaceClient({ baseUrl: service.url, apiKey: service.apiKey }).verify({ image: photos.id, embedding });
    assert.equal(fed.same_person, true, `the HTTP body's embedding fed to verify: similarity ${fed.similarity}`);

    const enrolled = await app.post("/faces/enrolments/ada", upload(photos.selfie));
    assert.equal(enrolled.status, 201, enrolled.text);
    assert.equal(enrolled.body.embedding.length, 512);
    const verified = await app.post("/faces/enrolments/ada/verification", upload(photos.id));
    assert.equal(verified.status, 200, verified.text);
    assert.equal(verified.body.same_person, true, verified.text);
    const nobody = await app.post("/faces/enrolments/nobody/verification", upload(photos.id));
    assert.equal(nobody.status, 404, nobody.text);

    const noface = await app.post("/faces/embedding", upload(photos.empty));
    assert.equal(noface.status, 422, noface.text);
    assert.equal(noface.body.code, "NO_FACE");
    assert.equal(noface.body.statusCode, 422);
    assert.match(noface.body.requestId, /^[0-9a-f-]{36}$/);
    const blurred = await app.post("/faces/enrolments/bob", upload(photos.blurred, "blurred.png"));
    assert.equal(blurred.status, 422, blurred.text);
    assert.equal(blurred.body.code, "FACE_QUALITY");
    assert.ok(blurred.body.reasons.includes("too_blurry"), blurred.text);
    const garbage = await app.post("/faces/embedding", upload(Buffer.from("not an image")));
    assert.equal(garbage.status, 400, garbage.text); // Nest's file validation: the service is not called
    const missing = await app.post("/faces/embedding", upload(undefined));
    assert.equal(missing.status, 400, missing.text);
    assert.deepEqual(app.errors(), [], "nothing logged at level error for the caller's problems");
    console.log(`Nest app: /faces/embedding 200 with "embedding":[512 numbers] (fed to verify: same_person true), ` +
      `enrolment stored as JSON then verification 200 same_person true, unknown user 404, no face 422 NO_FACE, blurred 422 ` +
      `FACE_QUALITY ${JSON.stringify(blurred.body.reasons)}, not an image 400, no photo 400, no error logged`);
  } finally {
    await app.stop();
  }
}

/** A failure the filter answers with a 502: the answer, and exactly one line logged at level error. */
async function checkLoggedFailure(dir, what, { entry, env: extra, code }) {
  const app = await startNestApp(dir, { entry, env: extra });
  try {
    const r = await app.post("/faces/embedding", upload(photos.selfie));
    assert.equal(r.status, 502, r.text);
    assert.deepEqual({ ...r.body, requestId: undefined }, { statusCode: 502, message: `The face service failed (${code}).`, code, requestId: undefined });
    await sleep(100);
    const lines = app.errors();
    assert.equal(lines.length, 1, `${what}: ${lines.length} error lines:\n${app.log()}`);
    assert.match(lines[0], new RegExp(`ERROR \\[FaceServiceExceptionFilter\\] ${code} \\(status .*, request ${r.body.requestId}, \\d attempt\\(s\\), retry quota \\d+/500\\) answered 502: `));
    assert.ok(lines[0].length < 400 && !/[A-Za-z0-9+/]{200}/.test(lines[0]), "no image or embedding in the log");
    console.log(`${what}: 502 ${code}, logged once: ${lines[0].replace(/^.*? ERROR /, "ERROR ")}`);
  } finally {
    await app.stop();
  }
}

async function checkFailuresLogged(dir, { variants }) {
  await checkLoggedFailure(dir, "wrong API key", { env: { FACE_SERVICE_API_KEY: "not-the-key" }, code: "UNAUTHORIZED" });
  const stopped = `http://127.0.0.1:${await freePort()}`; // nothing listens there: the service stopped
  await checkLoggedFailure(dir, "service stopped", { env: { FACE_SERVICE_URL: stopped }, code: "NETWORK_ERROR" });
  for (const how of variants) {
    await checkLoggedFailure(dir, `wrong API key, filter ${how}`, { entry: "filters.js", env: { FILTER: how, FACE_SERVICE_API_KEY: "not-the-key" }, code: "UNAUTHORIZED" });
  }
}

const NEST_FILES = ["src/app.module.ts", "src/enrolment.store.ts", "src/faces.controller.ts", "src/main.ts"];
const NEST_SPEC = "src/faces.controller.spec.ts";

describe("installed as a user would", { timeout: 900_000 }, () => {
  test("core-cjs: `npm install <folder>` (a link), no NestJS installed; the quick start compiles and runs", () => {
    const dir = project("core-cjs", { type: "commonjs", tsconfig: "tsconfig.plain.json", files: ["src/quickstart.ts"], installs: [[PRISTINE]] });
    assert.ok(!existsSync(join(dir, "node_modules", "@nestjs")), "optional peers were installed");
    assert.deepEqual(readdirSync(join(dir, "node_modules")).filter((n) => !n.startsWith(".") && !["typescript", "@types", "undici-types"].includes(n)), [PKG.name],
      "the client brought dependencies");
    compileAndRunQuickStart(dir);
  });

  test("nest-cjs: `npm install <tarball>`; README quick start + NestJS app compile and run (CommonJS)", async () => {
    const dir = project("nest-cjs", { type: "commonjs", tsconfig: "tsconfig.nest.json", dependencies: NEST, files: ["src/quickstart.ts", ...NEST_FILES], installs: [[tarball], [NEST_CONFIG]] });
    compileAndRunQuickStart(dir);
    // Older Nest projects: "module": "commonjs" (moduleResolution node10, which reads no `exports`: typesVersions).
    cpSync(join(HERE, "tsconfig.node10.json"), join(dir, "tsconfig.node10.json"));
    run(join(dir, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.node10.json"], { cwd: dir });
    await checkNestApp(dir);
    await checkFailuresLogged(dir, { variants: [] });
  });

  test("nest12: a Nest 12 project (ES modules, vitest), the README's install line, files and spec; the app against the service", async () => {
    const dir = project("nest12", {
      type: "module",
      tsconfig: "tsconfig.nest12.json",
      dependencies: NEST,
      devDependencies: NEST12_TEST,
      files: ["src/quickstart.ts", ...NEST_FILES, NEST_SPEC],
      extra: [["vitest.config.ts", "vitest.config.ts"], ["filters.ts", "src/filters.ts"]],
      installs: [readmeInstallLine(), [NEST_CONFIG]],
    });
    // The tarball install survived the later `npm install`: a copy from vendor/, not a link to the folder.
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    assert.equal(manifest.dependencies[PKG.name], `file:vendor/${PKG.name}-${PKG.version}.tgz`);
    assert.ok(!lstatSync(join(dir, "node_modules", PKG.name)).isSymbolicLink(), "the client became a link");
    compileAndRunQuickStart(dir);
    const spec = run(join(dir, "node_modules", ".bin", "vitest"), ["run"], { cwd: dir, env: { ...env(), NO_COLOR: "1", CI: "1" } });
    assert.match(spec, /Tests\s+2 passed \(2\)/);
    await checkNestApp(dir);
    await checkFailuresLogged(dir, { variants: ["adapter", "app-filter"] });
  });
});
