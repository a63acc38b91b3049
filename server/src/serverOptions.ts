import path from "node:path";
import { inferenceOptionsFromEnv } from "./inference/options.js";
import { authConfigFromEnv } from "./auth/index.js";
import { parseAllowedHosts } from "./http/hosts.js";
import type { StartServerOptions } from "./startServer.js";
import { syncLimitsFromEnv } from "./sync/limitsEnv.js";

/**
 * The one place a running server's settings come from: the environment plus the command-line
 * flags of `tessera server run`. Both entry points go through it — `tessera server run DATA_DIR`
 * (the CLI: `npm start`, the Procfile) and `server/src/main.ts` (no flags: everything from the
 * environment, as the tests boot it) — so a variable applies on every path.
 *
 * | setting | flag | environment | default |
 * |---|---|---|---|
 * | data directory | `DATA_DIR` argument | `DATA_DIR` | `./data` |
 * | interface | `--host` | `HOST` | `127.0.0.1` |
 * | port | `--port` | `PORT` | `7492` (0 picks a free port) |
 * | single-user mode | `--no-auth` | `TESSERA_AUTH=off` | accounts on |
 * | first admin, proxy, websocket limits | | `TESSERA_ADMIN_*`, `TESSERA_TRUST_PROXY`, `TESSERA_WS_PER_*`, `TESSERA_WS_UPGRADES_PER_SECOND` (`authConfigFromEnv`) | |
 * | CORS | | `TESSERA_CORS_ORIGINS` (comma-separated origins) | none |
 * | host names besides loopback | | `TESSERA_ALLOWED_HOSTS` (`http/hosts.ts`) | none |
 * | sync limits | | `TESSERA_WS_INTAKE_*`, `TESSERA_WS_MAX_PENDING_*`, `TESSERA_WS_AWARENESS_*` (`syncLimitsFromEnv`) | |
 * | scaled mode (several processes through Redis) | `--redis` | `TESSERA_REDIS_URL` (`redis://[user:password@]HOST:PORT[/db]`, `rediss://` for TLS) | off: one process |
 * | scaled mode: where the other processes reach this one | | `TESSERA_INTERNAL_URL` (`http://HOST:PORT`) | `http://<host>:<port>`, loopback for `0.0.0.0`/`::` |
 * | scaled mode: REST writes relayed to a record's owner | | `TESSERA_FORWARD_MAX_REQUESTS`, `TESSERA_FORWARD_TIMEOUT_MS` (`restForwardLimitsFromEnv`, `cluster/forwardHttp.ts`) | 64 at once, 30 000 ms |
 *
 * A flag wins over its variable. Invalid values throw a typed error naming the variable.
 */
export interface ServerRunFlags {
  readonly dataDir?: string;
  readonly host?: string;
  readonly port?: number;
  /** `false` for `--no-auth`. */
  readonly auth?: boolean;
  /** `--redis URL`: the scaled mode (docs/ARCHITECTURE.md §6). */
  readonly redis?: string;
}

/** A server setting from the environment is invalid (the message names the variable). */
export class ServerConfigError extends Error {
  override name = "ServerConfigError";
}

/** A TCP port number 0-65535 from its decimal text, or null when it is not one. */
export function parsePort(text: string): number | null {
  const n = Number(text);
  return /^\d+$/.test(text) && Number.isSafeInteger(n) && n <= 65535 ? n : null;
}

function portFrom(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.PORT?.trim();
  if (raw === undefined || raw === "") return undefined;
  const port = parsePort(raw);
  if (port === null)
    throw new ServerConfigError(`PORT must be a port number 0-65535 (got ${JSON.stringify(raw.slice(0, 16))})`);
  return port;
}

/**
 * The Redis URL of the scaled mode, checked here so a typo stops the start with a message naming
 * where it came from (null: one process, no Redis).
 */
export function redisUrlFrom(raw: string | undefined, source: string): string | null {
  const text = raw?.trim();
  if (text === undefined || text === "") return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ServerConfigError(`${source} must be a redis://HOST:PORT URL (got ${JSON.stringify(text.slice(0, 80))})`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:")
    throw new ServerConfigError(
      `${source} must start with redis:// or rediss:// (got ${JSON.stringify(url.protocol)})`,
    );
  if (url.hostname === "") throw new ServerConfigError(`${source} names no host`);
  if (url.port !== "" && parsePort(url.port) === null) throw new ServerConfigError(`${source} has a bad port`);
  const db = url.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d{1,2}$/.test(db))
    throw new ServerConfigError(
      `${source}: the path must be a database number (got ${JSON.stringify(db.slice(0, 16))})`,
    );
  return text;
}

/** Comma-separated origins, blanks dropped. */
function corsOriginsFrom(env: NodeJS.ProcessEnv): string[] {
  return (env.TESSERA_CORS_ORIGINS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** Everything `startServer` needs but the logger, from `env` and `flags`; relative paths resolve against `cwd`. */
export function serverOptionsFrom(
  env: NodeJS.ProcessEnv,
  flags: ServerRunFlags,
  cwd: string,
): Omit<StartServerOptions, "logger"> {
  const host = flags.host ?? (env.HOST?.trim() || undefined) ?? "127.0.0.1";
  return {
    dataDir: path.resolve(cwd, flags.dataDir ?? (env.DATA_DIR?.trim() || undefined) ?? "./data"),
    host,
    port: flags.port ?? portFrom(env) ?? 7492,
    corsOrigins: corsOriginsFrom(env),
    auth: authConfigFromEnv(env, { noAuth: flags.auth === false }),
    allowedHosts: parseAllowedHosts(env.TESSERA_ALLOWED_HOSTS),
    io: ioOptionsFrom(env, cwd),
    // A team server starts its persist worker with it: the first edit's durable acknowledgement does not wait
    // for a process to start.
    collaboration: { syncLimits: syncLimitsFromEnv(env), persistWorkerStart: "with-server" },
    inference: inferenceOptionsFromEnv(env),
    redisUrl:
      flags.redis !== undefined
        ? redisUrlFrom(flags.redis, "--redis")
        : redisUrlFrom(env.TESSERA_REDIS_URL, "TESSERA_REDIS_URL"),
    internalUrl: internalUrlFrom(env.TESSERA_INTERNAL_URL),
  };
}

/** `TESSERA_INTERNAL_URL`: the `http://HOST:PORT` other processes of the scaled mode reach this one at (null: derived). */
function internalUrlFrom(raw: string | undefined): string | null {
  const text = raw?.trim();
  if (!text) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch (err) {
    if (err instanceof TypeError)
      throw new ServerConfigError(
        `TESSERA_INTERNAL_URL must be an http://HOST:PORT URL (got ${JSON.stringify(text.slice(0, 80))})`,
      );
    throw err;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new ServerConfigError(
      `TESSERA_INTERNAL_URL must start with http:// or https:// (got ${JSON.stringify(url.protocol)})`,
    );
  return url.origin;
}

function positiveIntFrom(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new ServerConfigError(`${name} must be a positive integer, not '${raw}'`);
  return n;
}

/** `TESSERA_IMPORT_ROOT` (default `DATA_DIR/imports`), `TESSERA_UPLOAD_MAX_BYTES`, `TESSERA_UPLOAD_MAX_FILES`. */
function ioOptionsFrom(env: NodeJS.ProcessEnv, cwd: string): NonNullable<StartServerOptions["io"]> {
  const root = env.TESSERA_IMPORT_ROOT?.trim();
  const maxBytes = positiveIntFrom(env, "TESSERA_UPLOAD_MAX_BYTES");
  const maxFiles = positiveIntFrom(env, "TESSERA_UPLOAD_MAX_FILES");
  return {
    ...(root ? { importRoot: path.resolve(cwd, root) } : {}),
    uploadLimits: { ...(maxBytes ? { maxBytes } : {}), ...(maxFiles ? { maxFiles } : {}) },
  };
}
