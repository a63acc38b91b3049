import type { TextView } from "./textBinding.js";

/**
 * The two parts of an answer's content while it is being typed: the `[[A,C]]` head (Pixano's
 * encoding, SPEC D-VQA) and the explanation after it. Unlike `parseAnswer`, nothing is trimmed:
 * a space someone just typed at the end of the explanation stays.
 */
const HEAD = /^\[\[[^\]]*\]\]/;

/** The `[[…]]` part, or "" when the content has none. */
function headOf(content: string): string {
  return HEAD.exec(content)?.[0] ?? "";
}

/** The head and the whitespace after it: where the explanation starts. */
function answerHead(content: string): string {
  const head = headOf(content);
  if (head === "") return "";
  const rest = content.slice(head.length);
  return head + rest.slice(0, rest.length - rest.trimStart().length);
}

/** The explanation as a field shows it. */
export function explanationView(content: string): TextView {
  const offset = answerHead(content).length;
  return { text: content.slice(offset), offset };
}

/** The content with `head` (a formatted `[[…]]`) and this explanation. */
export function withHead(head: string, explanation: string): string {
  return explanation === "" ? head : `${head} ${explanation}`;
}

/** The content once the explanation field says `text` (the head kept as it is; none stays none). */
export function composeExplanation(content: string, text: string): string {
  const head = headOf(content);
  return head === "" ? text : withHead(head, text);
}
