// Private: what a Discord id and a bot token look like (config.ts re-exports these).

const SNOWFLAKE = /^[0-9]{15,21}$/;

/**
 * Tells whether `value` looks like a Discord snowflake id.
 *
 * @param value The string to test.
 * @returns `true` for 15–21 decimal digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isSnowflake } from "../config.ts";
 * assert(isSnowflake("1100000000000000001"));
 * assert(!isSnowflake("general"));
 * ```
 */
export function isSnowflake(value: unknown): value is string {
  return typeof value === "string" && SNOWFLAKE.test(value);
}

/**
 * Tells whether `token` has the shape of a bot token: `base64(<numeric id>).x.y`.
 *
 * @param token The candidate token.
 * @returns `true` when the first part decodes to a numeric id and three parts are present.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isBotTokenShape } from "../config.ts";
 * assert(isBotTokenShape(btoa("1100000000000000001") + ".GxYz12.abcdefghijklmnop"));
 * assert(!isBotTokenShape("hunter2"));
 * ```
 */
export function isBotTokenShape(token: string): boolean {
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+=*$/.test(p))) return false;
  return botIdFromToken(token) !== undefined;
}

/**
 * A bot token as often pasted, without the `Bot ` of the HTTP Authorization header (the REST
 * client adds that word itself) and surrounding spaces.
 *
 * @param token The token as given.
 * @returns The token alone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withoutBotPrefix } from "../config.ts";
 * assert.equal(withoutBotPrefix(" Bot MTEx.a.b "), "MTEx.a.b");
 * assert.equal(withoutBotPrefix("MTEx.a.b"), "MTEx.a.b");
 * ```
 */
export function withoutBotPrefix(token: string): string {
  return token.trim().replace(/^Bot\s+/i, "");
}

/**
 * Extracts the bot's user id from a bot token, or `undefined` if it is not one.
 *
 * @param token A bot token.
 * @returns The numeric id encoded in the token's first part.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { botIdFromToken } from "../config.ts";
 * assert(botIdFromToken(btoa("1100000000000000001") + ".a.b") === "1100000000000000001");
 * ```
 */
export function botIdFromToken(token: string): string | undefined {
  const first = token.split(".")[0] ?? "";
  try {
    let b64 = first.replaceAll("-", "+").replaceAll("_", "/");
    while (b64.length % 4) b64 += "=";
    const id = atob(b64);
    return isSnowflake(id) ? id : undefined;
  } catch (err) {
    if (err instanceof DOMException && err.name === "InvalidCharacterError") return undefined;
    throw err;
  }
}
