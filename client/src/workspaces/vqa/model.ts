import { onCleanup } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import type * as Y from "yjs";
import { conversationsOf, readRows, tableMap, type MessageRow } from "@tessera/shared-crdt";

/** One question and its answers, keyed by the question's id (so the panel keeps its DOM per question). */
export interface ThreadItem {
  readonly id: string;
  readonly question: MessageRow;
  readonly answers: readonly MessageRow[];
}

export interface ConversationItem {
  readonly id: string;
  readonly preamble: readonly MessageRow[];
  readonly threads: readonly ThreadItem[];
}

function read(doc: Y.Doc): ConversationItem[] {
  return conversationsOf(readRows(doc, "messages")).map((c) => ({
    id: c.id,
    preamble: c.preamble,
    threads: c.threads.map((t) => ({ id: t.question.id, question: t.question, answers: t.answers })),
  }));
}

/**
 * The record's conversations as a Solid store, refreshed at most once per animation frame from the
 * document (a burst of remote typing costs one refresh per frame). `reconcile` keeps every message
 * object whose row did not change, so only the changed question re-renders. Call inside a
 * reactive owner.
 */
export function conversationStore(doc: Y.Doc): { readonly list: readonly ConversationItem[]; refresh(): void } {
  const [state, setState] = createStore<{ list: ConversationItem[] }>({ list: read(doc) });
  let frame = 0;
  const refresh = () => {
    frame = 0;
    setState("list", reconcile(read(doc), { key: "id" }));
  };
  const onChange = () => {
    if (frame === 0) frame = requestAnimationFrame(refresh);
  };
  const messages = tableMap(doc, "messages");
  messages.observeDeep(onChange);
  onCleanup(() => {
    messages.unobserveDeep(onChange);
    cancelAnimationFrame(frame);
  });
  return {
    get list() {
      return state.list;
    },
    refresh,
  };
}
