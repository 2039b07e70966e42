// Private: reading environment variables under Deno's permissions.

/**
 * Reads the named environment variables; one the process may not read (no `--allow-env`
 * for it) is unset, like one that is not there.
 *
 * @param names The variables.
 * @returns Each name with its value, or `undefined`.
 * @throws {TypeError} For a name Deno refuses (empty, or holding `=` or NUL).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readEnv } from "./env.ts";
 * Deno.env.set("CLAUDE_DISCORD_EXAMPLE", "1");
 * assert.deepEqual(readEnv(["CLAUDE_DISCORD_EXAMPLE"]), { CLAUDE_DISCORD_EXAMPLE: "1" });
 * ```
 */
export function readEnv(names: readonly string[]): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const name of names) {
    try {
      env[name] = Deno.env.get(name);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotCapable)) throw err;
      env[name] = undefined;
    }
  }
  return env;
}
