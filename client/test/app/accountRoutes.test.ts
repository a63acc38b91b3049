import { describe, expect, it } from "vitest";
import { formatRoute, parseHash } from "../../src/app/routes.js";

describe("account pages' routes", () => {
  it("parses and formats #/profile and #/admin", () => {
    expect(parseHash("#/profile")).toEqual({ page: "profile" });
    expect(parseHash("#/admin")).toEqual({ page: "admin" });
    expect(formatRoute({ page: "profile" })).toBe("#/profile");
    expect(formatRoute({ page: "admin" })).toBe("#/admin");
  });

  it("leaves other paths under them to the not-found page", () => {
    expect(parseHash("#/admin/users").page).toBe("notFound");
    expect(parseHash("#/profiles").page).toBe("notFound");
  });
});
