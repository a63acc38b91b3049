import http from "node:http";

export { spawnServer, type ServerProcess } from "../integration/support.js";

export interface RawReply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** The body parsed as JSON when it says it is JSON, else undefined. */
  readonly json: unknown;
}

/**
 * One HTTP request with exactly these headers (a `host` header is sent as given: what a browser
 * sends after DNS rebinding) and the path as given (no normalisation of `..` or `%`-escapes).
 */
export function raw(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawReply> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path, method, headers, agent: false }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => {
        const isJson = (res.headers["content-type"] ?? "").includes("application/json") && text !== "";
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text,
          json: isJson ? JSON.parse(text) : undefined,
        });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A websocket upgrade attempt: "open" (101) or the HTTP status and body it was refused with. */
export function rawUpgrade(
  url: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number | "open"; body: string; json: unknown }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname,
      port: u.port,
      path,
      agent: false,
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        ...headers,
      },
    });
    req.on("upgrade", (_res, socket) => {
      socket.destroy();
      resolve({ status: "open", body: "", json: undefined });
    });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => {
        const isJson = (res.headers["content-type"] ?? "").includes("application/json") && body !== "";
        resolve({ status: res.statusCode ?? 0, body, json: isJson ? JSON.parse(body) : undefined });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function until<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
