import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { crc32 } from "node:zlib";
import { baseURL, docRows, expect, test, users } from "./support/fixtures.js";

/**
 * COCO in the browser, on the real server (accounts on, as the admin): a zip of a COCO instances
 * source (fixtures/pixano-built/coco/source) is uploaded through the import wizard, detected as
 * COCO and imported; a record opens in the workspace with its boxes and objects; the dataset is
 * exported from the explorer as COCO and downloaded as a zip holding `instances_<split>.json`.
 */
const SOURCE = path.resolve(import.meta.dirname, "..", "..", "fixtures", "pixano-built", "coco", "source");

async function listFiles(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, r)));
    else out.push(r);
  }
  return out.sort();
}

/** A zip (stored entries) of `dir`'s files under `prefix/`, as a user's archiver would make it. */
async function zipFolder(dir: string, prefix: string): Promise<Buffer> {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const rel of await listFiles(dir)) {
    const data = await readFile(path.join(dir, rel));
    const name = Buffer.from(`${prefix}/${rel}`);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(centrals.length / 2, 8);
  end.writeUInt16LE(centrals.length / 2, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

test("an admin uploads a COCO zip, imports it, sees a record's boxes, and exports the dataset as COCO", async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const context = await browser.newContext({ baseURL: baseURL(), viewport: { width: 1280, height: 900 } });
  const login = await context.request.post("/auth/login", {
    data: { username: users.admin.username, password: users.admin.password },
  });
  expect(login.ok()).toBe(true);
  const page = await context.newPage();
  page.on("pageerror", (err) => console.error(`page error: ${err.message}`));
  const name = `Coco wizard ${Date.now() % 100_000}`;
  try {
    await page.goto("/");
    await page.getByTestId("library-import").click();
    await expect(page).toHaveURL(/#\/import$/);
    await expect(page.getByTestId("import-format").locator("option", { hasText: "COCO instances" })).toHaveCount(1);
    await page.getByTestId("import-kind-archive").check();
    await page.getByTestId("import-zip").setInputFiles({
      name: "coco_e2e.zip",
      mimeType: "application/zip",
      buffer: await zipFolder(SOURCE, "coco_e2e"),
    });
    await page.getByTestId("import-name").fill(name);
    await page.getByTestId("import-analyze").click();
    await expect(page.getByTestId("import-report")).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId("import-detected")).toHaveText("COCO instances");
    await expect(page.getByTestId("import-splits")).toContainText("val");
    await expect(page.getByTestId("import-start")).toHaveText(/Import 3 records/);
    await page.getByTestId("import-start").click();
    await expect(page.getByTestId("job-status")).toContainText("Done", { timeout: 60_000 });
    await expect(page.getByTestId("job-counts")).toContainText("records 3");

    const datasets = (await (await context.request.get("/datasets")).json()) as { id: string; name: string }[];
    const id = datasets.find((d) => d.name === name)?.id ?? "";
    expect(id).not.toBe("");
    // The record of a.png: a person box with keypoints and a car box with a polygon mask.
    const boxes = (await (await context.request.get(`/datasets/${id}/bboxes?limit=100`)).json()) as {
      items: { record_id: string }[];
    };
    const perRecord = new Map<string, number>();
    for (const b of boxes.items) perRecord.set(b.record_id, (perRecord.get(b.record_id) ?? 0) + 1);
    expect([...perRecord.values()].sort()).toEqual([1, 2, 2]);
    const record = [...perRecord.entries()].find(([, n]) => n === 2)![0];
    await page.goto(`/#/explorer/${encodeURIComponent(id)}/workspace/${encodeURIComponent(record)}`);
    await expect(page.getByTestId("workspace")).toHaveAttribute("data-record", record);
    await expect.poll(async () => (await docRows(page, "bboxes")).length, { timeout: 30_000 }).toBe(2);
    await expect(page.getByTestId("object-row")).toHaveCount(2);

    // Export as COCO from the explorer, downloaded as a zip.
    await page.goto(`/#/explorer/${encodeURIComponent(id)}`);
    await page.getByTestId("export-open").click();
    await page.getByTestId("export-format").selectOption("coco");
    await page.getByTestId("export-start").click();
    const download = page.getByTestId("export-download");
    await expect(download).toBeVisible({ timeout: 60_000 });
    const [file] = await Promise.all([page.waitForEvent("download"), download.click()]);
    const zip = await readFile(await file.path());
    expect(zip.includes(Buffer.from("instances_train.json"))).toBe(true);
    expect(zip.includes(Buffer.from("instances_val.json"))).toBe(true);
  } finally {
    await context.close();
  }
});
