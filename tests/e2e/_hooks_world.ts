// The world of the hooks' end-to-end tests (hooks_e2e_test.ts, permission_e2e_test.ts): the
// local Discord, the scripted model, a sandbox of the REAL Claude Code CLI whose settings are
// exactly what `setup.ts --print` gives, and the bridge the hooks start.
import { writeConfigFile } from "../../config.ts";
import { readBridgeStatus, stopBridge } from "../../daemon.ts";
import { type SessionRecord, SessionRegistry } from "../../sessions.ts";
import {
  type AnthropicScript,
  type AnthropicServer,
  startAnthropicServer,
} from "../../testing/anthropic.ts";
import { type DiscordServer, type Message, startDiscordServer } from "../../testing/mod.ts";
import { assert, waitFor } from "../_assert.ts";
import { ROOT } from "../_fixture.ts";
import { type ClaudeSandbox, createClaudeSandbox } from "./_claude.ts";

/** A local Discord, a scripted model and a CLI sandbox with the settings setup prints. */
export interface World extends AsyncDisposable {
  discord: DiscordServer;
  api: AnthropicServer;
  box: ClaudeSandbox;
  /** CLAUDE_DISCORD_HOME. */
  home: string;
  registry: SessionRegistry;
  /** The one session the run registered. */
  session(): Promise<SessionRecord>;
  /** Resolves when the bridge (started by the hooks) is connected to the gateway. */
  bridgeConnected(): Promise<void>;
  /** Everything the hooks logged. */
  hookLog(): string;
}

/**
 * The world of a hooks end-to-end test: the hooks start the real bridge against the local
 * Discord; the config allows the owner.
 *
 * @param cliPath The Claude Code CLI.
 * @param script The model's script.
 * @param options Timeouts, and where the hooks and the bridge reach REST.
 * @returns The world; dispose it to stop everything.
 */
export async function world(
  cliPath: string,
  script: AnthropicScript,
  options: {
    wakeTimeoutSeconds?: number;
    permissionTimeoutSeconds?: number;
    /** Where the hooks and the bridge reach Discord's REST (a gate in front of it). */
    apiUrl?: (discord: DiscordServer) => string;
  } = {},
): Promise<World> {
  const discord = await startDiscordServer({ port: 0 });
  const api = await startAnthropicServer({ script });
  const box = await createClaudeSandbox(cliPath, {
    apiUrl: api.url,
  });
  const home = `${box.root}/discord-state`;
  const apiUrl = options.apiUrl?.(discord) ?? discord.apiUrl;
  writeConfigFile(home, {
    token: discord.token,
    channelId: discord.channelId,
    webhookUrl: discord.webhookUrl.replace(discord.apiUrl, apiUrl),
    apiUrl,
    allowedUsers: [discord.ownerId],
    wakeTimeoutSeconds: options.wakeTimeoutSeconds ?? 120,
    permissionTimeoutSeconds: options.permissionTimeoutSeconds ?? 60,
  });
  // The settings file exactly as `setup.ts --print` gives it.
  const printed = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", `${ROOT}/setup.ts`, "--print"],
    env: { CLAUDE_DISCORD_HOME: home },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!printed.success) throw new Error(new TextDecoder().decode(printed.stderr));
  await box.writeSettings(JSON.parse(new TextDecoder().decode(printed.stdout)));
  const registry = new SessionRegistry(home, { isAlive: () => true });
  return {
    discord,
    api,
    box,
    home,
    registry,
    session: () =>
      waitFor("the SessionStart hook to register the session", () => registry.list()[0], 20_000),
    bridgeConnected: () =>
      waitFor(
        "the bridge (started by the hooks) to connect",
        () => readBridgeStatus(home)?.state === "connected",
        30_000,
      ).then(() => {}),
    hookLog: () => {
      try {
        return Deno.readTextFileSync(`${home}/hooks.log`);
      } catch {
        return "";
      }
    },
    async [Symbol.asyncDispose]() {
      await stopBridge(home).catch(() => {});
      await box[Symbol.asyncDispose]();
      await api.close();
      await discord.close();
    },
  };
}

/** The texts and embeds of a thread's messages, one line each. */
export function threadMessages(w: World, threadId: string | undefined): string {
  if (threadId === undefined) return "";
  return w.discord.messages(threadId).map((m) => `${m.content} ${JSON.stringify(m.embeds)}`)
    .join("\n");
}

/** A `claude -p` run that asks to create `file`, answered from Discord with `choice`. */
export async function permissionRun(w: World, choice: "allow" | "deny", file: string) {
  const run = w.box.print(`make ${file}`, { timeoutMs: 120_000 });
  const prompt = await waitFor(
    "the permission prompt in Discord",
    () =>
      w.discord.state().messages.find((m: Message) =>
        JSON.stringify(m.components ?? []).includes("cd:perm:") &&
        m.content.includes(`touch ${file}`)
      ),
    60_000,
  );
  await w.bridgeConnected();
  const customId = [...JSON.stringify(prompt.components).matchAll(/"custom_id":"([^"]+)"/g)]
    .map((x) => x[1]).find((c) => c.endsWith(`:${choice}`))!;
  const click = await w.discord.clickButton({
    messageId: prompt.id,
    customId,
    userId: w.discord.ownerId,
  });
  assert(await click.answered, "the bridge acknowledged the click within 3 s");
  return { result: await run, prompt };
}

/** The permission prompts posted so far. */
export function prompts(w: World): Message[] {
  return w.discord.state().messages.filter((m: Message) =>
    m.content.includes("**Permission request**")
  );
}

/** Clicks `choice` on a prompt as the owner; the bridge must acknowledge it. */
export async function clickPrompt(w: World, prompt: Message, choice: string): Promise<void> {
  const customId = [...JSON.stringify(prompt.components).matchAll(/"custom_id":"([^"]+)"/g)]
    .map((x) => x[1]).find((c) => c.endsWith(`:${choice}`));
  assert(customId, `no ${choice} button on ${JSON.stringify(prompt.components)}`);
  const click = await w.discord.clickButton({
    messageId: prompt.id,
    customId,
    userId: w.discord.ownerId,
  });
  assert(await click.answered, "the bridge acknowledged the click within 3 s");
}
