import { promises as fs } from "node:fs";
import path from "node:path";
import { PyFloat, writePythonJson, type Row, type TableName } from "@tessera/shared-crdt";
import type { Dataset } from "../../dataset.js";
import { ExportError } from "../errors.js";

/**
 * The COCO exporter, writing what Pixano 0.8's `CocoExporter` writes: one
 * `DEST/instances_<split>.json` per split (`json.dumps` spacing, Python float reprs), records in
 * (split, id) order, image and annotation ids numbered from 1 per split, one annotation per entity
 * that has a box, mask or keypoints (bbox in pixels rounded to 2 decimals, `area`, the mask's
 * compressed RLE, keypoints in pixels with COCO visibilities), categories named from the
 * entities' `category` with ids in alphabetical order, and the Tessera/Pixano ids as `pixano_id`.
 * Embedded images are written to `DEST/image/<split>/<view id>.<ext>`, which the COCO importer
 * finds again.
 */
const VISIBILITY: Record<string, number> = { invisible: 0, hidden: 1, visible: 2 };
const PAGE = 256;

export interface CocoExportResult {
  readonly splits: Record<string, number>;
  readonly mediaFiles: number;
}

/** Python's `round(v, 2)`: the nearest 2-decimal value, exact ties to even. */
export function pyRound2(v: number): number {
  const t = v * 100;
  // A tie (x.xx5 exactly) needs v to be a multiple of 1/8, where v * 100 is exact.
  if (Number.isInteger(v * 8) && t - Math.floor(t) === 0.5) {
    const f = Math.floor(t);
    return (f % 2 === 0 ? f : f + 1) / 100;
  }
  return Number(v.toFixed(2));
}

const f2 = (v: number): PyFloat => new PyFloat(pyRound2(v));

function num(row: Row, key: string): number {
  const v = row[key];
  return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : 0;
}

function str(row: Row | undefined, key: string): string {
  const v = row?.[key];
  return typeof v === "string" ? v : "";
}

function numbers(row: Row, key: string): number[] {
  const v = row[key];
  return Array.isArray(v) ? v.map((x) => (typeof x === "number" ? x : Number(x))) : [];
}

async function rowsOf(ds: Dataset, table: TableName, ids: readonly string[]): Promise<Map<string, Row[]>> {
  const out = new Map<string, Row[]>();
  if (!ds.schema.tables.has(table) || !(await ds.tables()).includes(table)) return out;
  const columns = ds.schema.tables.get(table)!.columns.map((c) => c.name);
  for (const r of (await ds.query(table, { filters: [{ column: "record_id", op: "in", values: ids }], columns }))
    .items) {
    const key = r.record_id as string;
    const list = out.get(key);
    if (list) list.push(r);
    else out.set(key, [r]);
  }
  return out;
}

interface SplitOut {
  images: Record<string, unknown>[];
  annotations: Array<Record<string, unknown> & { _category: string }>;
}

/** Exports the open dataset `ds` to the (empty) folder `dest`. */
export async function exportCoco(
  ds: Dataset,
  dest: string,
  media: "files" | "uris",
  onProgress?: (records: number, total: number) => void,
): Promise<CocoExportResult> {
  const all = (await ds.query("records", { columns: ["id", "split"] })).items.map((r) => ({
    id: r.id as string,
    split: r.split as string,
  }));
  all.sort((a, b) => (a.split < b.split ? -1 : a.split > b.split ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const splits = new Map<string, SplitOut>();
  const categories = new Map<string, string>(); // name → supercategory
  let mediaFiles = 0;
  let done = 0;
  for (let start = 0; start < all.length; start += PAGE) {
    const page = all.slice(start, start + PAGE);
    const ids = page.map((r) => r.id);
    const [images, entities, bboxes, masks, keypoints] = await Promise.all(
      (["images", "entities", "bboxes", "masks", "keypoints"] as const).map((t) => rowsOf(ds, t, ids)),
    );
    for (const rec of page) {
      done++;
      const image = images!.get(rec.id)?.[0];
      if (!image) continue;
      let out = splits.get(rec.split);
      if (!out) splits.set(rec.split, (out = { images: [], annotations: [] }));
      const imageId = out.images.length + 1;
      let fileName: string;
      const bytes = image.raw_bytes;
      const uri = str(image, "uri");
      if (bytes instanceof Uint8Array && bytes.length > 0) {
        if (media === "uris")
          throw new ExportError(
            "unsupported_format",
            "media 'uris' cannot export embedded media; use media 'files' to dump bytes beside the JSON",
          );
        fileName = `${image.id as string}.${(str(image, "format") || "bin").toLowerCase()}`;
        const file = path.join(dest, "image", rec.split, fileName);
        await fs.mkdir(path.dirname(file), { recursive: true });
        await fs.writeFile(file, bytes);
        mediaFiles++;
      } else fileName = path.posix.basename(uri) || `${image.id as string}.bin`;
      const width = num(image, "width");
      const height = num(image, "height");
      out.images.push({
        id: imageId,
        file_name: fileName,
        width,
        height,
        pixano_id: rec.id,
        ...(uri ? { coco_url: uri } : {}),
      });
      const byId = new Map((entities!.get(rec.id) ?? []).map((e) => [e.id as string, e]));
      const entries = new Map<string, Record<string, unknown> & { _category: string }>();
      const entry = (entityId: string): Record<string, unknown> & { _category: string } => {
        let e = entries.get(entityId);
        if (!e) {
          const entity = byId.get(entityId);
          const category = str(entity, "category");
          if (category && !categories.has(category)) categories.set(category, str(entity, "supercategory") || category);
          e = {
            id: out.annotations.length + entries.size + 1,
            image_id: imageId,
            iscrowd: entity?.iscrowd === true || (typeof entity?.iscrowd === "number" && entity.iscrowd !== 0) ? 1 : 0,
            pixano_id: entityId,
            _category: category,
          };
          entries.set(entityId, e);
        }
        return e;
      };
      const w = width || 1;
      const h = height || 1;
      for (const box of bboxes!.get(rec.id) ?? []) {
        const c = numbers(box, "coords");
        let [x = 0, y = 0, bw = 0, bh = 0] =
          str(box, "format") === "xyxy" ? [c[0], c[1], c[2]! - c[0]!, c[3]! - c[1]!] : c;
        if (box.is_normalized === true) [x, y, bw, bh] = [x * w, y * h, bw * w, bh * h];
        const e = entry(str(box, "entity_id"));
        e.bbox = [x, y, bw, bh].map(f2);
        e.area = f2(bw * bh);
      }
      for (const mask of masks!.get(rec.id) ?? []) {
        const counts = mask.counts instanceof Uint8Array ? new TextDecoder().decode(mask.counts) : str(mask, "counts");
        entry(str(mask, "entity_id")).segmentation = { size: numbers(mask, "size"), counts };
      }
      for (const kp of keypoints!.get(rec.id) ?? []) {
        const coords = numbers(kp, "coords");
        const states = Array.isArray(kp.states) ? kp.states.map(String) : [];
        const flat: unknown[] = [];
        states.forEach((s, i) =>
          flat.push(f2((coords[2 * i] ?? 0) * w), f2((coords[2 * i + 1] ?? 0) * h), VISIBILITY[s] ?? 0),
        );
        const e = entry(str(kp, "entity_id"));
        e.keypoints = flat;
        e.num_keypoints = states.filter((s) => s !== "invisible").length;
      }
      out.annotations.push(...entries.values());
      onProgress?.(done, all.length);
    }
  }
  const names = [...categories.keys()].sort();
  const categoryIds = new Map(names.map((n, i) => [n, i + 1]));
  const categoryList = names.map((n) => ({ id: categoryIds.get(n)!, name: n, supercategory: categories.get(n)! }));
  for (const [split, out] of splits) {
    const annotations = out.annotations.map(({ _category, ...a }) => ({
      ...a,
      category_id: categoryIds.get(_category) ?? 0,
    }));
    const document = {
      info: { description: ds.info.name, version: "pixano-export" },
      images: out.images,
      annotations,
      categories: categoryList,
    };
    await fs.writeFile(
      path.join(dest, `instances_${split}.json`),
      writePythonJson(document, { compactSeparators: [", ", ": "] }),
    );
  }
  return { splits: Object.fromEntries([...splits].map(([s, o]) => [s, o.images.length])), mediaFiles };
}
