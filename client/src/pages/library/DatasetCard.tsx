import { createResource, For, Show } from "solid-js";
import type { RecordStatus } from "@tessera/shared-crdt";
import { countRecords } from "../../api/endpoints.js";
import type { DatasetSummary } from "../../api/types.js";
import { navigate } from "../../app/router.js";
import { explorerRoute } from "../../app/routes.js";
import { STATUS_ORDER, statusLabel } from "../../ui/StatusChip.js";

const WORKSPACE_LABELS: Record<string, string> = {
  image: "Image",
  video: "Video",
  image_vqa: "VQA",
  image_text_entity_linking: "Entity linking",
  undefined: "Generic",
};

/** Records per status: one count query each (the server answers from its index). */
async function statusCounts(datasetId: string): Promise<Record<RecordStatus, number>> {
  const entries = await Promise.all(
    STATUS_ORDER.map(
      async (s) =>
        [s, await countRecords(datasetId, { filters: [{ column: "status", op: "eq", values: [s] }], q: "" })] as const,
    ),
  );
  return Object.fromEntries(entries) as Record<RecordStatus, number>;
}

export function DatasetCard(props: { dataset: DatasetSummary; people: number }) {
  const [counts] = createResource(
    () => props.dataset.id,
    async (id) => {
      try {
        return await statusCounts(id);
      } catch (err) {
        // The bar is a summary; the card stays usable without it.
        console.warn(`tessera: status counts of ${id}`, err);
        return null;
      }
    },
  );
  const total = () => props.dataset.num_records;
  const open = () => navigate(explorerRoute(props.dataset.id));
  return (
    <button class="card" onClick={open} data-testid="dataset-card" data-dataset={props.dataset.id}>
      <div
        class="card-preview"
        style={{ "background-image": props.dataset.preview ? `url("${props.dataset.preview}")` : "none" }}
      />
      <div class="card-body">
        <div class="row">
          <span class="card-title grow">{props.dataset.name}</span>
          <span class="badge">{WORKSPACE_LABELS[props.dataset.workspace ?? ""] ?? props.dataset.workspace}</span>
        </div>
        <div class="card-desc">{props.dataset.description}</div>
        <div class="row muted" style={{ "font-size": "12px" }}>
          <span>
            {total().toLocaleString()} record{total() === 1 ? "" : "s"}
          </span>
          <span class="spacer" />
          <Show when={props.people > 0}>
            <span class="working" data-testid="people-working">
              ● {props.people} {props.people === 1 ? "person" : "people"} working now
            </span>
          </Show>
        </div>
        <div class="progress" title="Records by status" aria-label="Records by status">
          <Show when={counts()}>
            {(c) => (
              <For each={STATUS_ORDER}>
                {(s) => (
                  <span
                    style={{ width: `${total() > 0 ? (100 * c()[s]) / total() : 0}%`, background: `var(--st-${s})` }}
                  />
                )}
              </For>
            )}
          </Show>
        </div>
        <div class="legend">
          <Show when={counts()}>
            {(c) => (
              <For each={STATUS_ORDER}>
                {(s) => (
                  <span>
                    <i style={{ background: `var(--st-${s})` }} />
                    {statusLabel(s)} {c()[s]}
                  </span>
                )}
              </For>
            )}
          </Show>
        </div>
      </div>
    </button>
  );
}
