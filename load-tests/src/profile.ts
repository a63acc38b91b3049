import { readdir, readFile } from "node:fs/promises";
import * as path from "node:path";

/**
 * Summaries of V8 CPU profiles (`node --cpu-prof`): where the server spent its time, by function
 * (self and inclusive) and by package, so RESULTS.md can name what is hot without a profiler UI.
 */
interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  /** µs before each sample. */
  readonly timeDeltas: readonly number[];
}

interface FrameTime {
  readonly frame: string;
  readonly ms: number;
  /** Share of the busy (non-idle) time, in %. */
  readonly pct: number;
}

/** A stretch of consecutive busy samples: the event loop was blocked that long. */
interface LongTask {
  readonly ms: number;
  /** Milliseconds since the profile started. */
  readonly atMs: number;
  /** The frames that took most of it (inclusive), busiest first. */
  readonly frames: readonly FrameTime[];
}

export interface LongTasks {
  readonly thresholdMs: number;
  readonly count: number;
  readonly totalMs: number;
  readonly longest: readonly LongTask[];
  /** Inclusive time per frame over every long task: what blocks the loop. */
  readonly topInclusive: readonly FrameTime[];
}

export interface ProfileSummary {
  readonly file: string;
  readonly wallMs: number;
  readonly busyMs: number;
  /** Idle time (the event loop waiting), not part of busy time. */
  readonly idleMs: number;
  readonly topSelf: readonly FrameTime[];
  readonly topInclusive: readonly FrameTime[];
  readonly byPackage: readonly FrameTime[];
  /** Busy stretches of at least `thresholdMs` (a single JS thread cannot answer anyone meanwhile). */
  readonly longTasks?: LongTasks;
}

const SPECIAL = new Set(["(idle)", "(program)", "(garbage collector)", "(root)"]);

/** `package` of a script URL: a dependency in node_modules, a workspace package, or Node itself. */
export function packageOf(url: string, functionName: string): string {
  if (SPECIAL.has(functionName)) return functionName;
  if (url === "") return "(native)";
  if (url.startsWith("node:")) return "node";
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm?.[1]) return nm[1];
  const ws = /\/(shared-crdt|dataset|storage|server|workers|client|load-tests)\/src\//.exec(url);
  if (ws?.[1]) return `@tessera/${ws[1]}`;
  return url.split("/").slice(-2).join("/");
}

function frameName(cf: CallFrame): string {
  if (SPECIAL.has(cf.functionName)) return cf.functionName;
  const file =
    cf.url === ""
      ? ""
      : cf.url
          .replace(/^file:\/\//, "")
          .replace(/^.*node_modules\//, "")
          .replace(/^.*\/(?=(shared-crdt|dataset|server|workers)\/src\/)/, "");
  return `${cf.functionName || "(anonymous)"}${file ? ` ${file}:${cf.lineNumber + 1}` : ""}`;
}

const round = (v: number) => Math.round(v * 10) / 10;

function top(map: Map<string, number>, busyUs: number, n: number): FrameTime[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([frame, us]) => ({ frame, ms: round(us / 1000), pct: busyUs > 0 ? round((us / busyUs) * 100) : 0 }));
}

/** Frames on the stack of one sample, innermost first, each once. */
function stackOf(id: number, byId: ReadonlyMap<number, ProfileNode>, parent: ReadonlyMap<number, number>): string[] {
  const out: string[] = [];
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const cf = byId.get(at)?.callFrame;
    if (!cf || cf.functionName === "(root)") continue;
    const f = frameName(cf);
    if (!out.includes(f)) out.push(f);
  }
  return out;
}

/**
 * Finds the busy stretches of at least `thresholdMs`: consecutive samples none of which is idle
 * (V8 samples the JS thread, so a stretch is time the event loop could not serve anyone).
 */
export function longTasksOf(profile: CpuProfile, thresholdMs = 10, n = 5): LongTasks {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const tasks: Array<{ us: number; atUs: number; frames: Map<string, number> }> = [];
  const all = new Map<string, number>();
  let current: { us: number; atUs: number; frames: Map<string, number> } | null = null;
  let clock = 0;
  const close = () => {
    if (current && current.us >= thresholdMs * 1000) {
      tasks.push(current);
      for (const [f, us] of current.frames) all.set(f, (all.get(f) ?? 0) + us);
    }
    current = null;
  };
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(id);
    const idle = !node || node.callFrame.functionName === "(idle)";
    if (idle) close();
    else {
      current ??= { us: 0, atUs: clock, frames: new Map() };
      current.us += us;
      for (const f of stackOf(id, byId, parent)) current.frames.set(f, (current.frames.get(f) ?? 0) + us);
    }
    clock += us;
  });
  close();
  const totalUs = tasks.reduce((a, t) => a + t.us, 0);
  return {
    thresholdMs,
    count: tasks.length,
    totalMs: round(totalUs / 1000),
    longest: [...tasks]
      .sort((a, b) => b.us - a.us)
      .slice(0, n)
      .map((t) => ({ ms: round(t.us / 1000), atMs: round(t.atUs / 1000), frames: top(t.frames, t.us, 6) })),
    topInclusive: top(all, totalUs, 15),
  };
}

/** Summarises one profile: self time per sample goes to the sampled node, inclusive time to each distinct frame on its stack. */
export function summarizeProfile(profile: CpuProfile, file = "", n = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const packages = new Map<string, number>();
  let idleUs = 0;
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    // A sample stands for the time until the next one; the last sample gets none.
    const us = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(id);
    if (!node) return;
    totalUs += us;
    if (node.callFrame.functionName === "(idle)") {
      idleUs += us;
      return;
    }
    const name = frameName(node.callFrame);
    self.set(name, (self.get(name) ?? 0) + us);
    const pkg = packageOf(node.callFrame.url, node.callFrame.functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const cf = byId.get(at)?.callFrame;
      if (!cf || cf.functionName === "(root)") continue;
      const f = frameName(cf);
      if (seen.has(f)) continue;
      seen.add(f);
      inclusive.set(f, (inclusive.get(f) ?? 0) + us);
    }
  });
  const busyUs = totalUs - idleUs;
  return {
    file,
    wallMs: round((profile.endTime - profile.startTime) / 1000),
    busyMs: round(busyUs / 1000),
    idleMs: round(idleUs / 1000),
    topSelf: top(self, busyUs, n),
    topInclusive: top(inclusive, busyUs, n),
    byPackage: top(packages, busyUs, n),
    longTasks: longTasksOf(profile),
  };
}

/** Every `.cpuprofile` in a folder, summarised, busiest first. */
export async function summarizeProfileDir(dir: string, n = 15): Promise<ProfileSummary[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".cpuprofile"));
  const out: ProfileSummary[] = [];
  for (const f of files) {
    const profile = JSON.parse(await readFile(path.join(dir, f), "utf8")) as CpuProfile;
    out.push(summarizeProfile(profile, path.join(dir, f), n));
  }
  return out.sort((a, b) => b.busyMs - a.busyMs);
}
