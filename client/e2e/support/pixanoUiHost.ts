import { createReadStream, existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

/**
 * A tiny same-origin host that puts Pixano 0.8.0's built web UI in front of a Tessera server, the
 * way `pixano/api/serve.py` serves it in front of Pixano's API: `GET /` answers the UI's
 * `index.html`; `/_app/*`, `/favicon.ico` and `/robots.txt` are files of the UI's `dist/`; every
 * other request (method, path, query, headers, body) is forwarded unchanged to Tessera and its
 * answer is passed back unchanged. Nothing is rewritten, so what the browser sees is Tessera's
 * REST API as Pixano's UI would see Pixano's.
 */

/** The virtualenv Pixano 0.8.0 is installed in (`PIXANO_VENV`); its wheel ships the built web UI. */
const PIXANO_VENV = process.env.PIXANO_VENV ?? "/work/pixano-venv";

/** Pixano 0.8.0's built web UI (`pixano/api/dist` in the virtualenv), never committed. */
export const PIXANO_UI_DIST = path.join(PIXANO_VENV, "lib", "python3.11", "site-packages", "pixano", "api", "dist");

/** Whether this machine has Pixano's web UI; the specs that drive it skip where it is absent (CI has none). */
export const HAVE_PIXANO_UI = existsSync(path.join(PIXANO_UI_DIST, "index.html"));

/** Says once, in the run's output, why a spec that drives Pixano's UI is skipped here. */
export function reportPixanoUiSkip(spec: string): void {
  if (!HAVE_PIXANO_UI)
    console.log(
      `${spec}: skipped, no Pixano 0.8.0 web UI at ${PIXANO_UI_DIST} (pip install pixano==0.8.0 into ${PIXANO_VENV}, or set PIXANO_VENV)`,
    );
}

/** The reason `test.skip` gives where the UI is absent. */
export const NO_PIXANO_UI = `no Pixano 0.8.0 web UI at ${PIXANO_UI_DIST}`;

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".wasm": "application/wasm",
};

export interface PixanoUiHost {
  readonly url: string;
  close(): Promise<void>;
}

/** The file of `dist` a UI path names, or null when the path is not one of the UI's four. */
export function uiFile(dist: string, pathname: string): string | null {
  if (pathname === "/") return path.join(dist, "index.html");
  if (pathname === "/favicon.ico" || pathname === "/robots.txt") return path.join(dist, pathname.slice(1));
  if (!pathname.startsWith("/_app/")) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null; // a malformed escape is not a UI file: the upstream answers it
  }
  const file = path.resolve(dist, `.${decoded}`);
  const appDir = path.join(dist, "_app") + path.sep;
  return file.startsWith(appDir) ? file : null;
}

async function serveFile(file: string, method: string, res: http.ServerResponse): Promise<void> {
  const info = await stat(file).catch((err: unknown) => {
    if (err instanceof Error && "code" in err && err.code === "ENOENT") return null;
    throw err;
  });
  if (!info?.isFile()) {
    res.writeHead(404, { "Content-Type": "application/json" }).end(JSON.stringify({ detail: "Not Found" }));
    return;
  }
  res.writeHead(200, {
    "Content-Type": TYPES[path.extname(file)] ?? "application/octet-stream",
    "Content-Length": info.size,
  });
  if (method === "HEAD") {
    res.end();
    return;
  }
  createReadStream(file).pipe(res);
}

function forward(upstream: URL, req: http.IncomingMessage, res: http.ServerResponse): void {
  const out = http.request(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
      answer.pipe(res);
    },
  );
  out.on("error", (err) => {
    if (!res.headersSent) res.writeHead(502, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ detail: `upstream: ${err.message}` }));
  });
  req.pipe(out);
}

/** Starts the host on 127.0.0.1 (a free port) for the UI in `dist`, forwarding to `upstream`. */
export async function startPixanoUiHost(dist: string, upstream: string): Promise<PixanoUiHost> {
  const target = new URL(upstream);
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? "/", "http://host").pathname;
    const file = req.method === "GET" || req.method === "HEAD" ? uiFile(dist, pathname) : null;
    if (file === null) {
      forward(target, req, res);
      return;
    }
    serveFile(file, req.method ?? "GET", res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ detail: err instanceof Error ? err.message : String(err) }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
