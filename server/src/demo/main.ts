import { createDemoLibrary } from "./createDemoLibrary.js";

/**
 * `tsx server/src/demo/main.ts DATA_DIR [--seed N]`: writes the demo library (used by
 * `npm start` on first run). A composition root: the only demo module that reads argv.
 */
const args = process.argv.slice(2);
const dataDir = args.find((a) => !a.startsWith("--"));
const seedAt = args.indexOf("--seed");
const seed = seedAt >= 0 ? Number(args[seedAt + 1]) : undefined;
if (!dataDir || (seed !== undefined && !Number.isInteger(seed))) {
  console.error("usage: tsx server/src/demo/main.ts DATA_DIR [--seed N]");
  process.exit(2);
}
const report = await createDemoLibrary(dataDir, { seed, log: (m) => console.log(m) });
console.log(
  `demo: ${report.datasets.length} datasets in ${report.dataDir} (${report.millis.build + report.millis.write} ms)`,
);
