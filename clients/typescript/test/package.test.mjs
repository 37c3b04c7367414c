// Published-package hygiene: what `npm pack` would publish, and the package.json fields a registry user relies on.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { PACKAGE_DIR } from "../scripts/generate.mjs";

const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, "package.json"), "utf8"));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

test("npm pack publishes dist/ (cjs + esm), src/, openapi.json, CHANGELOG, LICENSE, README and package.json only", () => {
  const [report] = JSON.parse(execFileSync(npm, ["pack", "--dry-run", "--json"], { cwd: PACKAGE_DIR, encoding: "utf8" }));
  const files = report.files.map((f) => f.path).sort();
  for (const f of files) {
    assert.match(f, /^(dist\/(cjs|esm)\/([\w]+\/)?([\w.]+\.(js|d\.ts|js\.map|d\.ts\.map)|package\.json)|src\/([\w]+\/)?[\w]+\.ts|openapi\.json|CHANGELOG\.md|LICENSE|README\.md|package\.json)$/, `${f} would be published`);
  }
  for (const flavour of ["cjs", "esm"]) {
    for (const entry of ["index", "nestjs/index"]) {
      for (const ext of [".js", ".d.ts", ".js.map", ".d.ts.map"]) assert.ok(files.includes(`dist/${flavour}/${entry}${ext}`), `dist/${flavour}/${entry}${ext} missing`);
    }
    assert.ok(files.includes(`dist/${flavour}/package.json`));
  }
  for (const f of ["LICENSE", "README.md", "CHANGELOG.md", "package.json", "openapi.json", "src/index.ts"]) assert.ok(files.includes(f), `${f} missing`);
});

test("package.json: semver, licence, exports (import/require, types first), files, engines; no runtime dependencies", () => {
  for (const field of ["name", "version", "description", "license", "main", "types", "exports", "files", "engines", "keywords"]) assert.ok(pkg[field], field);
  assert.match(pkg.version, /^\d+\.\d+\.\d+(-[\w.]+)?$/);
  assert.equal(pkg.dependencies, undefined, "the core client has no runtime dependency");
  assert.equal(pkg.scripts.prepack, undefined, "npm pack must work without devDependencies (dist/ is committed)");
  assert.equal(pkg.scripts.prepare, undefined, "a folder or git install must not need to compile");
  assert.equal(pkg.scripts.postinstall, undefined);
  for (const entry of [".", "./nestjs"]) {
    for (const condition of ["import", "require"]) {
      const target = pkg.exports[entry][condition];
      assert.deepEqual(Object.keys(target), ["types", "default"], `${entry} ${condition}: types first`);
      for (const path of Object.values(target)) assert.ok(existsSync(join(PACKAGE_DIR, path)), `${entry} ${condition}: ${path} missing`);
    }
  }
  for (const peer of Object.keys(pkg.peerDependencies)) {
    assert.ok(/^@nestjs\//.test(peer) || AWS_PEERS.includes(peer), `${peer}: a peer neither Nest's nor AWS's signer`);
    assert.equal(pkg.peerDependenciesMeta[peer].optional, true, `${peer} must be an optional peer`);
  }
  const changelog = readFileSync(join(PACKAGE_DIR, "CHANGELOG.md"), "utf8");
  assert.ok(changelog.includes(`## ${pkg.version}`), `CHANGELOG.md has no entry for ${pkg.version}`);
});

const AWS_PEERS = ["@smithy/signature-v4", "@aws-crypto/sha256-js", "@aws-sdk/credential-provider-node"];

test("the IAM signer loads AWS's packages only when called (dynamic imports of the optional peers)", () => {
  for (const flavour of ["cjs", "esm"]) {
    const text = readFileSync(join(PACKAGE_DIR, "dist", flavour, "sigv4.js"), "utf8");
    assert.deepEqual([...text.matchAll(/(?:^|\n)(?:import .* from |const .* = require\()"([^"]+)"/g)].map((m) => m[1]), [], `dist/${flavour}/sigv4.js: a static import`);
    const lazy = [...text.matchAll(/(?:import|require)\("([^"]+)"\)/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(lazy)].sort(), [...AWS_PEERS].sort(), `dist/${flavour}/sigv4.js loads ${lazy}`);
  }
});

test("the core entry point imports nothing outside Node's built-ins (zero runtime dependencies)", () => {
  for (const flavour of ["cjs", "esm"]) {
    for (const file of ["index", "generated", "encoding", "errors", "retry", "transport"]) {
      const text = readFileSync(join(PACKAGE_DIR, "dist", flavour, `${file}.js`), "utf8");
      const specifiers = [...text.matchAll(/(?:from |require\()"([^"]+)"/g)].map((m) => m[1]);
      for (const s of specifiers) assert.match(s, /^(\.\/|node:)/, `dist/${flavour}/${file}.js imports ${s}`);
    }
  }
});
