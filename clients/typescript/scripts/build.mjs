#!/usr/bin/env node
// Builds dist/: CommonJS (dist/cjs) and ES modules (dist/esm) from src/, each with its .d.ts, declaration maps and
// source maps, and a package.json that says which module system the folder is.
//
//   node scripts/build.mjs           build into dist/                                    (npm run build)
//   node scripts/build.mjs --check   build into .dist-check/ and fail if it differs from the committed dist/
//                                    (npm run check-dist; `npm test` and `make client-test` run it)
//
// dist/ is committed because `npm install <folder>` (and a git dependency) links or copies the folder without
// installing its devDependencies, so nothing can compile at install time; the check keeps it the build of src/.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

import { PACKAGE_DIR } from "./generate.mjs";

const TSC = join(PACKAGE_DIR, "node_modules", "typescript", "bin", "tsc");

function build(outDir) {
  rmSync(outDir, { recursive: true, force: true });
  for (const [flavour, type] of [["cjs", "commonjs"], ["esm", "module"]]) {
    const out = join(outDir, flavour);
    execFileSync(process.execPath, [TSC, "-p", join(PACKAGE_DIR, `tsconfig.${flavour}.json`), "--outDir", out], { stdio: "inherit" });
    writeFileSync(join(out, "package.json"), JSON.stringify({ type }, null, 2) + "\n");
  }
}

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

const DIST = join(PACKAGE_DIR, "dist");
if (process.argv.includes("--check")) {
  // Same depth as dist/, so that the maps' relative paths to src/ are the same.
  const fresh = join(PACKAGE_DIR, ".dist-check");
  build(fresh);
  const list = (dir) => files(dir).map((f) => relative(dir, f)).sort();
  const [want, have] = [list(fresh), list(DIST)];
  const problems = [
    ...want.filter((f) => !have.includes(f)).map((f) => `missing from dist/: ${f}`),
    ...have.filter((f) => !want.includes(f)).map((f) => `not built from src/: dist/${f}`),
    ...want.filter((f) => have.includes(f) && !readFileSync(join(fresh, f)).equals(readFileSync(join(DIST, f)))).map((f) => `stale: dist/${f}`),
  ];
  rmSync(fresh, { recursive: true, force: true });
  if (problems.length) {
    console.error(`dist/ is not the build of src/ (run \`npm run build\`, or \`npm run generate\` after a spec change, and commit dist/):\n  ${problems.join("\n  ")}`);
    process.exit(1);
  }
  console.log(`dist/ is the build of src/ (${want.length} files)`);
} else {
  mkdirSync(DIST, { recursive: true });
  build(DIST);
  console.log(`built ${files(DIST).length} files into ${DIST}`);
}
