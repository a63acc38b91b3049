import http from "node:http";
import { performance } from "node:perf_hooks";
import type { Duplex } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { spawnServer, type ServerProcess } from "../integration/support.js";
import { waitFor } from "../sync/support/harness.js";
import {
  ADMIN,
  bearer,
  buildDataDir,
  call,
  DS,
  jsonInit,
  PASSWORD,
  percentile,
  seedUsers,
  tokenFor,
  wsWithHeaders,
} from "./support.js";

/**
 * Attacks on a real server process (accounts on): path traversal, SQL-ish filters, oversized
 * bodies and frames, malformed cookies and tokens, 500 login attempts, 2,000 websocket attempts.
 * The attacker connects from 127.0.0.2, the legitimate client from 127.0.0.1; each attack must be
 * refused cleanly while the legitimate client keeps being served — its latency is measured
 * throughout and printed (p50 / p99 per phase).
 */

const ATTACKER = "127.0.0.2";

let data: Awaited<ReturnType<typeof buildDataDir>>;
let server: ServerProcess | undefined;
let url: string;
const secrets: string[] = [PASSWORD, ADMIN.password];
let legit: string;
let attackerToken: string;
const attackerAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const phases: Array<{ phase: string; samples: number; p50: number; p99: number; max: number; errors: number }> = [];

beforeAll(async () => {
  data = await buildDataDir(["r1", "r2", "r3"]);
  await seedUsers(data.dataDir);
  server = await spawnServer(data.dataDir, {
    TESSERA_AUTH: "on",
    TESSERA_ADMIN_USER: ADMIN.username,
    TESSERA_ADMIN_PASSWORD: ADMIN.password,
  });
  url = server.url;
  legit = await tokenFor(url, "annotator");
  attackerToken = await tokenFor(url, "viewer");
  secrets.push(legit, attackerToken);
});

afterAll(async () => {
  attackerAgent.destroy();
  await server?.stop();
  if (phases.length > 0) {
    const rows = phases.map(
      (p) =>
        `  ${p.phase.padEnd(34)} n=${String(p.samples).padStart(4)}  p50=${p.p50.toFixed(1).padStart(6)} ms  p99=${p.p99.toFixed(1).padStart(6)} ms  max=${p.max.toFixed(1).padStart(6)} ms  errors=${p.errors}`,
    );
    console.log(
      `legitimate client latency (GET /datasets/${DS}/records?limit=10, token, from 127.0.0.1):\n${rows.join("\n")}`,
    );
  }
  await data?.cleanup();
});

interface RawReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request from the attacker's address. */
function attack(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer | string,
  from = ATTACKER,
): Promise<RawReply> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path, method, headers, agent: attackerAgent, localAddress: from },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += text.length < 65536 ? d.toString() : ""));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on("error", reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/**
 * Runs `work` while the legitimate client (four request loops) keeps reading records, and records
 * its latencies as a phase. With `repeatUntil`, a cheap attack is repeated until the client has
 * been measured that many times under it. Every legitimate request must succeed.
 */
async function whileServing<T>(
  phase: string,
  work: () => Promise<T>,
  options: { repeatUntil?: number } = {},
): Promise<T> {
  let done = false;
  const latencies: number[] = [];
  let errors = 0;
  const loop = async () => {
    while (!done) {
      const t0 = performance.now();
      try {
        const r = await fetch(`${url}/datasets/${DS}/records?limit=10`, { headers: bearer(legit) });
        await r.arrayBuffer();
        if (r.status !== 200) errors++;
      } catch {
        // Counted, and the test fails on it below: the legitimate client must never be refused.
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  };
  const probes = Promise.all([loop(), loop(), loop(), loop()]);
  try {
    let result = await work();
    while (latencies.length < (options.repeatUntil ?? 0)) result = await work();
    return result;
  } finally {
    done = true;
    await probes;
    const sorted = [...latencies].sort((a, b) => a - b);
    phases.push({
      phase,
      samples: sorted.length,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1] ?? 0,
      errors,
    });
    expect(errors, `${phase}: legitimate requests failed`).toBe(0);
    expect(sorted.length, `${phase}: legitimate client was served`).toBeGreaterThan(0);
  }
}

/** Attempts a websocket upgrade from the attacker's address; an opened socket is kept for `hold`. */
function attackUpgrade(
  path: string,
  headers: Record<string, string>,
  hold: Duplex[],
): Promise<{ status: number | "open"; retryAfter: string | undefined }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname,
      port: u.port,
      path,
      agent: false,
      localAddress: ATTACKER,
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        ...headers,
      },
    });
    req.on("upgrade", (_res, socket) => {
      hold.push(socket);
      socket.on("error", () => undefined);
      resolve({ status: "open", retryAfter: undefined });
    });
    req.on("response", (res) => {
      res.resume();
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"] as string | undefined }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

async function inBatches<T>(n: number, width: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += width)
    out.push(...(await Promise.all(Array.from({ length: Math.min(width, n - i) }, (_, k) => fn(i + k)))));
  return out;
}

function tally(values: readonly (number | string)[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const v of values) t[String(v)] = (t[String(v)] ?? 0) + 1;
  return t;
}

describe("attacks, with a legitimate client served throughout", () => {
  it("baseline", async () => {
    await whileServing(
      "baseline (no attack)",
      async () => {
        await call(`${url}/health`);
      },
      { repeatUntil: 400 },
    );
  });

  it("path traversal: refused, nothing outside DATA_DIR/media is read, no server path in any answer", async () => {
    const paths = [
      "/media/..%2f..%2f..%2fetc%2fpasswd",
      "/media/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
      "/media/..%5c..%5c..%5cetc%5cpasswd",
      "/media/....//....//etc/passwd",
      "/media/%00/etc/passwd",
      "/media//etc/passwd",
      `/datasets/..%2f..%2f..%2fetc/info`,
      `/datasets/${DS}/images/..%2f..%2fetc%2fpasswd/blob`,
      "/../../../../etc/passwd",
    ];
    const replies = await whileServing(
      "path traversal",
      () => Promise.all(paths.map((p) => attack("GET", p, bearer(attackerToken)))),
      { repeatUntil: 400 },
    );
    for (const [i, r] of replies.entries()) {
      // 307: a path outside the API goes to the web client's hash route, never to a file.
      expect([307, 400, 404], paths[i]).toContain(r.status);
      expect(r.body, paths[i]).not.toMatch(/root:|\/bin\/(ba)?sh/);
      expect(r.body, paths[i]).not.toContain(data.dataDir);
      expect(r.body, paths[i]).not.toContain("/tmp/");
    }
    const ws = await attackUpgrade(`/sync/..%2f..%2fetc/passwd`, bearer(attackerToken), []);
    expect(ws.status).toBe(404);
  });

  it("SQL-ish filters: refused or taken literally; the table is intact", async () => {
    const before = await call(`${url}/datasets/${DS}/records?limit=100`, { headers: bearer(legit) });
    const queries = [
      "where=1%3D1%3B%20DROP%20TABLE%20records",
      "where=id%20%3D%20'x'%20OR%201%3D1%20--",
      "where=id%20%3D%20'r1'%3B%20DELETE%20FROM%20records",
      "filter=id:eq:'%20OR%20'1'%3D'1",
      "filter=id%3BDROP:eq:1",
      "filter=split:in:train')%20OR%20('1'%3D'1",
      "sort=id%3B%20DROP%20TABLE%20records",
      "sort=(SELECT%201)",
      "q='%3B%20DROP%20TABLE%20records%3B%20--",
    ];
    const replies = await whileServing(
      "SQL-ish filters",
      () => Promise.all(queries.map((q) => attack("GET", `/datasets/${DS}/records?${q}`, bearer(attackerToken)))),
      { repeatUntil: 400 },
    );
    for (const [i, r] of replies.entries()) {
      expect(r.status, `${queries[i]}: ${r.body}`).toBeLessThan(500);
      if (r.status === 200) expect(JSON.parse(r.body).items.length, queries[i]).toBe(0);
    }
    const after = await call(`${url}/datasets/${DS}/records?limit=100`, { headers: bearer(legit) });
    expect(after.body.total).toBe(before.body.total);
    expect(after.body.total).toBe(3);
  });

  it("oversized bodies and frames: 413 from the headers, 4413 / 1009 on the websocket", async () => {
    await whileServing("oversized bodies and frames", async () => {
      const login = await attack(
        "POST",
        "/auth/login",
        { "content-type": "application/json", "content-length": String(20 * 1024 * 1024) },
        Buffer.alloc(20 * 1024 * 1024, 0x20),
      );
      expect(login.status).toBe(413);
      const big = await attack(
        "POST",
        `/datasets/${DS}/entities`,
        { ...bearer(attackerToken), "content-type": "application/json" },
        Buffer.alloc(17 * 1024 * 1024, 0x20),
      );
      // A viewer's oversized write is refused for its role before a byte of it is parsed.
      expect([403, 413]).toContain(big.status);
      const annotatorBig = await attack(
        "POST",
        `/datasets/${DS}/entities`,
        { ...bearer(legit), "content-type": "application/json" },
        Buffer.alloc(17 * 1024 * 1024, 0x20),
      );
      expect(annotatorBig.status).toBe(413);
      for (const [size, code] of [
        [9 * 1024 * 1024, 4413],
        [65 * 1024 * 1024, 1009],
      ] as const) {
        const ws = new WebSocket(`${url.replace(/^http/, "ws")}/sync/${DS}/r2`, {
          headers: bearer(legit),
          localAddress: ATTACKER,
        });
        await new Promise<void>((resolve, reject) => {
          ws.once("open", () => resolve());
          ws.once("error", reject);
        });
        const closed = new Promise<number>((resolve) => ws.once("close", (c) => resolve(c)));
        ws.on("error", () => undefined);
        const frame = Buffer.alloc(size);
        frame[0] = 0;
        frame[1] = 2;
        ws.send(frame);
        expect(await closed).toBe(code);
      }
    });
  });

  it("malformed cookies and tokens: 401, never a 500", async () => {
    const bad: Record<string, string>[] = [
      { cookie: "tessera_session=" },
      { cookie: "tessera_session=%%%%" },
      { cookie: `tessera_session=${"A".repeat(43)}` },
      { cookie: `tessera_session="${"B".repeat(43)}"` },
      { cookie: `tessera_session=${"x".repeat(8000)}` },
      { cookie: Array.from({ length: 200 }, (_, i) => `c${i}=${i}`).join("; ") },
      { cookie: "tessera_session=\u00ff\u00fe;;;==;tessera_session" },
      { authorization: "Bearer" },
      { authorization: "Bearer " },
      { authorization: "Basic YWRtaW46YWRtaW4tcGFzc3dvcmQtMQ==" },
      { authorization: "Bearer tsr_short" },
      { authorization: `Bearer tsr_${"z".repeat(43)}` },
      { authorization: `Bearer ${"y".repeat(6000)}` },
      { authorization: "Bearer a b c" },
      { authorization: `Bearer ${attackerToken}x` },
    ];
    let pass = 0;
    await whileServing(
      "malformed cookies and tokens",
      async () => {
        // Upgrades only on the first pass: repeating them would (rightly) hit the per-address upgrade rate limit (503).
        const upgrades = pass++ === 0;
        for (const headers of bad) {
          const r = await attack("GET", "/datasets", headers);
          expect(r.status, JSON.stringify(headers).slice(0, 80)).toBe(401);
          expect(JSON.parse(r.body)).toHaveProperty("detail");
          const health = await attack("GET", "/health", headers);
          expect(health.status).toBe(200);
          if (upgrades) {
            const up = await attackUpgrade(`/sync/${DS}/r1`, headers, []);
            expect(up.status, JSON.stringify(headers).slice(0, 80)).toBe(401);
          }
        }
      },
      { repeatUntil: 400 },
    );
  });

  it("500 login attempts: a handful are checked, the rest refused with 429 + Retry-After; others still log in", async () => {
    const guess = (i: number, from: string) =>
      attack(
        "POST",
        "/auth/login",
        { "content-type": "application/json" },
        JSON.stringify({ username: "admin", password: `guess-${i}` }),
        from,
      );
    const replies = await whileServing("500 login attempts (one address)", async () => {
      const out = await inBatches(500, 50, (i) => guess(i, ATTACKER));
      // Meanwhile a real user logs in from their own address.
      const ok = await call(`${url}/auth/login`, jsonInit("POST", { username: "reviewer", password: PASSWORD }));
      expect(ok.status).toBe(200);
      return out;
    });
    const counts = tally(replies.map((r) => r.status));
    console.log(`500 login attempts from one address: ${JSON.stringify(counts)}`);
    expect(Object.keys(counts).sort()).toEqual(["401", "429"]);
    // One check of a name at a time, 20 attempts per address and minute: a handful of guesses are checked.
    expect(counts["401"]).toBeLessThanOrEqual(8);
    for (const r of replies.filter((x) => x.status === 429))
      expect(Number(r.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    // The address was throttled, not the account: its owner still logs in (which clears its failures).
    expect(
      (await call(`${url}/auth/login`, jsonInit("POST", { username: "admin", password: ADMIN.password }))).status,
    ).toBe(200);

    // The same 500 guesses spread over 25 addresses: the account's own backoff stops them.
    const spread = await whileServing("500 login attempts (25 addresses)", () =>
      inBatches(500, 50, (i) => guess(i, `127.0.1.${10 + (i % 25)}`)),
    );
    const spreadCounts = tally(spread.map((r) => r.status));
    console.log(`500 login attempts from 25 addresses: ${JSON.stringify(spreadCounts)}`);
    expect(Object.keys(spreadCounts).sort()).toEqual(["401", "429"]);
    expect(spreadCounts["401"]).toBeLessThanOrEqual(8);
    // Now the account is locked for a while whatever the address — the price of stopping guessing.
    const locked = await call(`${url}/auth/login`, jsonInit("POST", { username: "admin", password: ADMIN.password }));
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });

  it("2,000 websocket attempts from one address: refused at the upgrade with 503 + Retry-After, never half-open", async () => {
    const held: Duplex[] = [];
    try {
      const results = await whileServing("2,000 websocket attempts", async () => {
        const out = await inBatches(2000, 200, () => attackUpgrade(`/sync/${DS}/r3`, bearer(attackerToken), held));
        // The legitimate client can still open its own document meanwhile.
        const mine = new WebSocket(`${url.replace(/^http/, "ws")}/sync/${DS}/r1`, { headers: bearer(legit) });
        await new Promise<void>((resolve, reject) => {
          mine.once("open", () => resolve());
          mine.once("error", reject);
        });
        mine.close();
        return out;
      });
      const counts = tally(results.map((r) => r.status));
      console.log(`2,000 upgrade attempts from one address: ${JSON.stringify(counts)}`);
      expect(Object.keys(counts).sort()).toEqual(["503", "open"]);
      expect(counts.open).toBeLessThanOrEqual(64);
      expect(counts["503"]).toBeGreaterThanOrEqual(1900);
      for (const r of results.filter((x) => x.status === 503)) expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
    } finally {
      for (const s of held) s.destroy();
    }
  });

  it("an awareness flood is capped (rate and size) and never reaches others in full", async () => {
    const wsBase = `${url.replace(/^http/, "ws")}/sync/${DS}`;
    const observerDoc = new Y.Doc();
    const observer = new WebsocketProvider(wsBase, "r2", observerDoc, {
      WebSocketPolyfill: wsWithHeaders(bearer(legit)) as unknown as typeof globalThis.WebSocket,
      disableBc: true,
    });
    const floodDoc = new Y.Doc();
    const flooder = new WebsocketProvider(wsBase, "r2", floodDoc, {
      WebSocketPolyfill: wsWithHeaders(bearer(attackerToken)) as unknown as typeof globalThis.WebSocket,
      disableBc: true,
    });
    try {
      await waitFor(() => observer.synced && flooder.synced, "both synced");
      const seen = new Set<number>();
      let oversized = false;
      observer.awareness.on("change", () => {
        const st = observer.awareness.getStates().get(floodDoc.clientID) as { n?: number; pad?: string } | undefined;
        if (typeof st?.n === "number") seen.add(st.n);
        if ((st?.pad?.length ?? 0) > 4096) oversized = true;
      });
      await whileServing("awareness flood (2,000 states)", async () => {
        flooder.awareness.setLocalState({ n: -1, pad: "x".repeat(8000) });
        for (let n = 0; n < 2000; n++) {
          flooder.awareness.setLocalState({ n, pad: "y".repeat(3000) });
          // Let this process's probe run too: the latency measured is the server's, not the flooder's loop.
          if (n % 20 === 19) await new Promise((r) => setImmediate(r));
        }
        await waitFor(() => seen.size > 0, "some of the flood relayed");
      });
      console.log(`awareness flood: 2,000 states sent, ${seen.size} relayed to the observer`);
      expect(seen.size).toBeLessThanOrEqual(100);
      expect(oversized).toBe(false);
    } finally {
      for (const p of [observer, flooder]) p.destroy();
      observerDoc.destroy();
      floodDoc.destroy();
    }
  });

  it("no password, token or session id ever reached the log", async () => {
    // Make the server log a failed and a successful login with known secrets.
    await call(`${url}/auth/login`, jsonInit("POST", { username: "annotator", password: "wrong-password-123" }));
    const r = await call(`${url}/auth/login`, jsonInit("POST", { username: "annotator", password: PASSWORD }));
    const sid = (r.headers.get("set-cookie") ?? "").split(";", 1)[0]?.split("=")[1] ?? "";
    expect(sid).toHaveLength(43);
    await waitFor(() => server!.logs().includes('"login"'), "the login logged");
    for (const s of [...secrets, sid, "wrong-password-123"]) expect(server!.logs()).not.toContain(s);
  });
});
