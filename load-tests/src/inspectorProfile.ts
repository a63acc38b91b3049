import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import WebSocket from "ws";
import { nowMs, sleep } from "./clock.js";
import { sampleProcesses } from "./procStats.js";
import { summarizeProfile, type CpuProfile, type ProfileSummary } from "./profile.js";

/**
 * CPU profiles of running Node processes over a measurement window, through the V8 inspector:
 * SIGUSR1 opens a process's inspector (on the port it was started with, `--inspect-port`, else
 * 9229), then the Chrome DevTools protocol's `Profiler.start` / `Profiler.stop`. Unlike
 * `--cpu-prof` this needs no clean exit, skips start-up, and reaches child processes whose
 * arguments we do not choose (Tessera's persist worker).
 */
class InspectorError extends Error {
  override name = "InspectorError";
}

interface Session {
  send<T>(method: string, params?: Record<string, unknown>): Promise<T>;
  close(): void;
}

async function debuggerUrl(port: number, timeoutMs: number): Promise<string> {
  const deadline = nowMs() + timeoutMs;
  let last = "";
  while (nowMs() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/json/list`);
      const targets = (await res.json()) as Array<{ webSocketDebuggerUrl?: string }>;
      const url = targets[0]?.webSocketDebuggerUrl;
      if (url) return url;
    } catch (err) {
      // Not listening yet: the process handles SIGUSR1 asynchronously.
      last = (err as Error).message;
    }
    await sleep(50);
  }
  throw new InspectorError(`no inspector on port ${port} within ${timeoutMs} ms (${last})`);
}

async function connect(url: string): Promise<Session> {
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1024 * 2 ** 20 });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  ws.on("message", (data: Buffer) => {
    const msg = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string } };
    if (msg.id === undefined) return;
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.error) p.reject(new InspectorError(msg.error.message));
    else p.resolve(msg.result);
  });
  return {
    send<T>(method: string, params: Record<string, unknown> = {}) {
      const id = next++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: (v) => resolve(v as T), reject });
        ws.send(JSON.stringify({ id, method, params }));
      });
    },
    close: () => ws.close(),
  };
}

/** Profiles one process from now until `stop()`. */
async function profileProcess(pid: number, port: number): Promise<{ stop(): Promise<CpuProfile> }> {
  process.kill(pid, "SIGUSR1");
  const session = await connect(await debuggerUrl(port, 5_000));
  await session.send("Profiler.enable");
  await session.send("Profiler.setSamplingInterval", { interval: 500 });
  await session.send("Profiler.start");
  return {
    async stop() {
      try {
        const { profile } = await session.send<{ profile: CpuProfile }>("Profiler.stop");
        return profile;
      } finally {
        session.close();
      }
    },
  };
}

export interface ProcessProfile {
  readonly role: string;
  readonly pid: number;
  readonly summary: ProfileSummary | null;
  readonly error: string | null;
}

/**
 * Profiles a server's main process (started with `--inspect-port=mainPort`) and the persist
 * worker it forks (inspector on the default 9229), attaching to the worker when it appears.
 */
export class TreeProfiler {
  private readonly running = new Map<number, { role: string; stop: () => Promise<CpuProfile> }>();
  private readonly errors: ProcessProfile[] = [];
  private timer: NodeJS.Timeout | null = null;
  private attaching: Promise<void> = Promise.resolve();

  constructor(
    private readonly rootPid: number,
    private readonly mainPort: number,
  ) {}

  async start(): Promise<void> {
    await this.attach(this.rootPid, "main", this.mainPort);
    this.timer = setInterval(() => {
      this.attaching = this.attaching.then(() => this.scan());
    }, 500);
  }

  private async scan(): Promise<void> {
    for (const p of await sampleProcesses(this.rootPid)) {
      if (p.pid === this.rootPid || this.running.has(p.pid) || this.errors.some((e) => e.pid === p.pid)) continue;
      if (/persist/i.test(p.command)) await this.attach(p.pid, "persist worker", 9229);
    }
  }

  private async attach(pid: number, role: string, port: number): Promise<void> {
    try {
      const { stop } = await profileProcess(pid, port);
      this.running.set(pid, { role, stop });
    } catch (err) {
      // A process we cannot profile leaves the benchmark figures valid; the report says why.
      this.errors.push({ role, pid, summary: null, error: (err as Error).message });
    }
  }

  async stop(): Promise<ProcessProfile[]> {
    if (this.timer) clearInterval(this.timer);
    await this.attaching;
    const out: ProcessProfile[] = [...this.errors];
    for (const [pid, { role, stop }] of this.running) {
      try {
        const profile = await stop();
        // BENCH_PROFILE_DIR: the raw profiles too (open in Chrome DevTools, or read frame by frame).
        const dir = process.env.BENCH_PROFILE_DIR;
        if (dir) await writeFile(join(dir, `${role.replace(/\W+/g, "-")}-${pid}.cpuprofile`), JSON.stringify(profile));
        out.push({ role, pid, summary: summarizeProfile(profile, `${role} (pid ${pid})`), error: null });
      } catch (err) {
        out.push({ role, pid, summary: null, error: (err as Error).message });
      }
    }
    this.running.clear();
    return out;
  }
}
