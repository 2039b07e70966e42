// Private: Discord snowflakes: ordering, and conversion to and from time.

/**
 * Compares two snowflakes numerically.
 *
 * @param a A snowflake.
 * @param b Another.
 * @returns Negative, zero or positive, as for `Array.prototype.sort`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareIds } from "./snowflake.ts";
 * assert(compareIds("9", "10") < 0);
 * ```
 */
export function compareIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The snowflake of a moment (the smallest id Discord could give at that time).
 *
 * @param ms Milliseconds since the Unix epoch.
 * @returns The snowflake, as a decimal string.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { snowflakeAt, timeOfSnowflake } from "./snowflake.ts";
 * const t = Date.UTC(2025, 0, 1);
 * assert(timeOfSnowflake(snowflakeAt(t)) === t);
 * ```
 */
export function snowflakeAt(ms: number): string {
  return ((BigInt(Math.max(0, Math.floor(ms) - DISCORD_EPOCH))) << 22n).toString();
}

/**
 * The creation time of a snowflake.
 *
 * @param id A snowflake.
 * @returns Milliseconds since the Unix epoch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timeOfSnowflake } from "./snowflake.ts";
 * assert(timeOfSnowflake("175928847299117063") === 1462015105796);
 * ```
 */
export function timeOfSnowflake(id: string): number {
  return Number(BigInt(id) >> 22n) + DISCORD_EPOCH;
}

const DISCORD_EPOCH = 1420070400000;
