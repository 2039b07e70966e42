// Private: the REST base `DISCORD_API_URL` names (config.ts re-exports these).
import { ConfigError } from "../errors.ts";

/** The default REST base (without the `/v10` version). */
export const DEFAULT_API_URL = "https://discord.com/api";

/**
 * The REST base `DISCORD_API_URL` names, normalised: no version, no trailing slash; Discord's
 * when unset.
 *
 * @param value The setting (env var, config file or flag).
 * @param name The setting's name for the error message (`--api-url` for setup's flag).
 * @returns The base, e.g. `https://discord.com/api`.
 * @throws {ConfigError} When it is not an http(s) URL.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseApiUrl } from "../config.ts";
 * assert.equal(parseApiUrl("http://127.0.0.1:8123/api/v10/"), "http://127.0.0.1:8123/api");
 * assert.equal(parseApiUrl(undefined), "https://discord.com/api");
 * ```
 */
export function parseApiUrl(value: unknown, name = "DISCORD_API_URL"): string {
  if (value === undefined || value === null || value === "") return DEFAULT_API_URL;
  const url = URL.parse(String(value));
  if (!url || !(url.protocol === "http:" || url.protocol === "https:")) {
    throw new ConfigError(
      `${name} is not an http(s) URL: ${
        name.startsWith("--") ? "leave it out" : "unset it"
      } for Discord, or use e.g. http://127.0.0.1:PORT/api`,
    );
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, "").replace(/\/v[0-9]+$/, "");
}
