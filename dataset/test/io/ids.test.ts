import { describe, expect, it } from "vitest";
import { blake2b } from "../../src/io/blake2b.js";
import { namespacePrefix, shortUuid, stableId } from "../../src/io/ids.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const utf8 = (s: string) => new TextEncoder().encode(s);

// Expected values computed with CPython's hashlib.blake2b and Pixano 0.8.0's pixano.datasets.io.ids.
describe("blake2b", () => {
  it("matches RFC 7693's BLAKE2b-512('abc')", () => {
    expect(hex(blake2b(utf8("abc")))).toBe(
      "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923",
    );
  });

  it("matches hashlib.blake2b with a digest_size (the length is in the parameter block)", () => {
    expect(hex(blake2b(utf8("abc"), 16))).toBe("cf4ab791c62b8d2b2109c90275287816");
    expect(hex(blake2b(new Uint8Array(0), 6))).toBe("ddd9c40767f9");
    const big = Uint8Array.from({ length: 768 }, (_, i) => i % 256);
    expect(hex(blake2b(big, 16))).toBe("e0892860f9fc0da273b9db57e857c19a");
  });

  it("rejects impossible digest lengths", () => {
    expect(() => blake2b(utf8("x"), 0)).toThrow(RangeError);
    expect(() => blake2b(utf8("x"), 65)).toThrow(RangeError);
  });
});

describe("stableId", () => {
  it("derives Pixano 0.8's ids byte for byte", () => {
    expect(namespacePrefix("image_det")).toBe("Po5Jf8mO");
    expect(namespacePrefix("")).toBe("17GTdj2X");
    expect(stableId("image_det", "train", "metadata", 2)).toBe("Po5Jf8mO-5J9NDWlYWTuCAucXepNpfq");
    expect(stableId("abc-XYZ", "view", "image")).toBe("UPWKYtdv-6eXQHu3is2DhnPg5trZCBC");
    expect(stableId("abc-XYZ", "view", "image", 3)).toBe("UPWKYtdv-3vtuQQsu49g3d624NeNqxd");
    expect(stableId("café ☕", "ent", 0)).toBe("A5PrX8ZV-5BoTD2l0fHZwep7bcRC7jS");
  });

  it("length-prefixes parts so ('ab','c') and ('a','bc') differ", () => {
    expect(stableId("ns", "ab", "c")).not.toBe(stableId("ns", "a", "bc"));
  });

  it("refuses non-integer number parts (Python would hash their repr)", () => {
    expect(() => stableId("ns", 1.5)).toThrow(TypeError);
  });
});

describe("shortUuid", () => {
  it("gives 22 characters of shortuuid's alphabet, different each time", () => {
    const a = shortUuid();
    expect(a).toMatch(/^[2-9A-HJ-NP-Za-km-z]{22}$/);
    expect(shortUuid()).not.toBe(a);
  });
});
