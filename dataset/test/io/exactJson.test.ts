import { describe, expect, it } from "vitest";
import { parseJsonExact, stringifyJsonExact } from "../../src/io/exactJson.js";

/** Issue 15: a metadata.jsonl integer beyond ±(2^53−1) must be read exactly, as Python's json does. */
describe("parseJsonExact", () => {
  it("keeps integers beyond ±(2^53−1) exactly as bigint (JSON.parse rounds them)", () => {
    const text = '{"a": 9007199254740993, "b": [-9223372036854775808, 9223372036854775807], "c": 99999999999999999999999}';
    expect(JSON.parse(text)).not.toEqual({ a: 9007199254740993n });
    expect(parseJsonExact(text)).toEqual({ a: 9007199254740993n, b: [-9223372036854775808n, 9223372036854775807n], c: 99999999999999999999999n });
  });

  it("keeps safe integers, fractions and exponents as numbers, like Python's float", () => {
    const text = '[9007199254740991, -9007199254740991, 12345678901234567.5, 1e300, 12345678901234567e2, 0, -0.0]';
    expect(parseJsonExact(text)).toEqual([9007199254740991, -9007199254740991, Number("12345678901234567.5"), 1e300, Number("12345678901234567e2"), 0, -0]);
  });

  it("reads everything else exactly as JSON.parse does", () => {
    const samples = [
      '{"s": "12345678901234567890 in a string", "e": "\\u00e9\\n\\"\\\\", "t": true, "f": false, "n": null, "o": {}, "l": []}',
      ' { "nested" : [ { "x" : [ 1 , 2.5 , "y" ] } ] , "digits": "9999999999999999999" } ',
      '["\\ud83d\\ude00", "❄ — ça glisse", 1234567890123456]',
      '{"counts": "X<d0l00000000000000000000h_1", "k": "a:12345678901234567890,[-12345678901234567890"}',
    ];
    for (const s of samples) expect(parseJsonExact(s)).toEqual(JSON.parse(s));
  });

  it("makes __proto__ an own key, never the prototype", () => {
    const v = parseJsonExact('{"__proto__": {"polluted": 1}, "big": 12345678901234567890}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(["__proto__", "big"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses what JSON.parse refuses, with a SyntaxError", () => {
    for (const bad of ["[12345678901234567890,]", '{"a" 12345678901234567890}', "[012345678901234567]", '["12345678901234567890', "12345678901234567890 x", "[12345678901234567890", '["\t12345678901234567890"]']) {
      expect(() => parseJsonExact(bad), bad).toThrow(SyntaxError);
      expect(() => JSON.parse(bad), bad).toThrow(SyntaxError);
    }
  });

  it("writes bigints as exact JSON integers (JSON.stringify throws on them), the rest as JSON.stringify does", () => {
    const value = { a: 9007199254740993n, b: [-9223372036854775808n, 1.5, "x", null, undefined], c: { d: undefined, e: true }, f: new Date(0) };
    expect(() => JSON.stringify(value)).toThrow(TypeError);
    const text = stringifyJsonExact(value);
    expect(text).toBe('{"a":9007199254740993,"b":[-9223372036854775808,1.5,"x",null,null],"c":{"e":true},"f":"1970-01-01T00:00:00.000Z"}');
    expect(parseJsonExact(text)).toEqual({ a: 9007199254740993n, b: [-9223372036854775808n, 1.5, "x", null, null], c: { e: true }, f: "1970-01-01T00:00:00.000Z" });
    const plain = { s: "é\n", n: [1, 2.5], o: {} };
    expect(stringifyJsonExact(plain)).toBe(JSON.stringify(plain));
  });
});
