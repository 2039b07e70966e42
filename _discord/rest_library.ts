// Private: loading the REST library this package uses (@discordjs/rest, wrapped by rest.ts).
import type * as Lib from "@discordjs/rest";
import { REST_LIBRARY } from "./rest_env.ts";

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
