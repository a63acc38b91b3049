import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, promises as fs, readdirSync, readFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServerConfigError, serverOptionsFrom } from "../../src/serverOptions.js";

/**
 * Production runs compiled JavaScript through one composition root: `tessera server run` (what
 * `npm start` and the Procfile run) reads the same settings as `server/src/main.ts`, and no process
 * of a running `npm start` uses a TypeScript loader or a `.ts` entry. Real processes, stopped by PID.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const BIN = path.join(ROOT, "bin", "tessera.mjs");
const START = path.join(ROOT, "scripts", "start.mjs");
const DEV_ORIGIN = "http://dev.example:5173";
let work: string;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "tessera-compiled-"));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

/** A child process with its whole output kept. */
function launch(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: { detached?: boolean } = {},
): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [...args], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached === true,
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => out, exit };
}

/** Polls `probe` until it returns a value, or fails naming `what` (with `context()`) at the deadline. */
async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  deadlineMs: number,
  context: () => string = () => "",
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** The parent pid of `pid` from /proc (null when the process is gone). */
function parentOf(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch (err) {
    // The process ended between the listing and this read.
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ESRCH")
      return null;
    throw err;
  }
  // Fields after the command name, which is in parentheses and may hold spaces: state, ppid, …
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[1]);
}

/** The nice value of `pid` (field 19 of /proc/PID/stat). */
function niceOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
}

/** `pid` and every process below it. */
function processTree(pid: number): number[] {
  const all = readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .map(Number);
  const tree = [pid];
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) {
      if (tree.includes(p)) continue;
      const parent = parentOf(p);
      if (parent !== null && tree.includes(parent)) {
        tree.push(p);
        grew = true;
      }
    }
  }
  return tree.filter((p) => existsSync(`/proc/${p}`));
}

function cmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, "utf8")
    .split("\0")
    .filter((a) => a !== "");
}

function nodeOptionsOf(pid: number): string {
  const entry = readFileSync(`/proc/${pid}/environ`, "utf8")
    .split("\0")
    .find((e) => e.startsWith("NODE_OPTIONS="));
  return entry?.slice("NODE_OPTIONS=".length) ?? "";
}

/** What in a process's command line (or NODE_OPTIONS) runs TypeScript: a tsx loader or a `.ts` entry. */
function typeScriptIn(pid: number): string[] {
  const args = [
    ...cmdline(pid),
    ...nodeOptionsOf(pid)
      .split(/\s+/)
      .filter((a) => a !== ""),
  ];
  // tsx as a path segment (`--import tsx`, `--import=tsx`, `node_modules/tsx/…`, `.bin/tsx`), not inside a temp name.
  return args.filter((a) => /(^|[/=])tsx(\/|$)/.test(a) || /\.[cm]?ts$/.test(a));
}

describe("one composition root", () => {
  it("tessera server run honours TESSERA_CORS_ORIGINS (only server/src/main.ts read it)", async () => {
    const dataDir = path.join(work, "cors");
    const env = { ...process.env, TESSERA_AUTH: "off", TESSERA_CORS_ORIGINS: ` ${DEV_ORIGIN} , ` };
    // With the dist condition, as npm start and the Procfile run it (cli.test.ts runs the plain launcher).
    const server = launch(["--conditions=tessera-dist", BIN, "server", "run", dataDir, "--port", "0"], env);
    try {
      const url = await until(
        "the server to listen",
        () => /listening on (http:\/\/\S+)/.exec(server.output())?.[1],
        120_000,
        server.output,
      );
      const listed = await fetch(`${url}/health`, { headers: { origin: DEV_ORIGIN } });
      expect(listed.status).toBe(200);
      expect(listed.headers.get("access-control-allow-origin")).toBe(DEV_ORIGIN);
      expect(listed.headers.get("access-control-allow-credentials")).toBe("true");
      const other = await fetch(`${url}/health`, { headers: { origin: "https://evil.example" } });
      expect(other.headers.get("access-control-allow-origin")).toBeNull();
    } finally {
      server.child.kill("SIGTERM");
    }
    expect(await server.exit).toBe(0);
  });

  it("reads flags over environment over defaults, the same for the CLI and main.ts; a bad PORT is a typed error", () => {
    const env = {
      HOST: "0.0.0.0",
      PORT: "8123",
      DATA_DIR: "srv",
      TESSERA_CORS_ORIGINS: "https://a.example,https://b.example",
      TESSERA_ALLOWED_HOSTS: "tessera.lan",
      TESSERA_TRUST_PROXY: "1",
      TESSERA_WS_INTAKE_BATCH_FRAMES: "7",
    };
    const fromEnv = serverOptionsFrom(env, {}, "/base");
    expect(fromEnv).toMatchObject({
      dataDir: "/base/srv",
      host: "0.0.0.0",
      port: 8123,
      corsOrigins: ["https://a.example", "https://b.example"],
      allowedHosts: ["tessera.lan"],
    });
    expect(fromEnv.auth).toMatchObject({ mode: "on", trustProxy: true });
    expect(fromEnv.collaboration).toEqual({ syncLimits: { intakeBatchFrames: 7 }, persistWorkerStart: "with-server" });
    const fromFlags = serverOptionsFrom(
      env,
      { dataDir: "/elsewhere", host: "127.0.0.1", port: 0, auth: false },
      "/base",
    );
    expect(fromFlags).toMatchObject({
      dataDir: "/elsewhere",
      host: "127.0.0.1",
      port: 0,
      corsOrigins: ["https://a.example", "https://b.example"],
      auth: { mode: "off" },
    });
    expect(serverOptionsFrom({}, {}, "/base")).toMatchObject({
      dataDir: "/base/data",
      host: "127.0.0.1",
      port: 7492,
      corsOrigins: [],
    });
    expect(() => serverOptionsFrom({ PORT: "http" }, {}, "/base")).toThrow(ServerConfigError);
    expect(() => serverOptionsFrom({ PORT: "70000" }, {}, "/base")).toThrow(/PORT must be a port number/);
  });
});

describe("npm start runs compiled JavaScript", () => {
  it("no process of a running npm start (launcher, server, persist worker) uses a TypeScript loader or a .ts entry; Ctrl+C stops it cleanly", async () => {
    const port = await freePort();
    const dataDir = path.join(work, "start");
    const env = { ...process.env, DATA_DIR: dataDir, HOST: "127.0.0.1", PORT: String(port), TESSERA_AUTH: "off" };
    // Its own process group, as in a terminal, so that Ctrl+C can be sent the way a terminal does.
    const start = launch([START], env, { detached: true });
    const pid = start.child.pid;
    if (pid === undefined) throw new Error("npm start did not start");
    let tree: number[] = [pid];
    try {
      const url = await until(
        "npm start to be running",
        () => /Tessera is running at (http:\/\/\S+)/.exec(start.output())?.[1],
        240_000,
        start.output,
      );
      // The persist worker starts with the server, before any edit, at a lower CPU priority than the server.
      const worker = await until(
        "the persist worker",
        () => processTree(pid).find((p) => cmdline(p).some((a) => /workers\/(src|dist)\/persist\/main/.test(a))),
        60_000,
        start.output,
      );
      const server = parentOf(worker);
      if (server === null) throw new Error("the persist worker has no parent");
      expect(niceOf(worker)).toBeGreaterThan(niceOf(server));
      const put = await fetch(`${url}/datasets/demo_image/records/image_0001`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ comment: "compiled" }),
      });
      expect(put.status).toBe(200);
      tree = processTree(pid);
      const commands = new Map(tree.map((p) => [p, cmdline(p).join(" ")]));
      // The launcher (scripts/start.mjs), the server, the worker: at least three processes, all plain node.
      expect(tree.length, [...commands.values()].join("\n")).toBeGreaterThanOrEqual(3);
      expect(tree).toContain(worker);
      for (const p of tree)
        expect({ command: commands.get(p), typeScript: typeScriptIn(p) }).toEqual({
          command: commands.get(p),
          typeScript: [],
        });
      expect(existsSync(path.join(dataDir, ".tessera", "server.lock"))).toBe(true);
    } finally {
      // Ctrl+C: SIGINT to the whole process group — the server gets it from the terminal and again
      // from scripts/start.mjs, which forwards it; the repeat must not cut its shutdown short.
      process.kill(-pid, "SIGINT");
    }
    expect(await start.exit).toBe(0);
    expect(start.output()).toContain('"message":"stopping"');
    // The persist worker, in the same process group, is stopped by the server, not killed by the Ctrl+C.
    expect(start.output()).not.toMatch(/persist worker exited[^\n]*"signal":"SIGINT"/);
    // The last step of a clean shutdown: the server releases its lock on DATA_DIR.
    expect(existsSync(path.join(dataDir, ".tessera", "server.lock")), start.output().slice(-2000)).toBe(false);
    // Stopping npm start stops the server and its worker too (none is left behind, re-parented).
    await until(
      "every process of npm start to end",
      () => (tree.every((p) => !existsSync(`/proc/${p}`)) ? true : undefined),
      30_000,
      () => tree.map((p) => `${p}: ${existsSync(`/proc/${p}`)}`).join("\n"),
    );
  }, 360_000);
});
