// The sandbox's world on disk: `world.json` (0600, written atomically) and the attachment
// bytes in `files/` (0700, one 0600 file per attachment id), in the sandbox home (see
// sandbox_home.ts). testing/ stands alone, so its few file helpers live here.
import { sandboxWorldPath } from "./sandbox_home.ts";
import { assertWorld, type SavedWorld } from "./_world.ts";

/** Creates `dir` (and parents) 0700. */
export function ensurePrivateDir(dir: string): void {
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  Deno.chmodSync(dir, 0o700);
}

/** Writes `data` to `path` atomically (temp file beside it, then rename), mode 0600. */
function writePrivate(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    if (typeof data === "string") Deno.writeTextFileSync(tmp, data, { mode: 0o600 });
    else Deno.writeFileSync(tmp, data, { mode: 0o600 });
    Deno.chmodSync(tmp, 0o600);
    Deno.renameSync(tmp, path);
  } catch (err) {
    try {
      Deno.removeSync(tmp);
    } catch {
      // never written
    }
    throw err;
  }
}

function filesDir(home: string): string {
  return `${home}/files`;
}

/**
 * Reads the world saved in a sandbox home.
 *
 * @returns The world, or `undefined` when none was saved.
 * @throws {Error} When `world.json` cannot be read or is not a saved world (the message names
 *   the file and says that `--fresh` starts over).
 */
export function readWorld(home: string): SavedWorld | undefined {
  const path = sandboxWorldPath(home);
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw new Error(`Cannot read ${path}: ${(err as Error).message}`);
  }
  let world: unknown;
  try {
    const raw = JSON.parse(text);
    const ids: unknown = raw?.files;
    const files: Record<string, Uint8Array> = {};
    for (const id of Array.isArray(ids) ? ids : []) {
      if (typeof id !== "string" || !/^\d+$/.test(id)) continue;
      try {
        files[id] = Deno.readFileSync(`${filesDir(home)}/${id}`);
      } catch {
        // A lost attachment answers 404, as a deleted one does on Discord.
      }
    }
    world = { ...raw, files };
    assertWorld(world);
  } catch (err) {
    throw new Error(
      `${path} is not a saved sandbox world (${(err as Error).message}): ` +
        "move it away, or start over with --fresh",
    );
  }
  return world;
}

/**
 * Writes a world into a sandbox home: attachment bytes first (new ones only; those the world
 * no longer has are removed), then `world.json` atomically.
 */
export function writeWorld(home: string, world: SavedWorld): void {
  ensurePrivateDir(home);
  const dir = filesDir(home);
  ensurePrivateDir(dir);
  const have = new Set<string>();
  for (const entry of Deno.readDirSync(dir)) if (entry.isFile) have.add(entry.name);
  for (const [id, bytes] of Object.entries(world.files)) {
    if (!have.delete(id)) writePrivate(`${dir}/${id}`, bytes);
  }
  for (const gone of have) Deno.removeSync(`${dir}/${gone}`);
  const { files, ...rest } = world;
  writePrivate(sandboxWorldPath(home), JSON.stringify({ ...rest, files: Object.keys(files) }));
}

/** Saves a world a short while after each change, and at once on {@linkcode flush}. */
export class WorldSaver {
  readonly #save: () => void;
  readonly #onError: (err: Error) => void;
  readonly #delayMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param save Writes the world.
   * @param onError Told when a save fails (the next change tries again).
   * @param delayMs How long changes gather before a save.
   */
  constructor(save: () => void, onError: (err: Error) => void, delayMs = 250) {
    this.#save = save;
    this.#onError = onError;
    this.#delayMs = delayMs;
  }

  /** Saves within the delay (changes meanwhile join this save). */
  schedule(): void {
    if (this.#timer !== undefined) return;
    const timer = setTimeout(() => {
      this.#timer = undefined;
      this.#run();
    }, this.#delayMs);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /** Saves now (a scheduled save is done by this one). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#run();
  }

  #run(): void {
    try {
      this.#save();
    } catch (err) {
      this.#onError(err as Error);
    }
  }
}
