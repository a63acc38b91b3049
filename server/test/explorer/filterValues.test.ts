import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Library } from "@tessera/dataset";
import type { FilterValuesResponse } from "@tessera/shared-crdt/api";
import { spawnServer, type ServerProcess } from "../integration/support.js";

/**
 * The filter builder's pick-lists (`GET /datasets/{id}/filters/{column}/values`): the dataset's own
 * pick-list (`features_values.json`) first, then the values records hold by frequency, with counts;
 * bounded by `limit` with `more` beyond; bad columns answered with a clear 4xx `{"detail"}`.
 */

const DS = "pick-ds";
const str = { collection: false, type: "str", required: false, default: "" } as const;
let root = "";
let server: ServerProcess;
const WEATHER = ["sunny", "sunny", "sunny", "rainy", "fog", "rainy", "sunny", "snow", "", "sunny"];

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tessera-pick-"));
  const dataDir = path.join(root, "data");
  const library = new Library(dataDir);
  await library.init();
  const ds = await library.create("pick_ds", {
    id: DS,
    name: "Pick DS",
    description: "",
    size: "Unknown",
    preview: "",
    workspace: "image",
    storage_mode: "mixed",
    record: {
      base: "Record",
      name: "PickRecord",
      fields: {
        weather: str,
        serial: str,
        reviewed: { collection: false, type: "bool", required: false, default: false },
      },
    },
    entity: { base: "Entity", fields: { category: str } },
    views: { image: { base: "Image", fields: {} } },
  });
  await ds.add(
    "records",
    WEATHER.map((weather, i) => ({
      id: `r${i}`,
      split: i < 7 ? "train" : "val",
      status: i < 2 ? "validated" : "new",
      weather,
      serial: `SN-${1000 + i}`,
      reviewed: i % 3 === 0,
    })),
  );
  // The dataset's pick-list for weather: a value no record uses yet ("cloudy"), in its own order.
  await ds.setFeaturesValues({
    item: { records: [{ name: "weather", restricted: true, values: ["cloudy", "rainy", "sunny"] }] },
    views: {},
    entities: {},
    annotations: {},
  });
  await library.close();
  server = await spawnServer(dataDir);
});

afterAll(async () => {
  await server?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

async function values(column: string, query = ""): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${server.url}/datasets/${DS}/filters/${column}/values${query}`);
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

describe("filter pick-lists from the dataset", () => {
  it("a column with a dataset pick-list offers its values first (in its order, unused ones with 0), then the others held, by count", async () => {
    const { status, body } = await values("weather");
    expect(status).toBe(200);
    const r = body as unknown as FilterValuesResponse;
    expect(r).toMatchObject({ column: "weather", type: "str", pick_list: true, restricted: true, more: false });
    expect(r.values).toEqual([
      { value: "cloudy", count: 0 },
      { value: "rainy", count: 2 },
      { value: "sunny", count: 5 },
      { value: "", count: 1 },
      { value: "fog", count: 1 },
      { value: "snow", count: 1 },
    ]);
  });

  it("status and split offer the values records hold, with counts", async () => {
    const s = (await values("status")).body as unknown as FilterValuesResponse;
    expect(s.values).toEqual([
      { value: "new", count: 8 },
      { value: "validated", count: 2 },
    ]);
    expect(s.pick_list).toBe(false);
    const sp = (await values("split")).body as unknown as FilterValuesResponse;
    expect(sp.values).toEqual([
      { value: "train", count: 7 },
      { value: "val", count: 3 },
    ]);
  });

  it("a bool column offers false and true", async () => {
    const r = (await values("reviewed")).body as unknown as FilterValuesResponse;
    expect(r.values).toEqual([
      { value: "false", count: 6 },
      { value: "true", count: 4 },
    ]);
  });

  it("is bounded: at most `limit` values, and `more` when others exist", async () => {
    const r = (await values("serial", "?limit=3")).body as unknown as FilterValuesResponse;
    expect(r.values).toHaveLength(3);
    expect(r.more).toBe(true);
    const all = (await values("serial", "?limit=200")).body as unknown as FilterValuesResponse;
    expect(all.values).toHaveLength(10);
    expect(all.more).toBe(false);
  });

  it("refuses what has no pick-list with a clear 4xx detail and keeps serving", async () => {
    const unknown = await values("nope");
    expect(unknown.status).toBe(404);
    expect(String(unknown.body.detail)).toContain("nope");
    const date = await values("created_at");
    expect(date.status).toBe(422);
    expect(String(date.body.detail)).toContain("created_at");
    const bad = await values("weather", "?limit=100000");
    expect(bad.status).toBe(422);
    expect(bad.body.detail).toBeDefined();
    const missing = await fetch(`${server.url}/datasets/no-such/filters/weather/values`);
    expect(missing.status).toBe(404);
    expect((await values("weather")).status).toBe(200);
  });
});
