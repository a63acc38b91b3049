import { expect, it } from "vitest";
import { startRedis } from "./support/redisServer.js";
it("starts, keeps an AOF write across a SIGKILL, stops", async () => {
  const r = await startRedis();
  try {
    const c = r.client();
    await c.set("k", "v");
    await r.kill();
    await r.restart();
    const c2 = r.client();
    expect(await c2.get("k")).toBe("v");
  } finally {
    await r.stop();
  }
});
