import { describe, expect, it } from "vitest";
import { accountIdentity, guestIdentity, guestUserId, parseStoredGuest, roleOn } from "../../src/session.js";

describe("session identities", () => {
  it("reads an account from /auth/me, with its per-dataset roles", () => {
    const me = accountIdentity({
      id: "alice",
      username: "alice",
      name: "Alice",
      role: "annotator",
      dataset_roles: { ds2: "reviewer", bad: "emperor" },
      auth: "session",
    });
    expect(me).toEqual({
      userId: "alice",
      name: "Alice",
      role: "annotator",
      datasetRoles: { ds2: "reviewer" },
      account: true,
    });
    if (!me) throw new Error("unreachable");
    expect(roleOn(me, "ds2")).toBe("reviewer");
    expect(roleOn(me, "ds1")).toBe("annotator");
    expect(roleOn(me, null)).toBe("annotator");
  });

  it("treats the single-user mode and junk as no account", () => {
    expect(accountIdentity({ id: "rest:local", name: "Local user", role: "admin", auth: "off" })).toBeNull();
    expect(accountIdentity(null)).toBeNull();
    expect(accountIdentity({ name: "x" })).toBeNull();
  });

  it("keeps a guest's name and role, with the id the server derives", () => {
    expect(guestIdentity("  Alice Doe ", "reviewer")).toEqual({
      userId: "guest:alice doe",
      name: "Alice Doe",
      role: "reviewer",
      datasetRoles: {},
      account: false,
    });
    expect(guestUserId("BOB")).toBe("guest:bob");
    expect(parseStoredGuest(JSON.stringify({ name: "Bob", role: "viewer" }))?.role).toBe("viewer");
    expect(parseStoredGuest(JSON.stringify({ name: "Bob", role: "admin" }))).toBeNull();
    expect(parseStoredGuest(JSON.stringify({ name: "  ", role: "viewer" }))).toBeNull();
    expect(parseStoredGuest("{not json")).toBeNull();
    expect(parseStoredGuest(null)).toBeNull();
  });
});
