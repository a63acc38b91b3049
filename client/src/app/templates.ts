import type { KeypointTemplate } from "../canvas/types.js";
import type { FeatureValues } from "../api/types.js";
import type { LabelField } from "./categories.js";

/**
 * Built-in keypoint templates, offered when the dataset declares none. `face` and `person` keep the ids, point order
 * and edges of Pixano's UI templates, so keypoints drawn here match rows Pixano wrote (the demo's
 * people use `person`); `cow` is a quadruped skeleton of our own.
 */
export const KEYPOINT_TEMPLATES: readonly KeypointTemplate[] = [
  {
    id: "person",
    labels: ["head", "middle", "left arm", "right arm", "belly", "left foot", "right foot"],
    edges: [
      [0, 1],
      [1, 2],
      [1, 3],
      [1, 4],
      [4, 5],
      [4, 6],
    ],
    layout: [
      [0.5, 0.1],
      [0.5, 0.4],
      [0.3, 0.4],
      [0.7, 0.4],
      [0.5, 0.7],
      [0.3, 0.9],
      [0.7, 0.9],
    ],
  },
  {
    id: "face",
    labels: ["eye left", "eye right", "nose", "mouth"],
    edges: [
      [0, 2],
      [1, 2],
      [2, 3],
    ],
    layout: [
      [0.3, 0.25],
      [0.6, 0.25],
      [0.45, 0.45],
      [0.45, 0.75],
    ],
  },
  {
    id: "cow",
    labels: [
      "head",
      "withers",
      "rump",
      "tail",
      "front left hoof",
      "front right hoof",
      "hind left hoof",
      "hind right hoof",
    ],
    edges: [
      [0, 1],
      [1, 2],
      [2, 3],
      [1, 4],
      [1, 5],
      [2, 6],
      [2, 7],
    ],
    layout: [
      [0.08, 0.3],
      [0.3, 0.3],
      [0.8, 0.32],
      [0.95, 0.45],
      [0.28, 0.95],
      [0.36, 0.95],
      [0.75, 0.95],
      [0.83, 0.95],
    ],
  },
];

/** Where a dataset's templates came from: its own declarations or the built-ins. */
export interface DatasetTemplates {
  readonly templates: readonly KeypointTemplate[];
  readonly fromDataset: boolean;
  /** Declarations that were skipped, with why (shown in the console, never thrown). */
  readonly problems: readonly string[];
}

/** The `info.json` key holding a dataset's keypoint templates (Pixano ignores unknown keys). */
const INFO_TEMPLATES_KEY = "keypoint_templates";

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isUnit = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0 && v <= 1;

/** Points on a circle inside the unit box: the layout of a template that gives none. */
function circleLayout(n: number): Array<readonly [number, number]> {
  return Array.from({ length: n }, (_, i) => {
    const a = (2 * Math.PI * i) / Math.max(1, n) - Math.PI / 2;
    return [0.5 + 0.4 * Math.cos(a), 0.5 + 0.4 * Math.sin(a)] as const;
  });
}

/** One declared template, validated; a string says why it was refused. */
export function parseTemplate(raw: unknown): KeypointTemplate | string {
  if (!isRecord(raw)) return "not an object";
  const id = raw.id;
  if (typeof id !== "string" || id.trim() === "") return "id must be a non-empty string";
  const labels = raw.labels;
  if (!Array.isArray(labels) || labels.length === 0 || !labels.every((l): l is string => typeof l === "string"))
    return `${id}: labels must be a non-empty list of strings`;
  const n = labels.length;
  const edges: Array<readonly [number, number]> = [];
  for (const e of Array.isArray(raw.edges) ? (raw.edges as unknown[]) : []) {
    const [a, b] = Array.isArray(e) ? (e as unknown[]) : [];
    if (!Number.isInteger(a) || !Number.isInteger(b)) return `${id}: an edge is not a pair of point indexes`;
    const ai = a as number;
    const bi = b as number;
    if (ai < 0 || bi < 0 || ai >= n || bi >= n) return `${id}: edge [${ai}, ${bi}] points past its ${n} labels`;
    edges.push([ai, bi]);
  }
  if (raw.edges !== undefined && !Array.isArray(raw.edges)) return `${id}: edges must be a list`;
  let layout: Array<readonly [number, number]> = circleLayout(n);
  if (raw.layout !== undefined) {
    const l = raw.layout;
    if (!Array.isArray(l) || l.length !== n) return `${id}: layout must give one [x, y] per label`;
    const pts: Array<readonly [number, number]> = [];
    for (const p of l as unknown[]) {
      const [x, y] = Array.isArray(p) ? (p as unknown[]) : [];
      if (!isUnit(x) || !isUnit(y)) return `${id}: layout points must be [x, y] within 0..1`;
      pts.push([x, y]);
    }
    layout = pts;
  }
  const category = raw.category;
  if (category !== undefined && typeof category !== "string") return `${id}: category must be a string`;
  return { id, labels, edges, layout, ...(category ? { category } : {}) };
}

/**
 * The keypoint templates a dataset offers. Pixano 0.8 stores no skeletons in a dataset (its UI
 * hard-codes `face`, `person`, `cow`; keypoint rows only carry `template_id`), so two places are read:
 * - `info.json` → `keypoint_templates`: full declarations `{id, labels, edges?, layout?, category?}`;
 * - `features_values.json` → `annotations.keypoints` → the `template_id` pick-list: which template
 *   ids the dataset uses, taken from the declarations above or the built-ins of that id.
 * A declaration also overrides a built-in of the same id. Without either, the built-ins are offered.
 */
export function datasetTemplates(info: unknown, fv: FeatureValues | undefined): DatasetTemplates {
  const problems: string[] = [];
  const declared = new Map<string, KeypointTemplate>();
  const rawList = isRecord(info) ? info[INFO_TEMPLATES_KEY] : undefined;
  if (rawList !== undefined && !Array.isArray(rawList)) problems.push(`${INFO_TEMPLATES_KEY} is not a list`);
  for (const raw of Array.isArray(rawList) ? (rawList as unknown[]) : []) {
    const t = parseTemplate(raw);
    if (typeof t === "string") problems.push(t);
    else if (declared.has(t.id)) problems.push(`${t.id}: declared twice, the first is kept`);
    else declared.set(t.id, t);
  }
  const picked = fv?.annotations?.keypoints?.find((e) => e.name === "template_id")?.values ?? [];
  const out = new Map<string, KeypointTemplate>(declared);
  for (const id of picked) {
    if (out.has(id)) continue;
    const builtIn = KEYPOINT_TEMPLATES.find((t) => t.id === id);
    if (builtIn) out.set(id, builtIn);
    else problems.push(`${id}: in the template_id pick-list but declared nowhere`);
  }
  if (out.size === 0) return { templates: KEYPOINT_TEMPLATES, fromDataset: false, problems };
  return { templates: [...out.values()], fromDataset: true, problems };
}

/**
 * The category a new skeleton of `template` gets: the one its template is for (its declared
 * `category`, else its id when that is one of the dataset's categories), not whatever was used
 * last; the last one only when the template says nothing the dataset accepts.
 */
export function categoryForTemplate(
  template: KeypointTemplate | undefined,
  field: LabelField | null,
  lastUsed: string,
): string {
  if (!template || !field) return lastUsed;
  const accepts = (v: string) => field.values.includes(v) || (!field.restricted && v !== "");
  if (template.category !== undefined && accepts(template.category)) return template.category;
  if (field.values.includes(template.id)) return template.id;
  return lastUsed;
}
