import type { IncomingMessage } from "node:http";

/** The browser session cookie: HTTP-only, SameSite=Lax, Secure when the request came over HTTPS. */
export const SESSION_COOKIE = "tessera_session";

/**
 * Values of `name` in a `Cookie` header, in order. Malformed pairs are skipped (never an error):
 * a broken cookie is the same as no cookie. Values are not percent-decoded — session ids are
 * base64url and anything else is refused by shape anyway.
 */
export function cookieValues(header: string | undefined, name: string): string[] {
  if (!header || header.length > 16_384) return [];
  const out: string[] = [];
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let v = part.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    out.push(v);
  }
  return out;
}

/** Whether the request reached us over HTTPS (directly, or through a trusted proxy that says so). */
export function isHttps(req: IncomingMessage, trustProxy: boolean): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted === true) return true;
  if (!trustProxy) return false;
  const proto = req.headers["x-forwarded-proto"];
  const first = (Array.isArray(proto) ? proto[0] : proto)?.split(",")[0]?.trim().toLowerCase();
  return first === "https";
}

export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}

export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie("", 0, secure);
}

/**
 * The client's address: the socket's peer, or with `trustProxy` the last address a proxy added
 * to `X-Forwarded-For` (the one the proxy itself saw; earlier entries are the client's claims).
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = req.headers["x-forwarded-for"];
    const list = (Array.isArray(xff) ? xff.join(",") : (xff ?? ""))
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    const last = list[list.length - 1];
    if (last) return last.slice(0, 64);
  }
  return req.socket.remoteAddress ?? "unknown";
}
