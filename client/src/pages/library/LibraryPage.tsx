import { createEffect, createMemo, createResource, createSignal, For, onCleanup, Show } from "solid-js";
import { listDatasets, listPresence } from "../../api/endpoints.js";
import type { DatasetSummary } from "../../api/types.js";
import { toastError } from "../../ui/toasts.js";
import { navigate } from "../../app/router.js";
import { identity } from "../../session.js";
import { DatasetCard } from "./DatasetCard.js";
import { CardWithDashboard } from "../dashboard/DashboardLink.js";

const PRESENCE_POLL_MS = 10_000;

/** The library: one card per dataset, searchable by name. */
export function LibraryPage() {
  const [datasets] = createResource(async () => {
    try {
      return await listDatasets();
    } catch (err) {
      toastError(err, "Cannot list the datasets");
      return [] as DatasetSummary[];
    }
  });
  const [search, setSearch] = createSignal("");
  const shown = createMemo(() => {
    const q = search().trim().toLowerCase();
    const all = datasets() ?? [];
    return q ? all.filter((d) => d.name.toLowerCase().includes(q) || d.id.toLowerCase().includes(q)) : all;
  });

  // "N people working now": who is connected to each dataset, refreshed while the page is open.
  const [people, setPeople] = createSignal<Record<string, number>>({});
  const refreshPresence = async () => {
    const list = datasets() ?? [];
    const counts: Record<string, number> = {};
    await Promise.all(
      list.map(async (d) => {
        try {
          counts[d.id] = new Set((await listPresence(d.id)).map((p) => p.user.id)).size;
        } catch (err) {
          // Presence is decoration: a dataset that cannot answer just shows nobody.
          console.warn(`tessera: presence of ${d.id}`, err);
        }
      }),
    );
    setPeople(counts);
  };
  const timer = setInterval(() => void refreshPresence(), PRESENCE_POLL_MS);
  onCleanup(() => clearInterval(timer));
  createEffect(() => {
    if (datasets()) void refreshPresence();
  });

  return (
    <div class="content">
      <div class="library-head">
        <h1>Datasets</h1>
        <span class="muted">{datasets() ? `${datasets()?.length ?? 0} in the library` : "Loading…"}</span>
        <span class="spacer" />
        <input
          class="input"
          style={{ width: "260px" }}
          type="search"
          placeholder="Search by name"
          aria-label="Search datasets by name"
          value={search()}
          onInput={(e) => setSearch(e.currentTarget.value)}
        />
        <Show when={identity()?.role === "admin"}>
          <button class="btn primary" data-testid="library-import" onClick={() => navigate({ page: "import" })}>
            Import a dataset
          </button>
        </Show>
      </div>
      <Show when={datasets() && shown().length === 0}>
        <div class="empty">
          {search()
            ? "No dataset matches this name."
            : "The library is empty. Import a dataset with `tessera data import`."}
        </div>
      </Show>
      <div class="cards">
        <For each={shown()}>
          {(d) => (
            <CardWithDashboard card={<DatasetCard dataset={d} people={people()[d.id] ?? 0} />} datasetId={d.id} />
          )}
        </For>
      </div>
    </div>
  );
}
