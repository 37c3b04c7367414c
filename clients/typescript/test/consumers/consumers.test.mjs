// The client as a user meets it: installed from a pristine copy of this folder (what a fresh clone has: tracked
// and untracked-but-not-ignored files, no node_modules) and from that copy's `npm pack` tarball, into new projects
// that compile this folder's README examples unchanged (TypeScript strict + exactOptionalPropertyTypes, module
// nodenext) and run them against the live service:
//   core-cjs  CommonJS, no NestJS, `npm install <folder>` (npm's default: a link): the README's quick start
//   nest-cjs  the tsconfig `nest new` writes for a CommonJS project, `npm install --install-links <folder>`;
//             also type-checked as an older Nest project is ("module": "commonjs", node10 resolution)
//   nest-esm  the same for an ES-module project ("type": "module"), `npm install <tarball>`
// Each Nest project compiles the quick start and the four NestJS files, runs the quick start, the README's mock
// test (node --test), and the application: HTTP requests through its controller and the exception filter.
// Needs the npm registry (TypeScript and NestJS are downloaded into the projects) and the repository's .venv.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
  "@nestjs/config": "12.0.1",
  "reflect-metadata": "0.2.2",
  rxjs: "7.8.2",
};

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

/** A new project: package.json, tsconfig, the README's files; then the one install command a user runs. */
function project(name, { type, tsconfig, dependencies, files, install }) {
  const dir = join(WORK, name);
  mkdirSync(join(dir, "src"), { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, type, dependencies, devDependencies: TOOLCHAIN }, null, 2));
  cpSync(join(HERE, tsconfig), join(dir, "tsconfig.json"));
  const examples = readmeExamples();
  for (const f of files) {
    assert.ok(examples[f], `README.md has no \`// ${f}\` example`);
    writeFileSync(join(dir, f), examples[f]);
  }
  writeFileSync(join(dir, "selfie.jpg"), photos.selfie);
  writeFileSync(join(dir, "id.jpg"), photos.id);
  writeFileSync(join(dir, "empty-room.jpg"), photos.empty);
  run(NPM, ["install", ...install, "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir });
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

async function runNestApp(dir) {
  const out = run(process.execPath, ["--test", "--test-reporter=tap", "dist/src/enrolment.service.test.js"], { cwd: dir, env: env() });
  assert.match(out, /^# pass 1$/m);
  const port = await freePort();
  const app = spawn(process.execPath, ["dist/src/main.js"], { cwd: dir, env: { ...env(), PORT: String(port) }, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  app.stdout.on("data", (c) => (log += c));
  app.stderr.on("data", (c) => (log += c));
  try {
    const url = `http://127.0.0.1:${port}`;
    const post = async (path, body) => {
      const r = await fetch(url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      return { status: r.status, body: await r.json() };
    };
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
    const enrolled = await post("/enrolments", { photo: photos.selfie.toString("base64") });
    assert.equal(enrolled.status, 201, JSON.stringify(enrolled.body));
    assert.equal(Buffer.from(enrolled.body.embedding, "base64").length, 2048);
    const verified = await post("/verifications", { photo: photos.id.toString("base64"), embedding: enrolled.body.embedding });
    assert.deepEqual(verified, { status: 201, body: { samePerson: true } });
    const noface = await post("/enrolments", { photo: photos.empty.toString("base64") });
    assert.equal(noface.status, 422, JSON.stringify(noface.body));
    assert.equal(noface.body.code, "NO_FACE");
    assert.equal(noface.body.statusCode, 422);
    assert.match(noface.body.requestId, /^[0-9a-f-]{36}$/);
    const blurred = await post("/enrolments", { photo: photos.blurred.toString("base64") });
    assert.equal(blurred.status, 422, JSON.stringify(blurred.body));
    assert.equal(blurred.body.code, "FACE_QUALITY");
    assert.ok(blurred.body.reasons.includes("too_blurry"), JSON.stringify(blurred.body));
    const garbage = await post("/enrolments", { photo: Buffer.from("not an image").toString("base64") });
    assert.equal(garbage.status, 400, JSON.stringify(garbage.body));
    assert.equal(garbage.body.code, "INVALID_IMAGE");
    console.log(`Nest app on :${port}: POST /enrolments 201 (2,048 bytes), /verifications 201 samePerson, ` +
      `no face 422 NO_FACE, blurred 422 FACE_QUALITY ${JSON.stringify(blurred.body.reasons)}, not an image 400 INVALID_IMAGE`);
  } finally {
    app.kill("SIGTERM");
  }
}

const NEST_FILES = ["src/quickstart.ts", "src/app.module.ts", "src/enrolment.service.ts", "src/enrolment.controller.ts", "src/main.ts", "src/enrolment.service.test.ts"];

describe("installed as a user would", { timeout: 600_000 }, () => {
  test("core-cjs: `npm install <folder>` (a link), no NestJS installed; the quick start compiles and runs", () => {
    const dir = project("core-cjs", { type: "commonjs", tsconfig: "tsconfig.plain.json", files: ["src/quickstart.ts"], install: [PRISTINE] });
    assert.ok(!existsSync(join(dir, "node_modules", "@nestjs")), "optional peers were installed");
    assert.deepEqual(readdirSync(join(dir, "node_modules")).filter((n) => !n.startsWith(".") && !["typescript", "@types", "undici-types"].includes(n)), [PKG.name],
      "the client brought dependencies");
    compileAndRunQuickStart(dir);
  });

  test("nest-cjs: `npm install --install-links <folder>`; README quick start + NestJS app compile and run (CommonJS)", async () => {
    const dir = project("nest-cjs", { type: "commonjs", tsconfig: "tsconfig.nest.json", dependencies: NEST, files: NEST_FILES, install: ["--install-links", PRISTINE] });
    compileAndRunQuickStart(dir);
    // Older Nest projects: "module": "commonjs" (moduleResolution node10, which reads no `exports`: typesVersions).
    cpSync(join(HERE, "tsconfig.node10.json"), join(dir, "tsconfig.node10.json"));
    run(join(dir, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.node10.json"], { cwd: dir });
    await runNestApp(dir);
  });

  test("nest-esm: `npm install <tarball>`; README quick start + NestJS app compile and run (ES modules)", async () => {
    const dir = project("nest-esm", { type: "module", tsconfig: "tsconfig.nest.json", dependencies: NEST, files: NEST_FILES, install: [tarball] });
    compileAndRunQuickStart(dir);
    await runNestApp(dir);
  });
});
