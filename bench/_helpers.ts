// Private: what the benchmarks share: printing their figures once at exit, a local Discord
// with one registered session, waiting on a condition, running a figure-producing bench once,
// and the statistics they report.
import { SessionRegistry } from "../sessions.ts";
import { type DiscordServer, startDiscordServer } from "../testing/mod.ts";

/**
 * Collects result lines and prints them under `title` when the process exits (deno bench
 * prints its own table; these are the figures it cannot show).
 *
 * @param title The heading.
 * @returns The list to push lines into.
 */
export function reportAtExit(title: string): string[] {
  const lines: string[] = [];
  addEventListener("unload", () => {
    if (lines.length > 0) console.log(`\n${title}\n  ${lines.join("\n  ")}`);
  });
  return lines;
}

/**
 * A local Discord without rate limits or the spec check (benchmarks time the project) and a
 * temporary state directory with one live session, `s1`.
 *
 * @param prefix The temporary directory's prefix.
 * @returns The server and the state directory.
 */
export async function benchWorld(prefix: string): Promise<{ server: DiscordServer; home: string }> {
  const server = await startDiscordServer({ port: 0, rateLimits: false, checkResponses: false });
  const home = await Deno.makeTempDir({ prefix });
  await new SessionRegistry(home).register({ id: "s1", cwd: "/bench/s1", pid: Deno.pid });
  return { server, home };
}

/**
 * Waits until `check` holds, looking every `everyMs`.
 *
 * @param what Named in the error.
 * @param check The condition.
 * @param ms How long it may take.
 * @param everyMs How often to look. Default 5 ms.
 * @throws {Error} When it does not hold in time.
 */
export async function until(
  what: string,
  check: () => boolean,
  ms: number,
  everyMs = 5,
): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * `fn` run at most once however often deno bench calls it (it may call a function more than
 * once even with `n: 1`, and the figures need one run).
 *
 * @param fn The benchmark body.
 * @returns A function that runs it once and then returns the same promise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { once } from "./_helpers.ts";
 * let runs = 0;
 * const f = once(async () => { runs++; });
 * await f();
 * await f();
 * assert.equal(runs, 1);
 * ```
 */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let run: Promise<void> | undefined;
  return async () => await (run ??= fn());
}

/**
 * The `p`th percentile (nearest rank) of `values`.
 *
 * @param values The samples, in any order.
 * @param p From 0 to 100.
 * @returns The sample at that rank.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { median, percentile } from "./_helpers.ts";
 * assert.equal(percentile([5, 1, 4, 2, 3], 99), 5);
 * assert.equal(percentile([5, 1, 4, 2, 3], 40), 2);
 * assert.equal(median([5, 1, 4, 2, 3]), 3);
 * ```
 */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * The median of `values` (the upper one of an even count).
 *
 * @param values The samples, in any order.
 * @returns The middle sample.
 */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
