import { createSignal, Show, type Accessor } from "solid-js";
import type { ActivityEntry, Row } from "@tessera/shared-crdt";
import { ActivityTab } from "./ActivityTab.js";
import { ObjectsTab } from "./ObjectsTab.js";
import { RecordTab } from "./RecordTab.js";
import { ProposalsTab } from "../../proposals/ProposalsTab.js";
import type { WorkspaceContext } from "./workspaceContext.js";

/** The right inspector: Objects, Record, Activity. */
export function Inspector(props: {
  ctx: WorkspaceContext;
  fields: Accessor<Row>;
  activity: Accessor<readonly ActivityEntry[]>;
}) {
  const [tab, setTab] = createSignal<"objects" | "record" | "activity" | "proposals">("objects");
  const tabButton = (id: "objects" | "record" | "activity" | "proposals", label: string, extra?: () => string) => (
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
      <Show when={tab() === "activity"}>
        <ActivityTab entries={props.activity} />
      </Show>
      <Show when={tab() === "proposals"}>
        <ProposalsTab ctx={props.ctx} />
      </Show>
    </aside>
  );
}
