import {
  decodeMask,
  polygonArea,
  rleArea,
  rleToBbox,
  splitMultiPath,
  validateRow,
  type DatasetSchema,
  type Row,
  type TableName,
} from "@tessera/shared-crdt";

/**
 * Checks shared by the demo tests, over rows however they were obtained (a plan, or read back
 * from LanceDB). Each returns a list of human-readable problems; tests expect it to be empty.
 */
export type Tables = Partial<Record<TableName, Row[]>>;

export function invalidRows(schema: DatasetSchema, tables: Tables): string[] {
  const problems: string[] = [];
  for (const [table, rows] of Object.entries(tables) as [TableName, Row[]][]) {
    const ts = schema.tables.get(table);
    if (!ts) {
      problems.push(`${table}: not declared by the dataset`);
      continue;
    }
    for (const row of rows) {
      const r = validateRow(ts, row, { mode: "full" });
      if (!r.ok)
        problems.push(`${table}[${String(row.id)}]: ${r.issues.map((i) => `${i.path} ${i.message}`).join("; ")}`);
    }
  }
  return problems;
}

const EPS = 1e-9;
const nums = (v: unknown) => v as number[];

/** Pixel box [x1, y1, x2, y2] of a normalised xywh bbox row. */
function bboxPixels(row: Row, width: number, height: number): [number, number, number, number] {
  const [x = 0, y = 0, w = 0, h = 0] = nums(row.coords);
  return [x * width, y * height, (x + w) * width, (y + h) * height];
}

/** The bbox of the same entity on the same view and frame. */
function boxFor(tables: Tables, row: Row): Row | undefined {
  return (tables.bboxes ?? []).find(
    (b) => b.entity_id === row.entity_id && b.view_id === row.view_id && b.frame_index === row.frame_index,
  );
}

function viewSize(tables: Tables, viewId: unknown): { width: number; height: number } | undefined {
  const view = [...(tables.images ?? []), ...(tables.sequence_frames ?? [])].find((v) => v.id === viewId);
  return view ? { width: Number(view.width), height: Number(view.height) } : undefined;
}

export function bboxProblems(tables: Tables): string[] {
  const problems: string[] = [];
  for (const b of tables.bboxes ?? []) {
    const [x = -1, y = -1, w = -1, h = -1] = nums(b.coords);
    if (b.format !== "xywh" || b.is_normalized !== true) problems.push(`${String(b.id)}: not normalised xywh`);
    if (!(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= 1 + EPS && y + h <= 1 + EPS))
      problems.push(`${String(b.id)}: outside [0,1]: ${JSON.stringify(b.coords)}`);
  }
  for (const m of tables.masks ?? []) {
    const box = boxFor(tables, m);
    const size = viewSize(tables, m.view_id);
    if (!box || !size) {
      problems.push(`${String(m.id)}: no bbox or view for its mask`);
      continue;
    }
    const [bx1, by1, bx2, by2] = bboxPixels(box, size.width, size.height);
    const [mx, my, mw, mh] = rleToBbox({ size: nums(m.size), counts: String(m.counts) });
    if (mx < bx1 - EPS || my < by1 - EPS || mx + mw > bx2 + EPS || my + mh > by2 + EPS) {
      problems.push(
        `${String(m.id)}: mask box ${JSON.stringify([mx, my, mw, mh])} not inside bbox ${JSON.stringify([bx1, by1, bx2, by2])}`,
      );
    }
  }
  for (const kind of ["multi_paths", "keypoints"] as const) {
    for (const a of tables[kind] ?? []) {
      const box = boxFor(tables, a);
      if (!box) {
        problems.push(`${String(a.id)}: no bbox for its entity`);
        continue;
      }
      const [x = 0, y = 0, w = 0, h = 0] = nums(box.coords);
      const c = nums(a.coords);
      for (let i = 0; i + 1 < c.length; i += 2) {
        const px = c[i] ?? -1;
        const py = c[i + 1] ?? -1;
        // Polygon vertices are rounded to 6 decimals: allow that much.
        if (px < x - 1e-6 || py < y - 1e-6 || px > x + w + 1e-6 || py > y + h + 1e-6) {
          problems.push(`${String(a.id)}: point ${i / 2} (${px}, ${py}) outside its bbox`);
          break;
        }
      }
    }
  }
  return problems;
}

/**
 * Decoded masks have the area pycocotools would report, and that area is the drawn polygon's
 * (the pixel-centre rule differs from the exact area by at most about half the perimeter).
 */
export function maskAreaProblems(tables: Tables): string[] {
  const problems: string[] = [];
  for (const m of tables.masks ?? []) {
    const rle = { size: nums(m.size), counts: String(m.counts) };
    const decoded = decodeMask(rle).reduce((a, v) => a + v, 0);
    if (decoded !== rleArea(rle)) problems.push(`${String(m.id)}: decoded ${decoded} px, rleArea ${rleArea(rle)}`);
    const polygon = (tables.multi_paths ?? []).find((p) => p.entity_id === m.entity_id && p.view_id === m.view_id);
    if (!polygon) continue;
    const [h = 0, w = 0] = rle.size;
    const rings = splitMultiPath(nums(polygon.coords), nums(polygon.num_points)).map((r) =>
      r.map((v, i) => (i % 2 === 0 ? v * w : v * h)),
    );
    const area = rings.reduce((a, r) => a + polygonArea(r), 0);
    const perimeter = rings.reduce((a, r) => {
      let p = 0;
      for (let i = 0; i < r.length; i += 2) {
        const j = (i + 2) % r.length;
        p += Math.hypot((r[j] ?? 0) - (r[i] ?? 0), (r[j + 1] ?? 0) - (r[i + 1] ?? 0));
      }
      return a + p;
    }, 0);
    if (Math.abs(decoded - area) > perimeter / 2 + 2)
      problems.push(`${String(m.id)}: mask area ${decoded} px, polygon area ${area.toFixed(1)} px`);
  }
  return problems;
}

export function textSpanProblems(tables: Tables): string[] {
  const problems: string[] = [];
  for (const s of tables.text_spans ?? []) {
    const text = (tables.texts ?? []).find((t) => t.id === s.view_id);
    if (!text) {
      problems.push(`${String(s.id)}: view ${String(s.view_id)} is not a text`);
      continue;
    }
    const content = String(text.content);
    const starts = nums(s.spans_start);
    const ends = nums(s.spans_end);
    const pieces = starts.map((start, i) => content.slice(start, ends[i]));
    if (pieces.join(" ... ") !== s.mention)
      problems.push(`${String(s.id)}: spans give ${JSON.stringify(pieces)}, mention is ${JSON.stringify(s.mention)}`);
    if (starts.length === 0 || pieces.some((p) => p.length === 0)) problems.push(`${String(s.id)}: empty span`);
  }
  return problems;
}

/** Choice answers use `[[A,C]] …` with letters inside the question's choices. */
export function answerProblems(tables: Tables): string[] {
  const problems: string[] = [];
  const messages = tables.messages ?? [];
  for (const a of messages.filter((m) => m.type === "ANSWER")) {
    const q = messages.find(
      (m) => m.type === "QUESTION" && m.conversation_id === a.conversation_id && m.number === a.number,
    );
    if (!q) {
      problems.push(`${String(a.id)}: no question numbered ${String(a.number)}`);
      continue;
    }
    if (String(q.question_type).includes("CHOICE")) {
      const m = /^\[\[([A-Z](?:,[A-Z])*)?\]\]( .+)?$/.exec(String(a.content));
      const choices = (q.choices as string[]).length;
      if (!m) problems.push(`${String(a.id)}: ${JSON.stringify(a.content)} is not [[…]] encoded`);
      else if (
        (m[1] ?? "")
          .split(",")
          .filter(Boolean)
          .some((l) => l.charCodeAt(0) - 65 >= choices)
      )
        problems.push(`${String(a.id)}: letter beyond ${choices} choices`);
      else if (String(q.question_type).startsWith("SINGLE") && (m[1] ?? "").split(",").length !== 1)
        problems.push(`${String(a.id)}: single choice with several letters`);
      else if (String(q.question_type).endsWith("EXPLANATION") !== (m[2] !== undefined))
        problems.push(`${String(a.id)}: explanation presence does not match ${String(q.question_type)}`);
    }
  }
  return problems;
}

/** Per-frame annotations sit inside their tracklet, on a frame row with that index. */
export function videoProblems(tables: Tables): string[] {
  const problems: string[] = [];
  const frames = new Map((tables.sequence_frames ?? []).map((f) => [f.id, f]));
  const tracklets = new Map((tables.tracklets ?? []).map((t) => [t.id, t]));
  for (const kind of ["bboxes", "keypoints", "entity_dynamic_states"] as const) {
    for (const a of (tables[kind] ?? []).filter((r) => r.frame_index !== -1)) {
      const frame = frames.get(a.frame_id);
      const t = tracklets.get(a.tracklet_id);
      if (!frame || frame.frame_index !== a.frame_index || frame.record_id !== a.record_id)
        problems.push(`${String(a.id)}: frame ${String(a.frame_id)} does not match`);
      if (!t || t.entity_id !== a.entity_id)
        problems.push(`${String(a.id)}: tracklet ${String(a.tracklet_id)} is not its entity's`);
      else if (Number(a.frame_index) < Number(t.start_timestep) || Number(a.frame_index) > Number(t.end_timestep))
        problems.push(`${String(a.id)}: frame ${String(a.frame_index)} outside its tracklet`);
    }
  }
  return problems;
}
