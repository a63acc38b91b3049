import path from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { Library } from "@tessera/dataset";
import { runExport } from "./commands/dataExport.js";
import { runImport, type ImportCommandOptions } from "./commands/dataImport.js";
import { runServer } from "./commands/serverRun.js";
import { registerUsersCommands } from "./commands/users.js";
import { registerModelsCommands } from "./commands/models.js";
import { registerPersistCommands } from "./commands/persistRun.js";
import { FORMATS } from "./datasetIo.js";
import { displayPath, type CliIo } from "./output.js";
import { parsePort } from "../serverOptions.js";

/**
 * The `tessera` command line, with Pixano's verbs: `init`, `data import`, `data export`,
 * `server run`. Commander parses; every action resolves or throws, and `main` maps the outcome
 * to the exit code (0 ok, 1 runtime error, 2 usage error).
 */
const VERSION = "0.1.0";
const WORKSPACES = ["image", "video", "image_vqa", "image_text_entity_linking"] as const;

function port(value: string): number {
  const n = parsePort(value);
  if (n === null) throw new InvalidArgumentError("expected a port number (0-65535).");
  return n;
}

export function buildProgram(io: CliIo): Command {
  const program = new Command("tessera")
    .description("Tessera: real-time collaborative annotation server, compatible with Pixano datasets")
    .version(VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  program
    .command("init")
    .description("create a data directory: library/, media/, models/ (idempotent)")
    .argument("<DATA_DIR>", "data directory")
    .action(async (dataDir: string) => {
      const dir = path.resolve(io.cwd, dataDir);
      await new Library(dir).init();
      io.stdout.write(`Initialized Tessera data directory ${displayPath(io, dir)} (library/, media/, models/)\n`);
    });

  const data = program.command("data").description("import and export datasets");
  data
    .command("import")
    .description("import a dataset folder into DATA_DIR/library/<snake_case(name)>")
    .argument("<DATA_DIR>", "data directory")
    .argument(
      "<SOURCE>",
      "source folder: <split>/metadata.jsonl (Pixano v1 or JSONL v2 + dataset.yaml), COCO instances_<split>.json, or bare media",
    )
    .addOption(
      new Option("--workspace <workspace>", "workspace preset for v1 and media-only sources (default: image)").choices(
        WORKSPACES,
      ),
    )
    .option("--name <name>", "dataset name (default: dataset.yaml name, else the source folder name)")
    .addOption(
      new Option("--mode <mode>", "create: fail if the dataset exists; overwrite: replace it; add: upsert by id")
        .choices(["create", "overwrite", "add"])
        .default("create"),
    )
    .option("--dry-run", "print the plan (records per split, rows per table, inferred fields, warnings); write nothing")
    .addOption(new Option("--format <format>", "source format").choices(FORMATS).default("auto"))
    .option("--use-image-name-as-id", "view ids (and media-only record ids) from image file names")
    .addOption(
      new Option(
        "--media <media>",
        "COCO: embed the image files (default) or keep each image's coco_url (uri)",
      ).choices(["embed", "uri"]),
    )
    .option("--json", "print the report as JSON")
    .action(async (dataDir: string, source: string, opts: ImportCommandOptions) => {
      await runImport(io, dataDir, source, opts);
    });
  data
    .command("export")
    .description("export a dataset (id, folder or name) to DEST")
    .argument("<DATA_DIR>", "data directory")
    .argument("<DATASET>", "dataset id, folder or name")
    .argument("<DEST>", "destination folder (created; must be empty)")
    .addOption(new Option("--format <format>", "export format").choices(["pixano_jsonl", "coco"]).makeOptionMandatory())
    .addOption(
      new Option("--media <media>", "files: write embedded media beside the JSONL; uris: keep URIs")
        .choices(["files", "uris"])
        .default("files"),
    )
    .option("--json", "print the report as JSON")
    .action(
      async (
        dataDir: string,
        dataset: string,
        dest: string,
        opts: { format: "pixano_jsonl" | "coco"; media: "files" | "uris"; json?: boolean },
      ) => {
        await runExport(io, dataDir, dataset, dest, opts);
      },
    );

  const server = program.command("server").description("run the server");
  server
    .command("run")
    .description("serve the REST API and the web client for DATA_DIR")
    .argument("<DATA_DIR>", "data directory")
    .option("--host <host>", "interface to listen on (default: $HOST, else 127.0.0.1)")
    .option("--port <port>", "port to listen on (default: $PORT, else 7492)", port)
    .option(
      "--no-auth",
      "single-user mode: no accounts, everyone is the local admin; listens on 127.0.0.1 only (also TESSERA_AUTH=off)",
    )
    .option(
      "--redis <url>",
      "scaled mode: run as one of several processes sharing DATA_DIR through Redis (redis://HOST:PORT; also TESSERA_REDIS_URL)",
    )
    .addHelpText(
      "after",
      "\nEnvironment: TESSERA_AUTH, TESSERA_ADMIN_USER, TESSERA_ADMIN_PASSWORD, TESSERA_TRUST_PROXY,\nTESSERA_CORS_ORIGINS, TESSERA_ALLOWED_HOSTS, TESSERA_WS_*, TESSERA_REDIS_URL (see the README).",
    )
    .action(async (dataDir: string, opts: { host?: string; port?: number; auth: boolean; redis?: string }) => {
      await runServer(io, { dataDir, ...opts });
    });
  registerUsersCommands(program, io);
  registerModelsCommands(program, io);
  registerPersistCommands(program, io);
  return program;
}
