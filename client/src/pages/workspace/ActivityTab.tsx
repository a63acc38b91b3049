import { For, Show, type Accessor } from "solid-js";
import type { ActivityEntry } from "@tessera/shared-crdt";
import { Avatar } from "../../ui/Avatar.js";
import { activityText, timeAgo } from "./activityText.js";

/** The live feed of this record: edit batches and status changes, newest first. */
export function ActivityTab(props: { entries: Accessor<readonly ActivityEntry[]> }) {
  return (
    <div class="panel-pad">
      <Show when={props.entries().length > 0} fallback={<div class="muted">Nothing yet on this record.</div>}>
        <div class="feed" data-testid="activity-feed">
          <For each={props.entries()}>
            {(a) => (
              <div class="feed-item" data-kind={a.kind}>
                <Avatar name={a.user.name} color={a.user.color} size={22} />
                <div class="grow">
                  <b>{a.user.name}</b> {activityText(a)}
                  <div class="when">{timeAgo(a.at)}</div>
                </div>
              </div>
            )}
          </For>
        </div>
      </Show>
    </div>
  );
}
