import { createEffect, createSignal, on, Show, type Accessor } from "solid-js";
import type { ActivityEntry, Role, Row } from "@tessera/shared-crdt";
import { ReviewTab } from "../../review/ReviewTab.js";
import type { WorkspaceReview } from "../../review/workspaceReview.js";
import { ActivityTab } from "./ActivityTab.js";
import { ObjectsTab } from "./ObjectsTab.js";
import { RecordTab } from "./RecordTab.js";
import { ProposalsTab } from "../../proposals/ProposalsTab.js";
import type { WorkspaceContext } from "./workspaceContext.js";

/** The right inspector: Objects, Record, Review, Activity. */
export function Inspector(props: {
  ctx: WorkspaceContext;
  fields: Accessor<Row>;
  activity: Accessor<readonly ActivityEntry[]>;
  review: WorkspaceReview;
  role: Role;
}) {
  type Tab = "objects" | "record" | "review" | "activity" | "proposals";
  const [tab, setTab] = createSignal<Tab>("objects");
  // A click on a review pin on the canvas opens its thread here.
  createEffect(on(props.review.pins.focused, (id) => id && setTab("review"), { defer: true }));
  const open = () => props.review.threads().filter((t) => !t.resolved).length;
  const tabButton = (id: Tab, label: string, extra?: () => string) => (
    <button
      role="tab"
      class={tab() === id ? "on" : ""}
      aria-selected={tab() === id}
      onClick={() => setTab(id)}
      data-testid={`tab-${id}`}
    >
      {label} <Show when={extra}>{(f) => <span class="faint">{f()()}</span>}</Show>
    </button>
  );
  return (
    <aside class="inspector">
      <div class="tabs" role="tablist">
        {tabButton("objects", "Objects", () => String(props.ctx.items().length))}
        {tabButton("record", "Record")}
        {tabButton("review", "Review", () => (open() > 0 ? String(open()) : ""))}
        {tabButton("activity", "Activity")}
        <Show when={props.ctx.proposals.all().length > 0}>
          {tabButton("proposals", "Proposals", () =>
            String(props.ctx.proposals.all().filter((p) => p.status === "pending" && !p.filtered).length),
          )}
        </Show>
      </div>
      <Show when={tab() === "objects"}>
        <ObjectsTab ctx={props.ctx} />
      </Show>
      <Show when={tab() === "record"}>
        <RecordTab ctx={props.ctx} fields={props.fields} activity={props.activity} />
      </Show>
      <Show when={tab() === "review"}>
        <ReviewTab ctx={props.ctx} role={props.role} review={props.review} />
      </Show>
      <Show when={tab() === "activity"}>
        <ActivityTab entries={props.activity} />
      </Show>
      <Show when={tab() === "proposals"}>
        <ProposalsTab ctx={props.ctx} />
      </Show>
    </aside>
  );
}
