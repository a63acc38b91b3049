import { createResource, createSignal, onCleanup, Show } from "solid-js";
import { userColor } from "@tessera/shared-crdt";
import { ApiError } from "../../api/http.js";
import type { ExplorerQuery } from "../../api/explorerQuery.js";
import { datasetMeta } from "../../app/datasetMeta.js";
import { explorerRoute, formatRoute } from "../../app/routes.js";
import { liveFor } from "../../live/liveStore.js";
import { roleOn, type Identity } from "../../session.js";
import { requestFlush } from "../../sync/outboxFlusher.js";
import { probeRefusal } from "../../sync/probe.js";
import { openRecordSession } from "../../sync/recordSession.js";
import { toastError } from "../../ui/toasts.js";
import { recordViews } from "./recordViews.js";
import { WorkspaceBody } from "./WorkspaceBody.js";

/**
 * One open record. The document starts syncing at once, in parallel with the dataset's schema and
 * the record's views; the body mounts when the schema is known (the canvas when the views are).
 * The page is keyed by record: moving to another record opens a fresh document (edits still
 * queued stay in the outbox and are sent in the background). A record the server does not have
 * shows "No such record" and stops connecting.
 */
export function WorkspacePage(props: {
  datasetId: string;
  recordId: string;
  query: ExplorerQuery;
  identity: Identity;
}) {
  const me = props.identity;
  const myId = me.userId;
  const live = liveFor(props.datasetId, me);
  const session = openRecordSession(props.datasetId, props.recordId, me);
  onCleanup(() => {
    const queued = session.tracker.hasUnsavedEdits();
    session.destroy();
    if (queued) requestFlush();
  });
  const [missing, setMissing] = createSignal(false);
  onCleanup(
    session.tracker.subscribe((s) => {
      if (s.phase === "missing") setMissing(true);
    }),
  );
  // Asked at once, not only when the websocket is refused: an unknown id shows "No such record"
  // without waiting for a failed upgrade.
  void probeRefusal(props.datasetId, props.recordId).then(
    (refusal) => {
      if (refusal === "missing") session.halt("missing");
    },
    (err: unknown) => console.error("tessera: cannot check the record", err),
  );
  session.provider.awareness.setLocalState({
    user: { id: myId, name: me.name, color: userColor(myId), role: roleOn(me, props.datasetId) },
    recordId: props.recordId,
    tool: "select",
    cursor: null,
    selection: [],
  });
  live.conn.updatePresence({ recordId: props.recordId });

  const [meta] = createResource(
    () => props.datasetId,
    async (id) => {
      try {
        return await datasetMeta(id);
      } catch (err) {
        toastError(err, `Cannot open ${id}`);
        return null;
      }
    },
  );
  const [views, setViews] = createSignal<Awaited<ReturnType<typeof recordViews>> | null>(null);
  let disposed = false;
  const loadViews = (): void => {
    datasetMeta(props.datasetId)
      .then((m) => recordViews(props.datasetId, props.recordId, m.schema).then(setViews))
      .catch((err: unknown) => {
        // Offline (moved here with Shift+→ while offline): load when the network is back, no toast.
        if (!navigator.onLine && !(err instanceof ApiError)) {
          window.addEventListener("online", retryOnline, { once: true });
          return;
        }
        // An unknown record is said once, by the page itself.
        if (!(err instanceof ApiError && err.status === 404)) toastError(err, "Cannot load the record's images");
        setViews([]);
      });
  };
  const retryOnline = () => {
    if (!disposed) loadViews();
  };
  onCleanup(() => {
    disposed = true;
    window.removeEventListener("online", retryOnline);
  });
  loadViews();

  return (
    <Show
      when={!missing()}
      fallback={
        <div class="empty" data-testid="no-such-record" role="alert">
          No such record: <span class="mono">{props.recordId}</span> is not in {props.datasetId}.{" "}
          <a href={formatRoute(explorerRoute(props.datasetId, props.query))}>Back to the explorer</a>
        </div>
      }
    >
      <Show
        when={meta()}
        fallback={<div class="empty">{meta.loading ? "Opening the record…" : "This record cannot be opened."}</div>}
      >
        {(m) => (
          <WorkspaceBody
            datasetId={props.datasetId}
            recordId={props.recordId}
            query={props.query}
            identity={me}
            meta={m()}
            session={session}
            live={live}
            views={views}
          />
        )}
      </Show>
    </Show>
  );
}
