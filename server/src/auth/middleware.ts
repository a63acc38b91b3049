import { existsSync } from "node:fs";
import path from "node:path";
import { Router, type RequestHandler } from "express";
import { sendJson } from "../http/json.js";
import { expressPath, type RouteSpec, type RouteTable } from "../http/routeTable.js";
import type { Logger } from "../logger.js";
import type { AuthService } from "./AuthService.js";
import { datasetParamOf, decide, ruleOf } from "./permissions.js";
import { attachRequestAuth, requestAuth } from "./principal.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * First middleware after the security headers: reads the request's credentials once (session
 * cookie or bearer token), remembers them for the guard and the handlers, and renews or clears
 * the session cookie.
 */
export function authenticateRequests(auth: AuthService, logger: Logger): RequestHandler {
  return (req, res, next) => {
    auth.authenticate(req).then(
      (a) => {
        attachRequestAuth(req, {
          principal: a.principal,
          failure: a.failure,
          sessionDigest: a.sessionDigest,
          role: null,
          datasetId: null,
        });
        if (a.setCookie) res.append("Set-Cookie", a.setCookie);
        next();
      },
      (err: unknown) => {
        // Credentials that cannot be checked now (the scaled mode's Redis unreachable): nobody is let in as
        // anybody; the client is told to retry, the cause goes to the log.
        logger.error("cannot check a request's credentials", {
          error: err instanceof Error ? err.message : String(err),
        });
        res.setHeader("Retry-After", "2");
        refuse(res, 503, "Accounts are unavailable at the moment; retry shortly.");
      },
    );
  };
}

function refuse(res: Parameters<RequestHandler>[1], status: number, detail: string): void {
  if (status === 401) res.setHeader("WWW-Authenticate", 'Bearer realm="tessera"');
  res.setHeader("Cache-Control", "no-store");
  sendJson(res, status, { detail });
}

/**
 * The permission guard: one Express route per API route, in the route table's order, placed
 * before the API routers, so the first route that matches a request is the one its handler will
 * be — and its rule ({@link ruleOf}) decides. Filled by {@link PermissionGuard.install} once
 * every router has registered its routes. Unsafe methods from another origin are refused when
 * the request carries a browser origin (CSRF), whatever the credentials.
 */
export class PermissionGuard {
  readonly router = Router();
  private readonly decided = new WeakSet<object>();

  constructor(
    private readonly auth: AuthService,
    private readonly routes: RouteTable,
    private readonly logger: Logger,
    private readonly clientDir: string | null,
  ) {
    this.router.use((req, res, next) => {
      if (!SAFE_METHODS.has(req.method) && !this.auth.originAllowed(req)) {
        refuse(res, 403, "Cross-origin request refused.");
        return;
      }
      next();
    });
  }

  /** Mounts one guard per route of the table (call after every router is built). */
  install(): void {
    const unlisted: string[] = [];
    for (const spec of this.routes.routes) {
      const { listed } = ruleOf(spec.operationId);
      if (!listed) unlisted.push(spec.operationId);
      this.router[spec.method](expressPath(spec), this.guard(spec));
    }
    if (unlisted.length > 0)
      this.logger.warn("routes without a permission rule are admin-only", { operationIds: unlisted });
    // Without a built client, `/` lists the library: not for strangers.
    this.router.get("/", (req, res, next) => {
      const a = requestAuth(req);
      const built = this.clientDir !== null && existsSync(path.join(this.clientDir, "index.html"));
      if (!built && this.auth.mode === "on" && a?.principal.kind === "anonymous") {
        refuse(
          res,
          401,
          "Authentication required: POST /auth/login {username, password}, or send Authorization: Bearer <token>.",
        );
        return;
      }
      next();
    });
  }

  private guard(spec: RouteSpec): RequestHandler {
    const { rule } = ruleOf(spec.operationId);
    const param = datasetParamOf(spec.path);
    return (req, res, next) => {
      // Only the first matching route decides: it is the one whose handler runs.
      if (this.decided.has(req)) {
        next();
        return;
      }
      this.decided.add(req);
      const a = requestAuth(req);
      if (!a) {
        refuse(res, 401, "Authentication required.");
        return;
      }
      const raw = param ? (req.params as Record<string, unknown>)[param] : undefined;
      const datasetId = typeof raw === "string" ? raw : null;
      const decision = decide(rule, a.principal, datasetId);
      if (!decision.ok) {
        refuse(res, decision.status, decision.status === 401 && a.failure ? a.failure : decision.detail);
        return;
      }
      a.role = decision.role;
      a.datasetId = datasetId;
      next();
    };
  }
}
