import { readdir, readFile } from "node:fs/promises";

/**
 * CPU time and memory of a process and its descendants, read from Linux `/proc`. The server runs
 * as `node bin/tessera.mjs …`, which may hand over to a child (tsx), so the whole tree is summed.
 */
export interface ProcSample {
  /** user + system CPU time of the tree, in milliseconds. */
  readonly cpuMs: number;
  /** Current resident set size of the tree, in bytes. */
  readonly rssBytes: number;
  /** Sum of each process's peak RSS (`VmHWM`), in bytes. */
  readonly peakRssBytes: number;
}

/** Kernel clock ticks per second (`getconf CLK_TCK`); 100 on every Linux build Node supports. */
const CLK_TCK = 100;

async function readProcFile(pid: number, file: string): Promise<string | null> {
  try {
    return await readFile(`/proc/${pid}/${file}`, "utf8");
  } catch (err) {
    // The process exited between listing and reading: it simply no longer counts.
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ESRCH")
      return null;
    throw err;
  }
}

/** Fields of /proc/<pid>/stat after the parenthesised command name (which may contain spaces). */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

async function descendants(root: number): Promise<number[]> {
  const children = new Map<number, number[]>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readProcFile(Number(entry), "stat");
    if (!stat) continue;
    const ppid = Number(statFields(stat)[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i] ?? -1) ?? []));
  return out;
}

function kb(status: string, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** One process of a tree: what it runs, its CPU time and memory. */
export interface ProcessSample extends ProcSample {
  readonly pid: number;
  /** The parent's pid (the tree's root has the caller's). */
  readonly ppid: number;
  /** `/proc/<pid>/cmdline`, arguments joined by spaces, shortened to 200 characters. */
  readonly command: string;
  /**
   * CPU time per thread name (`/proc/<pid>/task/<tid>/comm`, e.g. `node` for the JS thread,
   * `libuv-worker`, `tokio-runtime-w` for LanceDB's native pool), in ms: what a JS profile misses.
   */
  readonly threads: Readonly<Record<string, number>>;
}

async function threadTimes(pid: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  let tids: string[];
  try {
    tids = await readdir(`/proc/${pid}/task`);
  } catch (err) {
    // The process exited meanwhile: no threads to count.
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return out;
    throw err;
  }
  for (const tid of tids) {
    const stat = await readProcFile(pid, `task/${tid}/stat`);
    if (!stat) continue;
    const name =
      stat
        .slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"))
        .replace(/[0-9]+$/, "")
        .trim() || "?";
    const f = statFields(stat);
    out[name] = (out[name] ?? 0) + ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  }
  return out;
}

/** Every process of the tree rooted at `rootPid`, root first. Processes that exit meanwhile are skipped. */
export async function sampleProcesses(rootPid: number): Promise<ProcessSample[]> {
  const out: ProcessSample[] = [];
  for (const pid of await descendants(rootPid)) {
    const [stat, status, cmdline, threads] = await Promise.all([
      readProcFile(pid, "stat"),
      readProcFile(pid, "status"),
      readProcFile(pid, "cmdline"),
      threadTimes(pid),
    ]);
    if (!stat || !status) continue;
    const f = statFields(stat);
    out.push({
      pid,
      ppid: Number(f[1]),
      command: (cmdline ?? "")
        .split("\0")
        .filter((a) => a !== "")
        .join(" ")
        .slice(0, 200),
      cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK,
      rssBytes: kb(status, "VmRSS"),
      peakRssBytes: kb(status, "VmHWM"),
      threads,
    });
  }
  return out;
}

export async function sampleProcessTree(rootPid: number): Promise<ProcSample> {
  let cpuMs = 0;
  let rssBytes = 0;
  let peakRssBytes = 0;
  for (const pid of await descendants(rootPid)) {
    const [stat, status] = await Promise.all([readProcFile(pid, "stat"), readProcFile(pid, "status")]);
    if (!stat || !status) continue;
    const f = statFields(stat);
    // utime and stime are fields 14 and 15 of stat, i.e. indexes 11 and 12 after the name.
    cpuMs += ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
    rssBytes += kb(status, "VmRSS");
    peakRssBytes += kb(status, "VmHWM");
  }
  return { cpuMs, rssBytes, peakRssBytes };
}

/**
 * CPU time (user + system, ms) of one process's main thread alone (`/proc/<pid>/task/<pid>/stat`):
 * the JS thread, without libuv's pool, V8's helper threads or LanceDB's native ones. Null if it exited.
 */
export async function mainThreadCpuMs(pid: number): Promise<number | null> {
  const stat = await readProcFile(pid, `task/${pid}/stat`);
  if (!stat) return null;
  const f = statFields(stat);
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}
