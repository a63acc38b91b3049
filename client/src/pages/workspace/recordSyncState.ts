import { createSignal, onCleanup, type Accessor } from "solid-js";
import { canEditRecord, type Role, type Row } from "@tessera/shared-crdt";
import { queuedCounts, splitRecordKey } from "../../sync/outbox.js";
import type { RecordSession } from "../../sync/recordSession.js";
import type { SyncStatus } from "../../sync/SyncTracker.js";
import { toast } from "../../ui/toasts.js";
import { recordFields } from "./recordBindings.js";

/** What the workspace shows of a record's sync: where it stands, the record's fields and status, and the rights. */
export interface RecordSyncState {
  readonly sync: Accessor<SyncStatus>;
  /** Whether the record's first sync is done. */
  readonly loaded: Accessor<boolean>;
  /** Edits still queued on the other records of this user (left offline, or in closed tabs). */
  readonly queuedElsewhere: () => number;
  readonly fields: Accessor<Row>;
  readonly status: () => string;
  /** Whether this user may edit the record now (its status, their role, the server's word). */
  readonly editable: () => boolean;
}

/**
 * Solid signals over one record session (call inside a component): its sync status, the server's
 * `welcome` (read-only, status) and `rejected` messages (told as a toast), the record's fields, and
 * a warning before the page unloads with edits not yet saved.
 */
export function recordSyncState(p: {
  readonly session: RecordSession;
  readonly datasetId: string;
  readonly recordId: string;
  readonly role: Role;
}): RecordSyncState {
  const { session } = p;
  const [sync, setSync] = createSignal(session.tracker.status());
  const [loaded, setLoaded] = createSignal(session.tracker.isLoaded());
  onCleanup(
    session.tracker.subscribe((s) => {
      setSync(s);
      setLoaded(session.tracker.isLoaded());
    }),
  );
  const queuedElsewhere = () => {
    let n = 0;
    for (const [k, count] of queuedCounts()) {
      const { dataset, record } = splitRecordKey(k);
      if (dataset !== p.datasetId || record !== p.recordId) n += count;
    }
    return n;
  };
  const [readOnlyByServer, setReadOnlyByServer] = createSignal(session.welcome()?.readOnly ?? false);
  const [welcomeStatus, setWelcomeStatus] = createSignal(session.welcome()?.status ?? null);
  onCleanup(
    session.onMessage((msg) => {
      if (msg.kind === "welcome") {
        setReadOnlyByServer(msg.readOnly);
        setWelcomeStatus(msg.status);
      } else if (msg.kind === "rejected" && msg.reason !== "read_only") {
        toast(
          `The server corrected an edit: ${msg.issues.map((i) => `${i.path}: ${i.message}`).join("; ") || msg.reason}`,
          "error",
        );
      }
    }),
  );
  const fields = recordFields(session.doc);
  const status = () => String(fields().status ?? welcomeStatus() ?? "new");
  const editable = () => {
    const s = status();
    return !readOnlyByServer() && canEditRecord(s, p.role);
  };
  const onBeforeUnload = (e: BeforeUnloadEvent) => {
    if (!session.tracker.hasUnsavedEdits()) return;
    e.preventDefault();
    e.returnValue = "";
  };
  window.addEventListener("beforeunload", onBeforeUnload);
  onCleanup(() => window.removeEventListener("beforeunload", onBeforeUnload));
  return { sync, loaded, queuedElsewhere, fields, status, editable };
}
