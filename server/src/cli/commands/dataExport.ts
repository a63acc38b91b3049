import path from "node:path";
import { exportDataset } from "../datasetIo.js";
import { displayPath, type CliIo } from "../output.js";
import { progressFor } from "../progress.js";

/** `tessera data export DATA_DIR DATASET DEST --format pixano_jsonl|coco`: Pixano 0.8's verb. */
export interface ExportCommandOptions {
  readonly format: "pixano_jsonl" | "coco";
  readonly media: "files" | "uris";
  readonly json?: boolean;
}

export async function runExport(
  io: CliIo,
  dataDir: string,
  dataset: string,
  dest: string,
  opts: ExportCommandOptions,
): Promise<void> {
  const progress = opts.json ? null : progressFor(io, "export");
  let report;
  try {
    report = await exportDataset({
      dataDir: path.resolve(io.cwd, dataDir),
      dataset,
      dest: path.resolve(io.cwd, dest),
      format: opts.format,
      media: opts.media,
      ...(progress ? { onProgress: (done: number, total: number) => progress.update(done, total, "records") } : {}),
    });
  } finally {
    progress?.stop();
  }
  if (opts.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  for (const w of report.warnings) io.stderr.write(`warning: ${w}\n`);
  io.stdout.write(
    `Dataset '${report.name}' exported (${report.records} records, ${report.mediaFiles} media files) to ${displayPath(io, report.dest)} as ${opts.format}\n`,
  );
}
