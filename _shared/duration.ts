// Private: a duration in the short form the STATUS posts and the session cards show.

/**
 * Formats a duration: `42s`, `3m 05s`, `2h 03m`, `1d 02h` (two units at most, rounded down).
 *
 * @param ms A duration (negative counts as 0).
 * @returns It in words.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDuration } from "./duration.ts";
 * assert.equal(formatDuration(42_000), "42s");
 * assert.equal(formatDuration(185_000), "3m 05s");
 * assert.equal(formatDuration(93_600_000), "1d 02h");
 * ```
 */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${pad(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86400)}d ${pad(Math.floor(s / 3600) % 24)}h`;
}
