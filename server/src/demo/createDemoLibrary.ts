import { mkdir, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { Library, makeMosaic, PREVIEWS_DIR, type Dataset } from "@tessera/dataset";
import { buildDemoPlans, type DemoPlanOptions } from "./demoPlans.js";
import type { DemoPlan } from "./plan.js";

/**
 * Creates the demo library that `npm start` serves on first run: four small datasets, one per
 * Pixano workspace, written through `@tessera/dataset` exactly as an import would (validated rows,
 * foreign keys checked, `features_values.json`, `stats.json`, the preview mosaic, indexes and
 * compaction). Deterministic for a seed; `clock` sets the record timestamps.
 */
export interface CreateDemoOptions {
  readonly clock?: () => Date;
  readonly seed?: number;
  readonly sizes?: DemoPlanOptions["sizes"];
  /** Progress lines (default: none). */
  readonly log?: (message: string) => void;
}

interface DemoDatasetReport {
  readonly id: string;
  readonly folder: string;
  readonly rows: Readonly<Record<string, number>>;
}

export interface DemoReport {
  readonly dataDir: string;
  readonly datasets: readonly DemoDatasetReport[];
  readonly millis: { readonly build: number; readonly write: number };
}

function infoOf(plan: DemoPlan): Record<string, unknown> {
  const { id, name, description, workspace, slots, views } = plan.info;
  return { id, name, description, size: "Unknown", preview: "", workspace, storage_mode: "embedded", ...slots, views };
}

async function writePlan(library: Library, plan: DemoPlan): Promise<Dataset> {
  const ds = await library.create(plan.info.id, infoOf(plan), { featuresValues: plan.featuresValues });
  // One multi-table insert, checked as a whole (foreign keys may point at rows of the same call).
  // Timestamps are part of the demo (a campaign under way), so the planned ones are kept.
  await ds.addRecords(plan.rows, { keepTimestamps: true });
  await ds.writeStats();
  if (plan.mosaic.length > 0) {
    const dir = path.join(ds.path, PREVIEWS_DIR);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, "dataset_preview.jpg"), await makeMosaic(plan.mosaic));
  }
  await ds.optimize();
  return ds;
}

/**
 * Writes the demo datasets into `dataDir/library` (creating `library/`, `media/`, `models/` like
 * `tessera init`). Fails with the library's `dataset_exists` error if a demo dataset is already
 * there: callers decide when to create the demo (npm start does it when the library is empty).
 */
export async function createDemoLibrary(dataDir: string, options: CreateDemoOptions = {}): Promise<DemoReport> {
  const log = options.log ?? (() => undefined);
  const t0 = performance.now();
  const plans = await buildDemoPlans({ seed: options.seed, now: options.clock, sizes: options.sizes });
  const t1 = performance.now();
  log(`demo: generated ${plans.length} datasets in ${Math.round(t1 - t0)} ms`);
  // Index and compact once per dataset at the end, not after every large table.
  const library = new Library(dataDir, {
    optimizeAfterRows: Number.POSITIVE_INFINITY,
    ...(options.clock ? { now: options.clock } : {}),
  });
  const datasets: DemoDatasetReport[] = [];
  try {
    await library.init();
    for (const plan of plans) {
      const t = performance.now();
      const ds = await writePlan(library, plan);
      const rows = Object.fromEntries(Object.entries(plan.rows).map(([table, list]) => [table, list?.length ?? 0]));
      datasets.push({ id: ds.id, folder: path.basename(ds.path), rows });
      log(
        `demo: wrote ${plan.info.id} (${Object.entries(rows)
          .map(([t, n]) => `${t} ${n}`)
          .join(", ")}) in ${Math.round(performance.now() - t)} ms`,
      );
    }
  } finally {
    await library.close();
  }
  return { dataDir, datasets, millis: { build: Math.round(t1 - t0), write: Math.round(performance.now() - t1) } };
}
