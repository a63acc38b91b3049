import path from "node:path";
import { ImportError, importDataset, type FormatOption, type ImportMode, type ImportReport } from "../datasetIo.js";
import { displayPath, table, type CliIo } from "../output.js";
import { progressFor } from "../progress.js";
import { FileRecordLog } from "@tessera/storage";
import { runningServer, serverLockPath } from "../../serverLock.js";

/**
 * `tessera data import DATA_DIR SOURCE`: Pixano's verb. Auto-detects the source format (v1
 * `metadata.jsonl`, JSONL v2 + `dataset.yaml`, or bare media), prints the plan with `--dry-run`,
 * otherwise builds the dataset with a progress bar on a terminal and one summary line elsewhere.
 */
export interface ImportCommandOptions {
  readonly workspace?: string;
  readonly name?: string;
  readonly mode: ImportMode;
  readonly dryRun?: boolean;
  readonly format: FormatOption;
  readonly useImageNameAsId?: boolean;
  readonly media?: "embed" | "uri";
  readonly json?: boolean;
}

function rowsLine(report: ImportReport): string {
  return Object.entries(report.tables)
    .map(([t, n]) => `${t} ${n}`)
    .join(", ");
}

function formatPlan(io: CliIo, source: string, report: ImportReport): string {
  const lines: string[] = [];
  lines.push("Dry run: nothing was written.");
  lines.push(`Source: ${displayPath(io, source)} (format ${report.format})`);
  lines.push(
    `Target: ${displayPath(io, report.path)} (name "${report.name}", workspace ${report.workspace}, mode ${report.mode}, storage ${report.storageMode})`,
  );
  lines.push(`Records per split (${report.records} in all):`);
  lines.push(table(Object.entries(report.splits).map(([s, n]) => [s, String(n)])));
  lines.push("Tables (rows):");
  lines.push(table(Object.entries(report.tables).map(([t, n]) => [t, String(n)])));
  if (report.inferred.length > 0) {
    lines.push("Inferred custom fields (kept as columns):");
    lines.push(table(report.inferred.map((f) => [`${f.table}.${f.name}`, `${f.type}  (${f.count} rows)`])));
  } else lines.push("Inferred custom fields: none");
  if (report.warnings.length > 0) {
    lines.push(`Warnings (${report.warnings.length}):`);
    for (const w of report.warnings.slice(0, 50)) {
      const at = w.location
        ? `${displayPath(io, path.resolve(source, w.location.file))}${w.location.line !== undefined ? `:${w.location.line}` : ""}: `
        : "";
      lines.push(`  ${at}${w.message}`);
    }
    if (report.warnings.length > 50) lines.push(`  … and ${report.warnings.length - 50} more`);
  } else lines.push("Warnings: none");
  return `${lines.join("\n")}\n`;
}

/**
 * `--mode overwrite` gives the dataset a new id and new rows. Refused when that would lose edits a
 * server confirmed: while a server serves this DATA_DIR (its `.tessera/server.lock`, with a live
 * pid) its open records would keep flushing to the old id; and after a server stopped abruptly,
 * edits still in the dataset's write-ahead logs (not yet folded into rows) would be orphaned.
 */
async function guardReplace(
  dataDir: string,
  existing: { readonly path: string; readonly datasetId: string },
): Promise<void> {
  const named = `dataset ${existing.datasetId ? `${existing.datasetId} ` : ""}at ${existing.path}`;
  const server = await runningServer(dataDir);
  if (server) {
    throw new ImportError(
      "target_in_use",
      `${named} is being served by the Tessera server running at ${server.url} (pid ${server.pid}, since ${server.startedAt}); ` +
        `--mode overwrite would replace it under the server and lose its live edits. Stop the server first, or use --mode add, or import under another name. ` +
        `(If no server is running, delete ${serverLockPath(dataDir)}.)`,
    );
  }
  if (!existing.datasetId) return;
  const warnings: string[] = [];
  const log = new FileRecordLog({ dataDir, readOnly: true, onWarning: (m) => warnings.push(m) });
  let unfolded: string[];
  try {
    unfolded = (await log.pending()).filter((k) => k.datasetId === existing.datasetId).map((k) => k.recordId);
  } finally {
    await log.close();
  }
  if (unfolded.length > 0) {
    const shown = unfolded
      .slice(0, 5)
      .map((r) => JSON.stringify(r))
      .join(", ");
    throw new ImportError(
      "target_in_use",
      `${named} has confirmed edits not yet folded into its rows (records ${shown}${unfolded.length > 5 ? ` and ${unfolded.length - 5} more` : ""}; ` +
        `the server serving it stopped before folding them). Start the server once so its start-up recovery folds them, stop it, then overwrite.`,
    );
  }
}

export async function runImport(io: CliIo, dataDir: string, source: string, opts: ImportCommandOptions): Promise<void> {
  const root = path.resolve(io.cwd, dataDir);
  const progress = opts.dryRun || opts.json ? null : progressFor(io, "import");
  const started = Date.now();
  let report: ImportReport;
  try {
    report = await importDataset({
      dataDir: root,
      source: path.resolve(io.cwd, source),
      beforeReplace: (existing) => guardReplace(root, existing),
      format: opts.format,
      mode: opts.mode,
      ...(opts.workspace !== undefined ? { workspace: opts.workspace } : {}),
      ...(opts.name !== undefined ? { name: opts.name } : {}),
      ...(opts.dryRun ? { dryRun: true } : {}),
      ...(opts.useImageNameAsId ? { useImageNameAsId: true } : {}),
      ...(opts.media === "uri" ? { media: "uri" as const } : {}),
      ...(progress ? { onProgress: (p) => progress.update(p.records, p.totalRecords, p.phase) } : {}),
    });
  } catch (err) {
    // Input locations are relative to SOURCE; show them as the user can open them.
    if (err instanceof ImportError && err.location && !path.isAbsolute(err.location.file)) {
      const file = displayPath(io, path.resolve(io.cwd, source, err.location.file));
      throw new ImportError(err.reason, err.detail, { ...err.location, file });
    }
    throw err;
  } finally {
    progress?.stop();
  }
  if (opts.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  if (report.dryRun) {
    io.stdout.write(formatPlan(io, path.resolve(io.cwd, source), report));
    return;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  io.stdout.write(
    `Dataset '${report.name}' built successfully (${report.records} records) in ${seconds} s: id ${report.datasetId}, ${displayPath(io, report.path)}, ${report.format}, rows: ${rowsLine(report)}${report.warnings.length > 0 ? `, ${report.warnings.length} warnings` : ""}\n`,
  );
}
