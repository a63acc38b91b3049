/**
 * Pixano's encoding of an answer to a choice question (SPEC D-VQA): the picked choices as letters
 * (`A` = the first choice) between double brackets, then the free explanation —
 * `"[[A,C]] a disc and a rectangle"`. Pixano 0.8's UI writes `[[${letters.join(",")}]] ${explanation}`
 * and reads it back with `/^\[\[(.*)\]\]\s*(.*)$/`; an answer without the brackets is all explanation.
 */

/** How a question of this type is answered: by free text, by one choice, or by several. */
export function answerMode(questionType: string): "open" | "single" | "multi" {
  if (questionType.startsWith("SINGLE_CHOICE")) return "single";
  if (questionType.startsWith("MULTI_CHOICE")) return "multi";
  return "open";
}

/** Whether answers to this type carry an explanation after the picked choices. */
export function hasExplanation(questionType: string): boolean {
  return questionType === "OPEN" || questionType.endsWith("_EXPLANATION");
}

export interface ChoiceAnswer {
  /** 0-based indices of the picked choices, ascending, without repeats. */
  readonly picked: readonly number[];
  readonly explanation: string;
  /** Whether the content had the `[[…]]` part (a plain text answer has not). */
  readonly encoded: boolean;
}

const ENCODED = /^\[\[([^\]]*)\]\]\s*([\s\S]*)$/;
const LETTER_A = 65;
/** Letters stop at Z: Pixano's encoding has one letter per choice. */
export const MAX_CHOICES = 26;

/** The letter of a choice index (`0` → `A`). */
export function choiceLetter(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_CHOICES)
    throw new RangeError(`choice index ${index} has no letter (0–${MAX_CHOICES - 1})`);
  return String.fromCharCode(LETTER_A + index);
}

/**
 * Reads an answer's content. Letters that name no choice (lower case, not a letter, past `Z`)
 * are ignored, as Pixano's UI ignores them; the explanation is trimmed as Pixano trims it.
 */
export function parseAnswer(content: string): ChoiceAnswer {
  const m = ENCODED.exec(content);
  if (!m) return { picked: [], explanation: content, encoded: false };
  const picked = new Set<number>();
  for (const part of (m[1] ?? "").split(",")) {
    const letter = part.trim();
    if (letter.length !== 1) continue;
    const i = letter.charCodeAt(0) - LETTER_A;
    if (i >= 0 && i < MAX_CHOICES) picked.add(i);
  }
  return { picked: [...picked].sort((a, b) => a - b), explanation: (m[2] ?? "").trim(), encoded: true };
}

/**
 * Writes an answer's content: `[[A,C]] explanation`, or `[[B]]` alone when there is no
 * explanation (what Pixano's importer stores for such an answer).
 */
export function formatAnswer(picked: readonly number[], explanation: string): string {
  const letters = [...new Set(picked)].sort((a, b) => a - b).map(choiceLetter);
  const head = `[[${letters.join(",")}]]`;
  const text = explanation.trim();
  return text === "" ? head : `${head} ${text}`;
}

/** Whether an answer says something: Pixano counts `""` and `"[[]]"` as not answered. */
export function isAnswered(content: string): boolean {
  const c = content.trim();
  return c !== "" && c !== "[[]]";
}
