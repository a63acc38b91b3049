import type { Presence } from "@tessera/shared-crdt";
import type { PresenceBook } from "../../live/LiveHub.js";
import type { LiveCluster } from "./LiveCluster.js";

/**
 * Live presence over every process of the scaled mode: a Redis hash per dataset
 * (`tessera:presence:<dataset>`), one field per connection (`<processId>|<connectionId>` → its
 * presence as JSON), written by the process the connection is on. A reader drops the fields of
 * processes that stopped beating (a SIGKILLed process's people leave with its heartbeat).
 */
export class ClusterPresence implements PresenceBook {
  /** This process's entries, to write them again after its heartbeat lapsed (others may have dropped them). */
  private readonly mine = new Map<string, Map<string, Presence>>();

  constructor(
    private readonly cluster: LiveCluster,
    private readonly onError: (err: unknown) => void,
  ) {
    cluster.onBeatLost(() => void this.rewrite());
  }

  private field(connectionId: string): string {
    return `${this.cluster.processId}|${connectionId}`;
  }

  put(datasetId: string, presence: Presence): void {
    let m = this.mine.get(datasetId);
    if (!m) this.mine.set(datasetId, (m = new Map()));
    m.set(presence.connectionId, presence);
    this.cluster.redis
      .hset(this.cluster.keys.presence(datasetId), this.field(presence.connectionId), JSON.stringify(presence))
      .catch(this.onError);
  }

  remove(datasetId: string, connectionId: string): void {
    const m = this.mine.get(datasetId);
    m?.delete(connectionId);
    if (m?.size === 0) this.mine.delete(datasetId);
    this.cluster.redis.hdel(this.cluster.keys.presence(datasetId), this.field(connectionId)).catch(this.onError);
  }

  private async rewrite(): Promise<void> {
    for (const [datasetId, m] of this.mine) {
      const entries = Object.fromEntries([...m].map(([id, p]) => [this.field(id), JSON.stringify(p)]));
      if (m.size > 0) await this.cluster.redis.hset(this.cluster.keys.presence(datasetId), entries).catch(this.onError);
    }
  }

  async list(datasetId: string): Promise<Presence[]> {
    const key = this.cluster.keys.presence(datasetId);
    const all = await this.cluster.redis.hgetall(key);
    const byProcess = new Map<string, Array<[string, string]>>();
    for (const [field, json] of Object.entries(all)) {
      const at = field.indexOf("|");
      const pid = at > 0 ? field.slice(0, at) : "";
      let list = byProcess.get(pid);
      if (!list) byProcess.set(pid, (list = []));
      list.push([field, json]);
    }
    const out: Presence[] = [];
    const dead: string[] = [];
    await Promise.all(
      [...byProcess].map(async ([pid, fields]) => {
        if (pid === "" || !(await this.cluster.alive(pid))) {
          dead.push(...fields.map(([f]) => f));
          return;
        }
        for (const [, json] of fields) {
          const p = parsePresence(json);
          if (p) out.push(p);
        }
      }),
    );
    if (dead.length > 0) await this.cluster.redis.hdel(key, ...dead);
    return out.sort((a, b) => (a.since < b.since ? -1 : a.since > b.since ? 1 : 0));
  }
}

function parsePresence(json: string): Presence | null {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (err) {
    if (err instanceof SyntaxError) return null;
    throw err;
  }
  const o = v as Partial<Presence> | null;
  if (!o || typeof o !== "object" || typeof o.connectionId !== "string" || !o.user || typeof o.user.id !== "string")
    return null;
  return o as Presence;
}
