import type { Role } from "@tessera/shared-crdt";
import { For } from "solid-js";
import { ROLES } from "../../api/accounts.js";

/**
 * The roles as a select's options, the current one `selected`: a select's `value` set before its
 * options exist (as `<For>` renders them) would show the first option instead.
 */
export function RoleOptions(props: { value: Role }) {
  return (
    <For each={ROLES}>
      {(r) => (
        <option value={r} selected={r === props.value}>
          {r}
        </option>
      )}
    </For>
  );
}
