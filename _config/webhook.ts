// Private: a webhook URL's parts (config.ts re-exports these).
import { ConfigError } from "../errors.ts";
import { isSnowflake } from "./ids.ts";

/** The parts of a webhook URL. */
export interface WebhookParts {
  /** The webhook id. */
  id: string;
  /** The webhook token (secret). */
  token: string;
  /** The REST base in front of `/webhooks/…`, e.g. `https://discord.com/api` or `…/api/v10`. */
  base: string;
}

/**
 * Splits a webhook URL into id, token and base, or throws a ConfigError.
 *
 * @param url `…/webhooks/{id}/{token}`.
 * @param name The setting's name for the error message.
 * @returns The parts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseWebhookUrl } from "../config.ts";
 * const w = parseWebhookUrl("https://discord.com/api/webhooks/1100000000000000001/abc_DEF-1");
 * assert(w.id === "1100000000000000001" && w.base === "https://discord.com/api");
 * ```
 */
export function parseWebhookUrl(url: string, name = "DISCORD_WEBHOOK_URL"): WebhookParts {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    throw new ConfigError(
      `${name} is not a URL: copy the webhook URL from Channel Settings > Integrations > Webhooks`,
      { cause: err },
    );
  }
  const m = parsed.pathname.match(/^(.*)\/webhooks\/([0-9]+)\/([A-Za-z0-9_.-]+)\/?$/);
  if (
    !(parsed.protocol === "https:" || parsed.protocol === "http:") || !m || !isSnowflake(m[2])
  ) {
    throw new ConfigError(
      `${name} does not have the shape …/webhooks/{id}/{token}: copy the webhook URL from Channel Settings > Integrations > Webhooks`,
    );
  }
  return { id: m[2], token: m[3], base: `${parsed.origin}${m[1]}` };
}
