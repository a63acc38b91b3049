#!/usr/bin/env node
/**
 * Fetches a real detector that a registry package ships and lays it out as a Tessera model folder:
 * `node scripts/fetch-real-model.mjs <dir> [--no-image] [--no-pip] [--wheel FILE] [--image-wheel FILE]`.
 *
 * The model is NudeNet 3.4.2's `320n.onnx` (PyPI `nudenet==3.4.2`, 12 MB): an Ultralytics YOLOv8n
 * detection export (`images` [1, 3, H, W] → `output0` [1, 22, N], 18 classes, trained at 320) — the
 * exact layout Tessera's detector runs, so no conversion is needed. Its 18 classes are NudeNet's
 * (body parts, exposed or covered, and `FACE_FEMALE` / `FACE_MALE`). Licence: the wheel's LICENSE
 * file is the GNU AGPL-3.0 (its PyPI metadata says MIT); the folder gets a copy of that file.
 *
 * Writes `<dir>/nudenet-320n/` (`320n.onnx`, `manifest.json`, `LICENSE`) and, unless `--no-image`,
 * `<dir>/images/astronaut.png` — the public-domain NASA portrait of Eileen Collins that
 * scikit-image 0.24.0 ships (`skimage/data/astronaut.png`, 512×512), a photo with one face on which
 * the detector finds `FACE_FEMALE`. Every download is checked against the SHA-256 pinned below.
 *
 * The wheels are fetched with `python -m pip download --no-deps` when pip is there, otherwise over
 * HTTPS from PyPI's JSON API (the files pip would fetch; `--no-pip` forces this); `--wheel` / `--image-wheel` take
 * already downloaded wheels instead. Then: `tessera models add DATA_DIR <dir>/nudenet-320n`, and
 * `TESSERA_REAL_MODEL_DIR=<dir>` runs the real-model test (docs/models.md, "Real models from registries").
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

// yauzl is the server package's zip reader (dataset uploads): resolved from there, not hoisting.
const yauzl = createRequire(new URL("../server/package.json", import.meta.url))("yauzl");

const MODEL = {
  package: "nudenet",
  version: "3.4.2",
  wheel: "nudenet-3.4.2-py3-none-any.whl",
  wheelSha256: "5937dbd84e5d8e5de038f08ffea5a1bb50a08475776bf2b4795914ce0eaf0331",
  member: "nudenet/320n.onnx",
  memberSha256: "c15d8273adad2d0a92f014cc69ab2d6c311a06777a55545f2c4eb46f51911f0f",
  license: "nudenet-3.4.2.dist-info/LICENSE",
};

const IMAGE = {
  package: "scikit-image",
  version: "0.24.0",
  wheel: "scikit_image-0.24.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
  wheelSha256: "fa27b3a0dbad807b966b8db2d78da734cb812ca4787f7fbb143764800ce2fa9c",
  pip: ["--only-binary", ":all:", "--python-version", "3.11", "--platform", "manylinux2014_x86_64"],
  member: "skimage/data/astronaut.png",
  memberSha256: "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
};

/** NudeNet's class names, in the order of the model's 18 score rows (nudenet/nudenet.py). */
export const LABELS = [
  "FEMALE_GENITALIA_COVERED",
  "FACE_FEMALE",
  "BUTTOCKS_EXPOSED",
  "FEMALE_BREAST_EXPOSED",
  "FEMALE_GENITALIA_EXPOSED",
  "MALE_BREAST_EXPOSED",
  "ANUS_EXPOSED",
  "FEET_EXPOSED",
  "BELLY_COVERED",
  "FEET_COVERED",
  "ARMPITS_COVERED",
  "ARMPITS_EXPOSED",
  "FACE_MALE",
  "BELLY_EXPOSED",
  "MALE_GENITALIA_EXPOSED",
  "ANUS_COVERED",
  "FEMALE_BREAST_COVERED",
  "BUTTOCKS_COVERED",
];

export const MODEL_NAME = "nudenet-320n";

export function manifest() {
  return {
    name: MODEL_NAME,
    task: "detection",
    architecture: "yolov8",
    files: { model: "320n.onnx" },
    input_size: 320,
    labels: LABELS,
    license: "AGPL-3.0 (the LICENSE file of the nudenet 3.4.2 wheel; its PyPI metadata says MIT)",
    source: "PyPI nudenet==3.4.2, nudenet/320n.onnx (https://github.com/notAI-tech/NudeNet)",
  };
}

class FetchError extends Error {
  name = "FetchError";
}

const sha256 = (buf) => createHash("sha256").update(buf).digest("hex");

function checked(buf, expected, what) {
  const got = sha256(buf);
  if (got !== expected) throw new FetchError(`${what}: SHA-256 ${got}, expected ${expected}`);
  return buf;
}

function hasPip() {
  for (const python of ["python3", "python"]) {
    try {
      execFileSync(python, ["-m", "pip", "--version"], { stdio: "ignore" });
      return python;
    } catch {
      // not this one: try the next name
    }
  }
  return null;
}

/** The wheel's bytes: pip when present, else PyPI's JSON API over HTTPS. */
async function downloadWheel(spec, usePip) {
  const python = usePip ? hasPip() : null;
  if (python) {
    const dir = mkdtempSync(join(tmpdir(), "tessera-fetch-"));
    try {
      execFileSync(
        python,
        ["-m", "pip", "download", "--no-deps", ...(spec.pip ?? []), `${spec.package}==${spec.version}`, "-d", dir],
        { stdio: ["ignore", "ignore", "inherit"] },
      );
      const file = join(dir, spec.wheel);
      if (!existsSync(file)) throw new FetchError(`pip did not write ${spec.wheel}`);
      return checked(readFileSync(file), spec.wheelSha256, spec.wheel);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  // The project's JSON (every release's files); the per-version route is not served by every mirror.
  const meta = await fetch(`https://pypi.org/pypi/${spec.package}/json`);
  if (!meta.ok) throw new FetchError(`PyPI answered ${meta.status} for ${spec.package}`);
  const body = await meta.json();
  const entry = (body.releases?.[spec.version] ?? []).find((u) => u.filename === spec.wheel);
  if (!entry) throw new FetchError(`PyPI lists no ${spec.wheel}`);
  // Mirrors may list the file relative to the JSON's address.
  const fileUrl = new URL(entry.url, meta.url).href;
  const res = await fetch(fileUrl);
  if (!res.ok) throw new FetchError(`${fileUrl}: ${res.status}`);
  return checked(Buffer.from(await res.arrayBuffer()), spec.wheelSha256, spec.wheel);
}

/** One member of a zip archive held in memory. */
function unzipMember(zip, member) {
  return new Promise((resolvePromise, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (err, archive) => {
      if (err || !archive) return reject(err ?? new FetchError("unreadable wheel"));
      archive.on("error", reject);
      archive.on("end", () => reject(new FetchError(`${member} is not in the wheel`)));
      archive.on("entry", (entry) => {
        if (entry.fileName !== member) return archive.readEntry();
        archive.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new FetchError(`cannot read ${member}`));
          const chunks = [];
          stream.on("data", (c) => chunks.push(c));
          stream.on("error", reject);
          stream.on("end", () => {
            archive.close();
            resolvePromise(Buffer.concat(chunks));
          });
        });
      });
      archive.readEntry();
    });
  });
}

async function wheelBytes(spec, localPath, options) {
  if (localPath) return checked(readFileSync(localPath), spec.wheelSha256, localPath);
  return downloadWheel(spec, options.pip !== false);
}

export async function fetchRealModel(dir, options = {}) {
  const modelDir = join(dir, MODEL_NAME);
  mkdirSync(modelDir, { recursive: true });
  const wheel = await wheelBytes(MODEL, options.wheel, options);
  const onnxFile = checked(await unzipMember(wheel, MODEL.member), MODEL.memberSha256, MODEL.member);
  writeFileSync(join(modelDir, "320n.onnx"), onnxFile);
  writeFileSync(join(modelDir, "LICENSE"), await unzipMember(wheel, MODEL.license));
  writeFileSync(join(modelDir, "manifest.json"), `${JSON.stringify(manifest(), null, 2)}\n`);
  if (options.image !== false) {
    const imageWheel = await wheelBytes(IMAGE, options.imageWheel, options);
    const png = checked(await unzipMember(imageWheel, IMAGE.member), IMAGE.memberSha256, IMAGE.member);
    mkdirSync(join(dir, "images"), { recursive: true });
    writeFileSync(join(dir, "images", "astronaut.png"), png);
  }
  return modelDir;
}

function usage(message) {
  if (message) process.stderr.write(`${message}\n`);
  process.stderr.write(
    "usage: node scripts/fetch-real-model.mjs <dir> [--no-image] [--no-pip] [--wheel FILE] [--image-wheel FILE]\n",
  );
  process.exit(2);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const options = { image: true };
  let dir = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--no-image") options.image = false;
    else if (a === "--no-pip") options.pip = false;
    else if (a === "--wheel" || a === "--image-wheel") {
      const v = args[++i];
      if (!v) usage(`${a} needs a file`);
      if (a === "--wheel") options.wheel = v;
      else options.imageWheel = v;
    } else if (a.startsWith("-")) usage(`unknown option ${a}`);
    else if (dir === null) dir = a;
    else usage(`unexpected argument ${a}`);
  }
  if (!dir) usage();
  try {
    const modelDir = await fetchRealModel(resolve(dir), options);
    process.stdout.write(`${modelDir}\n`);
  } catch (err) {
    process.stderr.write(`fetch-real-model: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
