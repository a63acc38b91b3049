import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { ForwardSigner } from "../../src/cluster/signing.js";

/** An upgrade request as the owner sees it: the path and the headers the edge sent. */
function request(url: string, headers: Record<string, string>): IncomingMessage {
  return { url, headers } as unknown as IncomingMessage;
}

describe("ForwardSigner: the identity an edge process hands a record's owner", () => {
  const secret = Buffer.alloc(32, 3);
  const who = { id: "user:ann", name: "Ann", role: "viewer" as const, tessera: true };

  it("carries the identity and the assignment lock's read-only mark, for one path, once", () => {
    let now = 1_000_000;
    const signer = new ForwardSigner(secret, () => now);
    const headers = signer.sign(who, "/sync/ds/r1?tessera=1", true);
    expect(signer.verify(request("/sync/ds/r1?tessera=1&x=2", headers))).toEqual({ identity: who, lockedOut: true });
    expect(signer.verify(request("/sync/ds/r1", headers))).toMatchObject({ refuse: 401 });
    const plain = signer.sign(who, "/sync/ds/r1");
    expect(signer.verify(request("/sync/ds/r2", plain))).toMatchObject({ refuse: 403 });
    now += 31_000;
    expect(signer.verify(request("/sync/ds/r1", plain))).toMatchObject({ refuse: 401 });
  });

  it("is not a forwarded request without the header, and refuses a short secret", () => {
    expect(new ForwardSigner(secret).verify(request("/sync/ds/r1", {}))).toBeNull();
    expect(() => new ForwardSigner(Buffer.alloc(8))).toThrow("at least 16 bytes");
  });
});
