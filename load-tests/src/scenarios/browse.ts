import { ensureBrowseDataset, type BrowseDatasetInfo } from "../gen/generateBrowseDataset.js";
import { sampleProcessTree } from "../procStats.js";
import { Rng } from "../rng.js";
import { startTessera } from "../servers/tessera.js";
import { summarize, type LatencySummary } from "../stats.js";

/**
 * Browsing a 1,000,000-record dataset through the REST API, as the explorer does: the first page,
 * a deep page, a filtered and sorted page, free-text search, record neighbours, and one record's
 * boxes. Each query runs `repetitions` times, sequentially (one user), against a server started
 * fresh in a child process; targets vary per repetition (different offsets, records) from a
 * seeded PRNG so caches do not flatter the figures.
 */
export interface BrowseOptions {
  readonly repetitions: number;
  readonly warmup: number;
  readonly records: number;
  readonly pageSize: number;
  readonly rebuild?: boolean;
  readonly log: (message: string) => void;
}

interface QueryResult {
  readonly scenario: "browse";
  readonly query: string;
  readonly params: Readonly<Record<string, string | number>>;
  readonly latencyMs: LatencySummary;
  /** Server CPU time spent over this query's repetitions (ms) and per request (ms). */
  readonly serverCpuMs: number;
  readonly serverCpuMsPerRequest: number;
  /** Server resident memory after this query's repetitions, and its peak so far (MB). */
  readonly serverRssMb: number;
  readonly serverPeakRssMb: number;
  /** What one response looked like (items returned, total), to show the query did real work. */
  readonly sample: Readonly<Record<string, unknown>>;
  /** Requests answered with a non-2xx status (excluded from the latency figures), and the first error. */
  readonly errors: number;
  readonly firstError?: string;
}

export interface BrowseReport {
  readonly dataset: BrowseDatasetInfo;
  readonly serverStartMs: number;
  readonly results: readonly QueryResult[];
}

interface QuerySpec {
  readonly name: string;
  readonly params: Readonly<Record<string, string | number>>;
  /** The path (with query string) of repetition `i`. */
  path(i: number): string;
}

const enc = encodeURIComponent;

async function timedGet(url: string): Promise<{ ms: number; status: number; body: unknown }> {
  const t0 = performance.now();
  const res = await fetch(url);
  const text = await res.text();
  const ms = performance.now() - t0;
  let body: unknown = text;
  try {
    body = JSON.parse(text) as unknown;
  } catch (err) {
    // A non-JSON answer is reported as text in the sample; the status says whether it failed.
    if (!(err instanceof SyntaxError)) throw err;
  }
  return { ms, status: res.status, body };
}

function describe(body: unknown): Record<string, unknown> {
  if (body && typeof body === "object" && !Array.isArray(body)) {
    const o = body as Record<string, unknown>;
    if (Array.isArray(o.items)) return { items: o.items.length, total: o.total };
    return Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v !== "object"));
  }
  return { value: Array.isArray(body) ? `array(${body.length})` : typeof body };
}

function querySpecs(data: BrowseDatasetInfo, options: BrowseOptions): QuerySpec[] {
  const base = `/datasets/${enc(data.datasetId)}`;
  const rng = new Rng(20261127);
  const page = options.pageSize;
  const deepOffsets = Array.from({ length: options.repetitions + options.warmup }, () =>
    rng.int(Math.floor(data.records * 0.5), data.records - page),
  );
  const anyRecord = Array.from({ length: options.repetitions + options.warmup }, () =>
    data.recordId(rng.int(0, data.records - 1)),
  );
  const boxed = Array.from({ length: options.repetitions + options.warmup }, () =>
    data.recordId(rng.int(0, data.boxedRecords - 1) * data.boxEvery),
  );
  const filter = "filter=status:eq:inReview&sort=updated_at&order=desc";
  const at = <T>(list: readonly T[], i: number) => list[i % list.length] as T;
  return [
    { name: "first page", params: { limit: page, offset: 0 }, path: () => `${base}/records?limit=${page}&offset=0` },
    {
      name: "first page + previews",
      params: { limit: page, include: "view_previews" },
      path: () => `${base}/records?limit=${page}&offset=0&include=view_previews`,
    },
    {
      name: "deep offset page",
      params: { limit: page, offset: "U[50%, 100%) of records" },
      path: (i) => `${base}/records?limit=${page}&offset=${at(deepOffsets, i)}`,
    },
    {
      name: "filtered + sorted page",
      params: { filter: "status:eq:inReview", sort: "updated_at", order: "desc", limit: page },
      path: () => `${base}/records?${filter}&limit=${page}`,
    },
    {
      name: "free text q",
      params: { q: data.rareWord, limit: page },
      path: () => `${base}/records?q=${enc(data.rareWord)}&limit=${page}`,
    },
    { name: "record by id", params: { id: "random record" }, path: (i) => `${base}/records/${enc(at(anyRecord, i))}` },
    {
      name: "neighbors (filtered, sorted)",
      params: { filter: "status:eq:inReview", sort: "updated_at", order: "desc", record: "random inReview record" },
      path: (i) => `${base}/records/${enc(at(data.inReviewSample, i))}/neighbors?${filter}`,
    },
    {
      name: "neighbors (unfiltered)",
      params: { record: "random record" },
      path: (i) => `${base}/records/${enc(at(anyRecord, i))}/neighbors`,
    },
    {
      name: "one record's bboxes",
      params: { record_id: "random boxed record" },
      path: (i) => `${base}/bboxes?record_id=${enc(at(boxed, i))}`,
    },
  ];
}

export async function runBrowse(options: BrowseOptions): Promise<BrowseReport> {
  const data = await ensureBrowseDataset({ records: options.records, log: options.log, rebuild: options.rebuild });
  options.log(`starting the server on ${data.dataDir}`);
  const t0 = performance.now();
  const server = await startTessera({ dataDir: data.dataDir });
  const serverStartMs = Math.round(performance.now() - t0);
  const results: QueryResult[] = [];
  try {
    for (const spec of querySpecs(data, options)) {
      for (let i = 0; i < options.warmup; i++) await timedGet(server.url + spec.path(options.repetitions + i));
      const before = await sampleProcessTree(server.pid);
      const samples: number[] = [];
      let sample: Record<string, unknown> = {};
      let errors = 0;
      let firstError: string | undefined;
      for (let i = 0; i < options.repetitions; i++) {
        const path = spec.path(i);
        const { ms, status, body } = await timedGet(server.url + path);
        if (status < 200 || status >= 300) {
          errors += 1;
          firstError ??= `GET ${path} → ${status} ${JSON.stringify(body).slice(0, 200)}`;
          continue;
        }
        samples.push(ms);
        if (samples.length === 1) sample = describe(body);
      }
      const after = await sampleProcessTree(server.pid);
      const cpu = after.cpuMs - before.cpuMs;
      const result: QueryResult = {
        scenario: "browse",
        query: spec.name,
        params: { ...spec.params, repetitions: options.repetitions, records: data.records },
        latencyMs: summarize(samples),
        serverCpuMs: Math.round(cpu),
        serverCpuMsPerRequest: Math.round((cpu / options.repetitions) * 100) / 100,
        serverRssMb: Math.round(after.rssBytes / 2 ** 20),
        serverPeakRssMb: Math.round(after.peakRssBytes / 2 ** 20),
        sample,
        errors,
        ...(firstError ? { firstError } : {}),
      };
      options.log(
        `${spec.name}: p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms${errors ? `, ${errors} errors: ${firstError}` : ""}`,
      );
      results.push(result);
    }
  } finally {
    await server.stop();
  }
  return { dataset: data, serverStartMs, results };
}
