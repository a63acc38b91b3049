import { For } from "solid-js";
import type { WorkspaceContext } from "../../pages/workspace/workspaceContext.js";
import { Avatar } from "../../ui/Avatar.js";
import { typingIn } from "./typing.js";

/** The people typing in a message right now (presence), as small avatars. */
export function TypingAvatars(props: { ctx: WorkspaceContext; messageId: string }) {
  const who = () => typingIn(props.ctx.peers(), props.messageId);
  return (
    <span class="vqa-typing" data-testid="vqa-typing" data-count={who().length}>
      <For each={who()}>
        {(p) => <Avatar name={p.user.name} color={p.user.color} size={18} title={`${p.user.name} is typing`} />}
      </For>
    </span>
  );
}
