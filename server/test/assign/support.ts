import * as decoding from "lib0/decoding";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { MessageType, type Role, type TesseraMessage } from "@tessera/shared-crdt";
import { spawnServer, waitFor, type ServerProcess } from "../integration/support.js";
import {
  ADMIN,
  bearer,
  buildDataDir,
  call,
  DS,
  jsonInit,
  seedUsers,
  tokenFor,
  wsWithHeaders,
  type Reply,
} from "../auth/support.js";

export { DS, waitFor };

/** The campaign's people: two annotators, a reviewer, a viewer (and the first admin, the lead). */
const PEOPLE: Readonly<Record<string, { role: Role }>> = {
  alice: { role: "annotator" },
  bob: { role: "annotator" },
  rita: { role: "reviewer" },
  vic: { role: "viewer" },
};

export interface Campaign {
  readonly server: ServerProcess;
  readonly dataDir: string;
  as(who: string): Client;
  restart(): Promise<void>;
  close(): Promise<void>;
}

interface Client {
  readonly token: string;
  get(path: string): Promise<Reply>;
  send(method: string, path: string, body: unknown): Promise<Reply>;
}

const env = { TESSERA_AUTH: "on", TESSERA_ADMIN_USER: ADMIN.username, TESSERA_ADMIN_PASSWORD: ADMIN.password };

/** A real server process with accounts on, over a dataset of `records`. */
export async function startCampaign(records: readonly string[]): Promise<Campaign> {
  const data = await buildDataDir(records);
  await seedUsers(data.dataDir, PEOPLE);
  let server = await spawnServer(data.dataDir, env);
  const tokens = new Map<string, string>();
  const tokenOf = async (who: string) =>
    who === "admin" ? tokenFor(server.url, ADMIN.username, ADMIN.password) : tokenFor(server.url, who);
  for (const who of ["admin", ...Object.keys(PEOPLE)]) tokens.set(who, await tokenOf(who));
  return {
    get server() {
      return server;
    },
    dataDir: data.dataDir,
    as(who: string): Client {
      const token = tokens.get(who) ?? "";
      const base = () => `${server.url}/datasets/${DS}`;
      return {
        token,
        get: (path) => call(`${base()}${path}`, { headers: bearer(token) }),
        send: (method, path, body) => call(`${base()}${path}`, jsonInit(method, body, bearer(token))),
      };
    },
    async restart() {
      await server.stop();
      server = await spawnServer(data.dataDir, env);
    },
    async close() {
      await server.stop();
      await data.cleanup();
    },
  };
}

export interface SyncClient {
  readonly doc: Y.Doc;
  readonly provider: WebsocketProvider;
  /** Tessera's messages this connection received (welcome, confirmed, rejected), oldest first. */
  readonly messages: TesseraMessage[];
  lastWelcome(): Extract<TesseraMessage, { kind: "welcome" }> | null;
  destroy(): void;
}

/** A stock y-websocket provider signed in with a bearer token, reading Tessera's type-100 messages. */
export function syncClient(server: ServerProcess, token: string, recordId: string): SyncClient {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(`${server.wsUrl}/sync/${DS}`, recordId, doc, {
    WebSocketPolyfill: wsWithHeaders(bearer(token)) as unknown as typeof globalThis.WebSocket,
    params: { tessera: "1" },
    disableBc: true,
  });
  const messages: TesseraMessage[] = [];
  provider.messageHandlers[MessageType.tessera] = (_encoder, decoder) => {
    messages.push(JSON.parse(decoding.readVarString(decoder)) as TesseraMessage);
  };
  return {
    doc,
    provider,
    messages,
    lastWelcome: () => {
      for (let i = messages.length - 1; i >= 0; i--) {
        const m = messages[i];
        if (m?.kind === "welcome") return m;
      }
      return null;
    },
    destroy() {
      provider.destroy();
      doc.destroy();
    },
  };
}
