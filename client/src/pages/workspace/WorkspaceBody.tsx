import { createEffect, createResource, createSignal, For, on, onCleanup, onMount, Show, type Accessor } from "solid-js";
import * as Y from "yjs";
import {
  canEditRecord,
  deleteRows,
  isRecordStatus,
  randomId,
  relabel as relabelEntity,
  tableMap,
  transact,
  type ActivityEntry,
  type ComponentTable,
  type DocContext,
  type WorkflowAction,
} from "@tessera/shared-crdt";
import { getNeighbors, listActivity } from "../../api/endpoints.js";
import type { ExplorerQuery } from "../../api/explorerQuery.js";
import { categoryColor, cssColor } from "../../app/categories.js";
import type { DatasetMeta } from "../../app/datasetMeta.js";
import { EntityIndex, type EntityItem } from "../../app/EntityIndex.js";
import { dispatchFollow, followState, registerFollowTarget } from "../../app/follow.js";
import { followBanner } from "../../app/followMachine.js";
import { navigate } from "../../app/router.js";
import { explorerRoute, workspaceRoute } from "../../app/routes.js";
import { KEYPOINT_TEMPLATES } from "../../app/templates.js";
import { createUndoManager } from "../../app/undo.js";
import type { CanvasController, CanvasView, SelectionRef, ToolName } from "../../canvas/types.js";
import { onActivity, onStatusChange, type LiveStore } from "../../live/liveStore.js";
import { roleOn, type Identity } from "../../session.js";
import type { RecordSession } from "../../sync/recordSession.js";
import { ShortcutHelp } from "../../ui/ShortcutHelp.js";
import { statusLabel } from "../../ui/StatusChip.js";
import { toast, toastError } from "../../ui/toasts.js";
import { ActivityTab } from "./ActivityTab.js";
import { canvasAvailable, loadCanvas } from "./canvasLoader.js";
import { CreationForm } from "./CreationForm.js";
import { ObjectsTab } from "./ObjectsTab.js";
import { distinctPeople, peers, recordFields, type Peer } from "./recordBindings.js";
import { RecordTab } from "./RecordTab.js";
import { ToolRail } from "./ToolRail.js";
import { TopBar } from "./TopBar.js";
import { useWorkspaceKeys } from "./useWorkspaceKeys.js";
import type { WorkspaceContext } from "./workspaceContext.js";

const VERBS: Record<string, string> = { submit: "submitted this record for review", approve: "approved this record", reject: "rejected this record", reopen: "reopened this record", edit: "started this record" };

function lastCategoryKey(datasetId: string): string {
  return `tessera.category.${datasetId}`;
}

function storedCategory(datasetId: string): string {
  try {
    return localStorage.getItem(lastCategoryKey(datasetId)) ?? "";
  } catch (err) {
    console.warn("tessera: localStorage unavailable", err);
    return "";
  }
}

/** The workspace once the schema is known: top bar, tool rail, canvas, inspector, follow, keyboard. */
export function WorkspaceBody(props: {
  datasetId: string;
  recordId: string;
  query: ExplorerQuery;
  identity: Identity;
  meta: DatasetMeta;
  session: RecordSession;
  live: LiveStore;
  views: Accessor<CanvasView[] | null>;
}) {
  const { session, meta, live } = props;
  const me = props.identity;
  const myId = me.userId;
  const role = roleOn(me, props.datasetId);
  const doc = session.doc;
  const awareness = session.provider.awareness;
  const docCtx: DocContext = { doc, schema: meta.schema, recordId: props.recordId, newId: randomId };
  const field = meta.labelField;

  // ── sync state ──────────────────────────────────────────────────────────────────────────────
  const [sync, setSync] = createSignal(session.tracker.status());
  onCleanup(session.tracker.subscribe(setSync));
  const [readOnlyByServer, setReadOnlyByServer] = createSignal(session.welcome()?.readOnly ?? false);
  const [welcomeStatus, setWelcomeStatus] = createSignal(session.welcome()?.status ?? null);
  onCleanup(
    session.onMessage((msg) => {
      if (msg.kind === "welcome") {
        setReadOnlyByServer(msg.readOnly);
        setWelcomeStatus(msg.status);
      } else if (msg.kind === "rejected" && msg.reason !== "read_only") {
        toast(`The server corrected an edit: ${msg.issues.map((i) => `${i.path}: ${i.message}`).join("; ") || msg.reason}`, "error");
      }
    }),
  );
  const fields = recordFields(doc);
  const status = () => String(fields().status ?? welcomeStatus() ?? "new");
  const editable = () => {
    const s = status();
    return !readOnlyByServer() && isRecordStatus(s) && canEditRecord(s, role);
  };
  const onBeforeUnload = (e: BeforeUnloadEvent) => {
    if (!session.tracker.hasUnsavedEdits()) return;
    e.preventDefault();
    e.returnValue = "";
  };
  window.addEventListener("beforeunload", onBeforeUnload);
  onCleanup(() => window.removeEventListener("beforeunload", onBeforeUnload));

  // ── document projections ────────────────────────────────────────────────────────────────────
  const index = new EntityIndex(doc, field?.name ?? null);
  onCleanup(() => index.destroy());
  const [items, setItems] = createSignal<readonly EntityItem[]>(index.items());
  let frame = 0;
  onCleanup(
    index.subscribe(() => {
      // Bursts of remote edits (someone dragging) refresh the panel once per frame.
      if (frame === 0) frame = requestAnimationFrame(() => ((frame = 0), setItems(index.items())));
    }),
  );
  onCleanup(() => cancelAnimationFrame(frame));
  const undo = createUndoManager(doc, session.origin);
  onCleanup(() => undo.destroy());
  const people = peers(awareness);

  // ── canvas ──────────────────────────────────────────────────────────────────────────────────
  const [controller, setController] = createSignal<CanvasController | null>(null);
  const [canvasMissing, setCanvasMissing] = createSignal(!canvasAvailable());
  const [selection, setSelection] = createSignal<readonly SelectionRef[]>([]);
  const [hidden, setHidden] = createSignal<ReadonlySet<string>>(new Set());
  const [locked, setLocked] = createSignal<ReadonlySet<string>>(new Set());
  const [tool, setToolSignal] = createSignal<ToolName>("select");
  const [lastDrawTool, setLastDrawTool] = createSignal<ToolName>("bbox");
  const [category, setCategorySignal] = createSignal(storedCategory(props.datasetId) || field?.values[0] || "");
  const [form, setForm] = createSignal<{ entityId: string; value: string } | null>(null);
  const [help, setHelp] = createSignal(false);
  const [tab, setTab] = createSignal<"objects" | "record" | "activity">("objects");

  const labelOf = (entityId: string): string => {
    if (!field) return "";
    const m = tableMap(doc, "entities").get(entityId);
    const v = m instanceof Y.Map ? m.get(field.name) : undefined;
    return typeof v === "string" ? v : "";
  };
  const colorOf = (entityId: string) => categoryColor(labelOf(entityId), field?.values ?? []);
  const colorOfLabel = (label: string) => cssColor(categoryColor(label, field?.values ?? []));

  let host: HTMLDivElement | undefined;
  let disposed = false;
  onCleanup(() => {
    disposed = true;
    controller()?.destroy();
    const w = window as unknown as { __tessera?: unknown };
    w.__tessera = undefined;
  });
  const mountCanvas = async (views: CanvasView[]) => {
    const mod = await loadCanvas();
    if (!mod || !host || disposed) {
      setCanvasMissing(true);
      return;
    }
    const c = await mod.createCanvas(host, {
      doc,
      schema: meta.schema,
      recordId: props.recordId,
      views,
      awareness,
      origin: session.origin,
      newId: randomId,
      colorOf,
      templates: KEYPOINT_TEMPLATES,
      editable: editable(),
    });
    if (disposed) {
      c.destroy();
      return;
    }
    c.on("selection", (refs) => setSelection(refs));
    c.on("created", (e) => {
      undo.stopCapturing();
      if (field) setForm({ entityId: e.entityId, value: labelOf(e.entityId) || category() });
    });
    c.on("viewportChanged", ({ viewport, byUser }) => {
      awareness.setLocalStateField("viewport", viewport);
      if (byUser) dispatchFollow({ type: "userViewport" });
    });
    c.setTool(tool());
    if (category()) c.setCategory(category());
    c.setHidden(hidden());
    c.setLocked(locked());
    setController(c);
  };
  createEffect(
    on(props.views, (views) => {
      if (views && !controller()) void mountCanvas(views).catch((err: unknown) => toastError(err, "The canvas failed to start"));
    }),
  );
  createEffect(on(editable, (e) => controller()?.setEditable(e), { defer: true }));
  createEffect(on(editable, (e) => !e && tool() !== "select" && setTool("select"), { defer: true }));
  onMount(() => {
    (window as unknown as { __tessera?: unknown }).__tessera = { doc, session, index, undo, controller, awareness, selection };
  });

  const setTool = (t: ToolName) => {
    setToolSignal(t);
    if (t !== "select") setLastDrawTool(t);
    controller()?.setTool(t);
    awareness.setLocalStateField("tool", t);
    live.conn.updatePresence({ recordId: props.recordId, tool: t });
  };
  // The canvas switches tools itself (back to select after a box): it says so in awareness.
  const onLocalAwareness = () => {
    const t = (awareness.getLocalState() as { tool?: ToolName } | null)?.tool;
    if (!t || t === tool()) return;
    setToolSignal(t);
    if (t !== "select") setLastDrawTool(t);
    live.conn.updatePresence({ recordId: props.recordId, tool: t });
  };
  awareness.on("change", onLocalAwareness);
  onCleanup(() => awareness.off("change", onLocalAwareness));
  const setCategory = (v: string) => {
    setCategorySignal(v);
    controller()?.setCategory(v);
    try {
      localStorage.setItem(lastCategoryKey(props.datasetId), v);
    } catch (err) {
      console.warn("tessera: cannot remember the category", err);
    }
  };
  const relabel = (entityId: string, value: string) => {
    if (!field || !editable()) return;
    try {
      relabelEntity(docCtx, session.origin, entityId, value, field.name);
    } catch (err) {
      toastError(err, "Cannot relabel");
    }
  };
  const confirmForm = () => {
    const f = form();
    if (!f) return;
    setForm(null);
    if (f.value !== "" && f.value !== labelOf(f.entityId)) {
      // The label joins the shape's own undo step: one Ctrl+Z removes the shape just drawn.
      undo.lastChange = Date.now();
      relabel(f.entityId, f.value);
    }
    undo.stopCapturing();
    if (f.value !== "") setCategory(f.value);
  };
  const selectEntity = (entityId: string) => {
    const e = index.get(entityId);
    const refs: SelectionRef[] = e && e.annotations.length > 0 ? e.annotations.map((a) => ({ table: a.table, id: a.id })) : [{ table: "entities", id: entityId }];
    controller()?.select(refs);
    setSelection(refs);
  };
  const toggle = (set: Accessor<ReadonlySet<string>>, write: (s: ReadonlySet<string>) => void, apply: (c: CanvasController, s: ReadonlySet<string>) => void) => (id: string) => {
    const next = new Set(set());
    if (next.has(id)) next.delete(id);
    else next.add(id);
    write(next);
    const c = controller();
    if (c) apply(c, next);
  };
  const deleteSelection = () => {
    const refs = selection();
    if (refs.length === 0 || !editable()) return;
    const chosen = new Set(refs.map((r) => `${r.table}/${r.id}`));
    const byTable = new Map<ComponentTable, string[]>();
    const add = (t: ComponentTable, id: string) => byTable.set(t, [...(byTable.get(t) ?? []), id]);
    for (const r of refs) {
      const entityId = index.entityOf(r);
      const e = entityId ? index.get(entityId) : undefined;
      // The last shape of an entity takes the entity with it (no invisible leftovers).
      if (r.table === "entities" || (e && e.annotations.every((a) => chosen.has(`${a.table}/${a.id}`)))) add("entities", entityId ?? r.id);
      else add(r.table, r.id);
    }
    try {
      transact(doc, session.origin, () => {
        for (const [t, ids] of byTable) deleteRows(docCtx, session.origin, t, [...new Set(ids)].filter((id) => tableMap(doc, t).has(id)));
      });
      controller()?.select([]);
      setSelection([]);
    } catch (err) {
      toastError(err, "Cannot delete");
    }
  };

  // ── neighbours, activity, workflow ──────────────────────────────────────────────────────────
  const [neighbors] = createResource(async () => {
    try {
      return await getNeighbors(props.datasetId, props.recordId, props.query);
    } catch (err) {
      toastError(err, "Cannot find the previous and next records");
      return null;
    }
  });
  const go = (recordId: string | null | undefined) => {
    if (!recordId) return;
    dispatchFollow({ type: "userNavigated" });
    navigate(workspaceRoute(props.datasetId, recordId, props.query));
  };
  const back = () => {
    dispatchFollow({ type: "userNavigated" });
    navigate(explorerRoute(props.datasetId, props.query));
  };
  const [activity, setActivity] = createSignal<readonly ActivityEntry[]>([]);
  listActivity(props.datasetId, { recordId: props.recordId, limit: 100 }).then(
    (list) => setActivity((now) => [...now, ...list.filter((a) => !now.some((b) => b.id === a.id))]),
    (err: unknown) => toastError(err, "Cannot read the activity"),
  );
  onCleanup(onActivity((a) => a.recordId === props.recordId && setActivity((list) => (list.some((b) => b.id === a.id) ? list : [a, ...list]))));
  onCleanup(
    onStatusChange((c) => {
      if (c.recordId !== props.recordId || c.by.id === myId) return;
      toast(`${c.by.name} ${VERBS[c.action] ?? c.action}${c.comment ? `: “${c.comment}”` : ""}`, "status");
    }),
  );
  const runAction = (action: WorkflowAction, comment: string) => {
    live.conn.transition(props.recordId, action, comment).then(
      (c) => toast(`${statusLabel(c.from)} → ${statusLabel(c.to)}`),
      (err: unknown) => toastError(err, "Workflow"),
    );
  };

  // ── follow mode ─────────────────────────────────────────────────────────────────────────────
  onCleanup(
    registerFollowTarget({
      recordId: props.recordId,
      setViewport: (v) => {
        if ((props.views() ?? []).some((x) => x.id === v.viewId)) controller()?.setViewport(v);
      },
      select: (refs) => {
        controller()?.select(refs);
        setSelection(refs);
      },
    }),
  );
  let lastLeaderState = "";
  createEffect(() => {
    const f = followState();
    const list = people.peers();
    if (f.mode !== "following" || !controller()) return;
    const leader = list.find((p) => p.user.id === f.leader.id && p.state.recordId === props.recordId) ?? list.find((p) => p.user.id === f.leader.id);
    if (!leader) return;
    const key = JSON.stringify([leader.state.viewport, leader.state.selection]);
    if (key === lastLeaderState) return;
    lastLeaderState = key;
    dispatchFollow({ type: "leaderState", leaderId: f.leader.id, viewport: leader.state.viewport, selection: leader.state.selection });
  });
  const follow = (p: Peer) => dispatchFollow({ type: "start", leader: { id: p.user.id, name: p.user.name, color: p.user.color } });

  // ── keyboard ────────────────────────────────────────────────────────────────────────────────
  useWorkspaceKeys({
    controller,
    editable,
    blocked: () => help() || document.querySelector(".backdrop") !== null,
    form: () => form() !== null,
    setTool,
    repeatTool: () => setTool(lastDrawTool()),
    deleteSelection,
    undo: () => {
      setForm(null);
      undo.undo();
    },
    redo: () => undo.redo(),
    prev: () => go(neighbors()?.prev),
    next: () => go(neighbors()?.next),
    pickCategory: (i) => {
      const v = field?.values[i];
      if (!v) return;
      const f = form();
      if (f) {
        setForm({ ...f, value: v });
        confirmForm();
      } else if (selection().length > 0) {
        for (const id of new Set(selection().map((r) => index.entityOf(r)).filter((x): x is string => !!x))) relabel(id, v);
        setCategory(v);
      } else setCategory(v);
    },
    confirmForm,
    cancelForm: () => {
      setForm(null);
      undo.stopCapturing();
    },
    escapeFollow: () => dispatchFollow({ type: "escape" }),
    clearSelection: () => {
      controller()?.select([]);
      setSelection([]);
    },
    help: () => setHelp(true),
  });

  const ctx: WorkspaceContext = {
    datasetId: props.datasetId,
    recordId: props.recordId,
    meta,
    session,
    origin: session.origin,
    docCtx,
    index,
    items,
    selection,
    editable,
    hidden,
    locked,
    selectEntity,
    toggleHidden: toggle(hidden, setHidden, (c, s) => c.setHidden(s)),
    toggleLocked: toggle(locked, setLocked, (c, s) => c.setLocked(s)),
    relabel,
    colorOfLabel,
    nameOf: (clientId) => (clientId === doc.clientID ? { name: me.name, color: "var(--accent)" } : people.nameOf(clientId)),
  };
  const here = () => distinctPeople(people.peers(), myId);

  return (
    <div class="workspace" data-testid="workspace" data-record={props.recordId}>
      <TopBar
        datasetId={props.datasetId}
        datasetName={meta.name}
        recordId={props.recordId}
        position={neighbors()?.position ?? null}
        total={neighbors()?.total ?? null}
        hasPrev={!!neighbors()?.prev}
        hasNext={!!neighbors()?.next}
        status={status()}
        role={role}
        sync={sync()}
        people={here()}
        followingId={followState().mode === "idle" ? null : (followState() as { leader: { id: string } }).leader.id}
        onBack={back}
        onPrev={() => go(neighbors()?.prev)}
        onNext={() => go(neighbors()?.next)}
        onAction={runAction}
        onFollow={follow}
        onHelp={() => setHelp(true)}
      />
      <div class="banners">
        <Show when={followBanner(followState())}>
          {(text) => (
            <div class="banner follow" data-testid="follow-banner">
              {text()}
              <button class="btn ghost" onClick={() => dispatchFollow({ type: "escape" })}>
                Stop
              </button>
            </div>
          )}
        </Show>
        <Show when={!editable()}>
          <div class="banner readonly" data-testid="readonly-banner">
            Read-only — {role === "viewer" ? "viewers look but do not edit" : `this record is ${statusLabel(status()).toLowerCase()}; a reviewer can reopen it`}
          </div>
        </Show>
      </div>
      <ToolRail tool={tool()} editable={editable()} onTool={(t) => (editable() || t === "select") && setTool(t)} onHelp={() => setHelp(true)} />
      <main class="stage">
        <div class="canvas-host" ref={host} data-testid="canvas-host" />
        <Show when={canvasMissing()}>
          <div class="canvas-fallback">
            <For each={props.views() ?? []}>{(v) => <img src={v.src} alt={v.logicalName} />}</For>
          </div>
          <div class="stage-note">The drawing canvas is not part of this build yet: images only.</div>
        </Show>
        <Show when={form()}>
          {(f) => (
            <Show when={field}>
              {(lf) => <CreationForm field={lf()} value={f().value} colorOf={colorOfLabel} onChange={(v) => setForm({ ...f(), value: v })} onConfirm={confirmForm} onCancel={() => setForm(null)} />}
            </Show>
          )}
        </Show>
      </main>
      <aside class="inspector">
        <div class="tabs" role="tablist">
          <button role="tab" class={tab() === "objects" ? "on" : ""} aria-selected={tab() === "objects"} onClick={() => setTab("objects")} data-testid="tab-objects">
            Objects <span class="faint">{items().length}</span>
          </button>
          <button role="tab" class={tab() === "record" ? "on" : ""} aria-selected={tab() === "record"} onClick={() => setTab("record")} data-testid="tab-record">
            Record
          </button>
          <button role="tab" class={tab() === "activity" ? "on" : ""} aria-selected={tab() === "activity"} onClick={() => setTab("activity")} data-testid="tab-activity">
            Activity
          </button>
        </div>
        <Show when={tab() === "objects"}>
          <ObjectsTab ctx={ctx} />
        </Show>
        <Show when={tab() === "record"}>
          <RecordTab ctx={ctx} fields={fields} activity={activity} />
        </Show>
        <Show when={tab() === "activity"}>
          <ActivityTab entries={activity} />
        </Show>
      </aside>
      <Show when={help()}>
        <ShortcutHelp onClose={() => setHelp(false)} />
      </Show>
    </div>
  );
}
