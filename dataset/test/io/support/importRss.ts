/**
 * Child process of the import memory test: imports SOURCE into DATA_DIR (a real LanceDB in a
 * temporary folder) and prints `{"records": n, "maxRssMb": m}` — the process's peak resident
 * memory, which only a process of its own can measure.
 */
import { importDataset } from "../../../src/io/index.js";

const [dataDir, source] = process.argv.slice(2);
if (!dataDir || !source) throw new Error("usage: importRss.ts DATA_DIR SOURCE");
const report = await importDataset({ dataDir, source });
process.stdout.write(
  `${JSON.stringify({ records: report.records, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
);
