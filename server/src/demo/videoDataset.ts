import type { Row } from "@tessera/shared-crdt";
import { bboxCoords, keypointFields } from "./annotate.js";
import {
  commentFor,
  customManifest,
  emptyFeaturesValues,
  mapLimit,
  pickStatus,
  plain,
  provenance,
  push,
  recordTimes,
  type DemoContext,
  type DemoPlan,
} from "./plan.js";
import { Prng } from "@tessera/shared-crdt";
import { renderSvg } from "./render.js";
import { makeScene, sceneSvg, SCENE_HEIGHT, SCENE_WIDTH, type Scene } from "./scene.js";
import { makeObject, type Category, type Placement, type SceneObject } from "./shapes.js";

/**
 * `demo_video`: short clips stored the Pixano way — one `sequence_frames` row per frame — with
 * objects that move along piecewise-linear paths. Annotations exist on keyframes only (the
 * tracklet's ends and every path corner), so display-time linear interpolation between them
 * reproduces the drawn motion exactly. Each keyframe has an entity dynamic state (`motion`,
 * `occluded`) that its box points to.
 */
const VIDEO_DATASET_ID = "demo_video";
const FPS = 10;

export interface VideoDatasetOptions {
  readonly records: number;
  readonly frames: number;
}

/** Something annotated through a clip: a static scene object or a moving one. */
interface Actor {
  readonly category: Category;
  /** Part of the scenery: never moves. */
  readonly fixed: boolean;
  readonly first: number;
  readonly last: number;
  /** Frames that carry annotations: the ends and every corner of the path. */
  readonly keyframes: readonly number[];
  at(frame: number): SceneObject;
  /** Whether the object moves between this frame and the next (the last frame looks back). */
  movingAt(frame: number): boolean;
}

/** Keyframes of a range: both ends plus a corner every five frames. */
function keyframesOf(first: number, last: number): number[] {
  const keys = new Set([first, last]);
  for (let f = first + 5; f < last; f += 5) keys.add(f);
  return [...keys].sort((a, b) => a - b);
}

/** An object moving linearly between placements given at its keyframes. */
function movingActor(category: Category, keys: ReadonlyMap<number, Placement>, look: number): Actor {
  const keyframes = [...keys.keys()].sort((a, b) => a - b);
  const first = keyframes[0] ?? 0;
  const last = keyframes[keyframes.length - 1] ?? first;
  const placementAt = (frame: number): Placement => {
    const prev = keyframes.filter((f) => f <= frame).pop() ?? first;
    const next = keyframes.find((f) => f >= frame) ?? last;
    const a = keys.get(prev);
    const b = keys.get(next);
    if (!a || !b) throw new RangeError(`no keyframe around frame ${frame}`);
    const t = next === prev ? 0 : (frame - prev) / (next - prev);
    return { x: a.x + (b.x - a.x) * t, yb: a.yb + (b.yb - a.yb) * t, s: a.s };
  };
  return {
    category,
    fixed: false,
    first,
    last,
    keyframes,
    // A fixed seed per object: same colour and pose on every frame.
    at: (frame) => makeObject(category, placementAt(frame), new Prng(look)),
    movingAt: (frame) => {
      const [a, b] = frame < last ? [frame, frame + 1] : [frame - 1, frame];
      const p = placementAt(Math.max(first, a));
      const q = placementAt(b);
      return p.x !== q.x || p.yb !== q.yb;
    },
  };
}

function staticActor(object: SceneObject, first: number, last: number): Actor {
  return {
    category: object.category,
    fixed: true,
    first,
    last,
    keyframes: [first, last],
    at: () => object,
    movingAt: () => false,
  };
}

function inFrame([x1, y1, x2, y2]: readonly number[]): boolean {
  return (x1 ?? -1) >= 0 && (y1 ?? -1) >= 0 && (x2 ?? 1e9) <= SCENE_WIDTH && (y2 ?? 1e9) <= SCENE_HEIGHT;
}

/** A car crossing the near lane (pausing for one segment), a person walking the far lane, sometimes a balloon. */
function movingActors(scene: Scene, frames: number, rng: Prng): Actor[] {
  const last = frames - 1;
  const out: Actor[] = [];
  const carYb = 224;
  const carS = 52 * (0.55 + 0.6 * ((carYb - scene.horizon) / (SCENE_HEIGHT - scene.horizon)));
  const edge = 0.8 * carS + 4;
  const [x0, x1] = rng.chance(0.5) ? [edge, SCENE_WIDTH - edge] : [SCENE_WIDTH - edge, edge];
  const keys = keyframesOf(0, last);
  const segments = keys.length - 1;
  const moving = segments >= 2 ? segments - 1 : segments;
  const pause = segments >= 2 ? rng.int(1, segments - 1) : -1;
  let progress = 0;
  const carKeys = new Map<number, Placement>();
  keys.forEach((f, i) => {
    if (i > 0 && i - 1 !== pause) progress += 1;
    carKeys.set(f, { x: x0 + ((x1 - x0) * progress) / Math.max(1, moving), yb: carYb, s: carS });
  });
  out.push(movingActor("car", carKeys, rng.int(1, 1e9)));

  const from = rng.int(Math.floor(frames / 4), Math.floor(frames / 2));
  const px = rng.float(30, 120);
  const yb = scene.horizon + 26;
  out.push(
    movingActor(
      "person",
      new Map(keyframesOf(from, last).map((f) => [f, { x: px + (f - from) * 4, yb, s: 46 }])),
      rng.int(1, 1e9),
    ),
  );

  if (rng.chance(0.5)) {
    const bx = rng.float(40, SCENE_WIDTH - 80);
    const balloon = new Map(
      keyframesOf(0, last).map((f) => [f, { x: bx + f * 1.5, yb: scene.horizon - 6 - f * 3, s: 36 }]),
    );
    out.push(movingActor("balloon", balloon, rng.int(1, 1e9)));
  }
  return out.filter((a) => a.keyframes.every((f) => inFrame(a.at(f).bounds)));
}

function overlapsAny(box: readonly number[], others: readonly SceneObject[]): boolean {
  const [x1 = 0, y1 = 0, x2 = 0, y2 = 0] = box;
  return others.some(({ bounds: [a1, b1, a2, b2] }) => x1 < a2 && a1 < x2 && y1 < b2 && b1 < y2);
}

export async function buildVideoDataset(ctx: DemoContext, options: VideoDatasetOptions): Promise<DemoPlan> {
  const rng = ctx.rng;
  const rows: DemoPlan["rows"] = {};
  const renders: { recordId: string; frame: number; svg: string }[] = [];
  const size = { width: SCENE_WIDTH, height: SCENE_HEIGHT };
  const last = options.frames - 1;
  const pad = (f: number) => String(f).padStart(3, "0");

  for (let v = 0; v < options.records; v++) {
    const recordId = `clip_${String(v + 1).padStart(3, "0")}`;
    const frameId = (f: number) => `${recordId}_f${pad(f)}`;
    const scene = makeScene(rng, { categories: [rng.pick(["house", "tree"] as const)] });
    const actors = [...scene.objects.map((o) => staticActor(o, 0, last)), ...movingActors(scene, options.frames, rng)];
    const visibleAt = (f: number) => actors.filter((a) => f >= a.first && f <= a.last);
    const status = pickStatus(rng);
    push(rows, "records", {
      id: recordId,
      split: v % 4 === 3 ? "val" : "train",
      ...recordTimes(ctx, v, options.records, status),
      status,
      comment: commentFor(status, rng),
    });
    for (let f = 0; f <= last; f++) {
      const objects = visibleAt(f)
        .map((a) => a.at(f))
        .sort((a, b) => a.bounds[3] - b.bounds[3]);
      renders.push({ recordId, frame: f, svg: sceneSvg(scene, objects) });
    }
    const who = provenance(status === "validated" ? "ground_truth" : "human");
    actors.forEach((actor, k) => {
      const entityId = `${recordId}_obj${k + 1}`;
      const trackletId = `${entityId}_track`;
      push(rows, "entities", { id: entityId, record_id: recordId, parent_id: "", category: actor.category });
      push(rows, "tracklets", {
        id: trackletId,
        record_id: recordId,
        entity_id: entityId,
        ...who,
        view_id: frameId(0),
        start_timestep: actor.first,
        end_timestep: actor.last,
        start_timestamp: actor.first / FPS,
        end_timestamp: actor.last / FPS,
      });
      for (const f of actor.keyframes) {
        const object = actor.at(f);
        const stateId = `${entityId}_state_${pad(f)}`;
        const others = visibleAt(f)
          .filter((a) => a !== actor)
          .map((a) => a.at(f));
        const frame = { view_id: frameId(f), frame_id: frameId(f), frame_index: f };
        push(rows, "entity_dynamic_states", {
          id: stateId,
          record_id: recordId,
          entity_id: entityId,
          tracklet_id: trackletId,
          source_type: "",
          source_name: "",
          source_metadata: "{}",
          ...frame,
          motion: actor.fixed ? "static" : actor.movingAt(f) ? "moving" : "stopped",
          occluded: overlapsAny(object.bounds, others),
        });
        const base: Row = {
          record_id: recordId,
          entity_id: entityId,
          ...who,
          ...frame,
          tracklet_id: trackletId,
          entity_dynamic_state_id: stateId,
        };
        push(rows, "bboxes", {
          id: `${entityId}_bbox_${pad(f)}`,
          ...base,
          coords: bboxCoords(object, size),
          format: "xywh",
          is_normalized: true,
          confidence: 1,
        });
        if (object.joints)
          push(rows, "keypoints", { id: `${entityId}_kpts_${pad(f)}`, ...base, ...keypointFields(object, size) });
      }
    });
  }

  const rendered = await mapLimit(renders, 4, (r) => renderSvg(r.svg, "JPEG"));
  rendered.forEach((img, i) => {
    const r = renders[i];
    if (!r) return;
    push(rows, "sequence_frames", {
      id: `${r.recordId}_f${String(r.frame).padStart(3, "0")}`,
      record_id: r.recordId,
      logical_name: "image",
      uri: "",
      raw_bytes: img.bytes,
      preview: img.preview,
      preview_format: "png",
      width: img.width,
      height: img.height,
      format: img.format,
      timestamp: r.frame / FPS,
      frame_index: r.frame,
    });
  });

  const featuresValues = emptyFeaturesValues();
  featuresValues.entities.entities = [
    { name: "category", restricted: true, values: ["car", "person", "balloon", "house", "tree"] },
  ];
  return {
    info: {
      id: VIDEO_DATASET_ID,
      name: "demo_video",
      description: `Synthetic clips (${options.frames} frames at ${FPS} fps): tracklets, keyframe boxes and keypoints, dynamic states.`,
      workspace: "video",
      slots: {
        record: plain("Record"),
        entity: customManifest("Entity", "DemoTrackedObject", ["category"]),
        entity_dynamic_state: customManifest("EntityDynamicState", "DemoObjectState", ["motion", "occluded:bool"]),
        bbox: plain("BBox"),
        mask: plain("CompressedRLE"),
        keypoint: plain("KeyPoints"),
        tracklet: plain("Tracklet"),
      },
      views: { image: plain("SequenceFrame") },
    },
    featuresValues,
    rows,
    mosaic: [0, 1, 2, 3]
      .map((k) => rendered[k * options.frames]?.bytes)
      .filter((b): b is Uint8Array => b !== undefined),
  };
}
