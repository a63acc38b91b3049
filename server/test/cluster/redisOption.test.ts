import { describe, expect, it } from "vitest";
import { ServerConfigError, serverOptionsFrom } from "../../src/serverOptions.js";

describe("the scaled mode's Redis URL (--redis / TESSERA_REDIS_URL)", () => {
  it("is off unless set, and the flag wins over the variable", () => {
    expect(serverOptionsFrom({}, {}, "/b").redisUrl).toBeNull();
    expect(serverOptionsFrom({ TESSERA_REDIS_URL: " redis://127.0.0.1:6390 " }, {}, "/b").redisUrl).toBe(
      "redis://127.0.0.1:6390",
    );
    expect(
      serverOptionsFrom({ TESSERA_REDIS_URL: "redis://a:1" }, { redis: "rediss://user:pw@cache.lan:6380/2" }, "/b")
        .redisUrl,
    ).toBe("rediss://user:pw@cache.lan:6380/2");
  });

  it.each([
    ["localhost:6379", "TESSERA_REDIS_URL must start with redis:// or rediss://"],
    ["http://127.0.0.1:6379", "must start with redis://"],
    ["redis://127.0.0.1:6379/db", "the path must be a database number"],
    ["not a url", "must be a redis://HOST:PORT URL"],
  ])("refuses %j with a message naming the variable", (raw, message) => {
    expect(() => serverOptionsFrom({ TESSERA_REDIS_URL: raw }, {}, "/b")).toThrow(ServerConfigError);
    expect(() => serverOptionsFrom({ TESSERA_REDIS_URL: raw }, {}, "/b")).toThrow(message);
  });
});
