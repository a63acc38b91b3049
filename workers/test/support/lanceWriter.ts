/**
 * A child process of `persistGroupDataset.test.ts`: commits to one LanceDB table as a second persist
 * worker would, to show what LanceDB does with two writer processes. Arguments: DB_DIR NAME ROUNDS
 * MODE (`merge`: merge-inserts of this writer's own ids and deletes; `compact`: the same plus a
 * compaction every tenth round). Prints one JSON line: `{name, errors: [messages]}`.
 */
import * as lancedb from "@lancedb/lancedb";

async function main(): Promise<void> {
  const [dir, name, roundsText, mode] = process.argv.slice(2);
  if (!dir || !name || !roundsText || (mode !== "merge" && mode !== "compact"))
    throw new Error("usage: lanceWriter DB_DIR NAME ROUNDS merge|compact");
  const db = await lancedb.connect(dir, { readConsistencyInterval: 0 });
  const table = await db.openTable("t");
  const errors: string[] = [];
  for (let i = 0; i < Number(roundsText); i++) {
    try {
      await table
        .mergeInsert("id")
        .whenMatchedUpdateAll()
        .whenNotMatchedInsertAll()
        .execute([{ id: `${name}-${i % 10}`, writer: name, v: i }]);
      if (i % 5 === 4) await table.delete(`id = '${name}-gone-${i}'`);
      if (mode === "compact" && i % 10 === 9) await table.optimize();
    } catch (err) {
      errors.push(err instanceof Error ? err.message.slice(0, 200) : String(err));
    }
  }
  process.stdout.write(`${JSON.stringify({ name, errors })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
