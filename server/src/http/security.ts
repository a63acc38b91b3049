import type { RequestHandler } from "express";

/** The CSP of HTML pages (the web client and the fallback page): same-origin everything. */
export const HTML_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob: https:",
  "media-src 'self' blob: https:",
  "connect-src 'self' ws: wss:",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Headers every response carries: no MIME sniffing, no framing (both the legacy header and the
 * CSP directive; HTML pages and media replace the CSP with their own), no referrer leaks, and no
 * shared browsing context with other origins' windows.
 */
export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("X-Frame-Options", "DENY");
  res.setHeader("Content-Security-Policy", "frame-ancestors 'none'");
  res.setHeader("Referrer-Policy", "no-referrer");
  res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
  next();
};

/**
 * CORS is closed unless origins are listed (Pixano answers `*`, spec §11). A listed origin gets
 * the usual headers, with credentials (its pages may use the session cookie and send
 * `Authorization`), and its preflights are answered here. Never `*`: credentials and a wildcard
 * do not mix, and an open API behind cookies would be a CSRF hole.
 */
export function cors(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (!origin || !allowed.has(origin)) {
      next();
      return;
    }
    res.setHeader("Access-Control-Allow-Origin", origin);
    res.setHeader("Access-Control-Allow-Credentials", "true");
    res.append("Vary", "Origin");
    res.setHeader(
      "Access-Control-Expose-Headers",
      "ETag, Content-Length, Content-Range, X-Total-Frames, X-Start-Frame, X-Batch-Size",
    );
    if (req.method === "OPTIONS" && req.headers["access-control-request-method"]) {
      res.setHeader("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE");
      res.setHeader(
        "Access-Control-Allow-Headers",
        req.headers["access-control-request-headers"] ?? "Content-Type, Authorization",
      );
      res.setHeader("Access-Control-Max-Age", "600");
      res.status(204).end();
      return;
    }
    next();
  };
}
