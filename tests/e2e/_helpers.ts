// What every e2e test file starts with, and what several of them script: the pinned Claude Code
// CLI (or one SKIP line saying why the file's tests are ignored), the "say hi through Bash"
// model turn and a world around it, and a held Discord message.
import type { InboxEvent } from "../../inbox.ts";
import {
  type AnthropicScript,
  type AnthropicServer,
  countToolResults,
  startAnthropicServer,
  text,
  toolUse,
} from "../../testing/anthropic.ts";
import { type DiscordServer, startDiscordServer } from "../../testing/mod.ts";
import { message } from "../_fixture.ts";
import { type ClaudeSandbox, createClaudeSandbox, locateClaude } from "./_claude.ts";

/** The CLI an e2e test file runs, or `ignore` when it is not available here. */
export interface E2eCli {
  /** The CLI's path ("" when ignored: the tests do not run). */
  path: string;
  /** Whether the file's tests are ignored (the reason was printed once). */
  ignore: boolean;
}

/**
 * Locates the pinned CLI for the test file at `moduleUrl` (its `import.meta.url`); when it is
 * missing, prints `SKIP <file>: …` once and returns `ignore: true`.
 */
export async function claudeForTests(moduleUrl: string): Promise<E2eCli> {
  const cli = await locateClaude();
  if (cli.path !== undefined) return { path: cli.path, ignore: false };
  const file = new URL(moduleUrl).pathname.split("/").at(-1)!.replace(/\.ts$/, "");
  console.warn(`SKIP ${file}: the Claude Code CLI is not available: ${cli.skip}`);
  return { path: "", ignore: true };
}

/** The model runs `echo hi` through Bash once, then answers "Done.". */
export const sayHiThenDone: AnthropicScript = (request) =>
  countToolResults(request) === 0
    ? toolUse("Bash", { command: "echo hi", description: "Say hi" })
    : text("Done.");

/** Project settings that let `echo` run without a permission prompt. */
export const ALLOW_ECHO: { permissions: { allow: string[] } } = {
  permissions: { allow: ["Bash(echo:*)"] },
};

/** A local Discord, a model that says hi through Bash, and a CLI sandbox that allows it. */
export interface SayHiWorld extends AsyncDisposable {
  /** The local Discord (no rate limits). */
  discord: DiscordServer;
  /** The scripted model ({@linkcode sayHiThenDone}). */
  api: AnthropicServer;
  /** The CLI's sandbox: {@linkcode ALLOW_ECHO} settings, this Deno's cache. */
  box: ClaudeSandbox;
}

/** Starts a {@linkcode SayHiWorld} for the CLI at `cli`; disposing it stops all three. */
export async function sayHiWorld(cli: string): Promise<SayHiWorld> {
  await using stack = new AsyncDisposableStack();
  const discord = stack.use(await startDiscordServer({ port: 0, rateLimits: false }));
  const api = stack.use(await startAnthropicServer({ script: sayHiThenDone }));
  const box = stack.use(
    await createClaudeSandbox(cli, {
      apiUrl: api.url,
      settings: ALLOW_ECHO,
    }),
  );
  const owned = stack.move();
  return { discord, api, box, [Symbol.asyncDispose]: () => owned.disposeAsync() };
}

/** A message from the server's owner in its chat channel, as the bridge writes it. */
export function ownerMessage(discord: DiscordServer, id: string, content: string): InboxEvent {
  return message(content, {
    id,
    channelId: discord.channelId,
    author: { id: discord.ownerId, name: "owner" },
  });
}
