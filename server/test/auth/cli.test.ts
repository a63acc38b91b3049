import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import type { CliIo } from "../../src/cli/output.js";
import { UserStore, verifyPassword } from "../../src/auth/index.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const BIN = path.join(ROOT, "bin", "tessera.mjs");
let dir: string;

function capture(): { io: CliIo; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d: Buffer) => (out += d.toString()));
  stderr.on("data", (d: Buffer) => (err += d.toString()));
  return { io: { stdout, stderr, cwd: dir }, out: () => out, err: () => err };
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const c = capture();
  const code = await main(args, c.io);
  return { code, out: c.out(), err: c.err() };
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "tessera-users-cli-"));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe("tessera users", () => {
  it("add (generated password, printed once), list, set-role (global and per dataset), reset-password, remove", async () => {
    const add = await run([
      "users",
      "add",
      "data",
      "Alice",
      "--role",
      "reviewer",
      "--name",
      "Alice Martin",
      "--dataset-role",
      "ds1=viewer",
    ]);
    expect(add.code).toBe(0);
    expect(add.out).toMatch(/^Created alice \(reviewer \(ds1=viewer\)\)\nPassword: [A-Za-z0-9_-]{24}\n/);
    const password = /Password: (\S+)/.exec(add.out)?.[1] ?? "";
    const store = new UserStore(path.join(dir, "data"));
    await store.refresh();
    expect(await verifyPassword(password, store.get("alice")?.passwordHash ?? "")).toBe(true);
    expect((await run(["users", "add", "data", "bob"])).code).toBe(0);

    const list = await run(["users", "list", "data"]);
    expect(list.out).toContain("alice");
    expect(list.out).toContain('reviewer (ds1=viewer)  "Alice Martin"');
    expect(list.out).not.toContain("scrypt");
    const json = JSON.parse((await run(["users", "list", "data", "--json"])).out) as Array<{
      username: string;
      role: string;
    }>;
    expect(json.map((u) => [u.username, u.role])).toEqual([
      ["alice", "reviewer"],
      ["bob", "annotator"],
    ]);

    expect((await run(["users", "set-role", "data", "bob", "admin"])).out).toBe("bob: admin\n");
    expect((await run(["users", "set-role", "data", "bob", "viewer", "--dataset", "ds2"])).out).toBe(
      "bob: admin (ds2=viewer)\n",
    );
    expect((await run(["users", "set-role", "data", "bob", "inherit", "--dataset", "ds2"])).out).toBe("bob: admin\n");
    const bad = await run(["users", "set-role", "data", "bob", "superuser"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown role "superuser"/);

    const reset = await run(["users", "reset-password", "data", "alice"]);
    expect(reset.code).toBe(0);
    const next = /Password: (\S+)/.exec(reset.out)?.[1] ?? "";
    await store.refresh();
    expect(await verifyPassword(next, store.get("alice")?.passwordHash ?? "")).toBe(true);
    expect(store.get("alice")?.epoch).toBe(1);

    expect((await run(["users", "remove", "data", "alice"])).out).toBe("Removed alice\n");
    const last = await run(["users", "remove", "data", "bob"]);
    expect(last.code).toBe(2);
    expect(last.err).toMatch(/last admin/);
    const missing = await run(["users", "remove", "data", "nobody"]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/no user "nobody"/);
  });

  it("--password-stdin reads the password from standard input (never from the command line)", async () => {
    const child = spawn(
      process.execPath,
      [BIN, "users", "add", path.join(dir, "data2"), "carol", "--role", "viewer", "--password-stdin"],
      { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stdin.end("from-stdin-pass\n");
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(0);
    expect(out).toBe("Created carol (viewer)\n");
    const store = new UserStore(path.join(dir, "data2"));
    await store.refresh();
    expect(await verifyPassword("from-stdin-pass", store.get("carol")?.passwordHash ?? "")).toBe(true);
  });
});
