import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/index.js";
import { ADMIN, buildDataDir, call, DS, jsonInit, login, seedUsers, startAuthServer } from "./support.js";

let data: Awaited<ReturnType<typeof buildDataDir>>;
let server: RunningServer;
const DEV = "http://localhost:5173";

beforeAll(async () => {
  data = await buildDataDir(["r1"]);
  await seedUsers(data.dataDir);
  server = await startAuthServer(data.dataDir, { corsOrigins: [DEV], collaboration: false });
});

afterAll(async () => {
  await server?.close();
  await data?.cleanup();
});

describe("security headers, CORS and cross-origin writes", () => {
  it("every answer forbids sniffing, framing and referrers; the fallback page is not for strangers", async () => {
    for (const r of [
      await call(`${server.url}/health`),
      await call(`${server.url}/datasets`),
      await call(`${server.url}/nope`),
    ]) {
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
      expect(r.headers.get("x-frame-options")).toBe("DENY");
      expect(r.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(r.headers.get("referrer-policy")).toBe("no-referrer");
      expect(r.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    }
    expect((await call(`${server.url}/`)).status).toBe(401);
    const cookie = await login(server.url, "viewer");
    const page = await call(`${server.url}/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const me = await call(`${server.url}/auth/me`, { headers: { cookie } });
    expect(me.headers.get("cache-control")).toBe("no-store");
  });

  it("CORS stays closed except for listed origins, which may send credentials", async () => {
    const evil = await call(`${server.url}/datasets`, { headers: { origin: "https://evil.example" } });
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    const pre = await call(`${server.url}/auth/login`, {
      method: "OPTIONS",
      headers: {
        origin: DEV,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe(DEV);
    expect(pre.headers.get("access-control-allow-credentials")).toBe("true");
    const listed = await call(`${server.url}/health`, { headers: { origin: DEV } });
    expect(listed.headers.get("access-control-allow-credentials")).toBe("true");
  });

  it("refuses writes a page of another origin makes with the user's cookie (CSRF); same origin and listed origins pass", async () => {
    const cookie = await login(server.url, ADMIN.username, ADMIN.password);
    const body = { id: "csrf-record", split: "train" };
    const forged = await call(
      `${server.url}/datasets/${DS}/records`,
      jsonInit("POST", body, { cookie, origin: "https://evil.example" }),
    );
    expect(forged.status).toBe(403);
    expect(forged.body).toEqual({ detail: "Cross-origin request refused." });
    const loginCsrf = await call(
      `${server.url}/auth/login`,
      jsonInit("POST", { username: "viewer", password: "x" }, { origin: "https://evil.example" }),
    );
    expect(loginCsrf.status).toBe(403);
    expect((await call(`${server.url}/datasets/${DS}/records/r1`, { headers: { cookie } })).status).toBe(200);
    const same = await call(
      `${server.url}/datasets/${DS}/records`,
      jsonInit("POST", body, { cookie, origin: server.url }),
    );
    expect(same.status).toBe(201);
    const dev = await call(
      `${server.url}/datasets/${DS}/records`,
      jsonInit("POST", { ...body, id: "dev-record" }, { cookie, origin: DEV }),
    );
    expect(dev.status).toBe(201);
  });
});
