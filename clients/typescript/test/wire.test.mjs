// The generator's schema types checked against openapi-typescript's (a well-kept library, development dependency
// only): for every schema of the document, the client's type is the same as openapi-typescript's once `embedding`
// arrays are read as Float32Array (what the client does to answers). Compiled with tsc; nothing runs.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import openapiTS, { astToString } from "openapi-typescript";

import { PACKAGE_DIR, patchedSpec, SPEC_PATH } from "../scripts/generate.mjs";

test("every schema type equals openapi-typescript's (embedding -> Float32Array)", async () => {
  const { spec } = patchedSpec(JSON.parse(readFileSync(SPEC_PATH, "utf8")));
  const dir = join(PACKAGE_DIR, ".wire-check");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  try {
    writeFileSync(join(dir, "wire.ts"), astToString(await openapiTS(spec, { defaultNonNullable: false })));
    const names = Object.keys(spec.components.schemas);
    assert.ok(names.length >= 10, names.join(", "));
    writeFileSync(join(dir, "check.ts"), [
      'import type { components } from "./wire.js";',
      'import type * as Client from "face-recognition-service-client";',
      "type S = components[\"schemas\"];",
      "type AsFloat32<T> = T extends number[] ? Float32Array : T;",
      "type Decoded<T> = T extends (infer U)[] ? Decoded<U>[] : T extends object ? { [K in keyof T]: K extends \"embedding\" ? AsFloat32<T[K]> : Decoded<T[K]> } : T;",
      "type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;",
      ...names.map((n) => `export const ${n}: Same<Decoded<S[${JSON.stringify(n)}]>, Client.${n}> = true;`),
      "",
    ].join("\n"));
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
      extends: "../tsconfig.json",
      compilerOptions: { noEmit: true, rootDir: ".", noUnusedLocals: false, module: "NodeNext", moduleResolution: "NodeNext" },
      include: ["*.ts"],
    }));
    try {
      execFileSync(process.execPath, [join(PACKAGE_DIR, "node_modules", "typescript", "bin", "tsc"), "-p", dir], { encoding: "utf8" });
    } catch (error) {
      assert.fail(`the client's types differ from openapi-typescript's:\n${error.stdout}`);
    }
  } finally {
    if (!process.env.KEEP_WIRE) rmSync(dir, { recursive: true, force: true });
  }
});
