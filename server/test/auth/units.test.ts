import { once } from "node:events";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ensureAdmin,
  hashPassword,
  passwordProblem,
  UserStore,
  UserStoreError,
  verifyPassword,
} from "../../src/auth/index.js";
import { cookieValues } from "../../src/auth/cookies.js";
import { FailureBackoff, Semaphore, TokenBuckets } from "../../src/auth/limiter.js";
import { ConnectionGuard } from "../../src/auth/ConnectionGuard.js";
import { authConfigFromEnv } from "../../src/auth/env.js";
import { roleOn } from "../../src/auth/roles.js";
import { digest, isSessionIdShape, isTokenShape, newSecret, newToken } from "../../src/auth/secrets.js";

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "tessera-auth-"));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe("passwords", () => {
  it("hashes with scrypt and a per-password salt, and verifies in constant time", async () => {
    const cheap = { ln: 10, r: 8, p: 1 };
    const a = await hashPassword("s3cret-pass", cheap);
    const b = await hashPassword("s3cret-pass", cheap);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword("s3cret-pass", a)).toBe(true);
    expect(await verifyPassword("s3cret-pasS", a)).toBe(false);
    expect(await verifyPassword("", a)).toBe(false);
    await expect(verifyPassword("x", "plain")).rejects.toThrow(/not a scrypt hash/);
    expect(passwordProblem("short")).toMatch(/at least 8/);
    expect(passwordProblem("long enough")).toBeNull();
  });
});

describe("secrets", () => {
  it("are 256-bit base64url values, recognised by shape, stored as digests", () => {
    const s = newSecret();
    expect(isSessionIdShape(s)).toBe(true);
    expect(isSessionIdShape(`${s}x`)).toBe(false);
    expect(isTokenShape(newToken())).toBe(true);
    expect(isTokenShape(s)).toBe(false);
    expect(digest(s)).not.toContain(s);
    expect(new Set(Array.from({ length: 100 }, newSecret)).size).toBe(100);
  });

  it("cookie parsing ignores anything malformed", () => {
    expect(cookieValues("a=1; tessera_session=abc; b", "tessera_session")).toEqual(["abc"]);
    expect(cookieValues('tessera_session="q"', "tessera_session")).toEqual(["q"]);
    expect(cookieValues(";;==;tessera_session", "tessera_session")).toEqual([]);
    expect(cookieValues("x".repeat(20_000), "tessera_session")).toEqual([]);
    expect(cookieValues(undefined, "tessera_session")).toEqual([]);
  });
});

describe("rate limits", () => {
  it("token buckets refill over time and say how long to wait", () => {
    let now = 0;
    const b = new TokenBuckets(3, 1, () => now);
    expect([b.take("ip"), b.take("ip"), b.take("ip")]).toEqual([0, 0, 0]);
    expect(b.take("ip")).toBe(1);
    expect(b.take("other")).toBe(0);
    now += 1000;
    expect(b.take("ip")).toBe(0);
    const open = new TokenBuckets(Infinity, Infinity, () => now);
    for (let i = 0; i < 1000; i++) expect(open.take("ip")).toBe(0);
  });

  it("failure backoff doubles after the free failures and clears on success", () => {
    let now = 0;
    const f = new FailureBackoff(2, 1000, 8000, () => now);
    f.failed("u");
    f.failed("u");
    expect(f.wait("u")).toBe(0);
    f.failed("u");
    expect(f.wait("u")).toBe(1);
    f.failed("u");
    expect(f.wait("u")).toBe(2);
    for (let i = 0; i < 10; i++) f.failed("u");
    expect(f.wait("u")).toBe(8);
    now += 8000;
    expect(f.wait("u")).toBe(0);
    f.succeeded("u");
    f.failed("u");
    expect(f.wait("u")).toBe(0);
  });

  it("the hashing semaphore queues a bounded number and refuses beyond", async () => {
    const s = new Semaphore(1, 1);
    const first = await s.acquire();
    const second = s.acquire();
    expect(second).not.toBeNull();
    expect(s.acquire()).toBeNull();
    first?.();
    const release2 = await second;
    release2?.();
    expect(s.acquire()).not.toBeNull();
  });
});

describe("websocket admission", () => {
  it("caps open sockets per address and per user, releases them on close, and cuts a user's sockets", async () => {
    let now = 0;
    const guard = new ConnectionGuard(
      { perAddress: 3, perUser: 2, upgradeBurstPerAddress: 5, upgradesPerSecondPerAddress: 1 },
      () => now,
    );
    const sockets: PassThrough[] = [];
    const open = (address: string, user: string, session: string | null = null) => {
      const s = new PassThrough();
      const refusal = guard.admit(s, address, user, session);
      if (!refusal) sockets.push(s);
      return refusal;
    };
    expect(open("a", "u1", "s1")).toBeNull();
    expect(open("a", "u1", "s2")).toBeNull();
    expect(open("a", "u1")).toMatchObject({ status: 503, message: "too many connections for this user" });
    expect(open("a", "u2")).toBeNull();
    expect(open("a", "u3")).toMatchObject({ status: 503, message: "too many connections from this address" });
    expect(open("b", "u3")).toBeNull();
    expect(guard.openCount).toBe(4);
    const gone = sockets[2] as PassThrough; // u2's, from "a"
    gone.destroy();
    await once(gone, "close");
    expect(guard.openCount).toBe(3);
    expect(open("a", "u3")).toBeNull();
    expect(guard.openCount).toBe(4);
    expect(guard.kick("u1", "s1")).toBe(1);
    await once(sockets[0] as PassThrough, "close");
    expect(guard.openCount).toBe(3);
    expect(guard.kick("u1")).toBe(1);
    await once(sockets[1] as PassThrough, "close");
    expect(guard.openCount).toBe(2);
    for (let i = 0; i < 5; i++) expect(guard.attempt("c")).toBeNull();
    expect(guard.attempt("c")).toMatchObject({ status: 503, retryAfterSeconds: 1 });
    now += 1000;
    expect(guard.attempt("c")).toBeNull();
  });
});

describe("UserStore", () => {
  it("keeps accounts in a 0600 file, per-dataset roles override the global one, and the last admin stays", async () => {
    const data = path.join(dir, "store");
    const store = new UserStore(data, { cost: { ln: 10, r: 8, p: 1 } });
    await store.refresh();
    await store.add({ username: "Root", password: "password-1", role: "admin" });
    const ann = await store.add({
      username: "ann",
      password: "password-2",
      role: "annotator",
      datasetRoles: { ds1: "viewer" },
    });
    expect(roleOn(ann, "ds1")).toBe("viewer");
    expect(roleOn(ann, "ds2")).toBe("annotator");
    expect(roleOn(ann, null)).toBe("annotator");
    await expect(store.add({ username: "ann", password: "password-3", role: "viewer" })).rejects.toMatchObject({
      reason: "exists",
    });
    await expect(store.add({ username: "bad name", password: "password-3", role: "viewer" })).rejects.toBeInstanceOf(
      UserStoreError,
    );
    await expect(store.add({ username: "x", password: "short", role: "viewer" })).rejects.toMatchObject({
      reason: "invalid",
    });
    await expect(store.remove("root")).rejects.toMatchObject({ reason: "last_admin" });
    await expect(store.setRole("root", "viewer")).rejects.toMatchObject({ reason: "last_admin" });
    expect((await store.setRole("ann", null, "ds1")).datasetRoles).toEqual({});
    const before = store.get("ann")?.epoch ?? -1;
    expect((await store.setPassword("ann", "password-9")).epoch).toBe(before + 1);
    expect((await fs.stat(store.file)).mode & 0o777).toBe(0o600);
    // Another instance (the CLI) sees the same accounts; the server's picks up its changes.
    const other = new UserStore(data);
    await other.refresh();
    expect(other.list().map((u) => u.username)).toEqual(["ann", "root"]);
    await other.remove("ann");
    expect(await store.refresh()).toBe(true);
    expect(store.get("ann")).toBeNull();
    await fs.writeFile(store.file, "{not json");
    await expect(new UserStore(data).refresh()).rejects.toThrow(/users.json is not valid JSON/);
  });
});

describe("configuration from the environment", () => {
  it("reads TESSERA_AUTH, the first admin and the proxy setting", () => {
    expect(authConfigFromEnv({})).toEqual({ mode: "on", admin: {}, trustProxy: false });
    expect(authConfigFromEnv({ TESSERA_AUTH: "off" })).toEqual({ mode: "off" });
    expect(authConfigFromEnv({}, { noAuth: true })).toEqual({ mode: "off" });
    expect(
      authConfigFromEnv({
        TESSERA_ADMIN_USER: "boss",
        TESSERA_ADMIN_PASSWORD: "pw-pw-pw-pw",
        TESSERA_TRUST_PROXY: "1",
      }),
    ).toEqual({
      mode: "on",
      admin: { username: "boss", password: "pw-pw-pw-pw" },
      trustProxy: true,
    });
    expect(() => authConfigFromEnv({ TESSERA_AUTH: "maybe" })).toThrow(/on" or "off/);
    expect(authConfigFromEnv({ TESSERA_WS_PER_ADDRESS: "1000", TESSERA_WS_UPGRADES_PER_SECOND: "500" })).toMatchObject({
      connections: { perAddress: 1000, upgradesPerSecondPerAddress: 500, upgradeBurstPerAddress: 2000 },
    });
    expect(() => authConfigFromEnv({ TESSERA_WS_PER_USER: "-3" })).toThrow(/positive integer/);
    expect(authConfigFromEnv({ TESSERA_LOGINS_PER_MINUTE: "600" })).toMatchObject({
      login: { addressPerMinute: 600, addressBurst: 600 },
    });
    expect(authConfigFromEnv({})).not.toHaveProperty("login");
    expect(() => authConfigFromEnv({ TESSERA_LOGINS_PER_MINUTE: "0" })).toThrow(/TESSERA_LOGINS_PER_MINUTE.*positive/);
  });
});

describe("first admin", () => {
  it("names the variables when the wanted password is refused", async () => {
    const store = new UserStore(path.join(dir, "first-admin"));
    await expect(ensureAdmin(store, { password: "short" })).rejects.toThrow(
      /TESSERA_ADMIN_PASSWORD\): a password needs at least 8 characters/,
    );
    expect(await ensureAdmin(store, { username: "Boss", password: "long-enough" })).toEqual({
      username: "boss",
      generatedPassword: null,
    });
    expect(await ensureAdmin(store, { username: "other" })).toBeNull();
  });
});
