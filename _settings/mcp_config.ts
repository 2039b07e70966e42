// Private: the `.mcp.json` part of the fragment, the MCP server's entry, and the hosts it may
// reach (settings.ts re-exports them).
import { DEFAULT_API_URL } from "../config.ts";
import { checkoutDir } from "./hook_command.ts";
import { MCP_PROJECT_READ, mcpReadPaths } from "./mcp_read.ts";
import type { McpServerEntry, SettingsOptions } from "./types.ts";

/**
 * The hosts the MCP server may reach: the API's and the webhook's (no hook reaches any).
 *
 * @param apiUrl The REST base.
 * @param webhookUrl The webhook URL.
 * @returns Host names (with port when not the default).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { netHosts } from "../settings.ts";
 * assert(netHosts("http://127.0.0.1:8080/api").join() === "127.0.0.1:8080");
 * ```
 */
export function netHosts(apiUrl: string = DEFAULT_API_URL, webhookUrl?: string): string[] {
  const hosts = new Set<string>();
  for (const url of [apiUrl, webhookUrl]) if (url) hosts.add(new URL(url).host);
  return [...hosts];
}

/**
 * The `.mcp.json` part: the MCP server entry for `mcp.ts`.
 *
 * @param options State directory, checkout, deno, hosts.
 * @returns `{ mcpServers: { discord: … } }`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mcpConfig } from "../settings.ts";
 * const m = mcpConfig({ home: "/h", root: "/ck", denoPath: "/usr/bin/deno" });
 * assert(m.mcpServers.discord.args.at(-1) === "/ck/mcp.ts");
 * ```
 */
export function mcpConfig(
  options: SettingsOptions,
): { mcpServers: Record<string, McpServerEntry> } {
  const root = options.root ?? checkoutDir();
  return {
    mcpServers: {
      [options.mcpName ?? "discord"]: {
        type: "stdio",
        command: "/bin/sh",
        args: [
          "-c",
          MCP_PROJECT_READ,
          "claude-discord-mcp",
          options.denoPath ?? Deno.execPath(),
          "run",
          "--no-prompt",
          "--quiet",
          `--config=${root}/deno.json`,
          `--allow-net=${netHosts(options.apiUrl, options.webhookUrl).join(",")}`,
          `--allow-read=${mcpReadPaths(options).join(",")}`,
          `--allow-write=${options.home}`,
          "--allow-env",
          "--allow-run=ps",
          `${root}/mcp.ts`,
        ],
        env: { CLAUDE_DISCORD_HOME: options.home },
      },
    },
  };
}
