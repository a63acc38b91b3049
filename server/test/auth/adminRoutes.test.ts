import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnServer, type ServerProcess } from "../integration/support.js";
import { ADMIN, bearer, buildDataDir, call, jsonInit, login, PASSWORD, seedUsers, tokenFor } from "./support.js";

/**
 * What the admin and profile pages of the browser use, on a real server process (accounts on):
 * `POST /users` honouring `name`, disabling an account, an account's API tokens seen and revoked by
 * an admin, and `PATCH /auth/me` (own display name). Each route's permission and validation.
 */

let data: Awaited<ReturnType<typeof buildDataDir>>;
let server: ServerProcess | undefined;
let url: string;
let admin: Record<string, string>;
let annotator: Record<string, string>;

beforeAll(async () => {
  data = await buildDataDir(["r1"]);
  await seedUsers(data.dataDir);
  server = await spawnServer(data.dataDir, {
    TESSERA_AUTH: "on",
    TESSERA_ADMIN_USER: ADMIN.username,
    TESSERA_ADMIN_PASSWORD: ADMIN.password,
  });
  url = server.url;
  admin = bearer(await tokenFor(url, ADMIN.username, ADMIN.password));
  annotator = bearer(await tokenFor(url, "annotator"));
});

afterAll(async () => {
  await server?.stop();
  await data?.cleanup();
});

describe("POST /users", () => {
  it("honours `name` (the CLI's --name; it was silently ignored and the display name stayed the username)", async () => {
    const created = await call(
      `${url}/users`,
      jsonInit("POST", { username: "named", role: "annotator", password: PASSWORD, name: "Named Person" }, admin),
    );
    expect(created.status, created.text).toBe(201);
    expect(created.body.user.display_name).toBe("Named Person");
    const listed = await call(`${url}/users`, { headers: admin });
    expect(listed.body.find((u: { username: string }) => u.username === "named")?.display_name).toBe("Named Person");
    const cookie = await login(url, "named");
    const me = await call(`${url}/auth/me`, { headers: { cookie } });
    expect(me.body.name).toBe("Named Person");
  });

  it("still takes `display_name`, and refuses `name` and `display_name` that disagree with a 422", async () => {
    const ok = await call(
      `${url}/users`,
      jsonInit("POST", { username: "dn", role: "viewer", password: PASSWORD, display_name: "D N" }, admin),
    );
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body.user.display_name).toBe("D N");
    const both = await call(
      `${url}/users`,
      jsonInit("POST", { username: "both", role: "viewer", password: PASSWORD, name: "A", display_name: "B" }, admin),
    );
    expect(both.status).toBe(422);
    expect(JSON.stringify(both.body.detail)).toContain("name");
    const gone = await call(`${url}/users`, { headers: admin });
    expect(gone.body.some((u: { username: string }) => u.username === "both")).toBe(false);
  });

  it("PATCH /users/{username} takes `name` too", async () => {
    const r = await call(`${url}/users/dn`, jsonInit("PATCH", { name: "Renamed" }, admin));
    expect(r.status, r.text).toBe(200);
    expect(r.body.display_name).toBe("Renamed");
  });
});

describe("disabling an account", () => {
  it("refuses its sign-in (403, said so), its session and its tokens; enabling it again lets its tokens work", async () => {
    await call(`${url}/users`, jsonInit("POST", { username: "dis", role: "annotator", password: PASSWORD }, admin));
    const cookie = await login(url, "dis");
    const token = await tokenFor(url, "dis");
    expect((await call(`${url}/auth/me`, { headers: bearer(token) })).status).toBe(200);

    const off = await call(`${url}/users/dis`, jsonInit("PATCH", { disabled: true }, admin));
    expect(off.status, off.text).toBe(200);
    expect(off.body.disabled).toBe(true);
    expect((await call(`${url}/auth/me`, { headers: bearer(token) })).status).toBe(401);
    expect((await call(`${url}/auth/me`, { headers: { cookie } })).status).toBe(401);
    const again = await call(`${url}/auth/login`, jsonInit("POST", { username: "dis", password: PASSWORD }));
    expect(again.status).toBe(403);
    expect(again.body.detail).toMatch(/disabled/);
    const wrong = await call(`${url}/auth/login`, jsonInit("POST", { username: "dis", password: "not-the-password" }));
    expect(wrong.status).toBe(401);

    const on = await call(`${url}/users/dis`, jsonInit("PATCH", { disabled: false }, admin));
    expect(on.body.disabled).toBe(false);
    expect((await call(`${url}/auth/me`, { headers: bearer(token) })).status).toBe(200);
    // The session ended with the disabling: a new sign-in is needed.
    expect((await call(`${url}/auth/me`, { headers: { cookie } })).status).toBe(401);
    expect((await call(`${url}/auth/login`, jsonInit("POST", { username: "dis", password: PASSWORD }))).status).toBe(
      200,
    );
  });

  it("refuses to disable the last admin (409) and a non-boolean (422)", async () => {
    const last = await call(`${url}/users/${ADMIN.username}`, jsonInit("PATCH", { disabled: true }, admin));
    expect(last.status).toBe(409);
    expect(last.body.detail).toMatch(/last admin/);
    const bad = await call(`${url}/users/dis`, jsonInit("PATCH", { disabled: "yes" }, admin));
    expect(bad.status).toBe(422);
    expect((await call(`${url}/auth/me`, { headers: admin })).status).toBe(200);
  });
});

describe("an account's API tokens, for admins", () => {
  it("lists them without secrets and revokes one (it stops working at once)", async () => {
    await call(`${url}/users`, jsonInit("POST", { username: "tok", role: "annotator", password: PASSWORD }, admin));
    const secret = await tokenFor(url, "tok");
    const list = await call(`${url}/users/tok/tokens`, { headers: admin });
    expect(list.status, list.text).toBe(200);
    expect(list.body).toHaveLength(1);
    expect(list.body[0].name).toBe("tests");
    expect(list.text).not.toContain(secret);
    const id = list.body[0].id as string;
    const revoked = await call(`${url}/users/tok/tokens/${id}`, { method: "DELETE", headers: admin });
    expect(revoked.status).toBe(204);
    expect((await call(`${url}/auth/me`, { headers: bearer(secret) })).status).toBe(401);
    expect((await call(`${url}/users/tok/tokens`, { headers: admin })).body).toEqual([]);
  });

  it("answers 404 for an unknown account or token, and 403 to non-admins", async () => {
    expect((await call(`${url}/users/nobody-here/tokens`, { headers: admin })).status).toBe(404);
    expect((await call(`${url}/users/tok/tokens/nope`, { method: "DELETE", headers: admin })).status).toBe(404);
    const list = await call(`${url}/users/annotator/tokens`, { headers: annotator });
    expect(list.status).toBe(403);
    expect(list.body.detail).toMatch(/admin/);
    const del = await call(`${url}/users/annotator/tokens/x`, { method: "DELETE", headers: annotator });
    expect(del.status).toBe(403);
    expect((await call(`${url}/users/annotator/tokens`)).status).toBe(401);
  });
});

describe("PATCH /auth/me", () => {
  it("changes my own display name, as /auth/me and /users then say", async () => {
    const r = await call(`${url}/auth/me`, jsonInit("PATCH", { name: "Anna Tator" }, annotator));
    expect(r.status, r.text).toBe(200);
    expect(r.body.name).toBe("Anna Tator");
    expect(r.body.username).toBe("annotator");
    expect((await call(`${url}/auth/me`, { headers: annotator })).body.name).toBe("Anna Tator");
    const users = await call(`${url}/users`, { headers: admin });
    expect(users.body.find((u: { username: string }) => u.username === "annotator")?.display_name).toBe("Anna Tator");
  });

  it("refuses a name too long, with control characters or missing (422), and nobody (401)", async () => {
    const long = await call(`${url}/auth/me`, jsonInit("PATCH", { name: "x".repeat(65) }, annotator));
    expect(long.status).toBe(422);
    expect(long.body.detail).toMatch(/64/);
    const ctl = await call(`${url}/auth/me`, jsonInit("PATCH", { name: "a\u0007b" }, annotator));
    expect(ctl.status).toBe(422);
    expect((await call(`${url}/auth/me`, jsonInit("PATCH", {}, annotator))).status).toBe(422);
    expect((await call(`${url}/auth/me`, jsonInit("PATCH", { name: "Who" }))).status).toBe(401);
    expect((await call(`${url}/auth/me`, { headers: annotator })).body.name).toBe("Anna Tator");
  });

  it("does not let a non-admin change another account through /users (403)", async () => {
    const r = await call(`${url}/users/viewer`, jsonInit("PATCH", { name: "Hijacked" }, annotator));
    expect(r.status).toBe(403);
    const users = await call(`${url}/users`, { headers: admin });
    expect(users.body.find((u: { username: string }) => u.username === "viewer")?.display_name).toBe("viewer");
  });
});
