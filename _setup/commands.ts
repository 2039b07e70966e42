// Private: `setup --uninstall` takes the bridge's slash commands (/sessions, /status, /stop) out
// of the chat channel's server again (_discord/commands.ts; the application's other commands
// stay). A bridge started later registers them again at its READY.
import type { Config } from "../config.ts";
import { COMMANDS, removeGuildCommands } from "../_discord/commands.ts";
import type { RawChannel } from "../_discord/raw.ts";
import { DiscordRest } from "../_discord/rest.ts";

/** What became of the slash commands. */
export type CommandRemoval =
  | { removed: number }
  | { skipped: string };

/**
 * Removes this package's slash commands from the server of the configured chat channel.
 *
 * @param config The configuration (token, chat channel, API base).
 * @param fetchImpl The transport (tests). Default the global `fetch`.
 * @returns How many were removed, or why nothing was tried (no token or channel; no network
 * permission for the API host).
 * @throws {DiscordApiError} When Discord refuses; {@linkcode DiscordUnreachableError} when it
 * cannot be reached.
 */
export async function removeSlashCommands(
  config: Pick<Config, "token" | "channelId" | "apiUrl">,
  fetchImpl?: typeof fetch,
): Promise<CommandRemoval> {
  if (!config.token || !config.channelId) return { skipped: "no bot token or chat channel" };
  const host = new URL(config.apiUrl).hostname;
  if (
    fetchImpl === undefined && Deno.permissions.querySync({ name: "net", host }).state !== "granted"
  ) {
    return {
      skipped: `no network permission for ${host} (run it as \`deno task setup --uninstall\`)`,
    };
  }
  const rest = new DiscordRest({
    token: config.token,
    apiUrl: config.apiUrl,
    retry: { budgetMs: 15_000, timeoutMs: 10_000, maxAttempts: 3 },
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
  const app = await rest.request<{ id: string }>("GET", "/applications/@me", {
    what: "read the application",
  });
  const channel = await rest.request<RawChannel>("GET", `/channels/${config.channelId}`, {
    what: `read channel ${config.channelId}`,
  });
  if (!channel.guild_id) return { skipped: `channel ${config.channelId} is in no server` };
  return { removed: await removeGuildCommands(rest, app.id, channel.guild_id) };
}

/** The command names, as setup prints them. */
export const COMMAND_NAMES: string = COMMANDS.map((c) => `/${c.name}`).join(", ");
