import type { Page } from "@playwright/test";
import { expect, test } from "../support/fixtures.js";

/**
 * A 200-message conversation (100 questions, 100 answers) in the VQA workspace, two people on it:
 * how long the record takes to open (navigation → every question shown with its text), how long a
 * keystroke takes to be painted in the typist's field (input → next frame), and how long it takes
 * to reach the other person's document (keystroke → the peer's Y.Text holds it). Figures are
 * printed (p50/p99) and kept in load-tests/RESULTS.md (run with `-c playwright.perf.config.ts`); the bounds leave room for a loaded 2-core
 * machine.
 */
const VQA = "demo_vqa";
const QUESTIONS = 100;
const KEYS = 60;

function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}
const fmt = (xs: readonly number[]) =>
  `p50 ${percentile(xs, 50).toFixed(1)} ms, p99 ${percentile(xs, 99).toFixed(1)} ms`;

async function seed(page: Page): Promise<{ record: string; last: string; questions: number }> {
  const res = await page.request.get(`/datasets/${VQA}/records?filter=status:eq:new&sort=id&order=desc&limit=1`);
  const record = ((await res.json()) as { items: Array<{ id: string }> }).items[0]?.id;
  if (!record) throw new Error("no new VQA record");
  const post = async (row: Record<string, unknown>) => {
    const r = await page.request.post(`/datasets/${VQA}/messages`, { data: { record_id: record, ...row } });
    expect(r.status(), await r.text()).toBe(201);
  };
  // Ten questions (and their answers) at a time: each REST write is folded into the rows before it answers.
  for (let from = 0; from < QUESTIONS; from += 10) {
    await Promise.all(
      Array.from({ length: 10 }, async (_, k) => {
        const i = from + k;
        const base = { conversation_id: "perf-conv", number: i, view_id: "", entity_ids: [], user: "perf" };
        await post({
          ...base,
          id: `perf-q${i}`,
          type: "QUESTION",
          question_type: "OPEN",
          content: `Question ${i}: what do you see?`,
        });
        await post({
          ...base,
          id: `perf-a${i}`,
          type: "ANSWER",
          content: `Answer ${i}: a scene with several objects.`,
        });
      }),
    );
  }
  const all = await page.request.get(`/datasets/${VQA}/messages?record_id=${record}&limit=1000`);
  const items = ((await all.json()) as { items: Array<{ type: string }> }).items;
  return { record, last: `perf-q${QUESTIONS - 1}`, questions: items.filter((m) => m.type === "QUESTION").length };
}

async function openTimed(page: Page, record: string, last: string, questions: number): Promise<number> {
  const t0 = Date.now();
  await page.goto(`/#/explorer/${VQA}/workspace/${record}`);
  await expect(page.getByTestId("vqa-question")).toHaveCount(questions, { timeout: 30_000 });
  await expect(
    page.locator(`[data-testid="vqa-question"][data-message="${last}"] [data-testid="vqa-question-text"]`),
  ).toHaveValue(`Question ${QUESTIONS - 1}: what do you see?`);
  return Date.now() - t0;
}

test("a 200-message conversation opens and takes typing from two people smoothly", async ({ alice, bob }) => {
  test.setTimeout(180_000);
  const { record, last, questions } = await seed(alice);
  expect(questions).toBeGreaterThanOrEqual(QUESTIONS);

  const opens: number[] = [];
  for (let i = 0; i < 3; i++) opens.push(await openTimed(alice, record, last, questions));
  await openTimed(bob, record, last, questions);
  console.log(`VQA 200 messages — open: ${opens.map((t) => `${t} ms`).join(", ")}`);

  // Bob's document notes when each length of the last question's text arrives.
  await bob.evaluate((id) => {
    const w = window as unknown as {
      __tessera: {
        doc: {
          getMap(n: string): {
            get(k: string): { get(f: string): { toString(): string; observe(f: () => void): void } };
          };
        };
      };
      __arrivals: Array<[number, number]>;
    };
    w.__arrivals = [];
    const text = w.__tessera.doc.getMap("messages").get(id).get("content");
    text.observe(() => w.__arrivals.push([performance.timeOrigin + performance.now(), text.toString().length]));
  }, last);

  // Alice types in that question: each keystroke timed to the next painted frame, its send time kept.
  const field = alice.locator(`[data-testid="vqa-question"][data-message="${last}"] [data-testid="vqa-question-text"]`);
  await field.scrollIntoViewIfNeeded();
  await field.click();
  await field.press("End");
  const local = await field.evaluate(async (el: HTMLTextAreaElement, keys: number) => {
    const out: Array<[number, number, number]> = [];
    for (let i = 0; i < keys; i++) {
      const sent = performance.timeOrigin + performance.now();
      const t0 = performance.now();
      el.setRangeText("x", el.value.length, el.value.length, "end");
      el.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertText", data: "x" }));
      await new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      out.push([performance.now() - t0, sent, el.value.length]);
      // About 20 keystrokes a second: a fast typist.
      await new Promise<void>((r) => setTimeout(r, 50));
    }
    return out;
  }, KEYS);
  const finalLength = local[local.length - 1]?.[2] ?? 0;
  await expect
    .poll(() =>
      bob.evaluate(() => {
        const a = (window as unknown as { __arrivals: Array<[number, number]> }).__arrivals;
        return a[a.length - 1]?.[1] ?? 0;
      }),
    )
    .toBe(finalLength);
  const arrivals = await bob.evaluate(() => (window as unknown as { __arrivals: Array<[number, number]> }).__arrivals);
  const remote = local.map(([, sent, length]) => {
    const at = arrivals.find(([, l]) => l >= length);
    return at ? at[0] - sent : Number.NaN;
  });
  const paint = local.map(([ms]) => ms);
  console.log(`VQA 200 messages — keystroke to painted frame (typist): ${fmt(paint)}`);
  console.log(`VQA 200 messages — keystroke to the peer's document: ${fmt(remote)}`);

  expect(percentile(opens, 50)).toBeLessThan(10_000);
  expect(percentile(paint, 50)).toBeLessThan(100);
  expect(remote.every((x) => Number.isFinite(x))).toBe(true);
  expect(percentile(remote, 50)).toBeLessThan(500);
});
