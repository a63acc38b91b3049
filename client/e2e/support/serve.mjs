#!/usr/bin/env node
/**
 * Playwright's web server for the e2e suite: builds the client when its sources are newer than
 * client/dist, writes the demo library into a fresh temporary DATA_DIR (plus the Pixano-built
 * `video_file` dataset, a video file), starts the real server
 * (`tessera server run DATA_DIR --host 127.0.0.1 --port 0`, accounts on), creates the test
 * accounts through the REST API as the first admin, then prints the line Playwright waits for
 * (`TESSERA_E2E ready on port N`). SIGTERM/SIGINT stop the server and remove the folder.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const client = resolve(here, "../..");
const root = resolve(client, "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const users = JSON.parse(readFileSync(join(here, "users.json"), "utf8"));
const log = (m) => process.stderr.write(`[e2e server] ${m}\n`);

function run(command, args, env = {}) {
  return new Promise((ok, fail) => {
    const child = spawn(command, args, {
      cwd: root,
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, ...env },
    });
    child.on("error", fail);
    child.on("exit", (code, signal) =>
      code === 0 ? ok() : fail(new Error(`${command} ${args.join(" ")}: ${signal ?? `exit ${code}`}`)),
    );
  });
}

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) {
    if (["node_modules", "dist", "e2e", ".scratch", "test-results", "playwright-report"].includes(entry)) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

const built = join(client, "dist", "index.html");
if (!existsSync(built) || statSync(built).mtimeMs < newestMtime(client)) {
  log("building the client");
  await run(bin("vite"), ["build", client, "--logLevel", "warn"]);
}

const dataDir = mkdtempSync(join(tmpdir(), "tessera-e2e-"));
let server = null;
let stopping = false;
const stop = (code) => {
  if (stopping) return;
  stopping = true;
  const finish = () => {
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(code);
  };
  if (server && server.exitCode === null) {
    server.once("exit", finish);
    server.kill("SIGTERM");
    setTimeout(() => server.kill("SIGKILL"), 10_000).unref();
  } else finish();
};
process.on("SIGTERM", () => stop(0));
process.on("SIGINT", () => stop(0));

try {
  log(`demo library in ${dataDir}`);
  await run(bin("tsx"), [join(root, "server", "src", "demo", "main.ts"), dataDir]);
  // A video file (a Pixano 0.8 `videos` row, embedded mp4) next to the demo: videoFile.spec.ts.
  const videoFile = join(root, "fixtures", "pixano-built", "library-extra", "video_file");
  cpSync(videoFile, join(dataDir, "library", "video_file"), { recursive: true });
  // The tiny SAM-shaped model (scripts/tiny-sam.mjs) in the registry: segment.spec.ts.
  await run(process.execPath, [join(root, "scripts", "tiny-sam.mjs"), join(dataDir, "models", "tiny-sam")]);
  // The tiny CLIP pair (scripts/tiny-clip.mjs): semanticSearch.spec.ts.
  await run(process.execPath, [join(root, "scripts", "tiny-clip.mjs"), join(dataDir, "models", "tiny-clip")]);
  // The tiny YOLO-shaped detector (scripts/tiny-yolo.mjs): preannotate.spec.ts.
  await run(process.execPath, [join(root, "scripts", "tiny-yolo.mjs"), join(dataDir, "models", "tiny-yolo")]);
  // The tiny VitTrack-layout tracker (scripts/tiny-tracker.mjs): track.spec.ts.
  await run(process.execPath, [join(root, "scripts", "tiny-tracker.mjs"), join(dataDir, "models", "tiny-tracker")]);
  server = spawn(
    process.execPath,
    [join(root, "bin", "tessera.mjs"), "server", "run", dataDir, "--host", "127.0.0.1", "--port", "0"],
    {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
      env: {
        ...process.env,
        TESSERA_AUTH: "on",
        TESSERA_ADMIN_USER: users.admin.username,
        TESSERA_ADMIN_PASSWORD: users.admin.password,
        // Every test signs two or three people in, all from 127.0.0.1: a quiet machine runs the suite
        // faster than the default 20 sign-ins per address per minute allow.
        TESSERA_LOGINS_PER_MINUTE: "1000",
      },
    },
  );
  server.on("exit", (code, signal) => {
    if (!stopping) {
      log(`the server exited (${signal ?? code})`);
      stop(1);
    }
  });
  const url = await new Promise((ok, fail) => {
    let out = "";
    const onData = (chunk) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        server.stdout.off("data", onData);
        server.stdout.resume();
        ok(m[1]);
      }
    };
    server.stdout.on("data", onData);
    server.once("exit", () => fail(new Error(`the server exited before listening:\n${out}`)));
  });

  const login = await fetch(`${url}/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: users.admin.username, password: users.admin.password }),
  });
  if (!login.ok) throw new Error(`admin login: ${login.status} ${await login.text()}`);
  const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0];
  for (const u of Object.values(users)) {
    if (u.role === "admin") continue;
    const res = await fetch(`${url}/users`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Cookie: cookie, Origin: url },
      body: JSON.stringify({ username: u.username, password: u.password, role: u.role, display_name: u.name }),
    });
    if (!res.ok) throw new Error(`creating ${u.username}: ${res.status} ${await res.text()}`);
  }
  process.stdout.write(`TESSERA_E2E ready on port ${new URL(url).port}\n`);
} catch (err) {
  log(err instanceof Error ? err.message : String(err));
  stop(1);
}
