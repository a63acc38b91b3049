import { describe, expect, it } from "vitest";
import { parseRange } from "../../src/http/binary.js";
import { PyFloat, writeJson } from "../../src/http/json.js";
import { mediaSrc } from "../../src/http/mediaSrc.js";
import { resolveMediaPath } from "../../src/http/routes/media.js";
import { parseWhereClause, WhereSyntaxError } from "../../src/http/whereClause.js";

describe("parseWhereClause", () => {
  it("parses the simple forms into structured filters", () => {
    expect(parseWhereClause("split = 'train'")).toEqual([{ column: "split", op: "eq", values: ["train"] }]);
    expect(parseWhereClause("(n >= -3.5e2) and name <> 'it''s'")).toEqual([
      { column: "n", op: "gte", values: ["-3.5e2"] },
      { column: "name", op: "ne", values: ["it's"] },
    ]);
    expect(parseWhereClause(`"id" NOT IN ('a', 'b,c') AND ok = TRUE`)).toEqual([
      { column: "id", op: "nin", values: ["a", "b,c"] },
      { column: "ok", op: "eq", values: ["true"] },
    ]);
    expect(parseWhereClause("record_id = 'r1' AND (frame_index < 3 AND frame_index != 1)")).toHaveLength(3);
  });

  it("refuses everything else", () => {
    for (const bad of [
      "a = 'x' OR b = 'y'",
      "a = b",
      "'x' = a",
      "a = 'x'; DELETE FROM records",
      "a = 'unterminated",
      "a LIKE 'x%'",
      "lower(a) = 'x'",
      "a IN ()",
      "a IS NULL",
      "a = 'x' -- comment",
      "a = 1 AND",
      "",
    ]) {
      expect(() => parseWhereClause(bad), bad).toThrow(WhereSyntaxError);
    }
  });
});

describe("writeJson", () => {
  it("keeps Python's float spelling and skips undefined keys", () => {
    expect(
      writeJson({ a: new PyFloat(1), b: [new PyFloat(0.5), new PyFloat(-2)], c: undefined, d: "é\n", e: null, f: 3 }),
    ).toBe('{"a":1.0,"b":[0.5,-2.0],"d":"é\\n","e":null,"f":3}');
    expect(JSON.parse(writeJson({ x: new PyFloat(1e21) }))).toEqual({ x: 1e21 });
    expect(writeJson({ x: new PyFloat(Number.NaN) })).toBe('{"x":null}');
  });
});

describe("mediaSrc", () => {
  const media = "/data/media";
  it("maps relative and in-folder absolute uris to /media/, keeps remote ones", () => {
    expect(mediaSrc("photos/a b.png", media)).toBe("/media/photos/a%20b.png");
    expect(mediaSrc("./x/../y.png", media)).toBe("/media/y.png");
    expect(mediaSrc("/data/media/v/clip.mp4", media)).toBe("/media/v/clip.mp4");
    expect(mediaSrc("https://h/x.jpg", media)).toBe("https://h/x.jpg");
    expect(mediaSrc("s3://b/k.jpg", media)).toBe("s3://b/k.jpg");
    expect(mediaSrc("../outside.png", media)).toBe("../outside.png");
    expect(mediaSrc("/etc/passwd", media)).toBe("/etc/passwd");
  });
});

describe("resolveMediaPath", () => {
  it("refuses segments that could escape", () => {
    for (const segs of [[".."], ["a", "..", ".."], ["a/../../b"], ["a\\..\\b"], ["x\0"], ["."], [""]]) {
      expect(() => resolveMediaPath("/data/media", segs), JSON.stringify(segs)).toThrow();
    }
    expect(resolveMediaPath("/data/media", ["a", "b.png"])).toBe("/data/media/a/b.png");
  });
});

describe("parseRange", () => {
  it("reads single byte ranges", () => {
    expect(parseRange("bytes=0-9", 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange("bytes=90-", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=-5", 100)).toEqual({ start: 95, end: 99 });
    expect(parseRange("bytes=50-500", 100)).toEqual({ start: 50, end: 99 });
    expect(parseRange("bytes=100-", 100)).toBe("unsatisfiable");
    expect(parseRange("bytes=5-2", 100)).toBe("unsatisfiable");
    expect(parseRange("bytes=0-1,5-6", 100)).toBeNull();
    expect(parseRange(undefined, 100)).toBeNull();
  });
});
