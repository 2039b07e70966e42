// Private: the configuration's rules about files: which paths `send_file` may read besides the
// project (config.json `allowedFilePaths`), and whether config.json itself is private.
import { ConfigError } from "../errors.ts";

/**
 * Checks config.json `allowedFilePaths`: a list of absolute paths (`~/…` expanded with
 * `homeDir`), without duplicates.
 *
 * @param value The key's value.
 * @param homeDir `HOME`, for `~/…`.
 * @returns The paths.
 * @throws {ConfigError} One sentence naming the fix for anything else.
 */
export function parseAllowedFilePaths(value: unknown, homeDir: string | undefined): string[] {
  const fix = "list absolute paths (or ~/…) in it, or remove it";
  if (!Array.isArray(value)) {
    throw new ConfigError(`config.json allowedFilePaths must be a list of paths: ${fix}`);
  }
  const paths: string[] = [];
  for (const item of value) {
    let path = typeof item === "string" ? item.trim() : "";
    if (path === "~" || path.startsWith("~/")) {
      if (!homeDir?.trim()) {
        throw new ConfigError(
          `config.json allowedFilePaths has ${path}, but HOME is not set: write it as an absolute path`,
        );
      }
      path = homeDir.trim().replace(/\/+$/, "") + path.slice(1);
    }
    if (!path.startsWith("/")) {
      throw new ConfigError(
        `config.json allowedFilePaths has ${JSON.stringify(item)}, not an absolute path: ${fix}`,
      );
    }
    paths.push(path);
  }
  return [...new Set(paths)];
}

/**
 * Tells whether `$home/config.json` is open to other users: it holds the bot token and decides
 * who may steer the agents, so it must be 0600 (setup writes it so and fixes it).
 *
 * @param home The state directory.
 * @returns One sentence naming the file, its mode and the fix, or `undefined` when it is
 *   private (or absent, or its mode cannot be read).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { configFileExposure } from "../config.ts";
 * const home = Deno.makeTempDirSync();
 * Deno.writeTextFileSync(`${home}/config.json`, "{}", { mode: 0o600 });
 * Deno.chmodSync(`${home}/config.json`, 0o600);
 * assert(configFileExposure(home) === undefined);
 * Deno.chmodSync(`${home}/config.json`, 0o644);
 * assert.match(configFileExposure(home) ?? "", /mode 0644.*chmod 600/);
 * ```
 */
export function configFileExposure(home: string): string | undefined {
  const path = `${home.replace(/\/+$/, "")}/config.json`;
  let mode: number | null;
  try {
    mode = Deno.statSync(path).mode;
  } catch (err) {
    // Absent, or not ours to look at: nothing to tell.
    if (
      err instanceof Deno.errors.NotFound || err instanceof Deno.errors.PermissionDenied ||
      err instanceof Deno.errors.NotCapable
    ) return undefined;
    throw err;
  }
  if (mode === null || (mode & 0o077) === 0) return undefined;
  const octal = (mode & 0o777).toString(8).padStart(4, "0");
  const who = (mode & 0o022) !== 0 ? "readable or writable" : "readable";
  return `${path} is ${who} by other users (mode ${octal}) and holds the bot token: run chmod 600 ${path}`;
}
