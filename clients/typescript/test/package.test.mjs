// Published-package hygiene: what `npm pack` would publish (built output, spec, licence, readme; nothing else).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { PACKAGE_DIR } from "../scripts/generate.mjs";

const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, "package.json"), "utf8"));

test("npm pack publishes dist/, openapi.json, LICENSE, README.md and package.json only", () => {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const [report] = JSON.parse(execFileSync(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: PACKAGE_DIR, encoding: "utf8" }));
  const files = report.files.map((f) => f.path).sort();
  for (const f of files) assert.match(f, /^(dist\/[\w.]+\.(js|d\.ts)|openapi\.json|LICENSE|README\.md|package\.json)$/, `${f} would be published`);
  for (const f of ["LICENSE", "README.md", "package.json", "openapi.json", "dist/index.js", "dist/index.d.ts"]) assert.ok(files.includes(f), `${f} missing`);
});

test("package.json: name, version, licence, types, exports, files, engines; no runtime dependencies", () => {
  for (const field of ["name", "version", "license", "types", "exports", "files", "engines"]) assert.ok(pkg[field], field);
  assert.equal(pkg.dependencies, undefined);
  assert.equal(pkg.exports["."].types, `./${pkg.types.replace(/^\.\//, "")}`);
});
