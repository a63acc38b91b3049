import { promises as fs } from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isRemoteUri, Library, mimeOfFormat, type MediaError } from "../src/index.js";
import { removeDir, tempDir } from "./helpers.js";
import { fullInfo, fullRows } from "./sample.js";

describe("media", () => {
  let dataDir: string;
  let outside: string;
  let library: Library;

  beforeAll(async () => {
    dataDir = await tempDir();
    outside = await tempDir("tessera-outside-");
    library = new Library(dataDir);
    await library.init();
    await fs.mkdir(path.join(dataDir, "media", "r2"), { recursive: true });
    await fs.writeFile(path.join(dataDir, "media", "r2", "photo.jpg"), "jpeg-bytes");
    await fs.writeFile(path.join(outside, "secret.txt"), "secret");
    await fs.symlink(path.join(outside, "secret.txt"), path.join(dataDir, "media", "link.txt"));
    await fs.symlink(outside, path.join(dataDir, "media", "dirlink"));
  });
  afterAll(async () => {
    await library.close();
    await removeDir(dataDir);
    await removeDir(outside);
  });

  const reason = async (uri: string) =>
    ((await library.resolveMedia(uri).catch((e: unknown) => e)) as MediaError).reason;

  it("resolves relative and file:// uris inside DATA_DIR/media", async () => {
    const real = await fs.realpath(path.join(dataDir, "media", "r2", "photo.jpg"));
    expect(await library.resolveMedia("r2/photo.jpg")).toBe(real);
    expect(await library.resolveMedia("r2/../r2/photo.jpg")).toBe(real);
    expect(await library.resolveMedia(pathToFileURL(path.join(dataDir, "media", "r2", "photo.jpg")).href)).toBe(real);
  });

  it("refuses every path that escapes the media folder, symlinks included", async () => {
    expect(await reason("../library")).toBe("outside_media");
    expect(await reason("r2/../../secret")).toBe("outside_media");
    expect(await reason(path.join(outside, "secret.txt"))).toBe("outside_media");
    expect(await reason(pathToFileURL(path.join(outside, "secret.txt")).href)).toBe("outside_media");
    expect(await reason("link.txt")).toBe("outside_media");
    expect(await reason("dirlink/secret.txt")).toBe("outside_media");
    expect(await reason("missing.jpg")).toBe("not_found");
    expect(await reason("r2")).toBe("not_found");
    expect(await reason("")).toBe("no_media");
    expect(await reason("https://example.com/a.jpg")).toBe("remote");
    expect(isRemoteUri("s3://bucket/key")).toBe(true);
    expect(isRemoteUri("file:///x")).toBe(false);
  });

  it("serves embedded bytes with their format, and nothing for uri views", async () => {
    const ds = await library.create("m", fullInfo("m"));
    const rows = await fullRows();
    await ds.addRecords(rows);
    const media = await ds.readMedia("images", "img1");
    expect(media!.bytes).toEqual(rows.images![0]!.raw_bytes);
    expect(media!.format).toBe("PNG");
    expect(mimeOfFormat(media!.format)).toBe("image/png");
    expect(mimeOfFormat("JPEG")).toBe("image/jpeg");
    expect(mimeOfFormat("weird")).toBe("application/octet-stream");
    expect(await ds.readMedia("images", "img2")).toBeNull();
    expect(await ds.readMedia("images", "nope")).toBeNull();
    expect((await ds.readPreview("images", "img1"))!.format).toBe("png");
    const view = (await ds.get("images", "img2"))!;
    expect(await library.resolveMedia(view.uri as string)).toBe(
      await fs.realpath(path.join(dataDir, "media", "r2", "photo.jpg")),
    );
  });
});
