import { promises as fs } from "node:fs";
import path from "node:path";
import { ImportError } from "../errors.js";
import { readJsonLines, isPlainObject } from "../jsonl.js";
import { stableId } from "../ids.js";
import { globFiles, isFile, isImageFile, isRemoteUri, listFilesRecursive } from "../media.js";
import type { ImportWarning, PendingRow, ReaderOptions, RecordBundle, SourceReader } from "../source.js";
import { withInfo } from "../target.js";
import { imageRow } from "../viewRows.js";
import { Checker } from "./check.js";
import {
  DEFAULT_HEADER,
  HEADER_KEY,
  parseHeader,
  parseLine,
  type GrammarContext,
  type HeaderDefaults,
  type LineSpec,
} from "./grammar.js";
import { buildLineRows, type LineContext } from "./rows.js";
import { loadSpec, type ImportSpec } from "./spec.js";

/**
 * The Pixano JSONL v2 reader: `SOURCE/dataset.yaml` + `SOURCE/<split>/metadata.jsonl` (+ media).
 * Opening it validates every line (strict grammar, declared attrs, media present) so that a bad
 * line fails the import before anything is written; `bundles()` then builds the rows.
 */
const METADATA_FILE = "metadata.jsonl";

async function listSplits(sourceDir: string): Promise<string[]> {
  const entries = await fs.readdir(sourceDir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort();
}

interface SplitPlan {
  readonly name: string;
  readonly metadata: boolean;
  readonly count: number;
  /** Media-only split inside a JSONL source: its image files. */
  readonly files?: string[];
}

class JsonlV2Reader implements SourceReader {
  readonly format = "pixano_jsonl" as const;
  readonly inferred = [];
  readonly splits: Map<string, number>;

  constructor(
    readonly sourceDir: string,
    readonly spec: ImportSpec,
    readonly target: SourceReader["target"],
    private readonly plans: SplitPlan[],
    readonly warnings: ImportWarning[],
    private readonly options: ReaderOptions,
  ) {
    this.splits = new Map(plans.map((p) => [p.name, p.count]));
  }

  private get namespace(): string {
    return this.spec.namespace ?? path.basename(path.resolve(this.sourceDir));
  }

  async *bundles(): AsyncGenerator<RecordBundle> {
    const ctxBase = {
      spec: this.spec,
      namespace: this.namespace,
      previews: !this.options.skipPreviews,
      hasTable: (t: Parameters<LineContext["hasTable"]>[0]) => this.target.schema.tables.has(t),
    };
    for (const plan of this.plans) {
      const splitDir = path.join(this.sourceDir, plan.name);
      const file = `${plan.name}/${METADATA_FILE}`;
      if (!plan.metadata) {
        const view = [...this.spec.viewKinds.keys()][0]!;
        for (const [i, rel] of (plan.files ?? []).entries()) {
          const recordId = stableId(this.namespace, plan.name, path.basename(rel, path.extname(rel)), i + 1);
          const where = { file: `${plan.name}/${rel}` };
          const rows: PendingRow[] = [
            { table: "records", row: { id: recordId, split: plan.name } },
            {
              table: "images",
              row: await imageRow({
                id: stableId(recordId, "view", view),
                recordId,
                logicalName: view,
                media: path.join(splitDir, rel),
                where,
                preview: ctxBase.previews,
              }),
            },
          ];
          yield { split: plan.name, location: where, rows };
        }
        continue;
      }
      for await (const { line, spec, defaults } of parseSplit(
        this.sourceDir,
        plan.name,
        this.spec,
        this.target.schema,
      )) {
        const ctx: LineContext = { ...ctxBase, splitDir, file, defaults };
        const split = spec.split ?? plan.name;
        yield { split, location: { file, line }, rows: await buildLineRows(ctx, spec, split) };
      }
    }
  }
}

/** Streams the validated lines of one split's `metadata.jsonl`. */
async function* parseSplit(
  sourceDir: string,
  split: string,
  spec: ImportSpec,
  schema: GrammarContext["schema"],
): AsyncGenerator<{ line: number; spec: LineSpec; defaults: HeaderDefaults }> {
  const file = `${split}/${METADATA_FILE}`;
  const ctx: GrammarContext = { viewKinds: spec.viewKinds, schema };
  let defaults = DEFAULT_HEADER;
  for await (const { line, value } of readJsonLines(path.join(sourceDir, split, METADATA_FILE), file)) {
    const c = new Checker(file, line);
    if (isPlainObject(value) && HEADER_KEY in value) {
      if (line !== 1) c.fail("", "the $pixano header must be line 1", "invalid_line");
      defaults = parseHeader(c, value);
      continue;
    }
    yield { line, spec: parseLine(c, ctx, defaults, value, line), defaults };
  }
}

/** Checks the media a line references exist (local files and frame patterns), without reading them. */
async function checkMedia(
  sourceDir: string,
  split: string,
  spec: LineSpec,
  mode: ImportSpec["media"]["mode"],
): Promise<{ local: number; remote: number }> {
  const file = `${split}/${METADATA_FILE}`;
  const splitDir = path.join(sourceDir, split);
  let local = 0;
  let remote = 0;
  const check = async (uri: string, pointer: string) => {
    if (isRemoteUri(uri) || mode === "uri") {
      remote++;
      return;
    }
    local++;
    const p = path.isAbsolute(uri) ? uri : path.join(splitDir, uri);
    if (!(await isFile(p)))
      throw new ImportError("missing_media", `media file not found: ${p}`, { file, line: spec.line, pointer });
  };
  for (const [name, v] of spec.views) {
    const p = `/views/${name}`;
    if (v.kind === "sequence_frames") {
      if (v.framePattern !== undefined) {
        if ((await globFiles(splitDir, v.framePattern)).length === 0) {
          throw new ImportError("missing_media", `frame_pattern "${v.framePattern}" matches no files`, {
            file,
            line: spec.line,
            pointer: p,
          });
        }
        local++;
      } else for (const [i, f] of (v.frames ?? []).entries()) await check(f.uri, `${p}/frames/${i}/uri`);
    } else if (v.kind === "text") {
      if (v.uri !== undefined) await check(v.uri, `${p}/uri`);
    } else await check(v.uri, `${p}/uri`);
  }
  return { local, remote };
}

/** Opens (and fully validates) a JSONL v2 source. */
export async function openJsonlV2(sourceDir: string, options: ReaderOptions = {}): Promise<SourceReader> {
  const spec = await loadSpec(sourceDir, {
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.workspace !== undefined ? { workspace: options.workspace } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const warnings: ImportWarning[] = [];
  const plans: SplitPlan[] = [];
  let local = 0;
  let remote = 0;
  const seenIds = new Map<string, string>();
  for (const split of await listSplits(sourceDir)) {
    const metadata = path.join(sourceDir, split, METADATA_FILE);
    if (!(await isFile(metadata))) {
      const single = spec.viewKinds.size === 1 ? [...spec.viewKinds.values()][0] : undefined;
      if (single !== "image") {
        throw new ImportError(
          "invalid_spec",
          `split "${split}" has no ${METADATA_FILE}; media-only splits need exactly one image view in the schema`,
          { file: split },
        );
      }
      const files = (await listFilesRecursive(path.join(sourceDir, split))).filter(isImageFile);
      plans.push({ name: split, metadata: false, count: files.length, files });
      local += files.length;
      continue;
    }
    let count = 0;
    for await (const { line, spec: l } of parseSplit(sourceDir, split, spec, spec.target.schema)) {
      count++;
      if (l.id !== undefined) {
        const where = `${split}/${METADATA_FILE}:${line}`;
        const prev = seenIds.get(l.id);
        if (prev)
          throw new ImportError("duplicate_id", `record id "${l.id}" is already used at ${prev}`, {
            file: `${split}/${METADATA_FILE}`,
            line,
            pointer: "/id",
          });
        seenIds.set(l.id, where);
      }
      const m = await checkMedia(sourceDir, split, l, spec.media.mode);
      local += m.local;
      remote += m.remote;
    }
    plans.push({ name: split, metadata: true, count });
  }
  if (plans.length === 0)
    throw new ImportError("invalid_spec", "no split folder (SOURCE/<split>/metadata.jsonl) found", { file: sourceDir });
  const storageMode = remote === 0 ? "embedded" : local === 0 ? "filesystem" : "mixed";
  const target = withInfo(spec.target, { storage_mode: storageMode });
  return new JsonlV2Reader(sourceDir, spec, target, plans, warnings, options);
}
