import { describe, expect, it } from "vitest";
import { randomId } from "../../src/doc/ids.js";

describe("randomId drawn from one batch of random words", () => {
  it("keeps Pixano's 22 base62 characters, distinct ids, and every character in use", () => {
    const ids = Array.from({ length: 2000 }, () => randomId());
    for (const id of ids) expect(id).toMatch(/^[0-9A-Za-z]{22}$/);
    expect(new Set(ids).size).toBe(ids.length);
    const chars = new Set(ids.join(""));
    expect(chars.size).toBe(62);
  });
});
