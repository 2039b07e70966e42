// Private: waiting that an AbortSignal can cut short.

/**
 * Resolves after `ms`, or as soon as `signal` aborts (at once when it already has).
 *
 * @param ms How long to wait.
 * @param signal Ends the wait early.
 * @returns A promise that never rejects.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sleep } from "./sleep.ts";
 * const stop = new AbortController();
 * const t0 = Date.now();
 * setTimeout(() => stop.abort(), 10);
 * await sleep(10_000, stop.signal);
 * assert(Date.now() - t0 < 5_000);
 * await sleep(10_000, stop.signal); // already aborted: at once
 * assert(Date.now() - t0 < 5_000);
 * ```
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
