// Private: wait until a condition on a file holds, woken by Deno.watchFs on its directory,
// with a slow periodic re-check in case a file event is lost (e.g. inotify overflow).
import { closedWatcher } from "../_shared/fs.ts";

/** Options of {@linkcode waitForChange}. */
export interface WaitForChangeOptions {
  /** Stops waiting (resolves `false`). */
  signal?: AbortSignal;
  /** Gives up after this many ms (resolves `false`). */
  timeoutMs: number;
  /** Re-checks this often even without a file event. */
  recheckMs: number;
  /** The condition; checked once after the watcher started, then on each wake-up. */
  ready: () => Promise<boolean>;
}

/**
 * Resolves `true` as soon as `ready()` does, `false` on timeout or abort.
 *
 * @param dir The directory to watch (not recursively).
 * @param suffix Only events on paths ending with this (e.g. `/name.jsonl`) wake the check.
 * @param options Condition, timeout, abort signal, re-check interval.
 */
export async function waitForChange(
  dir: string,
  suffix: string,
  options: WaitForChangeOptions,
): Promise<boolean> {
  const watcher = Deno.watchFs(dir, { recursive: false });
  let settled = false;
  let wake: () => void = () => {};
  const stop = () => {
    settled = true;
    wake();
    watcher.close(); // closing twice is harmless
  };
  const timer = setTimeout(stop, Math.max(0, options.timeoutMs));
  const recheck = setInterval(() => wake(), options.recheckMs);
  options.signal?.addEventListener("abort", stop, { once: true });
  // Consume file events in the background; each relevant one (or a re-check tick) wakes
  // the loop below, which evaluates the condition itself.
  let dirty = true;
  const pump = (async () => {
    try {
      for await (const event of watcher) {
        if (event.paths.some((p) => p.endsWith(suffix))) {
          dirty = true;
          wake();
        }
      }
    } catch (err) {
      if (!closedWatcher(err)) throw err;
    }
  })();
  try {
    while (!settled) {
      // Checking after the watcher started means no change can slip in unseen.
      dirty = false;
      if (await options.ready()) return true;
      if (settled) break;
      if (!dirty) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = () => {};
      }
    }
    return false;
  } finally {
    clearTimeout(timer);
    clearInterval(recheck);
    options.signal?.removeEventListener("abort", stop);
    stop();
    await pump;
  }
}
