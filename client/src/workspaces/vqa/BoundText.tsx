import { onCleanup, onMount } from "solid-js";
import type { WorkspaceContext } from "../../pages/workspace/workspaceContext.js";
import { bindMessageText, type TextView } from "./textBinding.js";
import { setTyping, type Typing } from "./typing.js";

/**
 * A text area bound to one message's collaborative text (see `textBinding.ts`); focusing it tells
 * the others who is typing where (awareness `typing`).
 */
export function BoundText(props: {
  ctx: WorkspaceContext;
  messageId: string;
  part: Typing["part"];
  placeholder: string;
  label: string;
  testId: string;
  view?: (content: string) => TextView;
  compose?: (content: string, text: string) => string;
  onFallback: (content: string) => void;
}) {
  let el: HTMLTextAreaElement | undefined;
  onMount(() => {
    if (!el) return;
    const stop = bindMessageText(el, {
      doc: props.ctx.docCtx.doc,
      origin: props.ctx.origin,
      messageId: props.messageId,
      ...(props.view ? { view: props.view } : {}),
      ...(props.compose ? { compose: props.compose } : {}),
      fallback: (c) => props.onFallback(c),
    });
    onCleanup(stop);
  });
  onCleanup(() => {
    if (el && document.activeElement === el) setTyping(props.ctx.awareness, null);
  });
  return (
    <textarea
      ref={el}
      class="input vqa-text"
      rows={1}
      placeholder={props.placeholder}
      aria-label={props.label}
      data-testid={props.testId}
      data-message={props.messageId}
      readOnly={!props.ctx.editable()}
      onFocus={() =>
        props.ctx.editable() && setTyping(props.ctx.awareness, { messageId: props.messageId, part: props.part })
      }
      onBlur={() => setTyping(props.ctx.awareness, null)}
    />
  );
}
