import { readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  acceptProposal,
  clientOrigin,
  decodeMask,
  isValidRleString,
  readRowCells,
  reviewStatusOf,
  rowIds,
} from "@tessera/shared-crdt";
import { getJson, liveClient, spawnServer, waitFor, type ServerProcess } from "../integration/support.js";
import { buildSegDataDir, inTinyDisc, postJson, SEG_DS, VIEWS } from "./support.js";

/**
 * Interactive segmentation end to end: the real server process, its real inference worker
 * process, real onnxruntime sessions on the tiny SAM pair (scripts/tiny-sam.mjs), a real LanceDB
 * dataset, and stock y-websocket clients on the record documents.
 */
interface MaskAnswer {
  data: {
    masks: Array<Array<{ size: [number, number]; counts: string }>>;
    scores: { values: number[]; shape: number[] };
  };
  metadata: { embedding: string[] };
  status: string;
  id: string;
  timestamp: string;
  processing_time: number;
}

interface DraftAnswer {
  record_id: string;
  entity_id: string;
  mask_id: string;
  mask: { size: [number, number]; counts: string };
  score: number;
  embedding: string;
}

/** Pixels where the mask and the expected disc disagree. */
function mismatches(mask: Uint8Array, w: number, h: number, centre: readonly [number, number]): number {
  let n = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) if ((mask[y * w + x] === 1) !== inTinyDisc(x, y, centre, w, h)) n++;
  return n;
}

let server: ServerProcess;
let dataDir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const built = await buildSegDataDir();
  dataDir = built.dataDir;
  cleanup = built.cleanup;
  server = await spawnServer(dataDir);
});

afterAll(async () => {
  await server.stop();
  await cleanup();
});

const click = (viewId: string, x: number, y: number, extra: Record<string, unknown> = {}) =>
  postJson(`${server.url}/inference/image_mask_generation`, {
    model: "tiny-sam",
    dataset_id: SEG_DS,
    view_id: viewId,
    points: [[[x, y]]],
    labels: [[1]],
    ...extra,
  });

describe("POST /inference/image_mask_generation (Pixano 0.8's shape) on the tiny SAM pair", () => {
  it("a click answers one valid COCO RLE mask of the view's size: the disc around the click", async () => {
    // img-2 and img-3 are left to the tests that check where their embeddings come from.
    for (const [id, , w, h] of VIEWS.filter(([v]) => v === "img-0" || v === "img-1")) {
      const centre = [Math.round(w / 3), Math.round(h / 2)] as const;
      const r = await click(id, centre[0], centre[1]);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const body = r.body as MaskAnswer;
      expect(body.status).toBe("COMPLETED");
      expect(typeof body.id).toBe("string");
      expect(body.data.masks).toHaveLength(1);
      const mask = body.data.masks[0]?.[0];
      if (!mask) throw new Error("no mask");
      expect(mask.size).toEqual([h, w]);
      expect(isValidRleString(mask.counts, h, w)).toBe(true);
      const bits = decodeMask(mask);
      expect(bits[centre[1] * w + centre[0]]).toBe(1);
      // float32 in the graph against float64 here: at most a few boundary pixels differ.
      expect(mismatches(bits, w, h, centre)).toBeLessThanOrEqual(4);
      expect(body.data.scores).toEqual({ values: [0.875], shape: [1, 1] });
    }
  });

  it("the embedding is computed once per view: later clicks run the decoder alone", async () => {
    const id = "img-2";
    const sources: string[] = [];
    for (const [x, y] of [
      [10, 10],
      [30, 40],
      [50, 20],
    ]) {
      const r = await click(id, x ?? 0, y ?? 0);
      expect(r.status).toBe(200);
      sources.push(...(r.body as MaskAnswer).metadata.embedding);
    }
    expect(sources).toEqual(["computed", "memory", "memory"]);
    // One embedding file per view segmented so far (img-0, img-1, img-2), none twice.
    const files = (await readdir(path.join(dataDir, ".tessera", "embeddings"))).filter((f) => f.endsWith(".emb"));
    expect(files).toHaveLength(3);
  });

  it("a box prompt segments around the box's centre; several prompts give one mask each", async () => {
    const r = await postJson(`${server.url}/inference/segmentation`, {
      model: "tiny-sam",
      dataset_id: SEG_DS,
      view_id: "img-0",
      boxes: [
        [20, 20, 60, 60],
        [70, 30, 110, 70],
      ],
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const body = r.body as MaskAnswer;
    expect(body.data.masks).toHaveLength(2);
    const [a, b] = body.data.masks.map((m) => decodeMask(m[0] ?? { size: [0, 0], counts: "" }));
    expect(a?.[40 * 120 + 40]).toBe(1);
    expect(b?.[50 * 120 + 90]).toBe(1);
    expect(a?.[50 * 120 + 90]).toBe(0);
    expect(body.data.scores.shape).toEqual([2, 1]);
  });

  it("bad requests get a clear {detail} and the server keeps serving", async () => {
    const unknownModel = await postJson(`${server.url}/inference/image_mask_generation`, {
      model: "nope",
      dataset_id: SEG_DS,
      view_id: "img-0",
      points: [[[1, 1]]],
      labels: [[1]],
    });
    expect(unknownModel.status).toBe(404);
    expect(unknownModel.body).toEqual({ detail: "Model 'nope' not found" });
    const unknownView = await click("img-9", 1, 1);
    expect(unknownView.status).toBe(404);
    expect((unknownView.body as { detail: string }).detail).toContain("img-9");
    const onlyNegative = await click("img-0", 5, 5, { labels: [[0]] });
    expect(onlyNegative.status).toBe(422);
    expect((onlyNegative.body as { detail: string }).detail).toContain("positive point or a box");
    const noPoints = await click("img-0", 5, 5, { labels: [[]], points: [[]] });
    expect(noPoints.status).toBe(422);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await click("img-0", 60, 45)).status).toBe(200);
  });
});

describe("draft masks in the record document", () => {
  it("a click's draft appears live in another user's document as a model proposal; refine replaces it; accepted, it stays a mask", async () => {
    const other = liveClient(server, "r0", "Bea", SEG_DS);
    try {
      await other.synced();
      const url = `${server.url}/inference/datasets/${SEG_DS}/segmentation/draft`;
      const first = await postJson(url, { model: "tiny-sam", view_id: "img-0", points: [[30, 30]], labels: [1] });
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      const draft = first.body as DraftAnswer;
      expect(draft.record_id).toBe("r0");
      await waitFor(() => rowIds(other.doc, "masks").includes(draft.mask_id), "the draft reached the other user");
      const row = readRowCells(other.doc, "masks", draft.mask_id);
      expect(row).toMatchObject({
        entity_id: draft.entity_id,
        view_id: "img-0",
        source_type: "model",
        source_name: "tiny-sam",
        size: [90, 120],
        counts: draft.mask.counts,
      });
      if (!row) throw new Error("unreachable");
      expect(isValidRleString(String(row.counts), 90, 120)).toBe(true);
      expect(JSON.parse(String(row.source_metadata))).toMatchObject({ confidence: 0.875 });
      expect(reviewStatusOf(row)).toBe("pending");
      expect(rowIds(other.doc, "entities")).toContain(draft.entity_id);

      // Refine: a second positive point moves the disc; same row, new mask.
      const refined = await postJson(url, {
        model: "tiny-sam",
        view_id: "img-0",
        points: [
          [30, 30],
          [90, 60],
        ],
        labels: [1, 1],
        draft_id: draft.mask_id,
      });
      expect(refined.status, JSON.stringify(refined.body)).toBe(200);
      const after = refined.body as DraftAnswer;
      expect(after.mask_id).toBe(draft.mask_id);
      expect(after.mask.counts).not.toBe(draft.mask.counts);
      await waitFor(
        () => readRowCells(other.doc, "masks", draft.mask_id)?.counts === after.mask.counts,
        "the refined draft reached the other user",
      );
      expect(rowIds(other.doc, "masks")).toHaveLength(1);

      // The other user accepts it: a normal mask with review status accepted, in the rows once folded.
      acceptProposal(other.doc, clientOrigin("bea"), "masks", draft.mask_id);
      await waitFor(async () => {
        const res = await fetch(`${server.url}/datasets/${SEG_DS}/masks/${draft.mask_id}`);
        if (res.status !== 200) return false;
        const stored = (await res.json()) as { source_metadata: string; counts: string };
        const meta = JSON.parse(stored.source_metadata) as { review_status?: string };
        return stored.counts === after.mask.counts && meta.review_status === "accepted";
      }, "the accepted mask in the rows");
      // An accepted mask is no longer a draft: refining it is refused and changes nothing.
      const late = await postJson(url, {
        model: "tiny-sam",
        view_id: "img-0",
        points: [[5, 5]],
        labels: [1],
        draft_id: draft.mask_id,
      });
      expect(late.status).toBe(422);
      expect((late.body as { detail: string }).detail).toContain("accepted");
      expect(readRowCells(other.doc, "masks", draft.mask_id)?.counts).toBe(after.mask.counts);
    } finally {
      other.destroy();
    }
  });
});

describe("Pixano's discovery routes with a registered model", () => {
  it("GET /inference/connected names Tessera's provider; /inference/models/list lists the model in Pixano's shape", async () => {
    expect(await getJson(`${server.url}/inference/connected`)).toEqual({
      connected: true,
      providers: { tessera: { url: null } },
      default_provider: "tessera",
    });
    const all = await getJson(`${server.url}/inference/models/list`);
    expect(all).toEqual([
      {
        name: "tiny-sam",
        task: "image_mask_generation",
        provider_name: "tessera",
        model_path: "models/tiny-sam",
        model_class: "sam",
      },
    ]);
    expect(await getJson(`${server.url}/inference/models/list?task=image_mask_generation`)).toEqual(all);
    expect(await getJson(`${server.url}/inference/models/list?task=segmentation`)).toEqual(all);
    expect(await getJson(`${server.url}/inference/models/list?task=detection`)).toEqual([]);
    const bad = await fetch(`${server.url}/inference/models/list?task=bogus`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ detail: "Unsupported inference task 'bogus'" });
  });
});

describe("Pixano's UI flow", () => {
  it("a request with no prompt (Pixano's UI asks first for the embedding) computes it and answers no mask; the click after runs the decoder alone", async () => {
    const warm = await postJson(`${server.url}/inference/image_mask_generation`, {
      model: "tiny-sam",
      provider_name: "tessera",
      dataset_id: SEG_DS,
      view_id: "img-3",
      reset_predictor: true,
      return_image_embedding: true,
      return_logits: false,
      num_multimask_outputs: 1,
      multimask_output: false,
    });
    expect(warm.status, JSON.stringify(warm.body)).toBe(200);
    const body = warm.body as MaskAnswer & { data: { image_embedding: unknown } };
    expect(body.data.masks).toEqual([]);
    expect(body.data.scores).toEqual({ values: [], shape: [0, 1] });
    expect(body.data.image_embedding).toBeNull();
    expect(body.metadata.embedding).toEqual(["computed"]);
    const r = await click("img-3", 40, 30, { return_image_embedding: true, return_logits: true, mask_input: null });
    expect(r.status).toBe(200);
    expect((r.body as MaskAnswer).metadata.embedding).toEqual(["memory"]);
  });
});
