import { createEffect, createMemo, createResource, createSignal, For, on, onCleanup, onMount, Show } from "solid-js";
import { ExportButton } from "../import/ExportButton.js";
import { listRecords } from "../../api/endpoints.js";
import { isSemanticQuery, searchRecords } from "../../api/search.js";
import { ApiError } from "../../api/http.js";
import { nextSort, PAGE_SIZES, queryToSearch, type ExplorerQuery } from "../../api/explorerQuery.js";
import type { Page, RecordItem } from "../../api/types.js";
import { customRecordFields, datasetMeta, filterDocument } from "../../app/datasetMeta.js";
import { navigate } from "../../app/router.js";
import { explorerRoute, workspaceRoute } from "../../app/routes.js";
import { liveFor, peopleOn } from "../../live/liveStore.js";
import { identity } from "../../session.js";
import { Avatar } from "../../ui/Avatar.js";
import { StatusChip } from "../../ui/StatusChip.js";
import { queuedCount } from "../../sync/outbox.js";
import { leaveTextField } from "../../ui/leaveTextField.js";
import { toastError } from "../../ui/toasts.js";
import { FilterBuilder } from "./FilterBuilder.js";
import { liveStatuses } from "./liveStatuses.js";
import { rememberPlace, takePlace } from "./scrollMemory.js";
import { pageStamps } from "../../review/pageStamps.js";
import { ReviewFilters } from "../../review/ReviewFilters.js";
import { ReviewQueueButton } from "../../review/ReviewQueueButton.js";
import { DashboardLink } from "../dashboard/DashboardLink.js";
import { AssignedCell, AssignToolbar } from "../../assign/AssignToolbar.js";
import { PreannotateButton } from "../../preannotate/PreannotateButton.js";

function formatTime(s: string): string {
  if (!s) return "";
  const d = new Date(/[zZ]|[+-]\d\d:\d\d$/.test(s) ? s : `${s}Z`);
  return Number.isNaN(d.getTime()) ? s : d.toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" });
}

function isTyping(el: EventTarget | null): boolean {
  return el instanceof HTMLElement && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
}

/**
 * The explorer: a server-side paginated, filtered and sorted table of records, with thumbnails,
 * status, custom fields and who is on each record right now. ↑/↓ move, Enter opens; the opened
 * record keeps this query so previous/next follow the same order.
 */
export function ExplorerPage(props: { datasetId: string; query: ExplorerQuery }) {
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
  const [filterDoc] = createResource(
    () => props.datasetId,
    async (id) => {
      try {
        return await filterDocument(id);
      } catch (err) {
        toastError(err, "Cannot read the filter document");
        return null;
      }
    },
  );
  // A failed listing is an error shown as such, never an empty table ("No record matches").
  const [listError, setListError] = createSignal<string | null>(null);
  // Keyset cursors of the pages reached by Next: a page's request seeks past the last record of the
  // page before it (`after=`) instead of counting `offset` rows; pages opened any other way (a link,
  // a reload, Previous past what was seen) use the offset, which gives the same page.
  const cursors = new Map<string, string>();
  const cursorKey = (q: ExplorerQuery) => queryToSearch(q).toString();
  const [page] = createResource(
    () => ({ id: props.datasetId, query: props.query }),
    async ({ id, query }): Promise<Page<RecordItem> | null> => {
      try {
        if (isSemanticQuery(query)) {
          const ranked = await searchRecords(id, query);
          setListError(null);
          return ranked;
        }
        const after = query.offset > 0 ? cursors.get(cursorKey(query)) : undefined;
        const p =
          after !== undefined
            ? await listRecords(id, query, { previews: true, after }).catch((err: unknown) => {
                // The cursor's record was deleted meanwhile (a 400): the offset still finds the page.
                if (!(err instanceof ApiError && err.status === 400)) throw err;
                cursors.delete(cursorKey(query));
                return listRecords(id, query, { previews: true });
              })
            : await listRecords(id, query, { previews: true });
        setListError(null);
        return p;
      } catch (err) {
        if (!(err instanceof Error)) throw err;
        setListError(err.message);
        return null;
      }
    },
  );
  const me = identity();
  const live = me ? liveFor(props.datasetId, me) : null;
  const myId = me?.userId ?? null;
  live?.conn.updatePresence({ recordId: null });

  const setQuery = (patch: Partial<ExplorerQuery>) =>
    navigate(explorerRoute(props.datasetId, { ...props.query, offset: 0, ...patch }), { replace: true });
  const viewNames = createMemo(() => Object.keys(meta()?.info.views ?? {}));
  const customFields = createMemo(() => {
    const m = meta();
    return m ? customRecordFields(m) : [];
  });
  const sortable = (col: string) => filterDoc()?.columns.find((c) => c.name === col)?.sortable ?? false;
  const [active, setActive] = createSignal(0);
  createEffect(on(page, () => setActive(0)));
  const items = () => (listError() ? [] : (page()?.items ?? page.latest?.items ?? []));
  let tableWrap: HTMLDivElement | undefined;
  const open = (rec: RecordItem) => {
    rememberPlace(props.datasetId, props.query, tableWrap?.scrollTop ?? 0);
    navigate(workspaceRoute(props.datasetId, rec.id, props.query));
  };
  // Back from a record: the same page and scroll as when it was opened.
  const place = takePlace(props.datasetId, props.query);
  onMount(() => {
    if (place && place.offset !== props.query.offset)
      navigate(explorerRoute(props.datasetId, { ...props.query, offset: place.offset }), { replace: true });
  });
  let pendingScroll = place?.scrollTop ?? null;
  createEffect(
    on(page, (p) => {
      if (pendingScroll === null || !p || p.offset !== place?.offset) return;
      const top = pendingScroll;
      pendingScroll = null;
      // After the rows of this page are laid out.
      requestAnimationFrame(() => {
        if (tableWrap) tableWrap.scrollTop = top;
      });
    }),
  );
  // Tessera's review columns (SPEC RV6): who submitted, who reviewed, and "Rejected" over "In progress".
  const statuses = liveStatuses(() => props.datasetId);
  const stamps = pageStamps(
    () => props.datasetId,
    createMemo(() => items().map((r) => r.id)),
  );

  const [q, setQ] = createSignal(props.query.q);
  let qTimer: ReturnType<typeof setTimeout> | undefined;
  const onSearch = (value: string) => {
    setQ(value);
    clearTimeout(qTimer);
    qTimer = setTimeout(() => setQuery({ q: value }), 350);
  };
  onCleanup(() => clearTimeout(qTimer));

  const onKey = (e: KeyboardEvent) => {
    // Esc leaves a text field (the search box): the arrow keys and Enter work again.
    if (leaveTextField(e)) return;
    if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    const list = items();
    if (e.key === "ArrowDown") {
      e.preventDefault();
      setActive(Math.min(list.length - 1, active() + 1));
      document.querySelector(`tr.rec[data-index="${active()}"]`)?.scrollIntoView({ block: "nearest" });
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setActive(Math.max(0, active() - 1));
      document.querySelector(`tr.rec[data-index="${active()}"]`)?.scrollIntoView({ block: "nearest" });
    } else if (e.key === "Enter") {
      const rec = list[active()];
      if (rec) open(rec);
    }
  };
  window.addEventListener("keydown", onKey);
  onCleanup(() => window.removeEventListener("keydown", onKey));

  const header = (col: string, label: string) => {
    const s = props.query.sort;
    const mark = s?.column === col ? (s.order === "asc" ? " ▲" : " ▼") : "";
    return (
      <th
        class={sortable(col) ? "sortable" : ""}
        onClick={() => sortable(col) && setQuery({ sort: nextSort(props.query.sort, col) })}
        aria-sort={s?.column === col ? (s.order === "asc" ? "ascending" : "descending") : undefined}
        data-column={col}
      >
        {label}
        {mark}
      </th>
    );
  };
  const semanticAvailable = () => filterDoc()?.search.modes.includes("semantic") ?? false;
  const distanceOf = (rec: RecordItem) => (rec as { _distance?: unknown })._distance;
  const total = () => page()?.total ?? 0;
  const from = () => (total() === 0 ? 0 : props.query.offset + 1);
  const to = () => Math.min(total(), props.query.offset + items().length);

  return (
    <div class="explorer">
      <div class="toolbar">
        <h2 style={{ margin: 0, "font-size": "18px" }}>{meta()?.name ?? props.datasetId}</h2>
        <span class="badge">{meta()?.info.workspace}</span>
        <span class="spacer" />
        <ReviewQueueButton datasetId={props.datasetId} query={props.query} />
        <DashboardLink datasetId={props.datasetId} class="btn ghost" />
        <AssignToolbar
          datasetId={props.datasetId}
          query={props.query}
          pageIds={items().map((r) => r.id)}
          total={total()}
        />
        <PreannotateButton datasetId={props.datasetId} query={props.query} pageIds={items().map((r) => r.id)} />
        <ExportButton datasetId={props.datasetId} />
        <input
          class="input"
          style={{ width: "280px" }}
          type="search"
          placeholder={props.query.semantic ? "Describe what you look for" : "Search text fields"}
          aria-label="Free-text search"
          value={q()}
          onInput={(e) => onSearch(e.currentTarget.value)}
          data-testid="search"
        />
        <Show when={semanticAvailable()}>
          <label class="semantic-toggle" title="Rank records by what their images show (embeddings)">
            <input
              type="checkbox"
              checked={props.query.semantic === true}
              onChange={(e) => {
                const { similarTo: _drop, ...rest } = props.query;
                navigate(explorerRoute(props.datasetId, { ...rest, offset: 0, semantic: e.currentTarget.checked }), {
                  replace: true,
                });
              }}
              data-testid="semantic-toggle"
            />{" "}
            Semantic
          </label>
        </Show>
      </div>
      <Show when={props.query.similarTo}>
        {(like) => (
          <div class="toolbar" data-testid="similar-banner">
            <span>
              Records like <span class="mono">{like()}</span>, nearest first
            </span>
            <button
              class="btn ghost"
              onClick={() => {
                const { similarTo: _drop, ...rest } = props.query;
                navigate(explorerRoute(props.datasetId, { ...rest, offset: 0 }), { replace: true });
              }}
              data-testid="similar-clear"
            >
              Back to all records
            </button>
          </div>
        )}
      </Show>
      <Show when={filterDoc()}>
        {(doc) => (
          <FilterBuilder
            datasetId={props.datasetId}
            columns={doc().columns}
            filters={props.query.filters}
            onApply={(filters) => setQuery({ filters })}
          />
        )}
      </Show>
      <ReviewFilters
        datasetId={props.datasetId}
        submittedBy={props.query.submittedBy ?? ""}
        reviewedBy={props.query.reviewedBy ?? ""}
        onChange={(f) => {
          const { submittedBy: _s, reviewedBy: _r, ...rest } = props.query;
          navigate(
            explorerRoute(props.datasetId, {
              ...rest,
              offset: 0,
              ...(f.submittedBy ? { submittedBy: f.submittedBy } : {}),
              ...(f.reviewedBy ? { reviewedBy: f.reviewedBy } : {}),
            }),
            { replace: true },
          );
        }}
      />
      <div class="table-wrap" ref={tableWrap} data-testid="records-scroll">
        <table class="records" data-testid="records-table">
          <thead>
            <tr>
              <For each={viewNames()}>{(v) => <th>{v}</th>}</For>
              {header("id", "ID")}
              {header("split", "Split")}
              {header("status", "Status")}
              {header("updated_at", "Updated")}
              <th data-column="submitted_by">Submitted by</th>
              <th data-column="reviewed_by">Reviewed by</th>
              <th data-column="assigned_to">Assigned to</th>
              <For each={customFields()}>{(f) => header(f, f)}</For>
              <th>People</th>
              <Show when={semanticAvailable()}>
                <th data-column="similar">Similar</th>
              </Show>
            </tr>
          </thead>
          <tbody>
            <For each={items()}>
              {(rec, i) => (
                <tr
                  class={`rec${i() === active() ? " active" : ""}`}
                  data-index={i()}
                  data-record={rec.id}
                  onClick={() => open(rec)}
                  onMouseEnter={() => setActive(i())}
                >
                  <For each={viewNames()}>
                    {(v) => {
                      const p = rec.view_previews?.[v];
                      return (
                        <td>
                          {p?.kind === "text" ? (
                            <div class="thumb-text">{p.excerpt}</div>
                          ) : p?.preview_url ? (
                            <img class="thumb" loading="lazy" src={p.preview_url} alt={`${v} of ${rec.id}`} />
                          ) : (
                            <div class="thumb" />
                          )}
                        </td>
                      );
                    }}
                  </For>
                  <td class="mono">
                    {rec.id}
                    <Show when={queuedCount(props.datasetId, rec.id) > 0}>
                      <span
                        class="queued"
                        data-testid="record-queued"
                        title="Your edits on this record not yet saved: they are sent in the background"
                      >
                        {queuedCount(props.datasetId, rec.id)} queued
                      </span>
                    </Show>
                  </td>
                  <td>{rec.split}</td>
                  <td>
                    <StatusChip
                      status={statuses().get(rec.id) ?? rec.status}
                      rejected={stamps().get(rec.id)?.rejected ?? false}
                    />
                  </td>
                  <td class="muted">{formatTime(rec.updated_at)}</td>
                  <td data-testid="submitted-by">{stamps().get(rec.id)?.submitted_by?.name ?? ""}</td>
                  <td data-testid="reviewed-by">{stamps().get(rec.id)?.reviewed_by?.name ?? ""}</td>
                  <AssignedCell datasetId={props.datasetId} recordId={rec.id} />
                  <For each={customFields()}>{(f) => <td>{String(rec[f] ?? "")}</td>}</For>
                  <td>
                    <span class="avatars" data-testid="record-people">
                      <For each={live ? peopleOn(live.presence(), rec.id, myId) : []}>
                        {(u) => (
                          <Avatar
                            name={u.name}
                            color={u.color}
                            size={24}
                            // A video's frame, 1-based as the timeline shows it.
                            title={u.frame === null ? u.name : `${u.name} — frame ${u.frame + 1}`}
                          />
                        )}
                      </For>
                    </span>
                  </td>
                  <Show when={semanticAvailable()}>
                    <td>
                      <Show when={typeof distanceOf(rec) === "number"}>
                        <span class="muted" data-testid="distance" title="Cosine distance to the query">
                          {Number(distanceOf(rec)).toFixed(3)}{" "}
                        </span>
                      </Show>
                      <button
                        class="btn ghost"
                        title="Records whose images look like this one's"
                        onClick={(e) => {
                          e.stopPropagation();
                          setQuery({ similarTo: rec.id });
                        }}
                        data-testid="more-like-this"
                      >
                        More like this
                      </button>
                    </td>
                  </Show>
                </tr>
              )}
            </For>
          </tbody>
        </table>
        <Show when={listError()}>
          {(msg) => (
            <div class="empty error-text" role="alert" data-testid="records-error">
              Cannot list the records: {msg()}
            </div>
          )}
        </Show>
        <Show when={page() && !listError() && items().length === 0}>
          <div class="empty">No record matches.</div>
        </Show>
      </div>
      <div class="pager">
        <span class="muted" data-testid="range">
          {page.loading ? "Loading…" : listError() ? "" : `${from()}–${to()} of ${total()}`}
        </span>
        <select
          class="input"
          aria-label="Page size"
          value={props.query.limit}
          onChange={(e) => setQuery({ limit: Number(e.currentTarget.value) })}
        >
          <For each={PAGE_SIZES}>{(n) => <option value={n}>{n} per page</option>}</For>
        </select>
        <button
          class="btn"
          disabled={props.query.offset === 0}
          onClick={() => setQuery({ offset: Math.max(0, props.query.offset - props.query.limit) })}
        >
          ‹ Previous
        </button>
        <button
          class="btn"
          disabled={props.query.offset + props.query.limit >= total()}
          onClick={() => {
            const next = { ...props.query, offset: props.query.offset + props.query.limit };
            const last = items().at(-1)?.id;
            if (last !== undefined) cursors.set(cursorKey(next), last);
            setQuery({ offset: next.offset });
          }}
        >
          Next ›
        </button>
      </div>
    </div>
  );
}
