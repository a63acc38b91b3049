import {
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from "node:http";
import { request as httpsRequest } from "node:https";
import type { ErrorRequestHandler, Request, RequestHandler, Response } from "express";
import type { RecordKey } from "@tessera/storage";
import { principalIdentity, requestAuth } from "../auth/principal.js";
import type { RestForwarding } from "../http/app.js";
import { sendJson } from "../http/json.js";
import { rawRequestBody } from "../http/jsonBody.js";
import { restIdentity } from "../http/recordDocs.js";
import type { Logger } from "../logger.js";
import { delay, type Clock } from "../sync/clock.js";
import type { Identity } from "../sync/identity.js";
import type { Placement } from "../sync/ports.js";
import { RecordElsewhereError } from "./RecordOwnership.js";
import { FORWARD_HEADER, FORWARD_SIGNATURE_HEADER, type ForwardSigner } from "./signing.js";

/** Bounds of the REST requests one process relays to records' owners. */
export interface RestForwardLimits {
  /** Requests relayed at once; one more is answered 503 with `Retry-After`. */
  readonly maxConcurrent: number;
  /** How long a relayed request may take, a wait for a dead owner's lease to move included; then 504. */
  readonly timeoutMs: number;
}

export const DEFAULT_REST_FORWARD_LIMITS: RestForwardLimits = { maxConcurrent: 64, timeoutMs: 30_000 };

/** A setting of the relay that cannot be used. */
export class RestForwardConfigError extends Error {
  override name = "RestForwardConfigError";
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new RestForwardConfigError(`${name} must be a positive integer (got ${JSON.stringify(raw.slice(0, 32))})`);
  return n;
}

/** `TESSERA_FORWARD_MAX_REQUESTS` and `TESSERA_FORWARD_TIMEOUT_MS` (defaults {@link DEFAULT_REST_FORWARD_LIMITS}). */
export function restForwardLimitsFromEnv(env: NodeJS.ProcessEnv): RestForwardLimits {
  return {
    maxConcurrent: positiveInt(env, "TESSERA_FORWARD_MAX_REQUESTS", DEFAULT_REST_FORWARD_LIMITS.maxConcurrent),
    timeoutMs: positiveInt(env, "TESSERA_FORWARD_TIMEOUT_MS", DEFAULT_REST_FORWARD_LIMITS.timeoutMs),
  };
}

/** How often the lease of a record whose owner died is looked at while waiting for it to move. */
const LEASE_POLL_MS = 200;

/**
 * Request headers the owner needs to treat the request as the caller's: credentials, body type, negotiation, and
 * what the load balancer said of the caller (read by the owner only with `TESSERA_TRUST_PROXY`, as by the edge).
 * `Origin` stays behind: the edge checked it against the public host, which the owner is not reached at.
 */
const REQUEST_HEADERS = [
  "accept",
  "accept-language",
  "authorization",
  "content-type",
  "cookie",
  "user-agent",
  "x-forwarded-for",
  "x-forwarded-proto",
] as const;

/**
 * Response headers never relayed: those of one connection, not of the answer, and `Set-Cookie` — a session renewal
 * the edge already made for this request (sessions are shared), with the attributes only the edge can judge
 * (`Secure` behind the public TLS endpoint).
 */
const NOT_RELAYED: ReadonlySet<string> = new Set([
  "set-cookie",
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "date",
]);

/** What became of one attempt to hand a request to an owner. */
type Attempt =
  | { readonly kind: "answered"; readonly upstream: IncomingMessage; readonly abort: () => void }
  /** No connection was ever made: the owner provably never saw the request. */
  | { readonly kind: "unreached"; readonly error: string }
  /** Connected, then lost before an answer: the owner may or may not have carried it out. */
  | { readonly kind: "lost"; readonly error: string }
  | { readonly kind: "timeout" };

export interface RestForwarderDeps {
  readonly signer: ForwardSigner;
  /** Where a record is served now (`RecordOwnership.place`): here (its lease taken), a live peer, or nowhere yet. */
  readonly place: (key: RecordKey) => Promise<Placement>;
  /** This process's internal URL once registered (a request relayed to itself after a lease moved here). */
  readonly selfUrl: () => string | null;
  readonly limits: RestForwardLimits;
  readonly clock: Clock;
  readonly logger: Logger;
}

function refuse(res: Response, status: number, detail: string, retryAfter: boolean): void {
  if (retryAfter) res.setHeader("Retry-After", "1");
  res.setHeader("Cache-Control", "no-store");
  sendJson(res, status, { detail });
}

function outgoingHeaders(incoming: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (const name of REQUEST_HEADERS) {
    const v = incoming[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/**
 * REST writes to a record open on another process (docs/ARCHITECTURE.md §6). A route that writes through the
 * record document is refused locally with {@link RecordElsewhereError} before anything is written; {@link relay}
 * then sends the same request (method, path and query, the body bytes as they arrived, the caller's credentials)
 * to the record's owner with the caller's identity signed as websocket forwarding signs it, and passes the
 * owner's answer back unchanged. The owner runs the request as if it had been sent there: same authentication
 * (sessions are shared), same permission rules, same validation, same limits.
 *
 * Safety: a request is sent again only when the first owner provably never received it (no connection was ever
 * made — it died or is unreachable): then the record's lease is waited for until it moves (to this process,
 * which takes it when it is free, or to another live one) and the request goes there once. An owner lost after
 * the connection was made may have carried the write out: the caller gets 503 with `Retry-After`, never a second
 * write. A relayed request that meets a record open elsewhere again is answered 503 (no chains of forwards).
 * Bounded: {@link RestForwardLimits.maxConcurrent} requests in flight (then 503), each within
 * {@link RestForwardLimits.timeoutMs} (then 504).
 */
export class RestForwarder implements RestForwarding {
  /** Requests that arrived relayed from a peer, their signed identity checked. */
  private readonly relayed = new WeakSet<IncomingMessage>();
  private inFlight = 0;

  constructor(private readonly deps: RestForwarderDeps) {}

  /**
   * After authentication: a request carrying a forward header must carry a valid, fresh, unused signature for
   * its path, naming the user its credentials authenticate here; anything else is refused with 401.
   */
  readonly admit: RequestHandler = (req, res, next) => {
    if (req.headers[FORWARD_HEADER] === undefined && req.headers[FORWARD_SIGNATURE_HEADER] === undefined) {
      next();
      return;
    }
    const verified = this.deps.signer.verify(req);
    if (verified === null || "refuse" in verified) {
      const why = verified === null ? "forwarded request without its identity" : verified.message;
      this.deps.logger.warn("refused a forwarded REST request", { method: req.method, path: req.path, why });
      refuse(res, 401, `Forwarded request refused: ${why}.`, false);
      return;
    }
    const auth = requestAuth(req);
    const here = auth ? principalIdentity(auth.principal, null) : null;
    if (here?.id !== verified.identity.id) {
      this.deps.logger.warn("refused a forwarded REST request", {
        method: req.method,
        path: req.path,
        why: "identity does not match its credentials",
      });
      refuse(res, 401, "Forwarded request refused: its identity does not match its credentials.", false);
      return;
    }
    this.relayed.add(req);
    next();
  };

  /** Before the error handler: a write refused because its record is open on another process goes there. */
  readonly relay: ErrorRequestHandler = (err: unknown, req, res, next) => {
    if (!(err instanceof RecordElsewhereError) || res.headersSent) {
      next(err);
      return;
    }
    if (this.relayed.has(req)) {
      // Loop guard: this process was the owner a peer relayed to, and the record moved meanwhile.
      res.setHeader("Retry-After", "1");
      next(err);
      return;
    }
    const body = rawRequestBody(req);
    if (body === null) {
      // A body some other reader consumed cannot be sent on as it arrived.
      res.setHeader("Retry-After", "1");
      next(err);
      return;
    }
    if (this.inFlight >= this.deps.limits.maxConcurrent) {
      refuse(res, 503, "Too many requests are being relayed to other server processes; retry.", true);
      return;
    }
    let identity: Identity;
    try {
      identity = { ...restIdentity(req), tessera: false };
    } catch (identityErr) {
      next(identityErr);
      return;
    }
    this.inFlight++;
    void this.carry(req, res, err.key, body, identity)
      .catch((carryErr: unknown) => {
        if (res.headersSent) {
          this.deps.logger.error("relaying a REST request failed after its answer started", {
            method: req.method,
            path: req.path,
            error: String(carryErr),
          });
          res.destroy();
          return;
        }
        // Where the record is could not be looked up (Redis unreachable): nothing was relayed; the caller retries.
        this.deps.logger.warn("could not relay a REST request", {
          method: req.method,
          path: req.path,
          error: String(carryErr),
        });
        refuse(res, 503, "The record's owner cannot be looked up at the moment; retry.", true);
      })
      .finally(() => this.inFlight--);
  };

  private async carry(req: Request, res: Response, key: RecordKey, body: Buffer, identity: Identity): Promise<void> {
    const { clock, limits, logger } = this.deps;
    const deadline = clock.now() + limits.timeoutMs;
    let target = await this.deps.place(key);
    for (let attempt = 0; ; attempt++) {
      const base = target.kind === "here" ? this.deps.selfUrl() : target.kind === "peer" ? target.url : null;
      if (base === null) {
        const why = target.kind === "unavailable" ? target.message : "this process is not registered yet; retry";
        refuse(res, 503, `The record's owner cannot be reached: ${why}.`, true);
        return;
      }
      const outcome = await this.send(base, req, body, identity, deadline);
      switch (outcome.kind) {
        case "answered":
          await this.answerWith(outcome.upstream, outcome.abort, res);
          return;
        case "timeout":
          logger.warn("a relayed REST request timed out", { ...key, method: req.method, owner: base });
          refuse(
            res,
            504,
            `The record's owner did not answer within ${limits.timeoutMs} ms; read the record back before retrying: the write may have been applied.`,
            false,
          );
          return;
        case "lost":
          logger.warn("the record's owner went away during a relayed REST request", {
            ...key,
            method: req.method,
            owner: base,
            error: outcome.error,
          });
          refuse(
            res,
            503,
            "The record's owner went away while handling the request; read the record back before retrying: the write may have been applied.",
            true,
          );
          return;
        case "unreached": {
          if (attempt > 0) {
            refuse(res, 503, "The record's owner cannot be reached; retry.", true);
            return;
          }
          logger.info("record owner unreachable; waiting for its lease to move", {
            ...key,
            method: req.method,
            owner: base,
            error: outcome.error,
          });
          const moved = await this.movedFrom(key, base, deadline);
          if (moved === null) {
            refuse(
              res,
              504,
              `The record's owner is unreachable and its lease did not move within ${limits.timeoutMs} ms; retry.`,
              false,
            );
            return;
          }
          target = moved;
          break;
        }
      }
    }
  }

  /** Waits until `key` is served somewhere other than `gone` (here, its lease taken, or another peer); null at `deadline`. */
  private async movedFrom(key: RecordKey, gone: string, deadline: number): Promise<Placement | null> {
    const { clock } = this.deps;
    while (clock.now() < deadline) {
      const p = await this.deps.place(key);
      if (p.kind === "here" || (p.kind === "peer" && p.url !== gone)) return p;
      await delay(clock, Math.min(LEASE_POLL_MS, Math.max(0, deadline - clock.now())));
    }
    return null;
  }

  /** One attempt: the request to `base`, signed as `identity`, settled by the owner's answer or why there was none. */
  private send(base: string, req: Request, body: Buffer, identity: Identity, deadline: number): Promise<Attempt> {
    const target = new URL(req.originalUrl, base);
    const headers: OutgoingHttpHeaders = {
      ...outgoingHeaders(req.headers),
      ...this.deps.signer.sign(identity, req.originalUrl),
      "content-length": String(body.length),
    };
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise<Attempt>((resolve) => {
      let connected = false;
      let timedOut = false;
      let settled = false;
      // A fresh connection per request (no pool): "never connected" then means the owner never saw it.
      const out = send(target, { method: req.method, headers, agent: false });
      const timer = this.deps.clock.after(Math.max(0, deadline - this.deps.clock.now()), () => {
        timedOut = true;
        out.destroy(new Error("timed out"));
      });
      const settle = (a: Attempt) => {
        if (settled) return;
        settled = true;
        if (a.kind !== "answered") timer.cancel();
        resolve(a);
      };
      out.on("socket", (socket) => socket.once("connect", () => (connected = true)));
      out.on("response", (upstream) =>
        settle({
          kind: "answered",
          upstream,
          abort: () => {
            timer.cancel();
            out.destroy();
          },
        }),
      );
      out.on("error", (err) => {
        if (timedOut) settle({ kind: "timeout" });
        else settle(connected ? { kind: "lost", error: err.message } : { kind: "unreached", error: err.message });
      });
      out.end(body);
    });
  }

  /** The owner's answer to the caller: status, headers (but {@link NOT_RELAYED}), body bytes as they come. */
  private answerWith(upstream: IncomingMessage, abort: () => void, res: Response): Promise<void> {
    res.status(upstream.statusCode ?? 502);
    for (const [name, value] of Object.entries(upstream.headers))
      if (value !== undefined && !NOT_RELAYED.has(name)) res.setHeader(name, value);
    return new Promise<void>((resolve) => {
      let ended = false;
      upstream.on("end", () => (ended = true));
      upstream.on("close", () => {
        // The owner's answer stopped short (it died mid-body): the caller must not take it as complete.
        if (!ended) res.destroy();
      });
      upstream.on("error", (err) => {
        this.deps.logger.warn("the record's owner failed while sending its answer", { error: err.message });
        res.destroy();
      });
      res.on("close", () => {
        // The caller left, or the answer is complete: the connection to the owner goes either way.
        if (!ended) upstream.destroy();
        abort();
        resolve();
      });
      upstream.pipe(res);
    });
  }
}
