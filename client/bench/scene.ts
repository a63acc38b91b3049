import * as Y from "yjs";
import {
  clientOrigin,
  datasetSchemaOf,
  parseDatasetInfo,
  transact,
  writeRow,
  type DatasetSchema,
} from "@tessera/shared-crdt";
import type { KeypointTemplate } from "../src/canvas/types.js";
import { KEYPOINT_TEMPLATES } from "../src/app/templates.js";

/**
 * Synthetic record for the render benchmark: a 1920×1080 image and N annotations mixed like a
 * busy real record (half boxes, 30 % polygons of 5–12 vertices, 20 % 7-point person keypoints),
 * each with its own entity and one of 8 categories. Deterministic (seeded).
 */
export const WIDTH = 1920;
export const HEIGHT = 1080;
export const CATEGORIES = ["car", "person", "bus", "bike", "tree", "sign", "dog", "house"];

/** The app's `person` template, so the benchmark draws exactly what annotators draw. */
export const PERSON: KeypointTemplate = personTemplate();

function personTemplate(): KeypointTemplate {
  const t = KEYPOINT_TEMPLATES.find((x) => x.id === "person");
  if (!t) throw new Error("the app has no person keypoint template");
  return t;
}

export function benchSchema(): DatasetSchema {
  const plain = (base: string) => ({ base, fields: {} });
  return datasetSchemaOf(
    parseDatasetInfo({
      id: "bench",
      name: "bench",
      workspace: "image",
      record: plain("Record"),
      entity: {
        base: "Entity",
        name: "Obj",
        fields: { category: { collection: false, type: "str", required: false, default: "" } },
      },
      bbox: plain("BBox"),
      mask: plain("CompressedRLE"),
      keypoint: plain("KeyPoints"),
      multi_path: plain("MultiPath"),
      views: { image: plain("Image") },
    }),
  );
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes N annotations (and their entities) into a fresh document, in one transaction. */
export function benchDoc(n: number, recordId: string, viewId: string): Y.Doc {
  const doc = new Y.Doc();
  const r = rng(42);
  const base = {
    record_id: recordId,
    view_id: viewId,
    source_type: "human",
    source_name: "",
    source_metadata: "{}",
    tracklet_id: "",
    entity_dynamic_state_id: "",
    frame_id: "",
    frame_index: -1,
  };
  transact(doc, clientOrigin("bench"), () => {
    for (let i = 0; i < n; i++) {
      const entityId = `e${i}`;
      writeRow(doc, "entities", {
        id: entityId,
        record_id: recordId,
        parent_id: "",
        category: CATEGORIES[i % CATEGORIES.length] as string,
      });
      // Objects are 12–72 px, a few larger, spread over the whole image.
      const size = (12 + r() * 60) * (r() < 0.05 ? 3 : 1);
      const w = size / WIDTH;
      const h = (size * (0.6 + r() * 0.8)) / HEIGHT;
      const x = r() * (1 - w);
      const y = r() * (1 - h);
      const kind = r();
      if (kind < 0.5) {
        writeRow(doc, "bboxes", {
          ...base,
          id: `b${i}`,
          entity_id: entityId,
          coords: [x, y, w, h],
          format: "xywh",
          is_normalized: true,
          confidence: 1,
        });
      } else if (kind < 0.8) {
        const k = 5 + Math.floor(r() * 8);
        const coords: number[] = [];
        for (let j = 0; j < k; j++) {
          const a = (j / k) * Math.PI * 2;
          const rr = 0.6 + r() * 0.4;
          coords.push(x + w / 2 + (Math.cos(a) * rr * w) / 2, y + h / 2 + (Math.sin(a) * rr * h) / 2);
        }
        writeRow(doc, "multi_paths", {
          ...base,
          id: `p${i}`,
          entity_id: entityId,
          coords,
          num_points: [k],
          is_closed: true,
        });
      } else {
        const coords = PERSON.layout.flatMap(([lx, ly]) => [x + lx * w, y + ly * h]);
        writeRow(doc, "keypoints", {
          ...base,
          id: `k${i}`,
          entity_id: entityId,
          template_id: PERSON.id,
          coords,
          states: PERSON.labels.map((_, j) => (j === 2 ? "invisible" : "visible")),
        });
      }
    }
  });
  return doc;
}

/** A 1920×1080 test picture (gradient sky, ground, a grid of blocks) as a PNG blob URL. */
export async function benchImage(): Promise<string> {
  const c = document.createElement("canvas");
  c.width = WIDTH;
  c.height = HEIGHT;
  const g = c.getContext("2d");
  if (!g) throw new Error("no 2D canvas");
  const sky = g.createLinearGradient(0, 0, 0, HEIGHT);
  sky.addColorStop(0, "#5b7fa6");
  sky.addColorStop(0.55, "#c9d6e3");
  sky.addColorStop(0.56, "#6b6f5a");
  sky.addColorStop(1, "#3b3a32");
  g.fillStyle = sky;
  g.fillRect(0, 0, WIDTH, HEIGHT);
  const r = rng(7);
  for (let i = 0; i < 400; i++) {
    g.fillStyle = `hsl(${Math.floor(r() * 360)} 30% ${30 + Math.floor(r() * 40)}%)`;
    g.fillRect(r() * WIDTH, r() * HEIGHT, 10 + r() * 80, 10 + r() * 80);
  }
  const blob = await new Promise<Blob | null>((resolve) => c.toBlob(resolve, "image/png"));
  if (!blob) throw new Error("cannot encode the benchmark image");
  return URL.createObjectURL(blob);
}
