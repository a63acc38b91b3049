import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { baseURL, docsShot, expect, test, users } from "./support/fixtures.js";

/**
 * Import and export in the browser, on the real server (accounts on, as the admin): a folder is
 * uploaded, its format detected and its dry-run report shown, the import runs with a live progress
 * bar and the dataset appears in the library without a reload; a bigger import is cancelled and
 * leaves nothing; a server path outside the import root is refused; the dataset is exported and
 * downloaded as a zip.
 */

const SOURCES = path.resolve(import.meta.dirname, "..", "..", "fixtures", "pixano-built", "sources");

/** A JSONL v2 folder of `n` records (one small PNG each), named `folder`, under a temp dir. */
async function bigSource(n: number, folder: string): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const root = await mkdtemp(path.join(os.tmpdir(), "tessera-wizard-"));
  const dir = path.join(root, folder);
  await mkdir(path.join(dir, "train"), { recursive: true });
  await writeFile(
    path.join(dir, "dataset.yaml"),
    `pixano: 2\ndataset:\n  name: ${folder}\n  workspace: image\nformat: pixano_jsonl\nschema:\n  views:\n    image: image\n`,
  );
  const lines = ['{"$pixano": "jsonl/2"}'];
  for (let i = 0; i < n; i++) {
    await copyFile(path.join(SOURCES, "image_det", "train", "img_a.png"), path.join(dir, "train", `i${i}.png`));
    lines.push(JSON.stringify({ id: `r${i}`, split: "train", views: { image: `i${i}.png` } }));
  }
  await writeFile(path.join(dir, "train", "metadata.jsonl"), `${lines.join("\n")}\n`);
  return { dir, cleanup: () => rm(root, { recursive: true, force: true }) };
}

test("an admin imports a folder through the wizard, cancels a big import, and exports the dataset as a zip", async ({
  browser,
}) => {
  test.setTimeout(240_000);
  const context = await browser.newContext({ baseURL: baseURL(), viewport: { width: 1280, height: 900 } });
  const login = await context.request.post("/auth/login", {
    data: { username: users.admin.username, password: users.admin.password },
  });
  expect(login.ok()).toBe(true);
  const page = await context.newPage();
  page.on("pageerror", (err) => console.error(`page error: ${err.message}`));
  const name = `Wizard det ${Date.now() % 100_000}`;
  const big = await bigSource(1500, `wizard_big_${Date.now() % 100_000}`);
  try {
    await page.goto("/");
    await expect(page.getByTestId("dataset-card").first()).toBeVisible();
    // A marker that a full page load would wipe: the new dataset must appear without one.
    await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
    await page.getByTestId("library-import").click();
    await expect(page).toHaveURL(/#\/import$/);

    // A server path outside the import root is refused with the server's reason.
    await page.getByTestId("import-kind-path").check();
    await page.getByTestId("import-path").fill("../../etc");
    await page.getByTestId("import-analyze").click();
    await expect(page.getByTestId("import-error")).toContainText("import root");

    // A folder from this machine: uploaded, analyzed (format detected), reported.
    await page.getByTestId("import-kind-folder").check();
    await page.getByTestId("import-folder").setInputFiles(path.join(SOURCES, "image_det"));
    await page.getByTestId("import-name").fill(name);
    await page.getByTestId("import-analyze").click();
    const report = page.getByTestId("import-report");
    await expect(report).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId("import-detected")).toHaveText("Pixano JSONL v2");
    await expect(page.getByTestId("import-splits")).toContainText("train");
    await expect(page.getByTestId("import-tables")).toContainText("records");
    await expect(page.getByTestId("import-start")).toHaveText(/Import 6 records/);
    await docsShot(page, "import-wizard");

    await page.getByTestId("import-start").click();
    await expect(page.getByTestId("job-status")).toContainText("Done", { timeout: 60_000 });
    await expect(page.getByTestId("job-counts")).toContainText("records 6");
    await page.getByTestId("import-library").click();
    await expect(page.locator('[data-testid="dataset-card"]', { hasText: name })).toBeVisible();
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);

    // A bigger import, cancelled while it runs: nothing reaches the library.
    await page.getByTestId("library-import").click();
    await page.getByTestId("import-kind-folder").check();
    await page.getByTestId("import-folder").setInputFiles(big.dir);
    await page.getByTestId("import-analyze").click();
    await expect(page.getByTestId("import-start")).toHaveText(/Import 1,500 records/, { timeout: 120_000 });
    await page.getByTestId("import-start").click();
    await expect(page.getByTestId("job-rate")).toBeVisible({ timeout: 60_000 });
    await page.getByTestId("import-progress").scrollIntoViewIfNeeded();
    await docsShot(page, "import-progress");
    await page.getByTestId("job-cancel").click();
    await expect(page.getByTestId("job-status")).toContainText("Cancelled");
    const listed = (await (await context.request.get("/datasets")).json()) as { name: string }[];
    expect(listed.map((d) => d.name)).not.toContain(path.basename(big.dir));

    // Export of the imported dataset, downloaded as a zip.
    const id = ((await (await context.request.get("/datasets")).json()) as { id: string; name: string }[]).find(
      (d) => d.name === name,
    )?.id;
    expect(id).toBeTruthy();
    await page.goto(`/#/explorer/${encodeURIComponent(id ?? "")}`);
    await page.getByTestId("export-open").click();
    await page.getByTestId("export-start").click();
    const download = page.getByTestId("export-download");
    await expect(download).toBeVisible({ timeout: 60_000 });
    await docsShot(page, "export");
    const [file] = await Promise.all([page.waitForEvent("download"), download.click()]);
    expect(file.suggestedFilename()).toMatch(/\.zip$/);
    const saved = await file.path();
    const { size } = await import("node:fs/promises").then((fs) => fs.stat(saved));
    expect(size).toBeGreaterThan(1000);
  } finally {
    await big.cleanup();
    await context.close();
  }
});
