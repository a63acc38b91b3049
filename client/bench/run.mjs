#!/usr/bin/env node
/**
 * Render benchmark: builds client/bench (vite), serves it with `vite preview` on a free 127.0.0.1
 * port, opens it in Debian Chromium (software WebGL) for each annotation count, and prints one
 * JSON object per run: {annotations, fps: {p50, p5, min}, firstImageMs, allAnnotationsMs,
 * renderer, …}. Usage: node client/bench/run.mjs [--n 1000,10000] [--seconds 6] [--width 1280 --height 800]
 * Video seek and scrubbing (`seek.html`): node client/bench/run.mjs --page seek [--frames 10000] [--seconds 5]
 */
/* global window -- the page.* callbacks run in the browser */
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { build, preview } from "vite";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const counts = opt("n", "1000,10000").split(",").map(Number);
// `--page seek` runs the video seek benchmark (`seek.html`, `--frames 10000`) once instead.
const pageName = opt("page", "render");
const frames = opt("frames", "10000");
const seconds = Number(opt("seconds", "6"));
const width = Number(opt("width", "1280"));
const height = Number(opt("height", "800"));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const configFile = join(here, "vite.config.ts");
if (!args.includes("--no-build")) await build({ configFile, logLevel: "warn" });
const port = await freePort();
const server = await preview({ configFile, preview: { host: "127.0.0.1", port, strictPort: true } });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
let failed = false;
try {
  for (const n of pageName === "seek" ? [0] : counts) {
    const page = await browser.newPage({ viewport: { width, height } });
    page.on("pageerror", (err) => console.error(`[page] ${err.message}`));
    await page.goto(
      pageName === "seek"
        ? `http://127.0.0.1:${port}/seek.html?frames=${frames}&seconds=${seconds}`
        : `http://127.0.0.1:${port}/render.html?n=${n}&seconds=${seconds}`,
    );
    await page.waitForFunction(() => window.__bench !== undefined, null, { timeout: 300_000, polling: 250 });
    const result = await page.evaluate(() => window.__bench);
    if (result.error) {
      failed = true;
      console.error(`n=${n}: ${result.error}`);
    } else {
      console.log(JSON.stringify(result));
    }
    await page.close();
  }
} finally {
  await browser.close();
  await new Promise((resolve) => server.httpServer.close(resolve));
}
process.exit(failed ? 1 : 0);
