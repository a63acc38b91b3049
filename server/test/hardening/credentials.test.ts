import { promises as fs } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { bearer, call, jsonInit, upgrade } from "../auth/support.js";
import { buildDataDir, DS, spawnServer, type ServerProcess } from "../integration/support.js";
import { runTessera } from "../support/cli.js";

/**
 * Hardening II item 6: credentials are bound to the account's immutable uid, not to its name. A user
 * removed while the server is stopped and re-created under the same name is another account: the
 * old cookie and API token must fail with 401. Exercised as an operator would: the real CLI
 * (`tessera users …`) on a stopped server, then a real server restart.
 */

const ADMIN_ENV = { TESSERA_AUTH: "on", TESSERA_ADMIN_USER: "admin", TESSERA_ADMIN_PASSWORD: "admin-password-1" };

const cli = (args: string[], stdin = "") => runTessera(args, { stdin });

async function addUser(dataDir: string, username: string, role: string, password: string): Promise<void> {
  const r = await cli(["users", "add", dataDir, username, "--role", role, "--password-stdin"], `${password}\n`);
  expect(r.code, r.stderr).toBe(0);
}

async function loginAndToken(
  url: string,
  username: string,
  password: string,
): Promise<{ cookie: string; token: string }> {
  const r = await call(`${url}/auth/login`, jsonInit("POST", { username, password }));
  expect(r.status, r.text).toBe(200);
  const cookie = (r.headers.get("set-cookie") ?? "").split(";", 1)[0] ?? "";
  const t = await call(`${url}/auth/tokens`, jsonInit("POST", { name: "script" }, { cookie }));
  expect(t.status, t.text).toBe(201);
  return { cookie, token: t.body.token as string };
}

/** Drops the `uid` fields, as files written before accounts had uids look. */
async function stripUids(file: string, key: string): Promise<void> {
  const raw = JSON.parse(await fs.readFile(file, "utf8")) as Record<string, Array<Record<string, unknown>>>;
  for (const item of raw[key] ?? []) delete item.uid;
  await fs.writeFile(file, JSON.stringify(raw));
}

let cleanup: (() => Promise<void>) | null = null;
let server: ServerProcess | null = null;

afterEach(async () => {
  await server?.kill("SIGTERM");
  server = null;
  await cleanup?.();
  cleanup = null;
});

describe("credentials bound to the account uid", () => {
  it("a user removed while the server is stopped and re-created with the same name does not get the old cookie and token back", async () => {
    const data = await buildDataDir(["r1"]);
    cleanup = data.cleanup;
    await addUser(data.dataDir, "bob", "viewer", "bob-first-password");
    server = await spawnServer(data.dataDir, ADMIN_ENV);
    const old = await loginAndToken(server.url, "bob", "bob-first-password");
    expect((await call(`${server.url}/auth/me`, { headers: { cookie: old.cookie } })).body.role).toBe("viewer");
    await server.kill("SIGTERM");
    server = null;

    // While the server is stopped: bob leaves, a new bob arrives (with more rights).
    expect((await cli(["users", "remove", data.dataDir, "bob"])).stdout).toBe("Removed bob\n");
    await addUser(data.dataDir, "bob", "admin", "bob-second-password");

    server = await spawnServer(data.dataDir, ADMIN_ENV);
    const byCookie = await call(`${server.url}/auth/me`, { headers: { cookie: old.cookie } });
    expect(byCookie.status, "the old session cookie must not open the new account").toBe(401);
    const byToken = await call(`${server.url}/auth/me`, { headers: bearer(old.token) });
    expect(byToken.status, "the old API token must not open the new account").toBe(401);
    expect((await call(`${server.url}/datasets`, { headers: bearer(old.token) })).status).toBe(401);
    // Nor the live endpoints: the websocket upgrade is refused with 401 for both.
    expect((await upgrade(server.url, `/sync/${DS}/r1`, bearer(old.token))).status).toBe(401);
    expect((await upgrade(server.url, `/sync/${DS}/r1`, { cookie: old.cookie, origin: server.url })).status).toBe(401);
    // The new bob logs in with his own password and has his own (empty) token list.
    const fresh = await loginAndToken(server.url, "bob", "bob-second-password");
    const me = await call(`${server.url}/auth/me`, { headers: { cookie: fresh.cookie } });
    expect(me.body.role).toBe("admin");
    expect((await upgrade(server.url, `/sync/${DS}/r1`, { cookie: fresh.cookie, origin: server.url })).status).toBe(
      "open",
    );
    const tokens = await call(`${server.url}/auth/tokens`, { headers: { cookie: fresh.cookie } });
    expect((tokens.body as unknown[]).length).toBe(1);
    // What was left of the old credentials is gone from the files too.
    const sessions = JSON.parse(await fs.readFile(path.join(data.dataDir, ".tessera", "sessions.json"), "utf8")) as {
      sessions: unknown[];
    };
    const users = JSON.parse(await fs.readFile(path.join(data.dataDir, ".tessera", "users.json"), "utf8")) as {
      users: Array<{ username: string; uid: string }>;
    };
    const bobUid = users.users.find((u) => u.username === "bob")?.uid;
    expect(
      sessions.sessions.every(
        (s) =>
          (s as { uid: string }).uid !== "" &&
          ((s as { username: string }).username !== "bob" || (s as { uid: string }).uid === bobUid),
      ),
    ).toBe(true);
  });

  it("a user removed and re-created while the server runs loses the old credentials at once", async () => {
    const data = await buildDataDir(["r1"]);
    cleanup = data.cleanup;
    await addUser(data.dataDir, "bob", "viewer", "bob-first-password");
    server = await spawnServer(data.dataDir, ADMIN_ENV);
    const old = await loginAndToken(server.url, "bob", "bob-first-password");
    await cli(["users", "remove", data.dataDir, "bob"]);
    await addUser(data.dataDir, "bob", "admin", "bob-second-password");
    // The server notices the accounts file change by itself (polled every second).
    const deadline = Date.now() + 10_000;
    let status = 200;
    while (Date.now() < deadline) {
      status = (await call(`${server.url}/auth/me`, { headers: bearer(old.token) })).status;
      if (status === 401) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(401);
    expect((await call(`${server.url}/auth/me`, { headers: { cookie: old.cookie } })).status).toBe(401);
  });

  it("accounts, sessions and tokens from before uids are migrated: existing credentials stay valid for the same account, a re-created name does not inherit them", async () => {
    const data = await buildDataDir(["r1"]);
    cleanup = data.cleanup;
    await addUser(data.dataDir, "bob", "viewer", "bob-first-password");
    server = await spawnServer(data.dataDir, ADMIN_ENV);
    const old = await loginAndToken(server.url, "bob", "bob-first-password");
    await server.kill("SIGTERM");
    server = null;
    const dir = path.join(data.dataDir, ".tessera");
    await stripUids(path.join(dir, "users.json"), "users");
    await stripUids(path.join(dir, "sessions.json"), "sessions");
    await stripUids(path.join(dir, "tokens.json"), "tokens");

    server = await spawnServer(data.dataDir, ADMIN_ENV);
    expect((await call(`${server.url}/auth/me`, { headers: { cookie: old.cookie } })).body.username).toBe("bob");
    expect((await call(`${server.url}/auth/me`, { headers: bearer(old.token) })).body.username).toBe("bob");
    const users = JSON.parse(await fs.readFile(path.join(dir, "users.json"), "utf8")) as {
      users: Array<{ username: string; uid?: string }>;
    };
    expect(users.users.every((u) => typeof u.uid === "string" && u.uid.length >= 8)).toBe(true);
    await server.kill("SIGTERM");
    server = null;

    await cli(["users", "remove", data.dataDir, "bob"]);
    await addUser(data.dataDir, "bob", "admin", "bob-second-password");
    server = await spawnServer(data.dataDir, ADMIN_ENV);
    expect((await call(`${server.url}/auth/me`, { headers: { cookie: old.cookie } })).status).toBe(401);
    expect((await call(`${server.url}/auth/me`, { headers: bearer(old.token) })).status).toBe(401);
  });
});
