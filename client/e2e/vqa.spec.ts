import type { Locator, Page } from "@playwright/test";
import { docsShot, expect, test } from "./support/fixtures.js";

/**
 * The VQA workspace (Pixano `image_vqa`) with two people on one record, accounts on, on the real
 * server and the demo library's `demo_vqa` dataset: answering different questions at once, and one
 * editing a question while the other answers it and edits the same text — every text intact on
 * both screens and after a reload (SPEC D-TEXT, D-VQA).
 */
const VQA = "demo_vqa";

/**
 * The first record still `new` (each test's first edit moves its record on, so the next test takes
 * another; the perf spec takes the last one).
 */
async function vqaRecord(page: Page): Promise<string> {
  const res = await page.request.get(`/datasets/${VQA}/records?filter=status:eq:new&sort=id&order=asc&limit=1`);
  expect(res.ok()).toBe(true);
  const id = ((await res.json()) as { items: Array<{ id: string }> }).items[0]?.id;
  if (!id) throw new Error("no new VQA record left");
  return id;
}

async function openVqa(page: Page, recordId: string): Promise<void> {
  await page.goto(`/#/explorer/${VQA}/workspace/${recordId}`);
  await expect(page.getByTestId("workspace")).toHaveAttribute("data-record", recordId);
  await expect(page.getByTestId("workspace")).toHaveAttribute("data-workspace", "vqa");
  await expect(page.getByTestId("sync-indicator")).toHaveAttribute("data-phase", /saved|readOnly/);
  await expect(page.getByTestId("vqa-question").first()).toBeVisible();
}

interface Msg {
  id: string;
  type: string;
  content: string;
  number: number;
}

function question(page: Page, id: string): Locator {
  return page.locator(`[data-testid="vqa-question"][data-message="${id}"]`);
}

async function questionIds(page: Page): Promise<string[]> {
  const ids = await page
    .getByTestId("vqa-question")
    .evaluateAll((els) => els.map((e) => e.getAttribute("data-message")));
  return ids.filter((x): x is string => typeof x === "string");
}

test("two people answer different questions at once; both see both answers, live and after a reload", async ({
  alice,
  bob,
}) => {
  const record = await vqaRecord(alice);
  await Promise.all([openVqa(alice, record), openVqa(bob, record)]);
  const [open, single] = (await questionIds(alice)) as [string, string];
  await expect(question(alice, single).getByTestId("vqa-type")).toHaveValue(/^SINGLE_CHOICE/);

  // At the same moment: Alice answers the open question in words, Bob picks a choice of the next one.
  await Promise.all([
    (async () => {
      await question(alice, open).getByTestId("vqa-add-answer").click();
      const text = question(alice, open).getByTestId("vqa-answer-text").first();
      await text.click();
      await text.pressSequentially("Three objects: a car, a tree and a sign.", { delay: 15 });
    })(),
    (async () => {
      await question(bob, single).getByTestId("vqa-add-answer").click();
      await question(bob, single).getByTestId("vqa-pick").nth(1).check();
    })(),
  ]);

  for (const page of [alice, bob]) {
    await expect(question(page, open).getByTestId("vqa-answer-text")).toHaveValue(
      "Three objects: a car, a tree and a sign.",
    );
    await expect(question(page, single).getByTestId("vqa-pick").nth(1)).toBeChecked();
    await expect(question(page, single)).toHaveClass(/answered/);
  }
  // Pixano's encoding, and each answer takes its question's number (in the server's rows, after the fold).
  await expect
    .poll(
      async () => {
        const page = (await (
          await alice.request.get(`/datasets/${VQA}/messages?record_id=${record}&limit=100`)
        ).json()) as {
          items: Msg[];
        };
        const byId = new Map(page.items.map((m) => [m.id, m]));
        const answers = page.items.filter((m) => m.type === "ANSWER");
        return answers
          .map((a) => `${a.content}@${a.number === byId.get(open)?.number || a.number === byId.get(single)?.number}`)
          .sort();
      },
      { timeout: 15_000 },
    )
    .toEqual(["Three objects: a car, a tree and a sign.@true", "[[B]]@true"].sort());

  await bob.reload();
  await openVqa(bob, record);
  await expect(question(bob, open).getByTestId("vqa-answer-text")).toHaveValue(
    "Three objects: a car, a tree and a sign.",
  );
  await expect(question(bob, single).getByTestId("vqa-pick").nth(1)).toBeChecked();
});

test("one edits a question while the other answers it and edits the same text: no text is lost", async ({
  alice,
  bob,
}) => {
  const record = await vqaRecord(alice);
  await Promise.all([openVqa(alice, record), openVqa(bob, record)]);
  const [q] = (await questionIds(alice)) as [string];
  const original = await question(alice, q).getByTestId("vqa-question-text").inputValue();
  expect(original.endsWith("?")).toBe(true);

  // Alice puts her caret in the question; Bob sees that she is typing there.
  const aliceText = question(alice, q).getByTestId("vqa-question-text");
  await aliceText.click();
  await aliceText.press("End");
  await expect(question(bob, q).getByTestId("vqa-typing")).toHaveAttribute("data-count", "1");

  // Bob answers it meanwhile, then both type in the question's text at once: Alice at its end,
  // Bob at its start. The texts merge; neither caret jumps into the other's words.
  await question(bob, q).getByTestId("vqa-add-answer").click();
  const bobAnswer = question(bob, q).getByTestId("vqa-answer-text").first();
  await bobAnswer.click();
  const bobText = question(bob, q).getByTestId("vqa-question-text");
  await Promise.all([
    aliceText.pressSequentially(" Count the trees too.", { delay: 25 }),
    (async () => {
      await bobAnswer.pressSequentially("Four.", { delay: 25 });
      await bobText.click();
      await bobText.press("Control+Home");
      await bobText.pressSequentially("Please: ", { delay: 25 });
    })(),
  ]);

  const merged = `Please: ${original} Count the trees too.`;
  for (const page of [alice, bob]) {
    await expect(question(page, q).getByTestId("vqa-question-text")).toHaveValue(merged);
    await expect(question(page, q).getByTestId("vqa-answer-text")).toHaveValue("Four.");
  }
  await alice.getByTestId("vqa-panel").hover({ position: { x: 5, y: 5 } });
  await docsShot(alice, "vqa");

  // Saved: a reload on both sides reads the same texts back from the server.
  await expect(alice.getByTestId("sync-indicator")).toHaveAttribute("data-phase", "saved");
  await expect(bob.getByTestId("sync-indicator")).toHaveAttribute("data-phase", "saved");
  await Promise.all([alice.reload(), bob.reload()]);
  await Promise.all([openVqa(alice, record), openVqa(bob, record)]);
  for (const page of [alice, bob]) {
    await expect(question(page, q).getByTestId("vqa-question-text")).toHaveValue(merged);
    await expect(question(page, q).getByTestId("vqa-answer-text")).toHaveValue("Four.");
  }
  // And the server's rows (LanceDB, after the fold) hold the merged text.
  await expect
    .poll(async () => ((await (await alice.request.get(`/datasets/${VQA}/messages/${q}`)).json()) as Msg).content, {
      timeout: 15_000,
    })
    .toBe(merged);
});

test("three people on one conversation: two type in one question and one answers another; everyone sees every text and who is typing", async ({
  alice,
  bob,
  rita,
}) => {
  const record = await vqaRecord(alice);
  await Promise.all([openVqa(alice, record), openVqa(bob, record), openVqa(rita, record)]);
  const [first, second] = (await questionIds(alice)) as [string, string];
  const original = await question(alice, first).getByTestId("vqa-question-text").inputValue();

  // Alice and Rita put their carets in the first question: Bob sees two people typing there.
  const aliceText = question(alice, first).getByTestId("vqa-question-text");
  const ritaText = question(rita, first).getByTestId("vqa-question-text");
  await aliceText.click();
  await aliceText.press("End");
  await ritaText.click();
  await ritaText.press("Control+Home");
  await expect(question(bob, first).getByTestId("vqa-typing")).toHaveAttribute("data-count", "2");

  // All at once: Alice appends, Rita prepends, Bob answers the second question.
  await Promise.all([
    aliceText.pressSequentially(" Be precise.", { delay: 20 }),
    ritaText.pressSequentially("Reviewer: ", { delay: 20 }),
    (async () => {
      await question(bob, second).getByTestId("vqa-add-answer").click();
      const picks = question(bob, second).getByTestId("vqa-pick");
      if ((await picks.count()) > 0) await picks.first().check();
      else await question(bob, second).getByTestId("vqa-answer-text").first().fill("Sunny.");
    })(),
  ]);

  const merged = `Reviewer: ${original} Be precise.`;
  for (const page of [alice, bob, rita]) {
    await expect(question(page, first).getByTestId("vqa-question-text")).toHaveValue(merged);
    await expect(question(page, second)).toHaveClass(/answered/);
  }
  await expect
    .poll(async () => ((await (await rita.request.get(`/datasets/${VQA}/messages/${first}`)).json()) as Msg).content, {
      timeout: 15_000,
    })
    .toBe(merged);
});
