import { parseArgs } from "node:util";

/**
 * The bench command line (`npm run bench -- SCENARIO [options]`), parsed strictly with
 * `util.parseArgs`: an option the chosen scenario does not take (a misspelt `--client`, a fanout
 * option given to `rooms`) is an error, as is a missing value, instead of being ignored.
 */

/** Options every scenario takes. */
const COMMON = { json: "boolean", full: "boolean", profile: "boolean", seed: "string", at: "string" } as const;

/** Options per scenario (the values the scenarios read with `numberOption`, as strings). */
const SCENARIO_OPTIONS = {
  fanout: ["clients", "rate", "awareness-hz", "duration", "warmup-s", "runs"],
  rooms: [
    "rooms",
    "boxes",
    "concurrency",
    "settle-s",
    "idle-s",
    "steady-s",
    "steady-eps",
    "bot-procs",
    "profile-burst",
    "no-marker",
  ],
  persist: ["bots", "edits-per-sec", "duration", "warmup-s", "poll-ms", "settle-s"],
  join: ["joiners", "ops", "cold-repeats"],
  crash: ["clients", "rate", "awareness-hz", "runs"],
  browse: ["records", "reps", "warmup", "page", "rebuild"],
  import: ["records", "per-record", "formats"],
  render: [],
  attacks: ["updates", "entries", "junk-mb", "posts", "phase-timeout-s"],
  inference: ["images", "clicks", "clickers", "edits", "click-hz", "model-dir"],
  preannotate: ["records", "edits", "edit-every", "threshold", "model-dir", "image"],
  track: ["frames", "edits", "edit-every"],
  embed: ["records", "edits", "edit-every"],
  cluster: ["processes", "clients", "rate", "awareness-hz", "records", "record-rate", "duration", "warmup-s"],
} as const satisfies Record<string, readonly string[]>;

export type ScenarioName = keyof typeof SCENARIO_OPTIONS;

/** Scenario options that are switches; every other one takes a value. */
const SWITCHES = new Set<string>(["rebuild", "profile-burst", "no-marker"]);

export class BenchArgsError extends Error {
  override name = "BenchArgsError";
}

export interface BenchArgs {
  readonly scenarios: readonly ScenarioName[];
  readonly json: boolean;
  readonly full: boolean;
  readonly profile: boolean;
  /** `--seed N` (a safe integer), else undefined. */
  readonly seed: number | undefined;
  readonly at: string | undefined;
  /** The options after the scenario name as `--name [value]` pairs (scenarios read theirs from it). */
  readonly rest: readonly string[];
}

function isScenario(name: string): name is ScenarioName {
  return Object.hasOwn(SCENARIO_OPTIONS, name);
}

/** Parses `SCENARIO [options]`; throws {@link BenchArgsError} on anything it does not know. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const [scenario, ...rest] = argv;
  if (scenario === undefined) throw new BenchArgsError("a scenario is required");
  const scenarios: ScenarioName[] =
    scenario === "all" ? (Object.keys(SCENARIO_OPTIONS) as ScenarioName[]) : isScenario(scenario) ? [scenario] : [];
  if (scenarios.length === 0) throw new BenchArgsError(`unknown scenario "${scenario}"`);
  const options: Record<string, { type: "boolean" | "string" }> = {};
  for (const [name, type] of Object.entries(COMMON)) options[name] = { type };
  for (const s of scenarios)
    for (const name of SCENARIO_OPTIONS[s]) options[name] = { type: SWITCHES.has(name) ? "boolean" : "string" };
  let values: Record<string, string | boolean | undefined>;
  const normalized: string[] = [];
  try {
    const parsed = parseArgs({ args: [...rest], options, strict: true, allowPositionals: false, tokens: true });
    values = parsed.values;
    // `--clients=80` and `--clients 80` both reach the scenarios as `--clients 80`.
    for (const t of parsed.tokens)
      if (t.kind === "option") normalized.push(`--${t.name}`, ...(t.value === undefined ? [] : [t.value]));
  } catch (err) {
    // parseArgs throws TypeErrors with an ERR_PARSE_ARGS_* code: report them as usage errors.
    if (err instanceof TypeError) throw new BenchArgsError(`${scenario}: ${err.message}`);
    throw err;
  }
  let seed: number | undefined;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!Number.isSafeInteger(seed)) throw new BenchArgsError(`--seed needs an integer, got "${String(values.seed)}"`);
  }
  return {
    scenarios,
    json: values.json === true,
    full: values.full === true,
    profile: values.profile === true,
    seed,
    at: typeof values.at === "string" ? values.at : undefined,
    rest: normalized,
  };
}
