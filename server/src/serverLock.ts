import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { AuthFileError, readJsonFile, writeFileAtomic } from "./auth/atomicFile.js";

/**
 * `DATA_DIR/.tessera/server.lock`: which server process is serving a data directory (its pid, URL,
 * host and start time). The server writes it once listening and removes it on shutdown; a crash
 * leaves it behind, so readers decide liveness from the pid (on the same host) and never from the
 * file's presence alone. Offline tools that would pull a dataset from under a running server
 * (`tessera data import --mode overwrite`) read it and refuse, naming the server.
 *
 * In the scaled mode several processes serve one directory: each writes its own lock,
 * `DATA_DIR/.tessera/servers/<processId>.lock`, and the readers look at all of them.
 */
export interface ServerLockInfo {
  readonly pid: number;
  readonly url: string;
  readonly hostname: string;
  readonly startedAt: string;
}

export function serverLockPath(dataDir: string, processId?: string): string {
  return processId === undefined
    ? path.join(dataDir, ".tessera", "server.lock")
    : path.join(serverLocksDir(dataDir), `${processId.replace(/[^A-Za-z0-9_-]/g, "_")}.lock`);
}

/** The folder of the scaled mode's per-process locks. */
function serverLocksDir(dataDir: string): string {
  return path.join(dataDir, ".tessera", "servers");
}

function parseLock(v: unknown): ServerLockInfo | null {
  const o = v as Record<string, unknown> | null;
  if (!o || typeof o !== "object") return null;
  if (
    typeof o.pid !== "number" ||
    !Number.isSafeInteger(o.pid) ||
    o.pid <= 0 ||
    typeof o.url !== "string" ||
    typeof o.hostname !== "string"
  )
    return null;
  return {
    pid: o.pid,
    url: o.url.slice(0, 200),
    hostname: o.hostname.slice(0, 200),
    startedAt: typeof o.startedAt === "string" ? o.startedAt.slice(0, 64) : "",
  };
}

/** Whether a process with this pid exists on this host (EPERM: it exists, owned by someone else). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ESRCH") return false;
    if (code === "EPERM") return true;
    throw err;
  }
}

/** Whether something answers HTTP at `url` within `timeoutMs` (any status counts: a recovering server says 503). */
async function answers(url: string, timeoutMs: number): Promise<boolean> {
  try {
    await fetch(`${url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return true;
  } catch (err) {
    // Refused, unreachable or timed out: nobody serves there.
    if (err instanceof Error) return false;
    throw err;
  }
}

/**
 * The server currently serving `dataDir`, or null. A lock from this host is live while its pid
 * is; a lock from another host (a shared volume) is live while its URL answers. A file that does
 * not parse names no server (it is reported by the caller's own checks, not trusted).
 */
export async function runningServer(dataDir: string): Promise<ServerLockInfo | null> {
  return (await runningServers(dataDir))[0] ?? null;
}

/** Every server process serving `dataDir` now: the one-process lock and the scaled mode's per-process locks. */
export async function runningServers(dataDir: string): Promise<ServerLockInfo[]> {
  let names: string[] = [];
  try {
    names = (await fs.readdir(serverLocksDir(dataDir))).filter((n) => n.endsWith(".lock"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const files = [serverLockPath(dataDir), ...names.sort().map((n) => path.join(serverLocksDir(dataDir), n))];
  const out: ServerLockInfo[] = [];
  for (const file of files) {
    const info = await liveLock(file);
    if (info) out.push(info);
  }
  return out;
}

async function liveLock(file: string): Promise<ServerLockInfo | null> {
  let raw: unknown;
  try {
    raw = await readJsonFile(file);
  } catch (err) {
    // A torn or foreign file names no server: ignore it (the server rewrites it when it starts).
    if (err instanceof AuthFileError) return null;
    throw err;
  }
  const info = raw === null ? null : parseLock(raw);
  if (!info) return null;
  if (info.hostname === os.hostname()) return pidAlive(info.pid) ? info : null;
  return (await answers(info.url, 1500)) ? info : null;
}

/** Written by a server once it listens; {@link release} removes it if it is still this process's. */
export class ServerLock {
  private constructor(
    private readonly file: string,
    readonly info: ServerLockInfo,
  ) {}

  /** `processId`: the scaled mode, one lock per process. */
  static async acquire(dataDir: string, url: string, processId?: string): Promise<ServerLock> {
    const info: ServerLockInfo = {
      pid: process.pid,
      url,
      hostname: os.hostname(),
      startedAt: new Date().toISOString(),
    };
    const file = serverLockPath(dataDir, processId);
    await writeFileAtomic(file, `${JSON.stringify(info, null, 2)}\n`);
    return new ServerLock(file, info);
  }

  async release(): Promise<void> {
    let current: unknown;
    try {
      current = await readJsonFile(this.file);
    } catch (err) {
      if (err instanceof AuthFileError) return;
      throw err;
    }
    const holder = current === null ? null : parseLock(current);
    // Another server took the directory over since: its lock stays.
    if (!holder || holder.pid !== this.info.pid || holder.url !== this.info.url) return;
    await fs.rm(this.file, { force: true });
  }
}
