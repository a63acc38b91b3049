import { request } from "node:http";
import WebSocket from "ws";
import type { Role } from "@tessera/shared-crdt";
import { startServer, type RunningServer, type StartServerOptions } from "../../src/index.js";
import { UserStore } from "../../src/auth/index.js";
import { buildDataDir, DS } from "../integration/support.js";

export { buildDataDir, DS };

export const ADMIN = { username: "admin", password: "admin-password-1" } as const;
export const PASSWORD = "correct-horse-battery";

/** The principals of the matrix: a user per global role, two with per-dataset overrides, and nobody. */
export const ACCOUNTS: Readonly<Record<string, { role: Role; datasetRoles?: Record<string, Role> }>> = {
  viewer: { role: "viewer" },
  annotator: { role: "annotator" },
  reviewer: { role: "reviewer" },
  // Global viewer, annotator on DS: the override raises.
  dsannotator: { role: "viewer", datasetRoles: { [DS]: "annotator" } },
  // Global reviewer, viewer on DS: the override lowers.
  dsviewer: { role: "reviewer", datasetRoles: { [DS]: "viewer" } },
};

/** Creates the accounts of {@link ACCOUNTS} in DATA_DIR (what `tessera users add` does). */
export async function seedUsers(dataDir: string, accounts: typeof ACCOUNTS = ACCOUNTS): Promise<void> {
  const store = new UserStore(dataDir);
  await store.refresh();
  await Promise.all(
    Object.entries(accounts).map(([username, a]) =>
      store.add({
        username,
        password: PASSWORD,
        role: a.role,
        ...(a.datasetRoles ? { datasetRoles: a.datasetRoles } : {}),
      }),
    ),
  );
}

/** The real server in this process with accounts on (first admin from the options). */
export function startAuthServer(dataDir: string, options: Partial<StartServerOptions> = {}): Promise<RunningServer> {
  return startServer({
    dataDir,
    port: 0,
    clientDir: null,
    collaboration: { persist: "in-process" },
    auth: { mode: "on", admin: ADMIN },
    ...options,
  });
}

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are checked field by field
  readonly body: any;
}

export async function call(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, { redirect: "manual", ...init });
  const text = await res.text();
  const json = (res.headers.get("content-type") ?? "").includes("application/json") && text !== "";
  return { status: res.status, headers: res.headers, text, body: json ? JSON.parse(text) : undefined };
}

export function jsonInit(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** Logs in; returns the `name=value` part of the session cookie. */
export async function login(url: string, username: string, password = PASSWORD): Promise<string> {
  const r = await call(`${url}/auth/login`, jsonInit("POST", { username, password }));
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`);
  const cookie = r.headers.get("set-cookie") ?? "";
  return cookie.split(";", 1)[0] ?? "";
}

/** Logs in and creates an API token. */
export async function tokenFor(url: string, username: string, password = PASSWORD): Promise<string> {
  const cookie = await login(url, username, password);
  const r = await call(`${url}/auth/tokens`, jsonInit("POST", { name: "tests" }, { cookie }));
  if (r.status !== 201) throw new Error(`token ${username}: ${r.status} ${r.text}`);
  return r.body.token as string;
}

/** A `ws` class that sends extra headers on the upgrade (what a browser's cookie jar does for it). */
export function wsWithHeaders(headers: Record<string, string>): typeof WebSocket {
  return class extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  } as unknown as typeof WebSocket;
}

/** Status of an upgrade attempt: "open" (101) or the HTTP status it was refused with, plus its headers. */
export function upgrade(
  url: string,
  path: string,
  headers: Record<string, string> = {},
  localAddress?: string,
): Promise<{ status: number | "open"; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({
      host: u.hostname,
      port: u.port,
      path,
      agent: false,
      ...(localAddress ? { localAddress } : {}),
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
      resolve({ status: "open", headers: _res.headers, body: "" });
    });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}
