import { startServer, type RunningServer, type StartServerOptions } from "../../src/index.js";
import type { Logger } from "../../src/logger.js";

/** A logger that keeps what it is told, so tests can assert on logged errors. */
export function memoryLogger(): Logger & {
  readonly lines: { level: string; message: string; context?: Readonly<Record<string, unknown>> }[];
} {
  const lines: { level: string; message: string; context?: Readonly<Record<string, unknown>> }[] = [];
  return {
    lines,
    info: (message, context) => void lines.push({ level: "info", message, context }),
    warn: (message, context) => void lines.push({ level: "warn", message, context }),
    error: (message, context) => void lines.push({ level: "error", message, context }),
  };
}

export async function start(dataDir: string, options: Partial<StartServerOptions> = {}): Promise<RunningServer> {
  return startServer({ dataDir, port: 0, clientDir: null, auth: { mode: "off" }, ...options });
}

export interface JsonResponse<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  readonly text: string;
}

/** `fetch` that reads the body as text and parses JSON when the response says it is JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
export async function call<T = any>(url: string, init: RequestInit = {}): Promise<JsonResponse<T>> {
  const res = await fetch(url, { redirect: "manual", ...init });
  const text = await res.text();
  const isJson = (res.headers.get("content-type") ?? "").includes("application/json");
  return { status: res.status, headers: res.headers, text, body: (isJson && text ? JSON.parse(text) : undefined) as T };
}

export function jsonInit(method: string, body: unknown): RequestInit {
  return { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}
