/**
 * The domain error family of claude-discord.
 *
 * Library code throws these (or built-in errors for bad arguments); only a
 * script's `main()` turns them into a printed line and an exit code.
 *
 * @example Catch a configuration problem
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConfigError, ClaudeDiscordError } from "./errors.ts";
 *
 * try {
 *   throw new ConfigError("DISCORD_CHANNEL_ID is not a Discord id: set it to the channel's numeric id");
 * } catch (err) {
 *   assert(err instanceof ClaudeDiscordError);
 * }
 * ```
 *
 * @module
 */

/** Base class of every error this package throws on purpose. */
export class ClaudeDiscordError extends Error {
  /**
   * Creates the error.
   *
   * @param message One sentence that names the problem and the fix.
   * @param options The standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A setting (env var or config file) is missing or malformed. Scripts exit 2 on it. */
export class ConfigError extends ClaudeDiscordError {}

/** Discord (or the local server) answered with an error or could not be reached. */
export class DiscordApiError extends ClaudeDiscordError {
  /** HTTP status, or 0 when no answer arrived. */
  readonly status: number;
  /** Discord's JSON error code (e.g. 10003 Unknown Channel), when given. */
  readonly code: number | undefined;

  /**
   * Creates the error.
   *
   * @param message One sentence that names the problem and the fix.
   * @param status HTTP status (0 = no answer).
   * @param code Discord's JSON error code, if any.
   * @param options The standard error options (`cause`).
   */
  constructor(message: string, status: number, code?: number, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
    this.code = code;
  }
}

/** A state file is damaged or a lock could not be taken. */
export class StateError extends ClaudeDiscordError {}

/** The command line is malformed (unknown option, bad value). Scripts exit 2 on it. */
export class UsageError extends ClaudeDiscordError {}

/** The exit code of a script whose command line or configuration is wrong. */
export const EXIT_USAGE = 2;

/** The exit code of a script that failed for any other reason. */
export const EXIT_FAILURE = 1;

/**
 * The exit code every script (`bridge.ts`, `setup.ts`, `notify.ts`, `mcp.ts`, `testing/`'s
 * `server.ts` and `sandbox.ts`) ends with on an error: {@linkcode EXIT_USAGE} for a
 * {@linkcode UsageError} or a {@linkcode ConfigError}, {@linkcode EXIT_FAILURE} for anything
 * else. The hooks keep their own rule: they exit 0 whatever happens.
 *
 * @param err Anything thrown.
 * @returns 2 or 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConfigError, DiscordApiError, exitCodeOf, UsageError } from "./errors.ts";
 *
 * assert.equal(exitCodeOf(new UsageError("Unknown option --bogus: see --help")), 2);
 * assert.equal(exitCodeOf(new ConfigError("DISCORD_BOT_TOKEN is not set: run setup")), 2);
 * assert.equal(exitCodeOf(new DiscordApiError("Discord is unreachable", 0)), 1);
 * assert.equal(exitCodeOf(new Error("disk full")), 1);
 * ```
 */
export function exitCodeOf(err: unknown): typeof EXIT_USAGE | typeof EXIT_FAILURE {
  return err instanceof UsageError || err instanceof ConfigError ? EXIT_USAGE : EXIT_FAILURE;
}
