import type { Row } from "@tessera/shared-crdt";
import { bboxCoords, maskFields } from "./annotate.js";
import {
  commentFor,
  customManifest,
  emptyFeaturesValues,
  mapLimit,
  onStillImage,
  pickStatus,
  plain,
  provenance,
  push,
  recordTimes,
  type DemoContext,
  type DemoPlan,
} from "./plan.js";
import type { Prng } from "@tessera/shared-crdt";
import { embeddedImageRow, renderSvg } from "./render.js";
import { makeScene, sceneSvg, type Scene } from "./scene.js";
import type { Category, SceneObject } from "./shapes.js";

/**
 * `demo_entity_linking`: each record pairs an image with a caption that names what the image
 * shows. Every named object is one entity with a text span on the caption (character offsets
 * into `texts.content`; a second mention later in the caption makes a discontinuous span, stored
 * as Pixano does: several start/end pairs, `mention` = the pieces joined by " ... ") and a box —
 * plus a mask for solid objects — on the image.
 */
const ENTITY_LINKING_DATASET_ID = "demo_entity_linking";

/** Which objects a caption names, by record: a sliding window over this list. */
const ORDER: readonly Category[] = ["car", "house", "person", "tree", "balloon", "sign"];

export interface EntityLinkingDatasetOptions {
  readonly records: number;
}

/** A caption assembled piece by piece so each mention's offsets are known exactly. */
class Caption {
  text = "";
  add(piece: string): [number, number] {
    const start = this.text.length;
    this.text += piece;
    return [start, this.text.length];
  }
}

const VERBS: Record<string, readonly string[]> = {
  car: ["is parked", "drives past"],
  house: ["stands", "sits quietly"],
  tree: ["grows", "sways"],
  person: ["walks by", "waits"],
  balloon: ["floats", "drifts"],
  sign: ["stands", "points the way"],
};

interface Mention {
  readonly object: SceneObject;
  readonly spans: [number, number][];
}

function caption(scene: Scene, rng: Prng): { text: string; mentions: Mention[] } {
  const c = new Caption();
  const mentions: Mention[] = [];
  c.add(`On a ${scene.weather} day, `);
  scene.objects.forEach((object, k) => {
    if (k > 0) c.add(k === scene.objects.length - 1 ? " and " : ", ");
    c.add(/^[aeiou]/.test(object.label) ? "an " : "a ");
    const span = c.add(object.label);
    c.add(` ${rng.pick(VERBS[object.category] ?? ["is there"])}`);
    mentions.push({ object, spans: [span] });
  });
  c.add(".");
  // Refer back to the first object: its mention becomes discontinuous.
  const first = mentions[0];
  if (first && rng.chance(0.6)) {
    c.add(" The ");
    first.spans.push(c.add(first.object.category));
    c.add(" catches the eye.");
  }
  return { text: c.text, mentions };
}

export async function buildEntityLinkingDataset(
  ctx: DemoContext,
  options: EntityLinkingDatasetOptions,
): Promise<DemoPlan> {
  const rng = ctx.rng;
  const rows: DemoPlan["rows"] = {};
  const scenes: Scene[] = [];
  for (let i = 0; i < options.records; i++) {
    const n = rng.int(2, 3);
    scenes.push(makeScene(rng, { categories: ORDER.slice(i % 3, (i % 3) + n) }));
  }
  const size = { width: scenes[0]?.width ?? 320, height: scenes[0]?.height ?? 240 };
  scenes.forEach((scene, i) => {
    const recordId = `mel_${String(i + 1).padStart(3, "0")}`;
    const imageId = `${recordId}_image`;
    const textId = `${recordId}_text`;
    const status = pickStatus(rng);
    push(rows, "records", {
      id: recordId,
      split: i % 5 === 4 ? "val" : "train",
      ...recordTimes(ctx, i, options.records, status),
      status,
      comment: commentFor(status, rng),
    });
    const { text, mentions } = caption(scene, rng);
    push(rows, "texts", {
      id: textId,
      record_id: recordId,
      logical_name: "text",
      uri: "",
      raw_bytes: new Uint8Array(0),
      preview: new Uint8Array(0),
      preview_format: "",
      content: text,
    });
    const who = provenance(status === "validated" ? "ground_truth" : "human");
    mentions.forEach(({ object, spans }, k) => {
      const entityId = `${recordId}_ent${k + 1}`;
      push(rows, "entities", { id: entityId, record_id: recordId, parent_id: "", name: object.label });
      push(rows, "text_spans", {
        id: `${entityId}_span`,
        record_id: recordId,
        entity_id: entityId,
        ...who,
        view_id: textId,
        mention: spans.map(([s, e]) => text.slice(s, e)).join(" ... "),
        spans_start: spans.map(([s]) => s),
        spans_end: spans.map(([, e]) => e),
      });
      const base: Row = { record_id: recordId, entity_id: entityId, ...who, ...onStillImage(imageId) };
      push(rows, "bboxes", {
        id: `${entityId}_bbox`,
        ...base,
        coords: bboxCoords(object, size),
        format: "xywh",
        is_normalized: true,
        confidence: 1,
      });
      if (object.outline) push(rows, "masks", { id: `${entityId}_mask`, ...base, ...maskFields(object, size) });
    });
  });

  const rendered = await mapLimit(scenes, 4, (scene) => renderSvg(sceneSvg(scene), "PNG"));
  rendered.forEach((img, i) => push(rows, "images", embeddedImageRow(`mel_${String(i + 1).padStart(3, "0")}`, img)));
  return {
    info: {
      id: ENTITY_LINKING_DATASET_ID,
      name: "demo_entity_linking",
      description: "Synthetic scenes with captions: text spans linked to boxes and masks of the same entities.",
      workspace: "image_text_entity_linking",
      slots: {
        record: plain("Record"),
        entity: customManifest("Entity", "DemoNamedEntity", ["name"]),
        text_span: plain("TextSpan"),
        bbox: plain("BBox"),
        mask: plain("CompressedRLE"),
      },
      views: { image: plain("Image"), text: plain("Text") },
    },
    featuresValues: emptyFeaturesValues(),
    rows,
    mosaic: rendered.slice(0, 4).map((r) => r.bytes),
  };
}
