import { request as pwRequest } from "@playwright/test";
import { baseURL, DATASET, expect, test } from "./support/fixtures.js";
import users from "./support/users.json" with { type: "json" };

/**
 * Semantic search in the explorer (README "Semantic search") against the real server, its
 * inference worker and the tiny CLIP pair the e2e server registers (scripts/tiny-clip.mjs): an
 * admin computes the embeddings (Pixano's `POST /embeddings/compute`, a job polled at
 * `/io/jobs/{id}`); the explorer then offers the "Semantic" toggle, ranks records by a text in the
 * order the search route answers, and "More like this" lists the records nearest a record.
 */
interface Ranked {
  items: Array<{ id: string; _distance: number }>;
}

test("semantic toggle and More like this rank the records as the search route does", async ({ alice }) => {
  test.setTimeout(120_000);
  const admin = await pwRequest.newContext({ baseURL: baseURL() });
  const login = await admin.post("/auth/login", {
    data: { username: users.admin.username, password: users.admin.password },
  });
  expect(login.ok()).toBe(true);
  const started = await admin.post(`/datasets/${DATASET}/embeddings/compute`, { data: { model: "tiny-clip" } });
  expect(started.status(), await started.text()).toBe(202);
  const { job_id } = (await started.json()) as { job_id: string };
  await expect
    .poll(async () => ((await (await admin.get(`/io/jobs/${job_id}`)).json()) as { status: string }).status, {
      timeout: 90_000,
    })
    .toBe("done");
  await admin.dispose();

  await alice.goto(`/#/explorer/${DATASET}`);
  const toggle = alice.getByTestId("semantic-toggle");
  await expect(toggle).toBeVisible();
  await toggle.check();
  await alice.getByTestId("search").fill("red");
  const expected = (await (
    await alice.request.post(`/datasets/${DATASET}/records/search`, { data: { text: "red", k: 100 } })
  ).json()) as Ranked;
  expect(expected.items.length).toBeGreaterThan(1);
  const rows = alice.locator("tr.rec");
  await expect
    .poll(async () => (await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-record")))).join(","))
    .toBe(expected.items.map((i) => i.id).join(","));
  await expect(rows.first().getByTestId("distance")).toHaveText(expected.items[0]!._distance.toFixed(3));

  // More like this on the third row: that record first (distance 0), then its neighbours in rank order.
  const target = expected.items[2]!.id;
  await alice.locator(`tr.rec[data-record="${target}"]`).getByTestId("more-like-this").click();
  await expect(alice.getByTestId("similar-banner")).toContainText(target);
  const like = (await (
    await alice.request.post(`/datasets/${DATASET}/records/search`, { data: { similar_to: target, k: 100 } })
  ).json()) as Ranked;
  expect(like.items[0]?.id).toBe(target);
  await expect
    .poll(async () => (await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-record")))).join(","))
    .toBe(like.items.map((i) => i.id).join(","));
  await alice.getByTestId("similar-clear").click();
  await expect(alice.getByTestId("similar-banner")).toHaveCount(0);
});
