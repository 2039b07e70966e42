// Private: how much disk a folder of stored files uses (for `status`).
import { readDirIfExists, statIfExists } from "./fs.ts";

/** Folders directly under a directory, the files below it, and their bytes. */
export interface DiskUsage {
  /** Folders directly under the directory (one per message for attachments). */
  folders: number;
  /** Files anywhere below it; hidden ones (unfinished downloads) are not counted. */
  files: number;
  /** Their total size in bytes. */
  bytes: number;
}

/**
 * Counts what `dir` holds; a missing directory holds nothing.
 *
 * @param dir The directory.
 * @returns Folders directly under it, files below it (hidden ones left out) and their bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { directoryUsage } from "./disk.ts";
 * const dir = Deno.makeTempDirSync();
 * Deno.mkdirSync(`${dir}/1`);
 * Deno.writeTextFileSync(`${dir}/1/a.txt`, "hello");
 * assert.deepEqual(directoryUsage(dir), { folders: 1, files: 1, bytes: 5 });
 * assert.deepEqual(directoryUsage(`${dir}/none`), { folders: 0, files: 0, bytes: 0 });
 * ```
 */
export function directoryUsage(dir: string): DiskUsage {
  const usage: DiskUsage = { folders: 0, files: 0, bytes: 0 };
  const walk = (path: string, depth: number) => {
    for (const e of readDirIfExists(path)) {
      if (e.name.startsWith(".")) continue;
      const child = `${path}/${e.name}`;
      if (e.isDirectory) {
        if (depth === 0) usage.folders++;
        walk(child, depth + 1);
      } else if (e.isFile) {
        const info = statIfExists(child); // undefined: removed meanwhile
        if (info === undefined) continue;
        usage.bytes += info.size;
        usage.files++;
      }
    }
  };
  walk(dir, 0);
  return usage;
}
