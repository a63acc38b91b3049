import * as Y from "yjs";
import { describe, expect, it } from "vitest";
import { formatAnswer, parseAnswer } from "@tessera/shared-crdt";
import { composeExplanation, explanationView, withHead } from "../../src/workspaces/vqa/answerText.js";
import { transformPosition } from "../../src/workspaces/vqa/textBinding.js";

/** The delta a remote edit produces on a Y.Text holding `from`. */
function deltaOf(
  from: string,
  edit: (t: Y.Text) => void,
): Array<{ insert?: unknown; retain?: number; delete?: number }> {
  const doc = new Y.Doc();
  const t = doc.getText("t");
  t.insert(0, from);
  let delta: Array<{ insert?: unknown; retain?: number; delete?: number }> = [];
  t.observe((ev) => (delta = ev.delta));
  edit(t);
  return delta;
}

describe("VQA text fields keep the caret under remote edits", () => {
  it("an insert before the caret moves it right, after it leaves it", () => {
    const d = deltaOf("How many cars?", (t) => t.insert(4, "red "));
    expect(transformPosition(d, 9)).toBe(13);
    expect(transformPosition(d, 2)).toBe(2);
    // At the caret: the remote text goes before it (the person keeps typing after what arrived).
    expect(transformPosition(d, 4)).toBe(8);
  });

  it("a delete before the caret moves it left; one around it brings it to the cut", () => {
    const d = deltaOf("How many red cars?", (t) => t.delete(9, 4));
    expect(transformPosition(d, 17)).toBe(13);
    expect(transformPosition(d, 11)).toBe(9);
    expect(transformPosition(d, 3)).toBe(3);
  });

  it("a change made of several edits moves the caret by what happened before it only", () => {
    // "abcdef", caret before "d" (3): "abc" deleted, "Z" inserted after "d" → caret at 0.
    const d = deltaOf("abcdef", (t) => {
      t.doc?.transact(() => {
        t.delete(0, 3);
        t.insert(1, "Z");
      });
    });
    expect(d).toEqual([{ delete: 3 }, { retain: 1 }, { insert: "Z" }]);
    expect(transformPosition(d, 3)).toBe(0);
    expect(transformPosition(d, 5)).toBe(3);
    // "abcdef", caret before "f" (5): "cd" replaced by "XY" → still before "f".
    const r = deltaOf("abcdef", (t) => {
      t.doc?.transact(() => {
        t.delete(2, 2);
        t.insert(2, "XY");
      });
    });
    expect(transformPosition(r, 5)).toBe(5);
    expect(transformPosition(r, 1)).toBe(1);
  });
});

describe("an answer's explanation is edited without touching its [[…]] head", () => {
  it("shows the explanation after the head and keeps what is typed as is (no trimming mid-typing)", () => {
    expect(explanationView("[[A,C]] a disc")).toEqual({ text: "a disc", offset: 8 });
    expect(explanationView("[[B]]")).toEqual({ text: "", offset: 5 });
    expect(explanationView("plain answer")).toEqual({ text: "plain answer", offset: 0 });
    expect(composeExplanation("[[A,C]] a disc", "a disc ")).toBe("[[A,C]] a disc ");
    expect(composeExplanation("[[B]]", "")).toBe("[[B]]");
    expect(composeExplanation("[[B]]", "because")).toBe("[[B]] because");
    expect(composeExplanation("plain", "plainer")).toBe("plainer");
  });

  it("picking choices keeps the explanation; the result is Pixano's encoding", () => {
    const content = withHead(formatAnswer([0, 2], ""), explanationView("[[B]] round and white").text);
    expect(content).toBe("[[A,C]] round and white");
    expect(parseAnswer(content)).toEqual({ picked: [0, 2], explanation: "round and white", encoded: true });
  });
});
