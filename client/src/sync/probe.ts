import { getRecord } from "../api/endpoints.js";
import { ApiError } from "../api/http.js";
import type { Halt } from "./SyncTracker.js";

/**
 * Why the sync endpoint refused a websocket upgrade. Browsers hide the HTTP status of a refused
 * upgrade (the socket just closes with 1006), so the same question goes to the REST route of the
 * record: 401 → the sign-in ended (the 401 also raises the sign-in dialog through api/http.ts),
 * 404 → no such record. Anything else (a network error, a 5xx, an overloaded server's 503) is
 * null: the provider keeps backing off and retrying.
 */
export async function probeRefusal(datasetId: string, recordId: string): Promise<Halt | null> {
  try {
    await getRecord(datasetId, recordId);
    return null;
  } catch (err) {
    if (err instanceof ApiError) {
      if (err.status === 401) return "signedOut";
      if (err.status === 404) return "missing";
      return null;
    }
    // fetch rejects with a TypeError when the network is down: a transient failure.
    if (err instanceof TypeError) return null;
    throw err;
  }
}
