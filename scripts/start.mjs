#!/usr/bin/env node
/**
 * `npm start`: from a fresh clone (after `npm ci`) to a running server with demo data.
 *
 * 1. Builds the server packages into their `dist/` (`scripts/build.mjs`) and the web client with
 *    vite when there is one (`client/index.html`), each when missing or older than its sources.
 * 2. Creates the demo library in DATA_DIR (default `./data`) the first time, i.e. when
 *    `DATA_DIR/library` is absent or empty. An existing library is never touched.
 * 3. Runs the server CLI (`tessera server run DATA_DIR`) on HOST:PORT (default 127.0.0.1:7492),
 *    waits for `/health`, prints the URL and how to log in, and stays attached: Ctrl+C stops the
 *    server.
 *
 * Every process runs compiled JavaScript (`node --conditions=tessera-dist …/dist/…js`), no
 * TypeScript loader; the server's settings are the environment's (see server/src/serverOptions.ts).
 *
 * Accounts are on (a team server): the first start creates the `admin` account and the server
 * prints its password once (or takes TESSERA_ADMIN_USER / TESSERA_ADMIN_PASSWORD).
 * `TESSERA_AUTH=off npm start` is the single-user mode: no login, 127.0.0.1 only.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildIfStale, DIST_CONDITION } from "./build.mjs";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const host = process.env.HOST || "127.0.0.1";
const port = process.env.PORT || "7492";
const dataDir = resolve(root, process.env.DATA_DIR || "data");
/** Node options of every process this starts: the packages' compiled `dist/` (see build.mjs). */
const nodeOptions = [`--conditions=${DIST_CONDITION}`, "--enable-source-maps"];
const authOff = ["off", "0", "false", "no"].includes((process.env.TESSERA_AUTH || "").trim().toLowerCase());

const log = (message) => console.log(`[start] ${message}`);

/** Runs a command to completion with inherited stdio; rejects on a non-zero exit. */
function runToEnd(command, args) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      code === 0
        ? resolveRun()
        : reject(new Error(`${command} ${args.join(" ")} failed (${signal ?? `exit ${code}`})`)),
    );
  });
}

/** Newest modification time of any file under `path` (0 when it does not exist). */
function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) {
    if (entry === "node_modules" || entry === "dist" || entry === "e2e") continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

async function buildClient() {
  const client = join(root, "client");
  if (!existsSync(join(client, "index.html"))) {
    log("no web client yet (client/index.html is absent): skipping the client build, the API runs alone");
    return;
  }
  const built = join(client, "dist", "index.html");
  if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(client)) {
    log("web client is up to date (client/dist)");
    return;
  }
  log("building the web client (vite build client)");
  await runToEnd(join(root, "node_modules", ".bin", "vite"), ["build", client]);
}

function libraryIsEmpty() {
  const library = join(dataDir, "library");
  return !existsSync(library) || readdirSync(library).filter((e) => !e.startsWith(".")).length === 0;
}

async function createDemo() {
  if (!libraryIsEmpty()) {
    log(`using the existing library in ${dataDir}`);
    return;
  }
  log(`first run: creating the demo library in ${dataDir}`);
  await runToEnd(process.execPath, [...nodeOptions, join(root, "server", "dist", "demo", "main.js"), dataDir]);
}

async function waitForHealth(url, child, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited (code ${child.exitCode}) before answering /health`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return;
    } catch (err) {
      // Not listening yet: that is what we are waiting for; anything else surfaces at the deadline.
      if (!(err instanceof TypeError)) throw err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the server did not answer ${url}/health within ${deadlineMs / 1000} s`);
}

/** The server command: the CLI (`tessera server run`), compiled. */
function serverCommand() {
  const cli = join(root, "bin", "tessera.mjs");
  return {
    command: process.execPath,
    args: [...nodeOptions, cli, "server", "run", dataDir, "--host", host, "--port", port],
  };
}

async function serve() {
  // Before the server runs: it creates the accounts file at its first start.
  const firstStart = !existsSync(join(dataDir, ".tessera", "users.json"));
  const { command, args } = serverCommand();
  const shown = [command, ...args].map((a) => (a.startsWith(root) ? a.slice(root.length + 1) || "." : a));
  log(shown.join(" ").replace(process.execPath, "node"));
  const child = spawn(command, args, {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, DATA_DIR: dataDir, HOST: host, PORT: port },
  });
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => {
      // Forward the stop to the server by its PID and let its exit end this process.
      if (child.exitCode === null) child.kill(signal);
    });
  }
  const exited = new Promise((resolveExit) =>
    child.on("exit", (code, signal) => resolveExit(code ?? (signal ? 0 : 1))),
  );
  const shownHost = host === "0.0.0.0" ? "127.0.0.1" : host;
  const url = `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${port}`;
  try {
    await waitForHealth(url, child, 60_000);
    log(`Tessera is running at ${url}  (data: ${dataDir}; Ctrl+C to stop)`);
    log(loginHint(firstStart));
  } catch (err) {
    console.error(`[start] ${err.message}`);
  }
  process.exitCode = await exited;
}

/** How to log in, after the server is up. */
function loginHint(firstStart) {
  if (authOff) return "single-user mode (TESSERA_AUTH=off): no login, everyone is the local admin, 127.0.0.1 only";
  const admin = process.env.TESSERA_ADMIN_USER || "admin";
  const reset = `npm run tessera -- users reset-password ${dataDir} ${admin}`;
  if (firstStart && !process.env.TESSERA_ADMIN_PASSWORD)
    return `log in as "${admin}" with the password printed above (shown once; lost it? ${reset})`;
  return `log in with your account (add people: npm run tessera -- users add ${dataDir} NAME --role annotator; lost the admin password? ${reset})`;
}

function buildServer() {
  const { built } = buildIfStale({ log });
  if (built.length === 0) log("server packages are up to date (dist/)");
}

try {
  buildServer();
  await buildClient();
  await createDemo();
  await serve();
} catch (err) {
  console.error(`[start] ${err.message}`);
  process.exitCode = 1;
}
