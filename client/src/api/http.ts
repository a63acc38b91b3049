/**
 * The one place HTTP requests leave the client: JSON in and out, FastAPI-style `{detail}` errors
 * turned into {@link ApiError}, and a 401 hook so the login form can appear wherever a request was
 * refused (the server answers 401 when accounts are on and the session is missing or ended).
 */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly path: string,
  ) {
    super(detail);
  }
}

/** Turns a FastAPI `detail` (a string, or a list of located issues for 422) into one readable line. */
function detailText(body: unknown, fallback: string): string {
  if (body === null || typeof body !== "object" || !("detail" in body)) return fallback;
  const detail = (body as { detail: unknown }).detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d: unknown) => {
        if (d === null || typeof d !== "object") return String(d);
        const issue = d as { loc?: unknown; msg?: unknown };
        const loc = Array.isArray(issue.loc) ? issue.loc.join(".") : "";
        return loc ? `${loc}: ${String(issue.msg)}` : String(issue.msg);
      })
      .join("; ");
  }
  return JSON.stringify(detail);
}

type UnauthorizedListener = (path: string) => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/** Called when any request answers 401 (the session module shows the login form). */
export function onUnauthorized(fn: UnauthorizedListener): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

export type QueryValue = string | number | boolean | null | undefined | readonly string[];

/** `?a=1&filter=x&filter=y`: arrays repeat their key; null/undefined/"" are left out. */
export function queryString(params: Readonly<Record<string, QueryValue>>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === "") continue;
    if (Array.isArray(v)) for (const item of v as readonly string[]) sp.append(k, item);
    else sp.append(k, String(v));
  }
  const s = sp.toString();
  return s ? `?${s}` : "";
}

export interface RequestOptions {
  readonly method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  readonly body?: unknown;
  readonly signal?: AbortSignal;
}

/** Fetches JSON; throws {@link ApiError} with the server's detail on any non-2xx answer. */
export async function requestJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const init: RequestInit = {
    method: options.method ?? "GET",
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  };
  if (options.signal) init.signal = options.signal;
  if (options.body !== undefined) {
    init.body = JSON.stringify(options.body);
    init.headers = { ...init.headers, "Content-Type": "application/json" };
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let body: unknown = null;
  if (text !== "") {
    try {
      body = JSON.parse(text);
    } catch (err) {
      // A non-JSON body (proxy error page, truncated answer) is reported with its status below.
      if (!(err instanceof SyntaxError)) throw err;
      body = null;
    }
  }
  if (!res.ok) {
    if (res.status === 401) for (const fn of unauthorizedListeners) fn(path);
    throw new ApiError(res.status, detailText(body, `${res.status} ${res.statusText}`), path);
  }
  return body as T;
}
