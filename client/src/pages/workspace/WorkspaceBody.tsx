import { createEffect, createSignal, For, on, onCleanup, onMount, Show, type Accessor } from "solid-js";
import * as Y from "yjs";
import { randomId, relabel as relabelEntity, tableMap, type DocContext, type NamedAction } from "@tessera/shared-crdt";
import type { ExplorerQuery } from "../../api/explorerQuery.js";
import { categoryColor, cssColor } from "../../app/categories.js";
import type { DatasetMeta } from "../../app/datasetMeta.js";
import { EntityIndex, type EntityItem } from "../../app/EntityIndex.js";
import { dispatchFollow, followState } from "../../app/follow.js";
import { followBanner } from "../../app/followMachine.js";
import { datasetTemplates } from "../../app/templates.js";
import { createUndoManager } from "../../app/undo.js";
import type { CanvasController, CanvasView, SelectionRef } from "../../canvas/types.js";
import type { LiveStore } from "../../live/liveStore.js";
import { roleOn, type Identity } from "../../session.js";
import type { RecordSession } from "../../sync/recordSession.js";
import { ShortcutHelp } from "../../ui/ShortcutHelp.js";
import { statusLabel } from "../../ui/StatusChip.js";
import { assignLockReason } from "../../assign/assignStore.js";
import { toast, toastError } from "../../ui/toasts.js";
import { canvasAvailable, loadCanvas } from "./canvasLoader.js";
import { CreationForm } from "./CreationForm.js";
import { ReviewPins } from "../../review/ReviewPins.js";
import { distinctPeople, peers, type Peer } from "./recordBindings.js";
import { canvasSettings } from "./canvasSettings.js";
import { deleteSelected } from "./deleteSelected.js";
import { followLeader } from "./followLeader.js";
import { Inspector } from "./Inspector.js";
import { recordActivity } from "./recordActivity.js";
import { ToolOptions } from "./ToolOptions.js";
import { ToolRail } from "./ToolRail.js";
import { TopBar } from "./TopBar.js";
import { recordNavigation } from "./recordNavigation.js";
import { recordSyncState } from "./recordSyncState.js";
import { useWorkspaceKeys } from "./useWorkspaceKeys.js";
import { workspaceReview } from "../../review/workspaceReview.js";
import type { WorkspaceContext } from "./workspaceContext.js";
import { workspaceFor } from "../../workspaces/registry.js";
import { createProposalModel } from "../../proposals/proposalModel.js";
import { proposalShortcuts } from "../../proposals/proposalKeys.js";
import { segmentationBackend } from "../../api/segmentation.js";

/**
 * The workspace once the schema is known: the shell every workspace shares (top bar, tool rail,
 * canvas, inspector, follow, keyboard) and the parts of the dataset's workspace module
 * (`client/src/workspaces/`, chosen by `info.json`'s `workspace`).
 */
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
  const { sync, loaded, queuedElsewhere, fields, status, editable } = recordSyncState({
    session,
    datasetId: props.datasetId,
    recordId: props.recordId,
    role,
  });

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
  const keypointTemplates = datasetTemplates(meta.info, meta.featureValues);
  for (const p of keypointTemplates.problems) console.warn(`tessera: keypoint template skipped: ${p}`);
  const settings = canvasSettings({
    datasetId: props.datasetId,
    field,
    templates: keypointTemplates.templates,
    controller,
    awareness,
    onTool: (t) => live.conn.updatePresence({ recordId: props.recordId, tool: t }),
  });
  const { tool, category, setTool, setCategory } = settings;
  const [form, setForm] = createSignal<{ entityId: string; value: string } | null>(null);
  const [help, setHelp] = createSignal(false);

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
      labelOf,
      templates: keypointTemplates.templates,
      editable: editable(),
      undoManager: undo,
      brushRadius: settings.brush(),
      segment: segmentationBackend(props.datasetId),
    });
    if (disposed) {
      c.destroy();
      return;
    }
    c.on("selection", (refs) => setSelection(refs));
    let lastRefusal = { reason: "", at: 0 };
    c.on("refused", ({ reason }) => {
      // Said once, not once per pointer event of a refused gesture.
      if (reason === lastRefusal.reason && Date.now() - lastRefusal.at < 3000) return;
      lastRefusal = { reason, at: Date.now() };
      toast(reason === "read-only" ? "This record is read-only for you" : `Not done: ${reason}`);
    });
    c.on("created", (e) => {
      undo.stopCapturing();
      if (field) setForm({ entityId: e.entityId, value: labelOf(e.entityId) || category() });
    });
    c.on("viewportChanged", ({ viewport, byUser }) => {
      awareness.setLocalStateField("viewport", viewport);
      if (byUser) dispatchFollow({ type: "userViewport" });
    });
    settings.applyTo(c);
    setController(c);
  };
  createEffect(
    on(props.views, (views) => {
      if (views && !controller())
        void mountCanvas(views).catch((err: unknown) => toastError(err, "The canvas failed to start"));
    }),
  );
  createEffect(on(editable, (e) => controller()?.setEditable(e), { defer: true }));
  createEffect(on(editable, (e) => !e && tool() !== "select" && setTool("select"), { defer: true }));
  onMount(() => {
    (window as unknown as { __tessera?: unknown }).__tessera = {
      doc,
      session,
      index,
      undo,
      controller,
      awareness,
      selection,
    };
  });

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
    const refs: SelectionRef[] =
      e && e.annotations.length > 0
        ? e.annotations.map((a) => ({ table: a.table, id: a.id }))
        : [{ table: "entities", id: entityId }];
    controller()?.select(refs);
    setSelection(refs);
  };
  const deleteSelection = () => {
    if (selection().length === 0 || !editable()) return;
    try {
      deleteSelected(docCtx, session.origin, index, selection());
      controller()?.select([]);
      setSelection([]);
    } catch (err) {
      toastError(err, "Cannot delete");
    }
  };

  // ── neighbours, activity, workflow ──────────────────────────────────────────────────────────
  const { neighbors, go, back } = recordNavigation(props.datasetId, props.recordId, props.query);
  const activity = recordActivity(props.datasetId, props.recordId, myId);
  const review = workspaceReview({
    ...{ datasetId: props.datasetId, recordId: props.recordId, query: props.query, live, myId, role, status },
    ...{ selection, entityOf: (r: SelectionRef) => index.entityOf(r) },
  });
  const runAction = (action: NamedAction, comment: string) => {
    live.conn.transition(props.recordId, action, comment).then(
      (c) => toast(`${statusLabel(c.from)} → ${statusLabel(c.to)}`),
      (err: unknown) => toastError(err, "Workflow"),
    );
  };

  // ── follow mode ─────────────────────────────────────────────────────────────────────────────
  followLeader({ recordId: props.recordId, controller, views: props.views, peers: people.peers, setSelection });
  const follow = (p: Peer) =>
    dispatchFollow({ type: "start", leader: { id: p.user.id, name: p.user.name, color: p.user.color } });

  // ── model proposals (SPEC D-PROPOSAL) ──────────────────────────────────────────────────────
  const proposals = createProposalModel({ doc, origin: session.origin, datasetId: props.datasetId });
  createEffect(() =>
    controller()?.setProposals({ pending: proposals.pendingEntities(), filtered: proposals.filteredEntities() }),
  );

  // ── the dataset's workspace ─────────────────────────────────────────────────────────────────
  const ctx: WorkspaceContext = {
    datasetId: props.datasetId,
    recordId: props.recordId,
    meta,
    session,
    origin: session.origin,
    docCtx,
    index,
    items,
    loaded,
    selection,
    controller,
    views: props.views,
    awareness,
    peers: people.peers,
    undo,
    followedUserId: () => {
      const f = followState();
      return f.mode === "following" ? f.leader.id : null;
    },
    userMovedView: () => dispatchFollow({ type: "userViewport" }),
    setLivePresence: (p) => live.conn.updatePresence({ recordId: props.recordId, frame: p.frame }),
    editable,
    hidden: settings.hidden,
    locked: settings.locked,
    selectEntity,
    select: (refs) => {
      controller()?.select(refs);
      setSelection(refs);
    },
    toggleHidden: settings.toggleHidden,
    toggleLocked: settings.toggleLocked,
    relabel,
    colorOfLabel,
    proposals,
    nameOf: (clientId) =>
      clientId === doc.clientID ? { name: me.name, color: "var(--accent)" } : people.nameOf(clientId),
  };
  const kind = workspaceFor(meta.info.workspace);
  const parts = kind.open(ctx);
  const { Dock, Side } = parts;
  const ownKeys = parts.shortcuts ?? [];
  const proposalKeys = proposalShortcuts({
    model: proposals,
    selection,
    select: ctx.select,
    onError: (err, what) => toastError(err, what),
  });
  const extraKeys = [...ownKeys, ...proposalKeys];
  const helpGroups = [
    ...(ownKeys.length > 0 ? [{ title: kind.title, items: ownKeys }] : []),
    { title: "Model proposals", items: proposalKeys },
  ];

  // ── keyboard ────────────────────────────────────────────────────────────────────────────────
  useWorkspaceKeys({
    shortcuts: extraKeys,
    controller,
    editable,
    blocked: () => help() || document.querySelector(".backdrop") !== null,
    form: () => form() !== null,
    setTool,
    repeatTool: () => setTool(settings.lastDrawTool()),
    deleteSelection,
    undo: () => {
      setForm(null);
      undo.undo();
    },
    redo: () => undo.redo(),
    prev: () => go(neighbors()?.prev),
    next: () => go(neighbors()?.next),
    approveNext: review.approveNext,
    rejectNext: () => review.openReject(true),
    pickCategory: (i) => {
      const v = field?.values[i];
      if (!v) return;
      const f = form();
      if (f) {
        setForm({ ...f, value: v });
        confirmForm();
      } else if (selection().length > 0) {
        for (const id of new Set(
          selection()
            .map((r) => index.entityOf(r))
            .filter((x): x is string => !!x),
        ))
          relabel(id, v);
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
    brushSize: settings.stepBrush,
  });

  const here = () => distinctPeople(people.peers(), myId);

  return (
    <div
      class={`workspace ws-${kind.id}`}
      classList={{ "has-side": !!parts.Side }}
      data-testid="workspace"
      data-workspace={kind.id}
      data-record={props.recordId}
    >
      <TopBar
        datasetId={props.datasetId}
        datasetName={meta.name}
        recordId={props.recordId}
        position={neighbors()?.position ?? null}
        total={neighbors()?.total ?? null}
        hasPrev={!!neighbors()?.prev}
        hasNext={!!neighbors()?.next}
        status={status()}
        // Kept off this record by the assignment lock (SPEC AS6): no workflow buttons, as for a viewer.
        role={assignLockReason(props.datasetId, props.recordId, { id: myId, role }) === null ? role : "viewer"}
        sync={sync()}
        queuedElsewhere={queuedElsewhere()}
        people={here()}
        followingId={followState().mode === "idle" ? null : (followState() as { leader: { id: string } }).leader.id}
        onBack={back}
        onPrev={() => go(neighbors()?.prev)}
        onNext={() => go(neighbors()?.next)}
        onAction={runAction}
        onReject={(next) => review.openReject(next)}
        onApproveNext={() => review.approveNext()}
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
            Read-only —{" "}
            {role === "viewer"
              ? "viewers look but do not edit"
              : (assignLockReason(props.datasetId, props.recordId, { id: myId, role }) ??
                `this record is ${statusLabel(status()).toLowerCase()}; a reviewer can reopen it`)}
          </div>
        </Show>
      </div>
      <ToolRail
        tool={tool()}
        editable={editable()}
        onTool={(t) => (editable() || t === "select") && setTool(t)}
        onHelp={() => setHelp(true)}
      />
      <main class="stage" classList={{ "has-dock": !!parts.Dock }}>
        <div class="canvas-host" ref={host} data-testid="canvas-host" />
        <ReviewPins controller={controller} host={() => host} pins={review.pins} />
        <ToolOptions
          tool={tool()}
          field={field}
          category={category()}
          onCategory={setCategory}
          templates={keypointTemplates.templates}
          template={settings.template()}
          onTemplate={settings.setTemplate}
          brush={settings.brush()}
          onBrush={settings.setBrush}
          onFit={() => controller()?.fit()}
          onOneToOne={() => controller()?.oneToOne()}
          onAdjust={(a) => controller()?.setImageAdjustments(a)}
          colorOf={colorOfLabel}
        />
        <Show when={canvasMissing()}>
          <div class="canvas-fallback">
            <For each={props.views() ?? []}>{(v) => <img src={v.src} alt={v.logicalName} />}</For>
          </div>
          <div class="stage-note">The drawing canvas is not part of this build yet: images only.</div>
        </Show>
        <Show when={form()}>
          {(f) => (
            <Show when={field}>
              {(lf) => (
                <CreationForm
                  field={lf()}
                  value={f().value}
                  colorOf={colorOfLabel}
                  onChange={(v) => setForm({ ...f(), value: v })}
                  onConfirm={confirmForm}
                  onCancel={() => setForm(null)}
                />
              )}
            </Show>
          )}
        </Show>
        {Dock && (
          <div class="stage-dock">
            <Dock />
          </div>
        )}
      </main>
      {Side && (
        <aside class="ws-side">
          <Side />
        </aside>
      )}
      <Inspector ctx={ctx} fields={fields} activity={activity} review={review} role={role} />
      <review.Dialog />
      <Show when={help()}>
        <ShortcutHelp extra={helpGroups} onClose={() => setHelp(false)} />
      </Show>
    </div>
  );
}
