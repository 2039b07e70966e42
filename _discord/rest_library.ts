// Private: the REST library this package loads (@discordjs/rest, wrapped by rest.ts), what its
// loading needs, and the loading itself. Small on purpose: _daemon/command.ts and settings.ts
// import it for the permissions of the processes that load the library, and the register hook
// loads the former.
import type * as Lib from "@discordjs/rest";

/** The REST library as loaded at run time: the version deno.json's `@discordjs/rest` pins. */
export const REST_LIBRARY = "npm:@discordjs/rest@2.6.3";

/**
 * Environment variables the REST library's dependencies (undici, …) read while it loads: a
 * process whose `--allow-env` leaves them out cannot load it (_daemon/command.ts, settings.ts grant them).
 */
export const REST_LIBRARY_ENV: readonly string[] = [
  "NODE_V8_COVERAGE",
  "UNDICI_NO_FG",
  "JEST_WORKER_ID",
];

let library: Promise<typeof Lib> | undefined;

/**
 * Loads the library once, at the first call of any client (rest.ts). Under Deno's `node`
 * export condition it imports undici: about 200 ms and 8 to 20 MiB, which importing rest.ts,
 * or a client that never calls, must not cost. The specifier is not a literal so that Deno
 * leaves the npm package out of the module graph of the entry points that can reach this file:
 * hooks/hook.ts runs on tool calls (the register role), and an npm package in its graph, even
 * one never imported, costs every start 10 to 20 ms. The hooks run with `--no-config`, hence
 * the full `npm:` specifier rather than deno.json's import map.
 */
export function loadRestLibrary(): Promise<typeof Lib> {
  const specifier: string = REST_LIBRARY;
  return library ??= import(specifier) as Promise<typeof Lib>;
}
