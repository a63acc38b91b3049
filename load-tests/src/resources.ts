import { nowMs } from "./clock.js";
import { sampleProcesses, type ProcessSample } from "./procStats.js";

/**
 * CPU and memory of a process tree over a measurement window, per process: the server's main
 * process separated from what it forked (Tessera's persist worker), as collaboration.md §4.2 asks
 * ("main thread separated from worker threads").
 */
interface ProcessUsage {
  readonly role: string;
  readonly pid: number;
  /** CPU time over the window as a percentage of one core. */
  readonly cpuPercent: number;
  readonly cpuMs: number;
  readonly rssMb: number;
  /** Peak resident memory since the process started (`VmHWM`). */
  readonly peakRssMb: number;
  /** CPU % of one core per thread name (the JS thread is `node`), busiest first. */
  readonly threads: Readonly<Record<string, number>>;
}

export interface Usage {
  readonly windowMs: number;
  /** Whole tree. */
  readonly cpuPercent: number;
  readonly rssMb: number;
  readonly peakRssMb: number;
  readonly processes: readonly ProcessUsage[];
}

export interface TreeSnapshot {
  readonly at: number;
  readonly rootPid: number;
  readonly processes: readonly ProcessSample[];
}

export async function snapshotTree(rootPid: number): Promise<TreeSnapshot> {
  return { at: nowMs(), rootPid, processes: await sampleProcesses(rootPid) };
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const pct = (cpuMs: number, wallMs: number) => (wallMs > 0 ? Math.round((cpuMs / wallMs) * 1000) / 10 : 0);

function roleOf(p: ProcessSample, rootPid: number): string {
  if (p.pid === rootPid) return "main";
  if (/persist/i.test(p.command)) return "persist worker";
  return p.command.split(" ").slice(0, 3).join(" ") || `pid ${p.pid}`;
}

/** Usage between two snapshots of the same tree; processes born in between count from zero. */
export function usageBetween(before: TreeSnapshot, after: TreeSnapshot): Usage {
  const windowMs = after.at - before.at;
  const earlier = new Map(before.processes.map((p) => [p.pid, p]));
  const processes = after.processes.map((p): ProcessUsage => {
    const prev = earlier.get(p.pid);
    const cpuMs = p.cpuMs - (prev?.cpuMs ?? 0);
    const threads = Object.entries(p.threads)
      .map(([name, ms]) => [name, pct(ms - (prev?.threads[name] ?? 0), windowMs)] as const)
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1]);
    return {
      role: roleOf(p, after.rootPid),
      pid: p.pid,
      cpuPercent: pct(cpuMs, windowMs),
      cpuMs: Math.round(cpuMs),
      rssMb: mb(p.rssBytes),
      peakRssMb: mb(p.peakRssBytes),
      threads: Object.fromEntries(threads),
    };
  });
  const cpuMs = processes.reduce((a, p) => a + p.cpuMs, 0);
  return {
    windowMs: Math.round(windowMs),
    cpuPercent: pct(cpuMs, windowMs),
    rssMb: mb(after.processes.reduce((a, p) => a + p.rssBytes, 0)),
    peakRssMb: mb(after.processes.reduce((a, p) => a + p.peakRssBytes, 0)),
    processes,
  };
}

/** RSS of the tree right now, in MB. */
export async function treeRssMb(rootPid: number): Promise<number> {
  return mb((await sampleProcesses(rootPid)).reduce((a, p) => a + p.rssBytes, 0));
}
