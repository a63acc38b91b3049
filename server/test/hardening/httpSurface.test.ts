import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, buildDataDir, DS, login, PASSWORD, seedUsers, startAuthServer } from "../auth/support.js";
import { createApp, createLibraryAdapter, silentLogger } from "../../src/index.js";
import { ESCAPED_REQUEST_ERROR } from "../../src/safetyNet.js";
import { raw, rawUpgrade, spawnServer, until, type RawReply, type ServerProcess } from "./httpSupport.js";

/**
 * Hardening II, items 9, 10 (part) and 17, against real server processes:
 * - DNS rebinding: the single-user mode answered any `Host`, so a page that re-pointed its own
 *   name at 127.0.0.1 could read, write and delete everything (HTTP, sync websockets, socket.io);
 * - a path with bad percent-encoding was a 500 with a stack trace in the log; a record id `..`
 *   (which no URL can address: dot-segments are removed) was accepted;
 * - Pixano's UI polls `/inference/connected` and `/inference/models/list` on every page: 404s.
 */

let data: Awaited<ReturnType<typeof buildDataDir>>;
let teamData: Awaited<ReturnType<typeof buildDataDir>>;
/** Single-user mode, with `TESSERA_ALLOWED_HOSTS=tessera.lan`. */
let single: ServerProcess;
/** Accounts on, no `TESSERA_ALLOWED_HOSTS`. */
let team: ServerProcess;

beforeAll(async () => {
  [data, teamData] = await Promise.all([buildDataDir(["r1", "r2"]), buildDataDir(["r1"])]);
  await seedUsers(teamData.dataDir);
  [single, team] = await Promise.all([
    spawnServer(data.dataDir, { TESSERA_AUTH: "off", TESSERA_ALLOWED_HOSTS: "tessera.lan, Annotate.Example.org" }),
    spawnServer(teamData.dataDir, {
      TESSERA_AUTH: "on",
      TESSERA_ADMIN_USER: ADMIN.username,
      TESSERA_ADMIN_PASSWORD: ADMIN.password,
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([single?.stop(), team?.stop()]);
  await Promise.all([data?.cleanup(), teamData?.cleanup()]);
});

const EVIL = "evil.example";

function expectDetail(
  r: { status: number | "open"; json: unknown; body: string },
  status: number,
  pattern: RegExp,
): void {
  expect(r.status, r.body).toBe(status);
  const detail = (r.json as { detail?: unknown } | undefined)?.detail;
  expect(typeof detail === "string" ? detail : JSON.stringify(detail), r.body).toMatch(pattern);
}

async function recordIds(server: ServerProcess): Promise<string[]> {
  const r = await raw(server.url, "GET", `/datasets/${DS}/records?limit=100`);
  expect(r.status).toBe(200);
  return (r.json as { items: Array<{ id: string }> }).items.map((x) => x.id).sort();
}

describe("Host check (DNS rebinding)", () => {
  it("single-user mode refuses a rebound Host on REST reads, writes and deletes with 403 {detail}, and loses nothing", async () => {
    const host = { host: `${EVIL}:${single.port}` };
    const hostile: RawReply[] = [
      await raw(single.url, "GET", "/datasets", host),
      await raw(single.url, "GET", `/datasets/${DS}/records/r1`, host),
      await raw(
        single.url,
        "PUT",
        `/datasets/${DS}/records/r1`,
        { ...host, "content-type": "application/json" },
        JSON.stringify({ split: "stolen" }),
      ),
      await raw(single.url, "DELETE", `/datasets/${DS}/records/r2`, host),
      await raw(single.url, "GET", "/health", { host: EVIL }),
    ];
    for (const r of hostile) expectDetail(r, 403, /Host "evil\.example(:\d+)?" is not served here/);
    expect(await recordIds(single)).toEqual(["r1", "r2"]);
    const r1 = await raw(single.url, "GET", `/datasets/${DS}/records/r1`);
    expect((r1.json as { split: string }).split).toBe("train");
  });

  it("a refused request's body is not read: 403 from the headers, then the connection closes", async () => {
    const sock = net.connect(single.port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => sock.once("connect", resolve).once("error", reject));
    let received = "";
    const closed = new Promise<void>((resolve) => sock.once("close", () => resolve()));
    sock.on("data", (d: Buffer) => (received += d.toString("latin1")));
    // The server may reset the socket while this side still writes: the close is what is checked.
    sock.on("error", () => undefined);
    sock.write(
      `POST /datasets/${DS}/records HTTP/1.1\r\nHost: ${EVIL}\r\nContent-Type: application/json\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n`,
    );
    sock.write(Buffer.alloc(64 * 1024, 0x20));
    // Only 64 KB of 100 MB sent: the answer and the close come from the headers alone.
    await closed;
    expect(received).toMatch(/^HTTP\/1\.1 403 /);
    expect(received).toContain("is not served here");
    expect((await raw(single.url, "GET", "/health")).status).toBe(200);
  });

  it("single-user mode refuses a rebound Host on sync websocket upgrades and on socket.io (polling and websocket)", async () => {
    const evil = { host: `${EVIL}:${single.port}` };
    expectDetail(await rawUpgrade(single.url, `/sync/${DS}/r1`, evil), 403, /not served here/);
    expectDetail(await raw(single.url, "GET", "/socket.io/?EIO=4&transport=polling", evil), 403, /not served here/);
    expectDetail(await rawUpgrade(single.url, "/socket.io/?EIO=4&transport=websocket", evil), 403, /not served here/);
    // The same requests with a loopback Host go through.
    const local = { host: `localhost:${single.port}` };
    expect((await rawUpgrade(single.url, `/sync/${DS}/r1`, local)).status).toBe("open");
    expect((await raw(single.url, "GET", "/socket.io/?EIO=4&transport=polling", local)).body).toMatch(/^0\{"sid":/);
    expect((await rawUpgrade(single.url, "/socket.io/?EIO=4&transport=websocket", local)).status).toBe("open");
  });

  it("single-user mode accepts loopback names and addresses (any port) and the TESSERA_ALLOWED_HOSTS names, nothing that merely contains them", async () => {
    const accepted = [
      "localhost",
      `localhost:${single.port}`,
      "LOCALHOST:1",
      `127.0.0.1:${single.port}`,
      "127.1.2.3",
      `[::1]:${single.port}`,
      "[::1]",
      "tessera.lan",
      "TESSERA.LAN:8080",
      "annotate.example.org",
    ];
    for (const host of accepted) expect((await raw(single.url, "GET", "/health", { host })).status, host).toBe(200);
    const refused = [
      "localhost.evil.example",
      "127.0.0.1.evil.example",
      "evil-localhost",
      "128.0.0.1",
      "127.0.0.256",
      "[::2]",
      "sub.tessera.lan",
      "tessera.lan.evil.example",
      "[::1]x",
      "localhost:80:80",
    ];
    for (const host of refused) expect((await raw(single.url, "GET", "/health", { host })).status, host).toBe(403);
  });

  it("with accounts on and no TESSERA_ALLOWED_HOSTS, any Host is served (its session cookie never reaches a rebound name)", async () => {
    expect((await raw(team.url, "GET", "/health", { host: EVIL })).status).toBe(200);
    expect((await raw(team.url, "GET", "/datasets", { host: EVIL })).status).toBe(401);
  });

  it("with accounts on and allowed hosts listed, only loopback and the list are served", async () => {
    const server = await startAuthServer(teamData.dataDir, { allowedHosts: ["tessera.lan"], collaboration: false });
    try {
      expectDetail(await raw(server.url, "GET", "/health", { host: EVIL }), 403, /not served here/);
      expect((await raw(server.url, "GET", "/health", { host: "tessera.lan" })).status).toBe(200);
      expect((await raw(server.url, "GET", "/health", { host: `127.0.0.1:${server.port}` })).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe("request paths", () => {
  it("invalid percent-encoding in a path answers 400 {detail} (was 500), with no stack trace in the log", async () => {
    for (const path of [
      `/datasets/${DS}/records/%ZZ`,
      "/datasets/%ZZ/info",
      `/datasets/${DS}/records/%E0%A4%A/images`,
      "/media/%C0%AF",
      `/datasets/${DS}/bboxes/%`,
    ]) {
      expectDetail(await raw(single.url, "GET", path), 400, /Invalid percent-encoding/);
    }
    expectDetail(await rawUpgrade(single.url, `/sync/${DS}/%ZZ`), 400, /Invalid percent-encoding/);
    expect(single.logs()).not.toContain("URIError");
    expect(single.logs()).not.toContain("unhandled error");
    expect(single.alive()).toBe(true);
  });

  it("an app served without the front door (createApp on a plain http.Server) also answers bad percent-encoding with 400 {detail}", async () => {
    const library = createLibraryAdapter(data.dataDir, { logger: silentLogger });
    const app = createApp({ library, dataDir: data.dataDir });
    const plain = http.createServer(app);
    await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
      expectDetail(await raw(url, "GET", "/datasets/%ZZ/info"), 400, /Invalid percent-encoding/);
    } finally {
      plain.closeAllConnections();
      await new Promise<void>((resolve) => plain.close(() => resolve()));
      await library.close();
    }
  });

  it("record id `..` (and `.`) is refused on REST paths with 400 {detail}, raw or percent-encoded; the records stay", async () => {
    for (const id of ["..", "%2E%2E", "%2e.", ".", "%2E"]) {
      expectDetail(await raw(single.url, "GET", `/datasets/${DS}/records/${id}`), 400, /dot-segments/);
      expectDetail(
        await raw(single.url, "PUT", `/datasets/${DS}/records/${id}`, { "content-type": "application/json" }, "{}"),
        400,
        /dot-segments/,
      );
      expectDetail(await raw(single.url, "DELETE", `/datasets/${DS}/records/${id}`), 400, /dot-segments/);
      expectDetail(await raw(single.url, "GET", `/datasets/${DS}/records/${id}/images`), 400, /dot-segments/);
    }
    // Ids that merely contain dots are ids like any other.
    for (const id of ["a..b", "...", ".hidden", "%2E%2E%2E"])
      expect((await raw(single.url, "GET", `/datasets/${DS}/records/${id}`)).status, id).toBe(404);
    expect(await recordIds(single)).toEqual(["r1", "r2"]);
  });

  it("creating a record (or any row) with id `..` or `.` is refused with 422 {detail} (was 201: a row no URL could reach)", async () => {
    for (const id of ["..", "."]) {
      const r = await raw(
        single.url,
        "POST",
        `/datasets/${DS}/records`,
        { "content-type": "application/json" },
        JSON.stringify({ id, split: "train" }),
      );
      expect(r.status, r.body).toBe(422);
      const detail = (r.json as { detail: Array<{ loc: unknown[]; msg: string }> }).detail;
      expect(detail[0]?.loc).toEqual(["body", "id"]);
      expect(detail[0]?.msg).toMatch(/may not be "\." or "\.\."/);
      const entity = await raw(
        single.url,
        "POST",
        `/datasets/${DS}/entities`,
        { "content-type": "application/json" },
        JSON.stringify({ id, record_id: "r1" }),
      );
      expect(entity.status, entity.body).toBe(422);
    }
    expect(await recordIds(single)).toEqual(["r1", "r2"]);
    expect((await raw(single.url, "GET", `/datasets/${DS}/entities`)).json).toMatchObject({ total: 0 });
  });

  it("the sync upgrade refuses record id `..` with 400 {detail} (was 404 text, or a room for `..`)", async () => {
    for (const path of [`/sync/${DS}/%2E%2E`, `/sync/${DS}/..`, `/sync/${DS}/.`, `/sync/%2e%2e/r1`]) {
      expectDetail(await rawUpgrade(single.url, path), 400, /dot-segments/);
    }
    expect((await rawUpgrade(single.url, `/sync/${DS}/r1`)).status).toBe("open");
  });
});

describe("inference discovery (Pixano's UI polls it on every page)", () => {
  it("GET /inference/connected and /inference/models/list answer Pixano 0.8's nothing-connected bodies (were 404)", async () => {
    const connected = await raw(single.url, "GET", "/inference/connected");
    expect(connected.status).toBe(200);
    expect(connected.body).toBe('{"connected":false,"providers":{},"default_provider":null}');
    for (const q of ["", "?task=vlm", "?task=not-a-task"]) {
      const models = await raw(single.url, "GET", `/inference/models/list${q}`);
      expect(models.status, q).toBe(200);
      expect(models.body).toBe("[]");
    }
  });

  it("with accounts on, they answer any signed-in user and refuse strangers (401)", async () => {
    expect((await raw(team.url, "GET", "/inference/connected")).status).toBe(401);
    const cookie = await login(team.url, "viewer", PASSWORD);
    const r = await raw(team.url, "GET", "/inference/connected", { cookie });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ connected: false, providers: {}, default_provider: null });
    expect((await raw(team.url, "GET", "/inference/models/list", { cookie })).json).toEqual([]);
  });
});

describe("process safety net", () => {
  const SAFETY_NET = fileURLToPath(new URL("../../src/safetyNet.ts", import.meta.url));
  /**
   * A real HTTP server in a child process with the safety net installed, whose `/late` handler
   * answers, then writes headers again from a timer (what engine.io did after Express had
   * answered): the throw escapes every handler. `/fatal` throws a non-request error the same way.
   */
  const script = `
    import http from "node:http";
    import { installSafetyNet } from ${JSON.stringify(SAFETY_NET)};
    installSafetyNet({ info() {}, warn() {}, error: (m, c) => process.stderr.write(JSON.stringify({ m, c }) + "\\n") });
    const server = http.createServer((req, res) => {
      res.end("ok");
      if (req.url === "/late") setTimeout(() => res.writeHead(200), 5);
      if (req.url === "/fatal") setTimeout(() => { throw new TypeError("state is broken"); }, 5);
    });
    server.listen(0, "127.0.0.1", () => process.stdout.write("port " + server.address().port + "\\n"));
  `;

  async function child(): Promise<{
    url: string;
    stderr: () => string;
    exit: Promise<number | null>;
    kill: () => void;
  }> {
    const p = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const exit = new Promise<number | null>((resolve) => p.once("exit", (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      p.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /port (\d+)/.exec(out);
        if (m?.[1]) resolve(`http://127.0.0.1:${m[1]}`);
      });
      p.once("exit", (code) => reject(new Error(`exited ${String(code)}: ${err}`)));
    });
    return { url, stderr: () => err, exit, kill: () => p.kill("SIGTERM") };
  }

  it("logs a request-scoped error that escaped its handler and keeps serving; any other uncaught error still ends the process (exit 1)", async () => {
    const c = await child();
    try {
      expect((await raw(c.url, "GET", "/late")).body).toBe("ok");
      const logged = await until("the escaped error logged", () =>
        c.stderr().includes("ERR_HTTP_HEADERS_SENT") ? c.stderr() : undefined,
      );
      expect(logged).toContain(ESCAPED_REQUEST_ERROR);
      expect((await raw(c.url, "GET", "/next")).body).toBe("ok");
      expect((await raw(c.url, "GET", "/fatal")).body).toBe("ok");
      expect(await c.exit).toBe(1);
      expect(c.stderr()).toContain("fatal error; exiting");
      expect(c.stderr()).toContain("state is broken");
    } finally {
      c.kill();
    }
  });
});
