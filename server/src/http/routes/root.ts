import { existsSync } from "node:fs";
import path from "node:path";
import express, { Router } from "express";
import type { AppContext } from "../context.js";
import { sendJson } from "../json.js";
import { buildOpenApi } from "../openapi.js";
import { HTML_CSP } from "../security.js";

/**
 * `/health`, `/openapi.json`, `/` and the web client. With a built client, `/` is its
 * `index.html` and unknown non-API paths redirect to the client's hash route (`/x` → `/#/x`, as
 * Pixano does); without one, `/` is a small page listing the datasets and the API's entry points.
 */

/** Path prefixes that belong to the API: never redirected to the client. */
const API_PREFIXES = [
  "/datasets",
  "/media",
  "/health",
  "/openapi.json",
  "/docs",
  "/redoc",
  "/io",
  "/inference",
  "/app",
  "/app_models",
  "/sync",
  "/_app",
];

function isApiPath(p: string): boolean {
  return API_PREFIXES.some((prefix) => p === prefix || p.startsWith(`${prefix}/`));
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function fallbackPage(ctx: AppContext): Promise<string> {
  const entries = [...(await ctx.library.list())].sort((a, b) => (a.folder < b.folder ? -1 : 1));
  const rows = entries
    .map((e) => {
      const id = encodeURIComponent(e.id);
      return `<li><strong>${escapeHtml(e.info.name)}</strong> <code>${escapeHtml(e.id)}</code> — ${e.numRecords} records, workspace ${escapeHtml(e.info.workspace)}: <a href="/datasets/${id}/info">info</a> · <a href="/datasets/${id}/records">records</a> · <a href="/datasets/${id}/filters">filters</a></li>`;
    })
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tessera</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem;line-height:1.5}code{font-size:.9em}</style>
</head><body>
<h1>Tessera</h1>
<p>The web client is not built on this server, so this page only lists the library. The REST API (Pixano-compatible) is running.</p>
<h2>Datasets (${entries.length})</h2>
${entries.length > 0 ? `<ul>\n${rows}\n</ul>` : "<p>The library is empty.</p>"}
<h2>API</h2>
<ul><li><a href="/datasets">/datasets</a></li><li><a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1)</li><li><a href="/health">/health</a></li></ul>
</body></html>
`;
}

/**
 * Whether the server is ready to answer with current rows. Not ready while start-up recovery is
 * still folding record logs a crash left behind into the rows: `/health` then answers 503 (what
 * load balancers and orchestrators take as "not ready yet") with `{"status": "recovering"}`.
 */
export type Readiness = () =>
  { readonly ready: true; readonly rooms?: number } | { readonly ready: false; readonly detail: string };

const ALWAYS_READY: Readiness = () => ({ ready: true });

export function rootRouter(ctx: AppContext, version: string, readiness: Readiness = ALWAYS_READY): Router {
  const router = Router();
  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/health",
      operationId: "health_check",
      summary: "Health check",
      tags: ["Health"],
      responses: {
        "200": {
          description: "The server is up and its rows are current.",
          content: { "application/json": { type: "object", properties: { status: { const: "ok" } } } },
        },
        "503": {
          description:
            "Start-up recovery is still folding record logs into rows (`Retry-After` says when to ask again).",
          content: {
            "application/json": {
              type: "object",
              properties: { status: { const: "recovering" }, detail: { type: "string" } },
            },
          },
        },
      },
    },
    (_req, res) => {
      const state = readiness();
      if (state.ready) {
        // The body stays Pixano's; how many record documents are in memory goes in a header.
        if (state.rooms !== undefined) res.setHeader("Tessera-Rooms-Loaded", String(state.rooms));
        sendJson(res, 200, { status: "ok" });
        return;
      }
      res.setHeader("Retry-After", "1");
      res.setHeader("Cache-Control", "no-store");
      sendJson(res, 503, { status: "recovering", detail: state.detail });
    },
  );
  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/openapi.json",
      operationId: "get_openapi",
      summary: "This API's OpenAPI 3.1 document",
      tags: ["Meta"],
      responses: { "200": { description: "The document.", content: { "application/json": { type: "object" } } } },
    },
    (_req, res) => sendJson(res, 200, buildOpenApi(ctx.routes.routes, version)),
  );
  return router;
}

/** `/`, client assets and the hash-route redirect; mounted after every API router. */
export function clientRouter(ctx: AppContext): Router {
  const router = Router();
  const index = ctx.clientDir ? path.join(ctx.clientDir, "index.html") : null;
  const built = () => index !== null && existsSync(index);
  router.get("/", async (_req, res) => {
    res.setHeader("Content-Security-Policy", HTML_CSP);
    res.setHeader("Cache-Control", "no-cache");
    if (built() && index) {
      res.sendFile(index);
      return;
    }
    res.type("html").send(await fallbackPage(ctx));
  });
  if (ctx.clientDir) {
    router.use(express.static(ctx.clientDir, { index: false, dotfiles: "ignore", fallthrough: true }));
  }
  router.get(/.*/, (req, res, next) => {
    if (!built() || isApiPath(req.path)) {
      next();
      return;
    }
    const query = req.originalUrl.includes("?") ? req.originalUrl.slice(req.originalUrl.indexOf("?")) : "";
    res.redirect(307, `/#${req.path}${query}`);
  });
  return router;
}
