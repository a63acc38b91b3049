/**
 * Messages between the server and an import/export job process (`jobProcess.ts`), over the
 * child's IPC channel (JSON). The server sends one {@link JobOrder}; the child answers with
 * progress and exactly one final {@link JobOutcome}, then exits.
 */
import type { FormatOption, ImportMode, ImportReport } from "@tessera/dataset/io";

interface ImportOrder {
  readonly kind: "import";
  readonly jobId: string;
  readonly dataDir: string;
  readonly source: string;
  readonly format: FormatOption;
  readonly mode: ImportMode;
  readonly name?: string;
  readonly workspace?: string;
  readonly media?: "uri";
  readonly dryRun: boolean;
}

interface ExportOrder {
  readonly kind: "export";
  readonly jobId: string;
  readonly dataDir: string;
  readonly dataset: string;
  readonly dest: string;
  readonly media: "files" | "uris";
  readonly format: "pixano_jsonl" | "coco";
}

export type JobOrder = ImportOrder | ExportOrder;

interface ProgressMessage {
  readonly type: "progress";
  readonly phase: "ingest" | "finalize";
  readonly done: number;
  readonly total: number;
}

interface ImportDone {
  readonly type: "imported";
  readonly report: ImportReport;
  /** Dry runs: the target's schema slots (`info.json`'s `record`, `entity`, `views`, …), Pixano's `inferred_schema`. */
  readonly schema?: Readonly<Record<string, unknown>>;
}

interface ExportDone {
  readonly type: "exported";
  readonly datasetId: string;
  readonly records: number;
  readonly mediaFiles: number;
  readonly dest: string;
  readonly warnings: readonly string[];
}

interface JobFailed {
  readonly type: "failed";
  /** `ImportError`/`ExportError` reason, or `internal`. */
  readonly code: string;
  readonly message: string;
  readonly location?: { readonly file: string; readonly line?: number; readonly pointer?: string };
}

export type JobOutcome = ImportDone | ExportDone | JobFailed;
export type JobMessage = ProgressMessage | JobOutcome;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A message from a job process, checked (the child is ours, but a crash can cut one short). */
export function parseJobMessage(v: unknown): JobMessage | null {
  if (!isObject(v) || typeof v.type !== "string") return null;
  switch (v.type) {
    case "progress":
      return (v.phase === "ingest" || v.phase === "finalize") &&
        typeof v.done === "number" &&
        typeof v.total === "number"
        ? { type: "progress", phase: v.phase, done: v.done, total: v.total }
        : null;
    case "imported":
      return isObject(v.report) ? (v as unknown as ImportDone) : null;
    case "exported":
      return typeof v.dest === "string" && typeof v.records === "number" ? (v as unknown as ExportDone) : null;
    case "failed":
      return typeof v.code === "string" && typeof v.message === "string" ? (v as unknown as JobFailed) : null;
    default:
      return null;
  }
}
