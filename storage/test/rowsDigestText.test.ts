import { describe, expect, it } from "vitest";
import type { RecordRows } from "@tessera/shared-crdt";
import { canonicalRows, rowsDigest } from "../src/rowsDigest.js";

/**
 * The canonical text of a record's rows is stored (as its sha1) in every snapshot: a faster
 * writer must give the very same text, byte for byte, or every stored snapshot would look drifted.
 */
const rows = {
  record: { id: "r1", split: "train", status: "new", created_at: "x", updated_at: "y", weather: "sunny é", n: 3 },
  tables: {
    entities: [
      { id: "e2", record_id: "r1", category: "car", parent_id: "", extra: undefined },
      { id: "e10", record_id: "r1", category: 'quote " and \\ backslash', parent_id: "" },
    ],
    bboxes: [
      {
        id: "b1",
        record_id: "r1",
        entity_id: "e2",
        coords: [0.1, -0, 1e21, Number.NaN, undefined],
        big: 9007199254740993n,
        blob: new Uint8Array([1, 2, 255]),
        nested: { z: 1, a: [null, true, false], "\u00e9": "e-acute", A: "upper", _: { y: undefined } },
      },
    ],
    keypoints: [],
  },
} as unknown as RecordRows;

const EXPECTED =
  '{"record":{"id":"r1","n":3,"split":"train","status":"new","weather":"sunny é"},"tables":[["bboxes",[{"big":9007199254740993,"blob":{"$bytes":"AQL/"},"coords":[0.1,0,1e+21,null,null],"entity_id":"e2","id":"b1","nested":{"A":"upper","_":{},"a":[null,true,false],"z":1,"é":"e-acute"},"record_id":"r1"}]],["entities",[{"category":"quote \\" and \\\\ backslash","id":"e10","parent_id":"","record_id":"r1"},{"category":"car","id":"e2","parent_id":"","record_id":"r1"}]]]}';

describe("the rows digest's canonical text", () => {
  it("keeps its exact text: sorted keys (UTF-16 order), rows by id, bytes as base64, int64 as digits, undefined dropped, empty tables and the record's timestamps left out", () => {
    expect(canonicalRows(rows)).toBe(EXPECTED);
    expect(rowsDigest(rows)).toBe("3c43c41ea1d7d54ab0bf3a9b22e54a5875132bf8");
  });
});
