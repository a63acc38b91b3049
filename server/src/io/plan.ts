/**
 * Pixano 0.8's `ImportPlan` (`pixano/datasets/io/plan.py`) from a Tessera dry run: what
 * `POST /io/analyze` answers and the import wizards show before anything is written. Tessera adds
 * `table_counts` (rows per table) and `target` (name, folder, workspace, mode); Pixano's clients
 * ignore fields they do not know.
 */
import { createHash } from "node:crypto";
import type { ImportReport } from "@tessera/dataset/io";

interface Provenance {
  readonly file: string | null;
  readonly line: number | null;
  readonly json_pointer: string | null;
  readonly record_key: string | null;
}

interface Finding {
  readonly code: string;
  readonly severity: "error" | "warning" | "info";
  count: number;
  readonly samples: Provenance[];
  readonly suggestion: string;
  /** Tessera: the first occurrence's message (Pixano keeps only the code). */
  readonly message: string;
}

export interface ImportPlan {
  plan_id: string;
  readonly format: string;
  readonly importer_version: string;
  readonly spec_fingerprint: string;
  readonly source_fingerprint: string;
  readonly splits: Readonly<Record<string, number | null>>;
  readonly totals: {
    readonly records: number | null;
    readonly media_bytes: number | null;
    readonly estimated: boolean;
  };
  readonly inferred_schema: Readonly<Record<string, unknown>> | null;
  readonly report: { readonly findings: Record<string, Finding> };
  readonly previews: readonly never[];
  readonly media_size_estimate_bytes: number | null;
  readonly table_counts: Readonly<Record<string, number>>;
  readonly target: {
    readonly name: string;
    readonly folder: string;
    readonly workspace: string;
    readonly mode: string;
  } | null;
}

const MAX_SAMPLES = 5;

export function fingerprint(payload: unknown): string {
  return createHash("sha256").update(JSON.stringify(payload)).digest("hex").slice(0, 16);
}

function provenance(location: { file: string; line?: number; pointer?: string } | undefined): Provenance {
  return {
    file: location?.file ?? null,
    line: location?.line ?? null,
    json_pointer: location?.pointer ?? null,
    record_key: null,
  };
}

function addFinding(
  findings: Record<string, Finding>,
  code: string,
  severity: Finding["severity"],
  message: string,
  location?: { file: string; line?: number; pointer?: string },
): void {
  const f = (findings[code] ??= { code, severity, count: 0, samples: [], suggestion: "", message });
  f.count += 1;
  if (f.samples.length < MAX_SAMPLES) f.samples.push(provenance(location));
}

/** The plan of a dry run that went through. */
export function planFromReport(
  report: ImportReport,
  schema: Readonly<Record<string, unknown>> | null,
  fingerprints: { spec: string; source: string },
): ImportPlan {
  const findings: Record<string, Finding> = {};
  for (const w of report.warnings) addFinding(findings, w.code, "warning", w.message, w.location);
  return {
    plan_id: "",
    format: report.format,
    importer_version: "",
    spec_fingerprint: fingerprints.spec,
    source_fingerprint: fingerprints.source,
    splits: report.splits,
    totals: { records: report.records, media_bytes: null, estimated: false },
    inferred_schema: schema,
    report: { findings },
    previews: [],
    media_size_estimate_bytes: null,
    table_counts: Object.fromEntries(
      Object.entries(report.tables).filter((e): e is [string, number] => typeof e[1] === "number"),
    ),
    target: { name: report.name, folder: report.folder, workspace: report.workspace, mode: report.mode },
  };
}

/** The plan of a dry run the engine refused: one error finding (the importer stops at the first error). */
export function planFromError(
  format: string,
  failure: { code: string; message: string; location?: { file: string; line?: number; pointer?: string } },
  fingerprints: { spec: string; source: string },
): ImportPlan {
  const findings: Record<string, Finding> = {};
  addFinding(findings, failure.code, "error", failure.message, failure.location);
  return {
    plan_id: "",
    format,
    importer_version: "",
    spec_fingerprint: fingerprints.spec,
    source_fingerprint: fingerprints.source,
    splits: {},
    totals: { records: null, media_bytes: null, estimated: false },
    inferred_schema: null,
    report: { findings },
    previews: [],
    media_size_estimate_bytes: null,
    table_counts: {},
    target: null,
  };
}
