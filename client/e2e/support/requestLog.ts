import type { Page, Request } from "@playwright/test";

/**
 * Every request a page makes to its own origin, with the answer's status and duration, and every
 * console error and uncaught exception, for the Pixano UI compatibility check: the failures are
 * asserted, the whole log is printed as a compact table so a regression shows what changed.
 */

export interface LoggedRequest {
  readonly method: string;
  /** Path and query, without the origin. */
  readonly path: string;
  /** HTTP status, or the network error when the request got no answer. */
  readonly status: number | string;
  readonly ms: number;
}

/** The status of a request whose response the test closed the page before reading. */
const PAGE_CLOSED = "page closed";

export class RequestLog {
  readonly requests: LoggedRequest[] = [];
  readonly consoleErrors: string[] = [];

  /**
   * @param origin the page's origin (requests elsewhere are not logged)
   * @param names ids to print as names in the table (dataset ids → folder names)
   */
  constructor(
    private readonly origin: string,
    private readonly names: ReadonlyMap<string, string> = new Map(),
  ) {}

  watch(page: Page): void {
    page.on("requestfinished", (req) => {
      this.finished(req).catch((err: unknown) => {
        // The test closed the page between a request finishing and its response being read: the
        // request is over, only its status is unknown. Anything else is a failure the test reports.
        if (page.isClosed()) this.push(req, PAGE_CLOSED);
        else this.consoleErrors.push(`request log: ${err instanceof Error ? err.message : String(err)}`);
      });
    });
    page.on("requestfailed", (req) => {
      if (!this.ours(req)) return;
      this.requests.push({
        method: req.method(),
        path: this.pathOf(req),
        status: req.failure()?.errorText ?? "failed",
        ms: Math.round(req.timing().responseEnd),
      });
    });
    page.on("console", (msg) => {
      if (msg.type() === "error") this.consoleErrors.push(msg.text());
    });
    page.on("pageerror", (err) => this.consoleErrors.push(`uncaught: ${err.message}`));
  }

  /**
   * API requests (everything but the UI's own files) answered ≥ 400 or not answered at all;
   * `net::ERR_ABORTED` is the browser dropping a request of a page it left, not a failure, nor is a
   * response the test closed the page before reading.
   */
  apiFailures(): LoggedRequest[] {
    return this.requests.filter(
      (r) =>
        isApi(r.path) &&
        (typeof r.status === "number" ? r.status >= 400 : r.status !== "net::ERR_ABORTED" && r.status !== PAGE_CLOSED),
    );
  }

  /** Console errors that are not one of the given known bugs of the UI itself. */
  unexpectedConsoleErrors(known: readonly RegExp[]): string[] {
    return this.consoleErrors.filter((e) => !known.some((k) => k.test(e)));
  }

  /**
   * One line per method and path (query dropped): how many times, the statuses, the slowest.
   * The UI's own files (`/_app/*`) are summed up in one line.
   */
  table(): string {
    const rows = new Map<string, { method: string; path: string; n: number; statuses: Set<string>; maxMs: number }>();
    let assets = 0;
    const assetStatuses = new Set<string>();
    for (const r of this.requests) {
      const p = this.shorten(r.path.split("?")[0] ?? r.path);
      if (!isApi(p)) {
        assets++;
        assetStatuses.add(String(r.status));
        continue;
      }
      const key = `${r.method} ${p}`;
      const row = rows.get(key) ?? { method: r.method, path: p, n: 0, statuses: new Set<string>(), maxMs: 0 };
      row.n++;
      row.statuses.add(String(r.status));
      row.maxMs = Math.max(row.maxMs, r.ms);
      rows.set(key, row);
    }
    const line = (method: string, statuses: Set<string>, n: number, ms: string, what: string) =>
      `${method.padEnd(6)} ${[...statuses].join(",").padEnd(20)} ${String(n).padStart(4)}× ${ms.padStart(9)}  ${what}`;
    const lines = [...rows.values()].map((r) => line(r.method, r.statuses, r.n, `${r.maxMs} ms`, r.path));
    lines.push(line("GET", assetStatuses, assets, "", "the UI's own files (/, /_app/*, /favicon.ico)"));
    return [`${"method".padEnd(6)} ${"status".padEnd(20)} count   slowest  path`, ...lines].join("\n");
  }

  private async finished(req: Request): Promise<void> {
    if (!this.ours(req)) return;
    const res = await req.response();
    this.push(req, res?.status() ?? "no response");
  }

  private push(req: Request, status: number | string): void {
    this.requests.push({
      method: req.method(),
      path: this.pathOf(req),
      status,
      ms: Math.round(req.timing().responseEnd),
    });
  }

  /** Dataset ids as `{name}`, view ids of preview/blob routes as `{view}`. */
  private shorten(p: string): string {
    let out = p.replace(/\/(images|texts|videos|sframes)\/[^/]+\/(preview|blob)$/, "/$1/{view}/$2");
    for (const [id, name] of this.names) out = out.split(`/${id}`).join(`/{${name}}`);
    return out;
  }

  private ours(req: Request): boolean {
    return req.url().startsWith(`${this.origin}/`);
  }

  private pathOf(req: Request): string {
    return req.url().slice(this.origin.length);
  }
}

function isApi(path: string): boolean {
  const p = path.split("?")[0] ?? path;
  return !(p === "/" || p.startsWith("/_app/") || p === "/favicon.ico" || p === "/robots.txt");
}
