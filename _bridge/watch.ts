// Private: directory watches for the bridge's keepers of cards and receipts (no polling): one
// `Deno.watchFs` per directory, shared by everyone interested in it, closed with the last one.
// A directory that does not exist yet is watched through its nearest existing ancestor (up to
// `stopAt`) until it appears.
import { closedWatcher } from "../_shared/fs.ts";
import type { Logger } from "../log.ts";

/** Told the names of the files that changed in a watched directory. */
export type OnChange = (names: ReadonlySet<string>) => void;

interface Watch {
  listeners: Set<OnChange>;
  watcher?: Deno.FsWatcher;
  /** The ancestor watched while the directory does not exist. */
  waiting?: () => void;
}

/** Watches directories; `close()` ends every watch. */
export class DirWatches {
  readonly #log: Logger;
  readonly #watches = new Map<string, Watch>();
  #closed = false;

  /** @param log Where a watch that fails is logged. */
  constructor(log: Logger) {
    this.#log = log;
  }

  /**
   * Calls `onChange` with the names of files created, changed or removed in `dir`.
   *
   * @param dir An absolute directory (it may not exist yet).
   * @param onChange The listener.
   * @param stopAt An ancestor of `dir` that exists: while `dir` does not, the way down from it
   *   is watched. Default: `dir`'s parent.
   * @returns A function that ends this listener's interest.
   * @throws {Deno.errors.NotCapable} Without read permission on `dir`.
   */
  watch(dir: string, onChange: OnChange, stopAt?: string): () => void {
    let w = this.#watches.get(dir);
    if (w === undefined) {
      w = { listeners: new Set() };
      this.#watches.set(dir, w);
      try {
        this.#open(dir, w, stopAt ?? parentOf(dir));
      } catch (err) {
        this.#watches.delete(dir);
        throw err;
      }
    }
    w.listeners.add(onChange);
    const watch = w;
    return () => {
      watch.listeners.delete(onChange);
      if (watch.listeners.size > 0 || this.#watches.get(dir) !== watch) return;
      this.#watches.delete(dir);
      this.#end(watch);
    };
  }

  /** Ends every watch. */
  close(): void {
    this.#closed = true;
    for (const w of this.#watches.values()) this.#end(w);
    this.#watches.clear();
  }

  #end(w: Watch): void {
    w.waiting?.();
    try {
      w.watcher?.close();
    } catch (err) {
      if (!(err instanceof Deno.errors.BadResource)) throw err;
    }
  }

  #open(dir: string, w: Watch, stopAt: string): void {
    if (this.#closed) return;
    let watcher: Deno.FsWatcher;
    try {
      watcher = Deno.watchFs(dir, { recursive: false });
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound) || dir === stopAt || dir === "/") throw err;
      // Not there yet: wait for it where the way down to it starts.
      w.waiting = this.watch(parentOf(dir), (names) => {
        if (!names.has(dir.slice(dir.lastIndexOf("/") + 1))) return;
        w.waiting?.();
        delete w.waiting;
        if (this.#watches.get(dir) !== w) return;
        try {
          this.#open(dir, w, stopAt);
          for (const fn of [...w.listeners]) fn(new Set([""]));
        } catch (err) {
          this.#log.warn(`cannot watch ${dir}: ${err}`);
        }
      }, stopAt);
      return;
    }
    w.watcher = watcher;
    (async () => {
      try {
        for await (const event of watcher) {
          const names = new Set(event.paths.map((p) => p.slice(p.lastIndexOf("/") + 1)));
          for (const fn of [...w.listeners]) {
            try {
              fn(names);
            } catch (err) {
              this.#log.error(`a watch of ${dir} failed`, err);
            }
          }
        }
      } catch (err) {
        if (!closedWatcher(err)) this.#log.error(`watching ${dir} stopped`, err);
      }
    })();
  }
}

function parentOf(dir: string): string {
  const cut = dir.replace(/\/+$/, "").lastIndexOf("/");
  return cut <= 0 ? "/" : dir.slice(0, cut);
}
