import type { Awareness } from "y-protocols/awareness";
import type { Peer } from "../../pages/workspace/recordBindings.js";

/**
 * Who is typing where (presence): the awareness field `typing` says which message's text a person
 * has focused, and which part of it (`question` text, `answer` text, `choices`). Awareness comes from
 * other people's browsers, so it is read defensively: anything else is "not typing".
 */
export interface Typing {
  readonly messageId: string;
  readonly part: "question" | "answer" | "choices";
}

const PARTS: ReadonlySet<string> = new Set(["question", "answer", "choices"]);
const MAX_ID = 256;

function typingOf(state: unknown): Typing | null {
  if (typeof state !== "object" || state === null) return null;
  const t = (state as { typing?: unknown }).typing;
  if (typeof t !== "object" || t === null) return null;
  const { messageId, part } = t as { messageId?: unknown; part?: unknown };
  if (typeof messageId !== "string" || messageId === "" || messageId.length > MAX_ID) return null;
  if (typeof part !== "string" || !PARTS.has(part)) return null;
  return { messageId, part: part as Typing["part"] };
}

export function setTyping(awareness: Awareness, typing: Typing | null): void {
  awareness.setLocalStateField("typing", typing);
}

/** The people typing in a message (one entry per person), from the peers' awareness. */
export function typingIn(peers: readonly Peer[], messageId: string): Peer[] {
  const seen = new Map<string, Peer>();
  for (const p of peers) {
    const t = typingOf(p.state);
    if (t?.messageId === messageId && !seen.has(p.user.id)) seen.set(p.user.id, p);
  }
  return [...seen.values()];
}
