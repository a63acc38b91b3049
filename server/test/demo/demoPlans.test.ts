import { describe, expect, it } from "vitest";
import { datasetSchemaOf, parseDatasetInfo } from "@tessera/shared-crdt";
import { buildDemoPlans } from "../../src/demo/demoPlans.js";
import type { DemoPlan } from "../../src/demo/plan.js";
import {
  answerProblems,
  bboxProblems,
  invalidRows,
  maskAreaProblems,
  textSpanProblems,
  videoProblems,
} from "./demoChecks.js";

const now = () => new Date("2026-11-02T09:30:00Z");
const small = { images: 24, videos: 2, framesPerVideo: 12, vqa: 6, entityLinking: 5 };

function schemaOf(plan: DemoPlan) {
  const info = parseDatasetInfo({
    ...plan.info.slots,
    id: plan.info.id,
    name: plan.info.name,
    workspace: plan.info.workspace,
    views: plan.info.views,
  });
  return datasetSchemaOf(info);
}

describe("demo plans (before writing)", () => {
  it("are deterministic for a seed and differ across seeds", async () => {
    const strip = (plans: DemoPlan[]) =>
      JSON.stringify(
        plans.map((p) => p.rows),
        (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString("base64") : v),
      );
    const a = strip(await buildDemoPlans({ seed: 11, now, sizes: small }));
    const b = strip(await buildDemoPlans({ seed: 11, now, sizes: small }));
    const c = strip(await buildDemoPlans({ seed: 12, now, sizes: small }));
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it("hold only valid, geometrically consistent rows", async () => {
    const plans = await buildDemoPlans({ seed: 5, now, sizes: small });
    for (const plan of plans) {
      expect(invalidRows(schemaOf(plan), plan.rows), plan.info.id).toEqual([]);
      expect(bboxProblems(plan.rows), plan.info.id).toEqual([]);
      expect(maskAreaProblems(plan.rows), plan.info.id).toEqual([]);
      expect(textSpanProblems(plan.rows), plan.info.id).toEqual([]);
      expect(answerProblems(plan.rows), plan.info.id).toEqual([]);
      expect(videoProblems(plan.rows), plan.info.id).toEqual([]);
    }
  });

  it("size each dataset as asked", async () => {
    const [image, video, vqa, mel] = await buildDemoPlans({ seed: 5, now, sizes: small });
    expect(image?.rows.records).toHaveLength(24);
    expect(image?.rows.images).toHaveLength(24);
    expect(video?.rows.records).toHaveLength(2);
    expect(video?.rows.sequence_frames).toHaveLength(24);
    expect(vqa?.rows.records).toHaveLength(6);
    expect(mel?.rows.texts).toHaveLength(5);
  });
});
