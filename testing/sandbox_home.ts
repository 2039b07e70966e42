/**
 * Where `deno task sandbox` keeps itself between runs, so that a project set up against one
 * run still works after a restart (same token, ids, webhook URLs, API URL and history).
 *
 * | path | what |
 * |---|---|
 * | `$CLAUDE_DISCORD_SANDBOX_HOME`, else `~/.claude/discord-sandbox` | the sandbox home (0700) |
 * | `<home>/world.json` | the local Discord's world: token, users, guild, channels, threads, messages, webhooks, reactions, ids, ports (0600) |
 * | `<home>/files/` | attachment bytes, one file per attachment id (0700, files 0600) |
 * | `<home>/state/` | the state directory (`CLAUDE_DISCORD_HOME`) of the sandbox's bridge and of every project set up against the sandbox (0700) |
 *
 * `deno task sandbox --fresh` removes the home and starts over.
 *
 * This module imports nothing, so status and doctor can find the sandbox without loading the
 * local server.
 *
 * @example Find the sandbox's state directory
 * ```ts
 * import assert from "node:assert/strict";
 * import { sandboxHome, sandboxStateDir } from "./sandbox_home.ts";
 *
 * assert.equal(sandboxHome({ HOME: "/home/ada" }), "/home/ada/.claude/discord-sandbox");
 * assert.equal(sandboxStateDir("/home/ada/.claude/discord-sandbox"), "/home/ada/.claude/discord-sandbox/state");
 * ```
 *
 * @module
 */

/** The env var that moves the sandbox home. */
export const SANDBOX_HOME_ENV = "CLAUDE_DISCORD_SANDBOX_HOME";

/**
 * The sandbox home: `$CLAUDE_DISCORD_SANDBOX_HOME`, else `$HOME/.claude/discord-sandbox`.
 *
 * @param env The environment to read (default: the process's; needs `--allow-env` for both names).
 * @returns An absolute path without a trailing slash.
 * @throws {Error} When neither variable is set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sandboxHome } from "./sandbox_home.ts";
 *
 * assert.equal(sandboxHome({ CLAUDE_DISCORD_SANDBOX_HOME: "/tmp/box/", HOME: "/h" }), "/tmp/box");
 * ```
 */
export function sandboxHome(
  env: Record<string, string | undefined> = {
    [SANDBOX_HOME_ENV]: Deno.env.get(SANDBOX_HOME_ENV),
    HOME: Deno.env.get("HOME"),
  },
): string {
  const explicit = env[SANDBOX_HOME_ENV]?.trim();
  if (explicit) return explicit.replace(/(.)\/+$/, "$1");
  const home = env.HOME?.trim();
  if (!home) {
    throw new Error(
      `Neither ${SANDBOX_HOME_ENV} nor HOME is set: set ${SANDBOX_HOME_ENV} to a directory for the sandbox`,
    );
  }
  return `${home.replace(/\/+$/, "")}/.claude/discord-sandbox`;
}

/**
 * The state directory inside a sandbox home: `CLAUDE_DISCORD_HOME` of the sandbox's bridge
 * and of the projects set up against the sandbox (config.json, mailboxes, logs).
 *
 * @param home The sandbox home (default: {@linkcode sandboxHome}).
 * @returns `<home>/state`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sandboxStateDir } from "./sandbox_home.ts";
 *
 * assert.equal(sandboxStateDir("/srv/box"), "/srv/box/state");
 * ```
 */
export function sandboxStateDir(home: string = sandboxHome()): string {
  return `${home}/state`;
}

/**
 * The file holding the local Discord's world inside a sandbox home.
 *
 * @param home The sandbox home.
 * @returns `<home>/world.json`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sandboxWorldPath } from "./sandbox_home.ts";
 *
 * assert.equal(sandboxWorldPath("/srv/box"), "/srv/box/world.json");
 * ```
 */
export function sandboxWorldPath(home: string): string {
  return `${home}/world.json`;
}
