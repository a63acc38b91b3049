import path from "node:path";
import { Option, type Command } from "commander";
import { MODEL_TASKS, PIXANO_TASK, type ModelTask } from "../../inference/manifest.js";
import { ModelRegistry, RegistryError } from "../../inference/registry.js";
import { displayPath, table, UsageError, type CliIo } from "../output.js";

/**
 * `tessera models add|list|remove DATA_DIR …`: the model registry, `DATA_DIR/models/<name>/`
 * (`manifest.json` + the ONNX files it names; see docs/models.md). A running server sees a change
 * at its next inference request.
 */
async function attempt<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof RegistryError) throw new UsageError(err.message);
    throw err;
  }
}

export function registerModelsCommands(program: Command, io: CliIo): void {
  const models = program.command("models").description("manage inference models (DATA_DIR/models)");
  const registry = (dataDir: string) => new ModelRegistry(path.resolve(io.cwd, dataDir));

  models
    .command("add")
    .description("copy a model into the registry: a folder with manifest.json, a folder of .onnx files, or one .onnx")
    .argument("<DATA_DIR>", "data directory")
    .argument("<SOURCE>", "model folder or .onnx file")
    .option("--name <name>", "registry name (default: the manifest's, else the folder or file name)")
    .addOption(new Option("--task <task>", "what the model does (overrides the manifest)").choices(MODEL_TASKS))
    .action(async (dataDir: string, source: string, opts: { name?: string; task?: ModelTask }) => {
      const added = await attempt(
        registry(dataDir).add(path.resolve(io.cwd, source), {
          ...(opts.name !== undefined ? { name: opts.name } : {}),
          ...(opts.task !== undefined ? { task: opts.task } : {}),
        }),
      );
      io.stdout.write(`Added ${added.name} (${added.manifest.task}) in ${displayPath(io, added.dir)}\n`);
    });

  models
    .command("list")
    .description("list the registered models, and the folders that are not valid models")
    .argument("<DATA_DIR>", "data directory")
    .option("--json", "machine-readable output")
    .action(async (dataDir: string, opts: { json?: boolean }) => {
      const { models: found, problems } = await registry(dataDir).scan();
      if (opts.json) {
        const list = found.map((m) => ({
          name: m.name,
          task: m.manifest.task,
          pixano_task: PIXANO_TASK[m.manifest.task],
          files: m.manifest.files,
          license: m.manifest.license ?? null,
          source: m.manifest.source ?? null,
        }));
        io.stdout.write(`${JSON.stringify({ models: list, problems }, null, 2)}\n`);
        return;
      }
      if (found.length === 0 && problems.length === 0) {
        io.stdout.write("No models (add one with `tessera models add DATA_DIR SOURCE`).\n");
        return;
      }
      if (found.length > 0)
        io.stdout.write(
          `${table(found.map((m) => [m.name, `${m.manifest.task}${m.manifest.license ? `, ${m.manifest.license}` : ""}`]))}\n`,
        );
      for (const p of problems) io.stderr.write(`invalid model folder ${p.name}: ${p.error}\n`);
    });

  models
    .command("remove")
    .description("delete a model from the registry")
    .argument("<DATA_DIR>", "data directory")
    .argument("<NAME>", "model name")
    .action(async (dataDir: string, name: string) => {
      await attempt(registry(dataDir).remove(name));
      io.stdout.write(`Removed ${name}\n`);
    });
}
