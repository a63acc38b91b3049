/**
 * Entry point of an import/export job process, forked by {@link JobRunner}: runs one import (or
 * dry run) or export with `@tessera/dataset`'s engine off the server's event loop, reports progress
 * over IPC, and exits. Killing it is how a job is cancelled.
 */
import { ExportError, exportDataset, ImportError, importDataset, openSource } from "@tessera/dataset/io";
import type { JobMessage, JobOrder } from "./protocol.js";

const PROGRESS_EVERY_MS = 200;

function send(message: JobMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) {
      reject(new Error("the job process has no IPC channel (run it through the server)"));
      return;
    }
    process.send(message, undefined, undefined, (err) => (err ? reject(err) : resolve()));
  });
}

async function run(order: JobOrder): Promise<JobMessage> {
  let last = 0;
  const progress = (phase: "ingest" | "finalize", done: number, total: number): void => {
    const now = Date.now();
    if (now - last < PROGRESS_EVERY_MS && done < total) return;
    last = now;
    process.send?.({ type: "progress", phase, done, total } satisfies JobMessage);
  };
  if (order.kind === "import") {
    const report = await importDataset({
      dataDir: order.dataDir,
      source: order.source,
      format: order.format,
      mode: order.mode,
      jobId: order.jobId,
      dryRun: order.dryRun,
      ...(order.name ? { name: order.name } : {}),
      ...(order.workspace ? { workspace: order.workspace } : {}),
      ...(order.media ? { media: order.media } : {}),
      ...(order.dryRun
        ? {}
        : { onProgress: (p) => progress(p.phase === "write" ? "ingest" : "finalize", p.records, p.totalRecords) }),
      // The server serves this DATA_DIR: replacing a dataset under it would lose its live edits.
      beforeReplace: (existing) =>
        Promise.reject(
          new ImportError(
            "target_in_use",
            `dataset ${existing.datasetId || existing.path} is served by this server; overwrite is refused from the server (use mode "add", another name, or the CLI with the server stopped)`,
          ),
        ),
    });
    if (!order.dryRun) return { type: "imported", report };
    const reader = await openSource(order.source, order.format, {
      skipPreviews: true,
      ...(order.name ? { name: order.name } : {}),
      ...(order.workspace ? { workspace: order.workspace } : {}),
      ...(order.media ? { media: order.media } : {}),
    });
    const schema = Object.fromEntries(Object.entries(reader.target.info).filter(([, v]) => typeof v === "object"));
    return { type: "imported", report, schema };
  }
  const report = await exportDataset({
    dataDir: order.dataDir,
    dataset: order.dataset,
    dest: order.dest,
    media: order.media,
    format: order.format,
    onProgress: (done, total) => progress("ingest", done, total),
  });
  return {
    type: "exported",
    datasetId: report.datasetId,
    records: report.records,
    mediaFiles: report.mediaFiles,
    dest: report.dest,
    warnings: report.warnings,
  };
}

function failure(err: unknown): JobMessage {
  if (err instanceof ImportError) {
    return {
      type: "failed",
      code: err.reason,
      message: err.detail,
      ...(err.location ? { location: err.location } : {}),
    };
  }
  if (err instanceof ExportError) return { type: "failed", code: err.reason, message: err.message };
  return { type: "failed", code: "internal", message: err instanceof Error ? err.message : String(err) };
}

// The server died (its end of the IPC channel closed): stop, never import into a library nobody serves.
process.once("disconnect", () => process.exit(1));

process.once("message", (order: JobOrder) => {
  run(order)
    .catch(failure)
    .then(send)
    .then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`job process: cannot report: ${String(err)}\n`);
        process.exit(1);
      },
    );
});
