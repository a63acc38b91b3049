import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { startServer, StartServerError, type RunningServer } from "../../src/index.js";
import { UserStore } from "../../src/auth/index.js";
import { memoryLogger } from "../http/harness.js";
import { waitFor } from "../sync/support/harness.js";
import {
  ADMIN,
  bearer,
  buildDataDir,
  call,
  DS,
  jsonInit,
  login,
  PASSWORD,
  seedUsers,
  startAuthServer,
  tokenFor,
  wsWithHeaders,
} from "./support.js";

let data: Awaited<ReturnType<typeof buildDataDir>>;
const running: RunningServer[] = [];

beforeAll(async () => {
  data = await buildDataDir(["r1", "r2"]);
  await seedUsers(data.dataDir);
});

afterEach(async () => {
  for (const s of running.splice(0)) await s.close();
});

afterAll(async () => {
  await data?.cleanup();
});

async function boot(
  options: Parameters<typeof startAuthServer>[1] = {},
  dataDir = data.dataDir,
): Promise<RunningServer> {
  const s = await startAuthServer(dataDir, options);
  running.push(s);
  return s;
}

describe("first start", () => {
  it("creates the admin once with a generated password, which goes to the caller and never to the log", async () => {
    const fresh = await buildDataDir(["r1"]);
    try {
      const logger = memoryLogger();
      const first = await startServer({
        dataDir: fresh.dataDir,
        port: 0,
        clientDir: null,
        collaboration: false,
        auth: { mode: "on" },
        logger,
      });
      running.push(first);
      expect(first.firstAdmin?.username).toBe("admin");
      const password = first.firstAdmin?.generatedPassword ?? "";
      expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
      const cookie = await login(first.url, "admin", password);
      const me = await call(`${first.url}/auth/me`, { headers: { cookie } });
      expect(me.body).toMatchObject({ username: "admin", role: "admin", auth: "session" });
      await first.close();
      running.length = 0;
      // Second start: an admin exists; nothing is created, even with the variables set.
      const second = await startServer({
        dataDir: fresh.dataDir,
        port: 0,
        clientDir: null,
        collaboration: false,
        auth: { mode: "on", admin: { password: "another-password" } },
        logger,
      });
      running.push(second);
      expect(second.firstAdmin).toBeNull();
      expect(
        (await call(`${second.url}/auth/login`, jsonInit("POST", { username: "admin", password: "another-password" })))
          .status,
      ).toBe(401);
      const logged = JSON.stringify(logger.lines);
      expect(logged).not.toContain(password);
      expect(logged).not.toContain(cookie.split("=")[1]);
      // Stored: scrypt hashes, mode 0600; no password in the file.
      const file = path.join(fresh.dataDir, ".tessera", "users.json");
      expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
      const text = await fs.readFile(file, "utf8");
      expect(text).not.toContain(password);
      expect(text).toMatch(/\$scrypt\$ln=15,r=8,p=1\$/);
    } finally {
      // Stopped before its folder goes: a running server may still be writing under `.tessera`.
      for (const s of running.splice(0)) await s.close();
      await fresh.cleanup();
    }
  });

  it("refuses the single-user mode on a network interface, and serves everyone as the local admin on loopback", async () => {
    await expect(
      startServer({ dataDir: data.dataDir, host: "0.0.0.0", port: 0, auth: { mode: "off" } }),
    ).rejects.toThrow(StartServerError);
    await expect(
      startServer({ dataDir: data.dataDir, host: "0.0.0.0", port: 0, auth: { mode: "off" } }),
    ).rejects.toThrow(/127\.0\.0\.1 only/);
    const local = await startServer({
      dataDir: data.dataDir,
      port: 0,
      clientDir: null,
      collaboration: false,
      auth: { mode: "off" },
    });
    running.push(local);
    expect((await call(`${local.url}/datasets`)).status).toBe(200);
    expect((await call(`${local.url}/auth/me`)).body).toMatchObject({ username: "local", role: "admin", auth: "off" });
    expect((await call(`${local.url}/auth/login`, jsonInit("POST", { username: "a", password: "b" }))).status).toBe(
      400,
    );
  });
});

describe("sessions", () => {
  it("login sets an HTTP-only SameSite cookie holding an opaque id stored only hashed; logout ends it", async () => {
    const s = await boot();
    const r = await call(`${s.url}/auth/login`, jsonInit("POST", { username: "Viewer", password: PASSWORD }));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: "viewer", username: "viewer", role: "viewer", auth: "session" });
    const setCookie = r.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^tessera_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=604800$/);
    const cookie = setCookie.split(";", 1)[0] ?? "";
    const sessions = await fs.readFile(path.join(data.dataDir, ".tessera", "sessions.json"), "utf8");
    expect(sessions).not.toContain(cookie.split("=")[1]);
    expect((await call(`${s.url}/auth/me`, { headers: { cookie } })).body).toMatchObject({ username: "viewer" });
    const out = await call(`${s.url}/auth/logout`, { method: "POST", headers: { cookie } });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/Max-Age=0/);
    expect((await call(`${s.url}/auth/me`, { headers: { cookie } })).status).toBe(401);
    const wrong = await call(`${s.url}/auth/login`, jsonInit("POST", { username: "viewer", password: "nope-nope" }));
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ detail: "Invalid username or password." });
    const ghost = await call(`${s.url}/auth/login`, jsonInit("POST", { username: "ghost", password: "nope-nope" }));
    expect(ghost.body).toEqual(wrong.body);
  });

  it("marks the cookie Secure behind an HTTPS proxy", async () => {
    const s = await boot({ auth: { mode: "on", admin: ADMIN, trustProxy: true } });
    const r = await call(
      `${s.url}/auth/login`,
      jsonInit("POST", { username: "viewer", password: PASSWORD }, { "x-forwarded-proto": "https" }),
    );
    expect(r.headers.get("set-cookie")).toMatch(/; Secure$/);
  });

  it("slides the expiry on use, at most once per renewal period, and ends idle or too old sessions", async () => {
    let now = Date.parse("2026-01-01T00:00:00Z");
    const s = await boot({
      auth: {
        mode: "on",
        admin: ADMIN,
        now: () => now,
        sessions: { idleMs: 1000_000, absoluteMs: 2500_000, renewEveryMs: 100_000 },
      },
    });
    const cookie = await login(s.url, "annotator");
    const me = () => call(`${s.url}/auth/me`, { headers: { cookie } });
    now += 50_000;
    const early = await me();
    expect(early.status).toBe(200);
    expect(early.headers.get("set-cookie")).toBeNull();
    now += 850_000; // 900 s after login: renewed for another 1000 s
    const renewed = await me();
    expect(renewed.headers.get("set-cookie")).toMatch(/Max-Age=1000;|Max-Age=1000$/);
    now += 999_000;
    expect((await me()).status).toBe(200);
    now += 900_000; // 2799 s after login: past the absolute limit whatever the renewals
    const old = await me();
    expect(old.status).toBe(401);
    expect(old.headers.get("set-cookie")).toMatch(/Max-Age=0/);
    const idle = await login(s.url, "annotator");
    now += 1000_001;
    expect((await call(`${s.url}/auth/me`, { headers: { cookie: idle } })).status).toBe(401);
  });
});

describe("API tokens", () => {
  it("are created, listed without their secret, used as Bearer, and revoked by their owner only", async () => {
    const s = await boot();
    const cookie = await login(s.url, "annotator");
    const created = await call(
      `${s.url}/auth/tokens`,
      jsonInit("POST", { name: "nightly import", expires_in_days: 30 }, { cookie }),
    );
    expect(created.status).toBe(201);
    const token = created.body.token as string;
    expect(token).toMatch(/^tsr_[A-Za-z0-9_-]{43}$/);
    const list = await call(`${s.url}/auth/tokens`, { headers: { cookie } });
    expect(list.body.find((t: { id: string }) => t.id === created.body.id)).toMatchObject({ name: "nightly import" });
    expect(list.text).not.toContain(token);
    expect(await fs.readFile(path.join(data.dataDir, ".tessera", "tokens.json"), "utf8")).not.toContain(token);
    expect((await call(`${s.url}/auth/me`, { headers: bearer(token) })).body).toMatchObject({
      username: "annotator",
      auth: "token",
    });
    const other = await tokenFor(s.url, "viewer");
    expect(
      (await call(`${s.url}/auth/tokens/${created.body.id as string}`, { method: "DELETE", headers: bearer(other) }))
        .status,
    ).toBe(404);
    expect(
      (await call(`${s.url}/auth/tokens/${created.body.id as string}`, { method: "DELETE", headers: { cookie } }))
        .status,
    ).toBe(204);
    const dead = await call(`${s.url}/auth/me`, { headers: bearer(token) });
    expect(dead.status).toBe(401);
    expect(dead.body).toEqual({ detail: "Invalid or expired token." });
    expect((await call(`${s.url}/auth/tokens`, jsonInit("POST", { name: "" }, { cookie }))).status).toBe(422);
    expect(
      (await call(`${s.url}/auth/tokens`, jsonInit("POST", { name: "x", expires_in_days: 0 }, { cookie }))).status,
    ).toBe(422);
  });
});

describe("account changes", () => {
  it("admins manage accounts over REST; a password change ends sessions; the last admin stays", async () => {
    const s = await boot();
    const admin = bearer(await tokenFor(s.url, ADMIN.username, ADMIN.password));
    const created = await call(
      `${s.url}/users`,
      jsonInit("POST", { username: "Carol", role: "annotator", dataset_roles: { [DS]: "reviewer" } }, admin),
    );
    expect(created.status).toBe(201);
    expect(created.body.user).toMatchObject({
      username: "carol",
      role: "annotator",
      dataset_roles: { [DS]: "reviewer" },
    });
    const generated = created.body.password as string;
    expect((await call(`${s.url}/users`, jsonInit("POST", { username: "carol", role: "viewer" }, admin))).status).toBe(
      409,
    );
    expect((await call(`${s.url}/users`, jsonInit("POST", { username: "dave", role: "boss" }, admin))).status).toBe(
      422,
    );
    const listed = await call(`${s.url}/users`, { headers: admin });
    expect(listed.text).not.toMatch(/scrypt|passwordHash/);
    const carol = await login(s.url, "carol", generated);
    const carolToken = await tokenFor(s.url, "carol", generated);
    expect((await call(`${s.url}/users/carol`, jsonInit("PATCH", { password: "a-new-password" }, admin))).status).toBe(
      200,
    );
    expect((await call(`${s.url}/auth/me`, { headers: { cookie: carol } })).status).toBe(401);
    expect((await call(`${s.url}/auth/me`, { headers: bearer(carolToken) })).status).toBe(200);
    // Their own change: current password required; this browser keeps a fresh session.
    const again = await login(s.url, "carol", "a-new-password");
    expect(
      (
        await call(
          `${s.url}/auth/password`,
          jsonInit("POST", { current_password: "wrong-one", new_password: "third-password" }, { cookie: again }),
        )
      ).status,
    ).toBe(401);
    const changed = await call(
      `${s.url}/auth/password`,
      jsonInit("POST", { current_password: "a-new-password", new_password: "third-password" }, { cookie: again }),
    );
    expect(changed.status).toBe(204);
    expect((await call(`${s.url}/auth/me`, { headers: { cookie: again } })).status).toBe(401);
    const fresh = (changed.headers.get("set-cookie") ?? "").split(";", 1)[0] ?? "";
    expect((await call(`${s.url}/auth/me`, { headers: { cookie: fresh } })).status).toBe(200);
    // Removal ends tokens too; the last admin cannot go.
    expect((await call(`${s.url}/users/carol`, { method: "DELETE", headers: admin })).status).toBe(204);
    expect((await call(`${s.url}/auth/me`, { headers: bearer(carolToken) })).status).toBe(401);
    expect((await call(`${s.url}/users/admin`, { method: "DELETE", headers: admin })).status).toBe(409);
    expect((await call(`${s.url}/users/admin`, jsonInit("PATCH", { role: "viewer" }, admin))).status).toBe(409);
  });

  it("picks up changes the CLI makes while the server runs, and reconnects a re-roled user's websockets with the new rights", async () => {
    const s = await boot();
    const token = await tokenFor(s.url, "reviewer");
    const adminToken = await tokenFor(s.url, ADMIN.username, ADMIN.password);
    const open = (t: string) => {
      const d = new Y.Doc();
      const p = new WebsocketProvider(`${s.url.replace(/^http/, "ws")}/sync/${DS}`, "r1", d, {
        WebSocketPolyfill: wsWithHeaders(bearer(t)) as unknown as typeof globalThis.WebSocket,
        disableBc: true,
      });
      return { doc: d, provider: p };
    };
    const { doc, provider } = open(token);
    const observer = open(adminToken);
    try {
      provider.awareness.setLocalState({ cursor: "reviewer's" });
      await waitFor(() => provider.synced, "synced");
      const roleSeen = () =>
        (
          [...observer.provider.awareness.getStates().values()].find(
            (st) => (st as { cursor?: string }).cursor === "reviewer's",
          ) as { user?: { role: string } } | undefined
        )?.user?.role;
      await waitFor(() => roleSeen() === "reviewer", "the reviewer's cursor, stamped reviewer");
      let drops = 0;
      provider.on("status", (e: { status: string }) => {
        if (e.status === "disconnected") drops++;
      });
      // Another process (the CLI) edits the accounts file.
      const cli = new UserStore(data.dataDir);
      await cli.refresh();
      await cli.setRole("reviewer", "viewer", DS);
      // Its websocket is cut; the stock client reconnects and is identified again, with the new role.
      await waitFor(() => drops > 0 && provider.wsconnected, "cut and reconnected", 10_000);
      provider.awareness.setLocalState({ cursor: "reviewer's", moved: true });
      await waitFor(() => roleSeen() === "viewer", "the cursor now stamped viewer");
      expect((await call(`${s.url}/auth/me`, { headers: bearer(token) })).body.dataset_roles).toEqual({
        [DS]: "viewer",
      });
      await cli.setRole("reviewer", null, DS);
      await cli.add({ username: "temp", password: PASSWORD, role: "viewer" });
      await waitFor(
        async () => (await call(`${s.url}/users`, { headers: bearer(adminToken) })).text.includes('"temp"'),
        "the new account known to the server",
      );
      const temp = await tokenFor(s.url, "temp");
      await cli.remove("temp");
      await waitFor(
        async () => (await call(`${s.url}/auth/me`, { headers: bearer(temp) })).status === 401,
        "removed user's token refused",
      );
    } finally {
      for (const c of [{ doc, provider }, observer]) {
        c.provider.destroy();
        c.doc.destroy();
      }
    }
  });
});
