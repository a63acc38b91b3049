import { describe, expect, it } from "vitest";
import { longTasksOf, packageOf, summarizeProfile, type CpuProfile } from "../src/profile.js";

/** The profile summary is what RESULTS.md cites as "hot"; its arithmetic must be right. */
const frame = (functionName: string, url = "", lineNumber = 0) => ({ functionName, url, lineNumber });

// root → main (server) → applyUpdate (yjs) ; root → (idle) ; root → (garbage collector)
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame("(root)"), children: [2, 4, 5] },
    { id: 2, callFrame: frame("receive", "file:///work/main/server/src/sync/RecordRoom.ts", 9), children: [3] },
    { id: 3, callFrame: frame("applyUpdate", "file:///work/main/node_modules/yjs/dist/yjs.mjs", 99) },
    { id: 4, callFrame: frame("(idle)") },
    { id: 5, callFrame: frame("(garbage collector)") },
  ],
  startTime: 0,
  endTime: 10_000,
  // Each sample is charged the delta that follows it: 2 → 1 ms, 3 → 3 ms, 4 → 4 ms, 5 → 2 ms, 3 → 0.
  samples: [2, 3, 4, 5, 3],
  timeDeltas: [0, 1000, 3000, 4000, 2000],
};

describe("CPU profile summaries", () => {
  it("charge self time to the sampled frame and inclusive time to its callers, idle apart", () => {
    const s = summarizeProfile(profile, "x.cpuprofile");
    expect(s.idleMs).toBe(4);
    expect(s.busyMs).toBe(6);
    expect(s.topSelf[0]).toEqual({ frame: "applyUpdate yjs/dist/yjs.mjs:100", ms: 3, pct: 50 });
    expect(s.topSelf.map((f) => f.frame)).toContain("(garbage collector)");
    const receive = s.topInclusive.find((f) => f.frame.startsWith("receive"));
    expect(receive).toEqual({ frame: "receive server/src/sync/RecordRoom.ts:10", ms: 4, pct: 66.7 });
    expect(s.byPackage).toEqual([
      { frame: "yjs", ms: 3, pct: 50 },
      { frame: "(garbage collector)", ms: 2, pct: 33.3 },
      { frame: "@tessera/server", ms: 1, pct: 16.7 },
    ]);
  });

  it("find busy stretches of the event loop at least as long as the threshold", () => {
    // receive 6 ms → applyUpdate 6 ms (one 12 ms stretch), idle 1 ms, receive 3 ms (too short).
    const p: CpuProfile = { ...profile, samples: [2, 3, 4, 2, 4], timeDeltas: [0, 6000, 6000, 1000, 3000, 0] };
    const lt = longTasksOf(p, 10);
    expect(lt.count).toBe(1);
    expect(lt.totalMs).toBe(12);
    expect(lt.longest[0]?.ms).toBe(12);
    expect(lt.longest[0]?.atMs).toBe(0);
    expect(lt.topInclusive[0]).toEqual({ frame: "receive server/src/sync/RecordRoom.ts:10", ms: 12, pct: 100 });
    expect(lt.topInclusive[1]).toEqual({ frame: "applyUpdate yjs/dist/yjs.mjs:100", ms: 6, pct: 50 });
  });

  it("name packages from script URLs", () => {
    expect(packageOf("file:///w/node_modules/@y/websocket-server/src/utils.js", "f")).toBe("@y/websocket-server");
    expect(packageOf("node:internal/streams", "f")).toBe("node");
    expect(packageOf("file:///work/main/storage/src/FileRecordLog.ts", "f")).toBe("@tessera/storage");
    expect(packageOf("file:///work/main/dataset/src/writes.ts", "f")).toBe("@tessera/dataset");
    expect(packageOf("", "(program)")).toBe("(program)");
  });
});
