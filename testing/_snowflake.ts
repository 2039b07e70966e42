// Discord snowflakes: (ms since 2015-01-01) << 22 | worker << 17 | process << 12 | increment.

/** Discord's epoch (2015-01-01T00:00:00.000Z) in Unix milliseconds. */
export const DISCORD_EPOCH = 1420070400000;

/** A function that returns a fresh snowflake string on every call. */
export type SnowflakeFactory = () => string;

/**
 * Makes a snowflake generator. Ids are strictly increasing even when the clock
 * stands still or steps back (the increment carries into the timestamp), and
 * greater than `after` when given (a restored world goes on after its last id).
 */
export function createSnowflakeFactory(
  now: () => number = Date.now,
  after?: string,
): SnowflakeFactory {
  let last = after === undefined ? 0n : BigInt(after);
  return () => {
    let id = (BigInt(Math.max(0, Math.floor(now()) - DISCORD_EPOCH)) << 22n) | (1n << 17n) |
      (1n << 12n);
    if (id <= last) id = last + 1n;
    last = id;
    return id.toString();
  };
}

/** The Unix millisecond timestamp encoded in a snowflake. */
export function snowflakeTime(id: string): number {
  return Number(BigInt(id) >> 22n) + DISCORD_EPOCH;
}

/** Whether `value` looks like a Discord snowflake (17–20 decimal digits). */
export function isSnowflake(value: unknown): value is string {
  return typeof value === "string" && /^\d{17,20}$/.test(value);
}

/** Compares two snowflakes numerically (for sorting). */
export function compareSnowflakes(a: string, b: string): number {
  const x = BigInt(a), y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
