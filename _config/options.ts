// Private: the tunables kept in config.json (no env var of their own), their defaults and their
// checks (config.ts re-exports `Options` and `DEFAULT_IDENTIFY_CAP`; `loadConfig` applies them).
import { ConfigError } from "../errors.ts";
import { parseAllowedFilePaths } from "./files.ts";
import { isSnowflake } from "./ids.ts";

/** Tunables kept in config.json (no env var of their own). */
export interface Options {
  /** Hours a message waits in the held box when no session is live. Default 24. */
  heldRetentionHours: number;
  /** Whether the Stop hook waits for a Discord message to wake an idle session. Default true. */
  wakeOnMessage: boolean;
  /** How long the Stop hook waits for such a message, in seconds. Default 3600. */
  wakeTimeoutSeconds: number;
  /** How long a permission prompt waits for an answer from Discord, in seconds. Default 300. */
  permissionTimeoutSeconds: number;
  /** User id mentioned on errors and waiting prompts; unset = no mention. */
  mentionUserId?: string;
  /** Most posts waiting in the outbox (all sessions); past it the oldest are dropped. Default 10,000. */
  outboxMaxPosts: number;
  /** Most bytes waiting in the outbox (all sessions); past it the oldest are dropped. Default 50 MiB. */
  outboxMaxBytes: number;
  /**
   * What the MCP server may send with `send_file` besides the session's project directory
   * (absolute paths, `~/…` expanded): a directory opens every file under it, except files whose
   * name marks a secret; a file opens that file, a secret-looking one included. The state
   * directory never opens. Default none.
   */
  allowedFilePaths: string[];
  /** Largest attachment the bridge downloads, in MiB. Default 8. */
  attachmentMaxFileMiB: number;
  /** Most attachment bytes the bridge downloads for one message, in MiB. Default 25. */
  attachmentMaxMessageMiB: number;
  /** Most bytes of a text attachment put into the delivered message, in KiB. Default 8. */
  attachmentInlineKiB: number;
  /** Days downloaded attachments are kept (counted from their message's time). Default 7. */
  attachmentRetentionDays: number;
  /**
   * Gateway IDENTIFYs this machine's bridge may send per 24 h before it stops connecting
   * (daemon.ts, the IDENTIFY budget). Default {@linkcode DEFAULT_IDENTIFY_CAP}.
   */
  identifyCap: number;
}

/**
 * Gateway IDENTIFYs one machine's bridge may send per 24 h (config.json `identifyCap`): a tenth
 * of the 1,000 Discord allows a token, so a bridge restarting in a loop on one machine stops
 * long before it would get the token reset.
 */
export const DEFAULT_IDENTIFY_CAP = 100;

/** The tunables when config.json sets none. */
export const DEFAULT_OPTIONS: Options = {
  heldRetentionHours: 24,
  wakeOnMessage: true,
  wakeTimeoutSeconds: 3600,
  permissionTimeoutSeconds: 300,
  outboxMaxPosts: 10_000,
  outboxMaxBytes: 50 * 1024 * 1024,
  allowedFilePaths: [],
  attachmentMaxFileMiB: 8,
  attachmentMaxMessageMiB: 25,
  attachmentInlineKiB: 8,
  attachmentRetentionDays: 7,
  identifyCap: DEFAULT_IDENTIFY_CAP,
};

/**
 * The tunables set in config.json, checked: each one present and valid, the others left out.
 *
 * @param file config.json's settings.
 * @param homeDir `HOME`, for `~/…` in `allowedFilePaths`.
 * @returns The tunables given.
 * @throws {ConfigError} One sentence naming the key and the fix for a bad value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validOptions } from "./options.ts";
 * assert.deepEqual(validOptions({ heldRetentionHours: 2 }, undefined), { heldRetentionHours: 2 });
 * assert.throws(() => validOptions({ identifyCap: 0 }, undefined), /identifyCap/);
 * ```
 */
export function validOptions(
  file: Partial<Options>,
  homeDir: string | undefined,
): Partial<Options> {
  const out: Partial<Options> = {};
  const num = (
    key:
      | "heldRetentionHours"
      | "wakeTimeoutSeconds"
      | "permissionTimeoutSeconds"
      | "attachmentMaxFileMiB"
      | "attachmentMaxMessageMiB"
      | "attachmentInlineKiB"
      | "attachmentRetentionDays",
  ) => {
    const v = file[key];
    if (v === undefined) return;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new ConfigError(`config.json ${key} must be a non-negative number: fix or remove it`);
    }
    out[key] = v;
  };
  num("heldRetentionHours");
  num("wakeTimeoutSeconds");
  num("permissionTimeoutSeconds");
  for (const key of ["outboxMaxPosts", "outboxMaxBytes"] as const) {
    const v = file[key];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
      throw new ConfigError(`config.json ${key} must be a positive whole number: fix or remove it`);
    }
    out[key] = v;
  }
  num("attachmentMaxFileMiB");
  num("attachmentMaxMessageMiB");
  num("attachmentInlineKiB");
  num("attachmentRetentionDays");
  if (file.identifyCap !== undefined) {
    const v = file.identifyCap;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 1000) {
      throw new ConfigError(
        "config.json identifyCap must be a whole number from 1 to 1000 (IDENTIFYs per 24 h): fix or remove it",
      );
    }
    out.identifyCap = v;
  }
  if (file.wakeOnMessage !== undefined) {
    if (typeof file.wakeOnMessage !== "boolean") {
      throw new ConfigError("config.json wakeOnMessage must be true or false: fix or remove it");
    }
    out.wakeOnMessage = file.wakeOnMessage;
  }
  if (file.mentionUserId !== undefined) {
    if (!isSnowflake(file.mentionUserId)) {
      throw new ConfigError(
        "config.json mentionUserId must be a Discord user id: fix or remove it",
      );
    }
    out.mentionUserId = file.mentionUserId;
  }
  if (file.allowedFilePaths !== undefined) {
    out.allowedFilePaths = parseAllowedFilePaths(file.allowedFilePaths, homeDir);
  }
  return out;
}
