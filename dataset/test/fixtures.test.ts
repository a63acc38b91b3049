import { promises as fs } from "node:fs";
import * as path from "node:path";
import * as lancedb from "@lancedb/lancedb";
import type { DataType, Field } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { arrow, arrowSchemaOf, Library, type Dataset } from "../src/index.js";
import {
  copyFixtureLibrary,
  FIXTURE_REFERENCE,
  fixtureDatasets,
  HAVE_FIXTURES,
  removeDir,
  tempDir,
} from "./helpers.js";

/**
 * Datasets built by Pixano 0.8.0 itself (fixtures/pixano-built): our Arrow schemas must equal the
 * ones on disk column by column, and every row must read back equal to the reference dump.
 */

interface RefField {
  name: string;
  type: string;
  nullable: boolean;
  children?: RefField[];
}
interface RefSchemas {
  tables: Record<string, { schema: RefField[]; data_storage_version: string; row_count: number }>;
}

/** pyarrow's `str(type)` for the Arrow types Pixano uses. */
function pyarrowName(t: DataType): string {
  if (arrow.DataType.isUtf8(t)) return "string";
  if (arrow.DataType.isInt(t)) return `int${t.bitWidth}`;
  if (arrow.DataType.isFloat(t)) return t.precision === arrow.Precision.SINGLE ? "float" : "double";
  if (arrow.DataType.isBool(t)) return "bool";
  if (arrow.DataType.isTimestamp(t)) return `timestamp[${["s", "ms", "us", "ns"][t.unit]}]`;
  if (arrow.DataType.isLargeBinary(t)) return "large_binary";
  if (arrow.DataType.isBinary(t)) return "binary";
  if (arrow.DataType.isList(t)) return `list<${t.children[0]!.name}: ${pyarrowName(t.children[0]!.type)}>`;
  if (arrow.DataType.isFixedSizeList(t))
    return `fixed_size_list<${t.children[0]!.name}: ${pyarrowName(t.children[0]!.type)}>[${t.listSize}]`;
  return String(t);
}

function fieldJson(f: Field): RefField {
  const out: RefField = { name: f.name, type: pyarrowName(f.type), nullable: f.nullable };
  if (arrow.DataType.isList(f.type) || arrow.DataType.isFixedSizeList(f.type))
    out.children = [fieldJson(f.type.children[0]!)];
  return out;
}

/** A row as the reference dump writes it: bytes as `{__bytes__: base64}`. */
function asReference(row: Record<string, unknown>, binaryText: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (v instanceof Uint8Array) out[k] = { __bytes__: Buffer.from(v).toString("base64") };
    else if (binaryText.has(k) && typeof v === "string")
      out[k] = { __bytes__: Buffer.from(v, "utf8").toString("base64") };
    else out[k] = v;
  }
  return out;
}

const datasets = await fixtureDatasets();

describe.skipIf(!HAVE_FIXTURES)("Pixano 0.8.0-built fixtures", () => {
  let dataDir: string;
  let library: Library;

  beforeAll(async () => {
    dataDir = await tempDir();
    await copyFixtureLibrary(dataDir);
    library = new Library(dataDir);
  });
  afterAll(async () => {
    await library.close();
    await removeDir(dataDir);
  });

  it("lists every fixture dataset by its info.json id, with its record count", async () => {
    const summaries = await library.scan();
    expect(summaries.map((s) => s.folder).sort()).toEqual(datasets);
    for (const s of summaries) {
      const info = JSON.parse(await fs.readFile(path.join(dataDir, "library", s.folder, "info.json"), "utf8")) as {
        id: string;
      };
      expect(s.id).toBe(info.id);
      const ref = JSON.parse(
        await fs.readFile(path.join(FIXTURE_REFERENCE, `${s.folder}.schemas.json`), "utf8"),
      ) as RefSchemas;
      expect(s.numRecords).toBe(ref.tables.records?.row_count ?? 0);
    }
  });

  for (const folder of datasets) {
    describe(folder, () => {
      let ds: Dataset;
      let ref: RefSchemas;
      let refRows: { tables: Record<string, Array<Record<string, unknown>>> };

      beforeAll(async () => {
        ref = JSON.parse(
          await fs.readFile(path.join(FIXTURE_REFERENCE, `${folder}.schemas.json`), "utf8"),
        ) as RefSchemas;
        refRows = JSON.parse(
          await fs.readFile(path.join(FIXTURE_REFERENCE, `${folder}.rows.json`), "utf8"),
        ) as typeof refRows;
        const summary = (await library.scan()).find((s) => s.folder === folder)!;
        ds = await library.open(summary.id);
      });

      it("declares exactly the Arrow schema of every table on disk (name, order, type, nullability)", async () => {
        const db = await lancedb.connect(path.join(ds.path, "db"));
        const names = await db.tableNames();
        expect(names.length).toBeGreaterThan(0);
        for (const name of names) {
          const disk = await (await db.openTable(name)).schema();
          const declared = ds.schema.tables.get(name as never);
          expect(declared, `${folder}.${name} is declared in info.json`).toBeDefined();
          const ours = arrowSchemaOf(declared!);
          expect(ours.fields.map(fieldJson), `${folder}.${name}`).toEqual(
            disk.fields.map((f) => fieldJson(f as unknown as Field)),
          );
          for (let i = 0; i < ours.fields.length; i++) {
            expect(String(ours.fields[i]!.type)).toBe(String(disk.fields[i]!.type));
            if (arrow.DataType.isTimestamp(ours.fields[i]!.type))
              expect(ours.fields[i]!.type.timezone ?? null).toBeNull();
          }
        }
        db.close();
      });

      it("matches the reference schemas dump (pyarrow names, list children, storage version 2.0)", () => {
        for (const [name, table] of Object.entries(ref.tables)) {
          const declared = ds.schema.tables.get(name as never);
          expect(declared, `${folder}.${name}`).toBeDefined();
          expect(arrowSchemaOf(declared!).fields.map(fieldJson), `${folder}.${name}`).toEqual(
            table.schema.map((f) => ({ ...f, metadata: undefined })).map(({ metadata: _m, ...f }) => f),
          );
          expect(table.data_storage_version).toBe("2.0");
        }
      });

      it("reads every row of every table equal to the reference dump", async () => {
        for (const [name, expected] of Object.entries(refRows.tables)) {
          const t = await ds.table(name as never);
          expect(t, `${folder}.${name}`).not.toBeNull();
          const columns = t!.layout.schema.columns.map((c) => c.name);
          const binaryText = new Set(
            t!.layout.schema.columns.filter((c) => c.type.kind === "binary_text").map((c) => c.name),
          );
          const page = await ds.query(name as never, { columns });
          expect(page.total).toBe(expected.length);
          const byId = new Map(page.items.map((r) => [r.id as string, asReference(r, binaryText)]));
          expect(byId.size).toBe(expected.length);
          for (const row of expected)
            expect(byId.get(row.id as string), `${folder}.${name}[${String(row.id)}]`).toEqual(row);
        }
      });

      it("leaves media bytes out of default reads and serves them through readMedia", async () => {
        for (const name of await ds.tables()) {
          const t = (await ds.table(name))!;
          if (!t.layout.schema.columns.some((c) => c.name === "raw_bytes")) continue;
          const page = await ds.query(name, { limit: 2 });
          for (const r of page.items) {
            expect(r).not.toHaveProperty("raw_bytes");
            expect(r).not.toHaveProperty("preview");
          }
          const expected = refRows.tables[name]!.find((r) => {
            const b = r.raw_bytes as { __bytes__: string } | null;
            return b !== null && b.__bytes__ !== "";
          });
          if (!expected) continue;
          const media = await ds.readMedia(name, expected.id as string);
          expect(Buffer.from(media!.bytes).toString("base64")).toBe(
            (expected.raw_bytes as { __bytes__: string }).__bytes__,
          );
          expect(media!.format).toBe(expected.format);
        }
      });
    });
  }
});
