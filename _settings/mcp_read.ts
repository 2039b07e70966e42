// Private: what the MCP server may read (settings.ts `mcpConfig`): the state directory,
// config.json `allowedFilePaths`, and the project directory the server is started in, which only
// the shell that starts it knows. The server checks every file itself (_mcp/file_access.ts); this
// is the second wall.

/**
 * The script `/bin/sh -c` runs for the MCP server: it adds the directory Claude Code starts the
 * server in (the project; its path as given and with symlinks resolved) to the `--allow-read=`
 * argument, then becomes Deno (`exec`, so the server keeps the process's place under Claude
 * Code). A settings file in user scope serves every project, so that directory is only known
 * here. A path holding a comma is left out (Deno's flag splits on commas). No `${…}`: Claude
 * Code expands those in MCP arguments.
 */
export const MCP_PROJECT_READ: string = [
  "l=$PWD",
  "cd -P . && p=$PWD || p=",
  '[ "$p" = "$l" ] && p=',
  "for a do shift",
  "case $a in --allow-read=*) " +
  'for d in "$l" "$p"; do case $d in *,*) ;; /*) a=$a,$d ;; esac; done ;; esac',
  'set -- "$@" "$a"',
  "done",
  'exec "$@"',
].join("; ");

/**
 * What the MCP server may read besides its project directory: the state directory and
 * `allowedFilePaths` (as given and, when they exist, with symlinks resolved). The server checks
 * every file itself (real paths; never the state directory, nor a secret); this flag is the
 * second wall.
 *
 * @param options The state directory and the configured paths.
 * @returns Absolute paths, without duplicates; those holding a comma are left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mcpReadPaths } from "../settings.ts";
 * assert.deepEqual(mcpReadPaths({ home: "/h", allowedFilePaths: ["/nowhere/shared"] }), [
 *   "/h",
 *   "/nowhere/shared",
 * ]);
 * ```
 */
export function mcpReadPaths(options: { home: string; allowedFilePaths?: string[] }): string[] {
  const paths = new Set([options.home]);
  for (const path of options.allowedFilePaths ?? []) {
    paths.add(path);
    try {
      paths.add(Deno.realPathSync(path));
    } catch (err) {
      // Not there (yet), or not ours to resolve: the path as given.
      if (
        !(err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory ||
          err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.NotCapable)
      ) throw err;
    }
  }
  return [...paths].filter((p) => !p.includes(","));
}
