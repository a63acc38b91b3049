import path from "node:path";
import type { PreannotateJob } from "@tessera/shared-crdt";
import { readJsonFile, writeFileAtomic } from "../../auth/atomicFile.js";

/**
 * The pre-annotation jobs list, `DATA_DIR/.tessera/inference/jobs.json` (atomic writes), so that
 * after a restart the jobs that were running are reported `error` (`interrupted`) rather than
 * forgotten: a job survives nothing across a restart.
 */
const MAX_KEPT = 200;
const STATUSES = new Set(["pending", "running", "done", "error", "cancelled"]);

function isJob(v: unknown): v is PreannotateJob {
  if (v === null || typeof v !== "object") return false;
  const j = v as Record<string, unknown>;
  return (
    typeof j.job_id === "string" &&
    j.kind === "preannotate" &&
    typeof j.dataset === "string" &&
    typeof j.status === "string" &&
    STATUSES.has(j.status) &&
    typeof j.model === "string" &&
    typeof j.created_at === "number" &&
    typeof j.updated_at === "number" &&
    j.progress !== null &&
    typeof j.progress === "object"
  );
}

class JobFileError extends Error {
  override name = "JobFileError";
}

export class JobFile {
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string) {}

  static async open(dataDir: string, now: () => number): Promise<{ file: JobFile; jobs: PreannotateJob[] }> {
    const file = new JobFile(path.join(dataDir, ".tessera", "inference", "jobs.json"));
    const raw = await readJsonFile(file.file);
    const jobs: PreannotateJob[] = [];
    if (raw !== null) {
      if (typeof raw !== "object" || !Array.isArray((raw as { jobs?: unknown }).jobs))
        throw new JobFileError(`${file.file}: not a jobs file`);
      let changed = false;
      for (const item of (raw as { jobs: unknown[] }).jobs) {
        if (!isJob(item)) continue;
        if (item.status === "pending" || item.status === "running") {
          changed = true;
          jobs.push({
            ...item,
            status: "error",
            progress: { ...item.progress, final: true },
            error: {
              type: "interrupted",
              message: `the server stopped while this job was ${item.status}; the proposals written before the stop stay. Start it again: it replaces the model's pending proposals.`,
            },
            updated_at: now(),
          });
        } else jobs.push(item);
      }
      if (changed) await file.write(jobs);
    }
    return { file, jobs };
  }

  /** Queues a write of the list (most recent `MAX_KEPT`); a failed write is reported to `onError`. */
  save(jobs: readonly PreannotateJob[], onError: (err: unknown) => void): void {
    const kept = [...jobs].sort((a, b) => b.created_at - a.created_at).slice(0, MAX_KEPT);
    this.writing = this.writing.then(() => this.write(kept)).catch(onError);
  }

  settled(): Promise<void> {
    return this.writing;
  }

  private write(jobs: readonly PreannotateJob[]): Promise<void> {
    return writeFileAtomic(this.file, `${JSON.stringify({ version: 1, jobs })}\n`);
  }
}
