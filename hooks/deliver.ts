#!/usr/bin/env -S deno run --no-prompt --no-config --allow-read --allow-write
/**
 * The delivery hook of claude-discord on its own: the `deliver` role of `hooks/hook.ts`
 * (PostToolUse, PostToolUseFailure, UserPromptSubmit), with the same arguments, input and
 * output, as an entry point whose module graph holds nothing else.
 *
 * It runs on every tool call that finds mail (`hooks/fast.sh` starts Deno only then), and
 * Deno reads an entry point's whole module graph at start-up, including the modules behind
 * `hook.ts`'s dynamic role imports (Discord posting, the bridge daemon, permission
 * prompts): here they are not part of it, nor is config.ts (it needs `--home`). The
 * settings fragment (`settings.ts`) runs it bundled (`hooks/deliver.bundle.js`, generated
 * from this file) behind `hooks/fast.sh`, with `--allow-read` and `--allow-write` for the
 * state directory only (no env, no net), and `--event=<hook event>`; fast.sh adds
 * `--session=<id>` when Claude Code gave the id in `CLAUDE_CODE_SESSION_ID`, and then stdin
 * (after a tool call, the whole tool output) is not read at all.
 *
 * ```sh
 * echo '{"session_id":"abc","hook_event_name":"PostToolUse"}' |
 *   deno run --no-prompt --no-config --allow-read=$HOME/.claude/discord \
 *   --allow-write=$HOME/.claude/discord hooks/deliver.ts --home $HOME/.claude/discord
 * ```
 *
 * @example Nothing pending: no output
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./deliver.ts";
 * const home = Deno.makeTempDirSync();
 * const out: string[] = [];
 * const code = await main(["--home", home], {
 *   stdin: ReadableStream.from([
 *     new TextEncoder().encode('{"session_id":"s1","hook_event_name":"PostToolUse"}'),
 *   ]),
 *   out: (t) => out.push(t),
 * });
 * assert(code === 0 && out.length === 0);
 * ```
 *
 * @module
 */
import { deliverRole } from "./_deliver.ts";
import { type Entry, type MainDeps, runMain, runScript } from "./_main.ts";

export type { MainDeps };

const ENTRY: Entry = {
  name: "deliver.ts",
  summary: "The claude-discord delivery hook (the deliver role of hook.ts)",
  roles: ["deliver"],
  run: (_role, input, ctx) => deliverRole(input, ctx),
};

/**
 * The delivery hook's entry point: parses arguments and stdin, prints pending Discord
 * messages as `additionalContext`, never throws. An event other than PostToolUse,
 * PostToolUseFailure or UserPromptSubmit (and `--role` other than `deliver`) is logged and
 * ignored.
 *
 * @param args Command-line arguments: `--home` (required), `--timeout`, optionally
 *   `--role=deliver`, and `--session` with `--event` instead of the JSON on stdin.
 * @param deps Injectable stdin, env, clock and output (tests).
 * @returns The exit code (always 0).
 *
 * @example Garbage on stdin is logged and ignored
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./deliver.ts";
 * const home = Deno.makeTempDirSync();
 * const code = await main(["--home", home], {
 *   stdin: ReadableStream.from([new TextEncoder().encode("not json")]),
 *   out: () => { throw new Error("must not print"); },
 * });
 * assert(code === 0);
 * ```
 */
export function main(args: string[], deps: MainDeps = {}): Promise<number> {
  return runMain(ENTRY, args, deps);
}

if (import.meta.main) await runScript(main);
