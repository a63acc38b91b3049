import { describe, expect, it } from "vitest";
import { defaultInternalUrl } from "../../src/cluster/ScaledMode.js";
import { ServerConfigError, serverOptionsFrom } from "../../src/serverOptions.js";

describe("the URL other processes of the scaled mode reach this one at", () => {
  it("is TESSERA_INTERNAL_URL's origin when set, else derived from the listening address", () => {
    expect(serverOptionsFrom({}, {}, "/b").internalUrl).toBeNull();
    expect(serverOptionsFrom({ TESSERA_INTERNAL_URL: " http://web-2.lan:7492/ " }, {}, "/b").internalUrl).toBe(
      "http://web-2.lan:7492",
    );
    expect(defaultInternalUrl("127.0.0.1", 7492)).toBe("http://127.0.0.1:7492");
    expect(defaultInternalUrl("0.0.0.0", 80)).toBe("http://127.0.0.1:80");
    expect(defaultInternalUrl("::", 81)).toBe("http://[::1]:81");
    expect(defaultInternalUrl("10.0.0.5", 82)).toBe("http://10.0.0.5:82");
  });

  it.each([
    ["web-2:7492", "TESSERA_INTERNAL_URL must start with http:// or https://"],
    ["not a url", "TESSERA_INTERNAL_URL must be an http://HOST:PORT URL"],
  ])("refuses %j naming the variable", (raw, message) => {
    expect(() => serverOptionsFrom({ TESSERA_INTERNAL_URL: raw }, {}, "/b")).toThrow(ServerConfigError);
    expect(() => serverOptionsFrom({ TESSERA_INTERNAL_URL: raw }, {}, "/b")).toThrow(message);
  });
});
