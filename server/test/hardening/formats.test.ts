import { existsSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Library } from "@tessera/dataset";
import { pythonFloatRepr, type DatasetInfo } from "@tessera/shared-crdt";
import { spawnServer, type ServerProcess } from "../integration/support.js";
import { ROOT, runTessera as tessera } from "../support/cli.js";

/**
 * Format details Pixano 0.8 gets right and a JS port easily gets wrong: float field defaults are
 * Python floats (`0.0`) in `info.json`, `GET /info` and an exported `dataset.yaml`; `/filters`
 * reports which columns carry an index; a grayscale image's preview stays single-channel.
 * Expected texts were read off Pixano 0.8.0 (`pixano data export`, `pixano server run`) for the same
 * declarations.
 */

const FIXTURES = path.join(ROOT, "fixtures", "pixano-built");
const HAVE_FIXTURES =
  existsSync(path.join(FIXTURES, "library", "image_det")) &&
  existsSync(path.join(FIXTURES, "reference", "api", "filters.json"));
const DS = "formats_ds";

const info: DatasetInfo = {
  id: DS,
  name: "formats",
  description: "",
  size: "Unknown",
  preview: "",
  workspace: "image",
  storage_mode: "embedded",
  record: {
    base: "Record",
    fields: {
      big: { collection: false, type: "int", required: false, default: 0 },
      score: { collection: false, type: "float", required: false, default: 0.0 },
      ratios: { collection: true, type: "float", required: false, default: [1.0, 0.5] },
    },
    name: "BigRecord",
  },
  entity: { base: "Entity", fields: {} },
  views: { image: { base: "Image", fields: {} } },
};

/** Pixano 0.8.0's `GET /datasets/{id}/info` record slot for these fields (its `json.dumps` of floats). */
const PIXANO_RECORD_SLOT =
  '"record":{"base":"Record","fields":{"big":{"collection":false,"type":"int","required":false,"default":0},' +
  '"score":{"collection":false,"type":"float","required":false,"default":0.0},' +
  '"ratios":{"collection":true,"type":"float","required":false,"default":[1.0,0.5]}},"name":"BigRecord"}';

/** Pixano 0.8.0's `info.json` (json.dump, indent=4) for the `score` field. */
const PIXANO_INFO_SCORE = `"score": {
                "collection": false,
                "type": "float",
                "required": false,
                "default": 0.0
            }`;

/** Pixano 0.8.0's exported `dataset.yaml` record attrs (PyYAML). */
const PIXANO_YAML_RECORD = `  record:
    attrs:
      big:
        type: int
        default: 0
      score:
        type: float
        default: 0.0
      ratios:
        type: float
        collection: true
        default:
        - 1.0
        - 0.5
`;

let work: string;
let dataDir: string;
let server: ServerProcess | undefined;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "tessera-formats-"));
  dataDir = path.join(work, "data");
  const library = new Library(dataDir);
  await library.init();
  const ds = await library.create("formats_ds", info);
  await ds.add("records", [{ id: "r1", split: "train", score: 0.5 }]);
  await ds.optimize(); // BTREE on records.id, as after an import
  await library.close();
  // The dataset Pixano built sits next to it: one server serves both.
  if (HAVE_FIXTURES)
    await fs.cp(path.join(FIXTURES, "library", "image_det"), path.join(dataDir, "library", "image_det"), {
      recursive: true,
    });
});

afterAll(async () => {
  await server?.kill("SIGTERM");
  await fs.rm(work, { recursive: true, force: true });
});

async function serve(): Promise<ServerProcess> {
  server ??= await spawnServer(dataDir);
  return server;
}

describe("float defaults are Python floats", () => {
  it("info.json written by Tessera keeps float defaults as 0.0 (not 0)", async () => {
    const text = await fs.readFile(path.join(dataDir, "library", "formats_ds", "info.json"), "utf8");
    expect(text).toContain(PIXANO_INFO_SCORE);
    expect(text).toContain('"default": [\n                    1.0,\n                    0.5\n                ]');
    expect(text).toContain('"default": 0\n'); // the int field stays an int
  });

  it("GET /datasets/{id}/info and GET /datasets give float defaults as 0.0, byte for byte as Pixano", async () => {
    const s = await serve();
    const one = await (await fetch(`${s.url}/datasets/${DS}/info`)).text();
    expect(one).toContain(PIXANO_RECORD_SLOT);
    const all = await (await fetch(`${s.url}/datasets`)).text();
    expect(all).toContain(PIXANO_RECORD_SLOT);
  });

  it("an exported dataset.yaml writes float defaults as 0.0 (not 0)", async () => {
    const dest = path.join(work, "export");
    const r = await tessera(["data", "export", dataDir, DS, dest, "--format", "pixano_jsonl"]);
    expect(r.code, r.stderr).toBe(0);
    const yaml = await fs.readFile(path.join(dest, "dataset.yaml"), "utf8");
    expect(yaml).toContain(PIXANO_YAML_RECORD);
  });
});

describe("/filters reports indexed columns", () => {
  it("says indexed:true for a column with a scalar index (records.id after optimize), false otherwise", async () => {
    const s = await serve();
    const body = (await (await fetch(`${s.url}/datasets/${DS}/filters`)).json()) as {
      columns: { name: string; indexed: boolean }[];
    };
    const indexed = Object.fromEntries(body.columns.map((c) => [c.name, c.indexed]));
    expect(indexed).toEqual({
      comment: false,
      created_at: false,
      id: true,
      split: false,
      status: false,
      updated_at: false,
      big: false,
      score: false,
      ratios: false,
    });
  });

  it.skipIf(!HAVE_FIXTURES)(
    "matches Pixano's indexed flags on a dataset Pixano built (BTREE id, BITMAP split/status)",
    async () => {
      const capture = JSON.parse(
        await fs.readFile(path.join(FIXTURES, "reference", "api", "filters.json"), "utf8"),
      ) as {
        body: { columns: { name: string; indexed: boolean }[] };
      };
      const fixtureInfo = JSON.parse(
        await fs.readFile(path.join(dataDir, "library", "image_det", "info.json"), "utf8"),
      ) as { id: string };
      const s = await serve();
      const body = (await (await fetch(`${s.url}/datasets/${fixtureInfo.id}/filters`)).json()) as {
        columns: { name: string; indexed: boolean }[];
      };
      const flags = (b: { columns: { name: string; indexed: boolean }[] }) => b.columns.map((c) => [c.name, c.indexed]);
      expect(flags(body)).toEqual(flags(capture.body));
      expect(flags(body).filter(([, i]) => i)).toEqual([
        ["id", true],
        ["split", true],
        ["status", true],
      ]);
    },
  );
});

describe("grayscale previews", () => {
  async function grayPng(file: string, alpha: boolean): Promise<void> {
    const base = sharp({
      create: {
        width: 100,
        height: 80,
        channels: alpha ? 4 : 3,
        background: alpha ? { r: 128, g: 128, b: 128, alpha: 0.8 } : "#808080",
      },
    });
    await base.toColourspace("b-w").png().toFile(file);
  }

  it("stores single-channel previews for grayscale images (PIL keeps L / LA), RGB for colour ones", async () => {
    const src = path.join(work, "gray-src");
    await fs.mkdir(path.join(src, "train"), { recursive: true });
    await grayPng(path.join(src, "train", "gray.png"), false);
    await grayPng(path.join(src, "train", "gray_alpha.png"), true);
    await sharp({ create: { width: 100, height: 80, channels: 3, background: "#808080" } })
      .toColourspace("b-w")
      .jpeg()
      .toFile(path.join(src, "train", "gray_jpeg.jpg"));
    await sharp({ create: { width: 100, height: 80, channels: 3, background: "#ff8800" } })
      .png()
      .toFile(path.join(src, "train", "colour.png"));
    for (const [f, channels] of [
      ["gray.png", 1],
      ["gray_alpha.png", 2],
      ["gray_jpeg.jpg", 1],
      ["colour.png", 3],
    ] as const) {
      expect((await sharp(path.join(src, "train", f)).metadata()).channels, `source ${f}`).toBe(channels);
    }
    const lines = ["gray.png", "gray_alpha.png", "gray_jpeg.jpg", "colour.png"].map((image) =>
      JSON.stringify({ image }),
    );
    await fs.writeFile(path.join(src, "train", "metadata.jsonl"), `${lines.join("\n")}\n`);
    const importDir = path.join(work, "gray-data");
    const r = await tessera(["data", "import", importDir, src, "--name", "gray", "--use-image-name-as-id"]);
    expect(r.code, r.stderr).toBe(0);

    const library = new Library(importDir);
    try {
      const [entry] = await library.scan();
      const ds = await library.open(entry!.id);
      // --use-image-name-as-id: each view's id is its file's name.
      const ids = (await ds.query("images", { columns: ["id"], limit: 10 })).items.map((row) => String(row.id));
      expect(ids.sort()).toEqual(["colour", "gray", "gray_alpha", "gray_jpeg"]);
      const channelsOf = async (name: string) => {
        const preview = await ds.readPreview("images", path.parse(name).name);
        expect(preview?.format).toBe("png");
        const meta = await sharp(preview!.bytes).metadata();
        return [meta.channels, meta.width, meta.height];
      };
      expect(await channelsOf("gray.png")).toEqual([1, 64, 51]);
      expect(await channelsOf("gray_alpha.png")).toEqual([2, 64, 51]);
      expect(await channelsOf("gray_jpeg.jpg")).toEqual([1, 64, 51]);
      expect(await channelsOf("colour.png")).toEqual([3, 64, 51]);
    } finally {
      await library.close();
    }
  });
});

describe("floats in JSON answers", () => {
  it("prints floats exactly as CPython's repr does (positional in [1e-4, 1e16), else scientific)", () => {
    // Right-hand sides printed by CPython 3.11 `repr(float)`.
    const cases: Array<[number, string]> = [
      [0, "0.0"],
      [-0, "-0.0"],
      [1, "1.0"],
      [1.5, "1.5"],
      [0.1, "0.1"],
      [1e16, "1e+16"],
      [1e15, "1000000000000000.0"],
      [123456789012345680000, "1.2345678901234568e+20"],
      [1e-5, "1e-05"],
      [0.0001, "0.0001"],
      [1e-7, "1e-07"],
      [2.5e-10, "2.5e-10"],
      [-3, "-3.0"],
      [1e300, "1e+300"],
      [5e-324, "5e-324"],
      [1.7976931348623157e308, "1.7976931348623157e+308"],
      [0.30000000000000004, "0.30000000000000004"],
      [-0.00012, "-0.00012"],
      [9999999999999998, "9999999999999998.0"],
    ];
    for (const [v, text] of cases) expect(pythonFloatRepr(v), String(v)).toBe(text);
  });
});
