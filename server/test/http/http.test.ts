import { mkdir, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/index.js";
import { call, jsonInit, memoryLogger, start } from "./harness.js";
import { buildTestDataDir, IMG_ID, type TestDataDir } from "./testLibrary.js";

let data: TestDataDir;
let server: RunningServer;
const logger = memoryLogger();

beforeAll(async () => {
  data = await buildTestDataDir();
  server = await start(data.dataDir, { logger });
});

afterAll(async () => {
  await server?.close();
  await data?.cleanup();
});

/** A raw request: the path goes on the wire exactly as written (no client-side normalisation). */
function raw(pathOnWire: string, method = "GET"): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: server.port, path: pathOnWire, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("GET /media/*", () => {
  it("serves files under DATA_DIR/media with type, length, ETag and ranges", async () => {
    const r = await fetch(`${server.url}/media/photos/cat.png`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("image/png");
    const body = new Uint8Array(await r.arrayBuffer());
    expect(body).toEqual(data.images.mediaPng);
    expect(Number(r.headers.get("content-length"))).toBe(body.length);
    const etag = r.headers.get("etag") ?? "";
    expect(etag).not.toBe("");
    expect((await fetch(`${server.url}/media/photos/cat.png`, { headers: { "if-none-match": etag } })).status).toBe(
      304,
    );
    const part = await fetch(`${server.url}/media/notes.txt`, { headers: { range: "bytes=2-5" } });
    expect(part.status).toBe(206);
    expect(await part.text()).toBe("2345");
    expect(part.headers.get("content-range")).toBe("bytes 2-5/10");
    expect((await fetch(`${server.url}/media/notes.txt`, { headers: { range: "bytes=20-" } })).status).toBe(416);
  });

  it("404s missing files and directories", async () => {
    expect((await call(`${server.url}/media/nope.png`)).body).toEqual({ detail: "Media file not found." });
    expect((await call(`${server.url}/media/photos`)).status).toBe(404);
  });

  it("never serves a file outside the media folder, whatever the encoding", async () => {
    const attempts = [
      "/media/../library/img_folder/info.json",
      "/media/%2e%2e/library/img_folder/info.json",
      "/media/%2E%2E/%2E%2E/secret.txt",
      "/media/photos/%2e%2e/%2e%2e/library/img_folder/info.json",
      "/media/..%2flibrary%2fimg_folder%2finfo.json",
      "/media/..%5clibrary%5cimg_folder%5cinfo.json",
      "/media/%2fetc%2fpasswd",
      "/media//etc/passwd",
      "/media/photos/..%00/cat.png",
      "/media/escape.txt",
      "/media/up/secret.txt",
      "/media/%252e%252e/secret.txt",
    ];
    for (const p of attempts) {
      const r = await raw(p);
      expect([400, 404], p).toContain(r.status);
      expect(r.body, p).not.toContain("top secret");
      expect(r.body, p).not.toContain("TestRecord");
      expect(JSON.parse(r.body), p).toHaveProperty("detail");
    }
    expect((await raw("/media/escape.txt")).status).toBe(400);
    expect((await raw("/media/%2e%2e/secret.txt")).status).toBe(400);
  });
});

describe("request bodies", () => {
  const url = () => `${server.url}/datasets/${IMG_ID}/records`;

  it("refuses malformed JSON with FastAPI's json_invalid 422", async () => {
    const r = await call(url(), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"id": "x",',
    });
    expect(r.status).toBe(422);
    expect(r.body.detail[0]).toMatchObject({
      type: "json_invalid",
      loc: ["body", expect.any(Number)],
      msg: "JSON decode error",
    });
  });

  it("refuses other media types with 415", async () => {
    const r = await call(url(), { method: "POST", headers: { "content-type": "text/plain" }, body: '{"id":"x"}' });
    expect(r.status).toBe(415);
    expect(r.body.detail).toMatch(/application\/json/);
    const form = await call(url(), { method: "POST", body: new URLSearchParams({ id: "x" }) });
    expect(form.status).toBe(415);
    expect((await call(`${url()}/x`)).status).toBe(404);
  });

  it("refuses a 100 MB body with 413 from its headers, discards the rest, and keeps serving", async () => {
    // A raw socket, so the test controls exactly what is on the wire and when.
    const size = 100 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const sock = net.connect(server.port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => sock.once("connect", resolve).once("error", reject));
    let received = "";
    const waitFor = (pattern: RegExp) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(received);
          if (!m) return;
          sock.off("data", onData);
          received = received.slice((m.index ?? 0) + m[0].length);
          resolve(m[0]);
        };
        const onData = (d: Buffer) => {
          received += d.toString("latin1");
          check();
        };
        sock.on("data", onData);
        sock.once("error", reject);
        check();
      });
    sock.write(
      `POST /datasets/${IMG_ID}/records HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`,
    );
    sock.write(chunk);
    // Only 1 MB of 100 MB is out: a server that read the body before answering would never answer.
    const first = await waitFor(/HTTP\/1\.1 (\d+)[^]*?\r\n\r\n\{[^}]*\}/);
    expect(first).toMatch(/^HTTP\/1\.1 413 /);
    expect(first).toContain('{"detail":"Request body too large (limit 16 MB)."}');
    let sent = chunk.length;
    while (sent < size) {
      sent += chunk.length;
      if (!sock.write(chunk)) await new Promise((resolve) => sock.once("drain", resolve));
    }
    // The same connection still serves the next request once the refused body is discarded.
    sock.write("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
    const second = await waitFor(/HTTP\/1\.1 (\d+)[^]*?\r\n\r\n\{[^}]*\}/);
    expect(second).toMatch(/^HTTP\/1\.1 200 /);
    expect(second).toContain('{"status":"ok"}');
    sock.destroy();
    expect((await call(`${server.url}/datasets/${IMG_ID}/records/r1`)).status).toBe(200);
  });

  it("refuses a chunked body that crosses the limit", async () => {
    const big = new ReadableStream<Uint8Array>({
      start(controller) {
        const piece = new Uint8Array(1024 * 1024).fill(0x20);
        for (let i = 0; i < 20; i++) controller.enqueue(piece);
        controller.close();
      },
    });
    const r = await fetch(url(), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: big,
      duplex: "half",
    } as RequestInit);
    expect(r.status).toBe(413);
    expect((await call(`${server.url}/health`)).status).toBe(200);
  });
});

describe("errors", () => {
  it("answers unknown routes with FastAPI's 404", async () => {
    const r = await call(`${server.url}/nope/at/all`);
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ detail: "Not Found" });
    expect((await call(`${server.url}/datasets/${IMG_ID}/unknown-resource`)).body).toEqual({ detail: "Not Found" });
  });

  it("answers 405 for a known path with another method", async () => {
    const r = await call(`${server.url}/health`, jsonInit("POST", {}));
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toBe("GET, HEAD");
  });

  it("turns an unexpected failure into a logged 500 without details", async () => {
    const table = path.join(data.dataDir, "library", "img_folder", "db", "keypoints.lance");
    await rm(table, { recursive: true, force: true });
    await mkdir(table, { recursive: true });
    await writeFile(path.join(table, "_latest.manifest"), "garbage");
    const r = await call(`${server.url}/datasets/${IMG_ID}/keypoints`);
    expect(r.status).toBe(500);
    expect(r.body).toEqual({ detail: "Internal server error" });
    expect(r.text).not.toMatch(/at .*\.ts:\d+/);
    const logged = logger.lines.find((l) => l.level === "error" && String(l.context?.url).includes("/keypoints"));
    expect(logged?.message).toBe("unhandled error");
  });
});

describe("headers", () => {
  it("sets security headers, hides the framework and keeps CORS closed by default", async () => {
    const r = await fetch(`${server.url}/health`, { headers: { origin: "https://evil.example" } });
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    expect(r.headers.get("x-powered-by")).toBeNull();
    expect(r.headers.get("access-control-allow-origin")).toBeNull();
    const pre = await fetch(`${server.url}/datasets`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "GET" },
    });
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("opens CORS to listed origins only", async () => {
    const other = await start(data.dataDir, { corsOrigins: ["http://localhost:5173"] });
    try {
      const ok = await fetch(`${other.url}/health`, { headers: { origin: "http://localhost:5173" } });
      expect(ok.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
      const pre = await fetch(`${other.url}/datasets/${IMG_ID}/records`, {
        method: "OPTIONS",
        headers: {
          origin: "http://localhost:5173",
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type",
        },
      });
      expect(pre.status).toBe(204);
      expect(pre.headers.get("access-control-allow-methods")).toContain("POST");
      const no = await fetch(`${other.url}/health`, { headers: { origin: "https://evil.example" } });
      expect(no.headers.get("access-control-allow-origin")).toBeNull();
    } finally {
      await other.close();
    }
  });
});

describe("startServer", () => {
  it("lets other endpoints attach to the same HTTP server and closes them first", async () => {
    const events: string[] = [];
    const other = await start(data.dataDir, {
      attach: (httpServer) => {
        httpServer.on("upgrade", (_req, socket) => {
          events.push("upgrade");
          socket.end("HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\n\r\n");
        });
        return { close: async () => void events.push("attachment closed") };
      },
    });
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({
        host: "127.0.0.1",
        port: other.port,
        path: "/sync/x/y",
        headers: { connection: "upgrade", upgrade: "websocket" },
      });
      req.on("response", (res) => resolve(res.statusCode ?? 0));
      req.on("upgrade", (res) => resolve(res.statusCode ?? 0));
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(418);
    // Plain HTTP still reaches the app: /health, ready once start-up recovery has folded what earlier servers on
    // this data folder left in their logs (503 until then).
    const deadline = Date.now() + 30_000;
    let health = (await call(`${other.url}/health`)).status;
    while (health === 503 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      health = (await call(`${other.url}/health`)).status;
    }
    expect(health).toBe(200);
    await other.close();
    expect(events).toEqual(["upgrade", "attachment closed"]);
    await expect(fetch(`${other.url}/health`)).rejects.toThrow();
  });
});
