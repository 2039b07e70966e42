// Private: the shapes of the settings fragment (settings.ts re-exports them): hook commands and
// their groups, the settings.json and .mcp.json parts, what the fragment depends on, the roles.

/** One hook command in Claude Code's settings. */
export interface HookCommand {
  /** Always `command`. */
  type: "command";
  /** The shell command. */
  command: string;
  /** Seconds before Claude Code stops the hook. */
  timeout: number;
  /** Runs in the background. */
  async?: boolean;
  /** Runs in the background and wakes the model when it exits 2. */
  asyncRewake?: boolean;
}

/** One matcher group of an event. */
export interface HookGroup {
  /** Tool name or notification type pattern; absent = every occurrence. */
  matcher?: string;
  /** The commands. */
  hooks: HookCommand[];
}

/** The settings.json part. */
export interface SettingsFragment {
  /** Hook groups per event. */
  hooks: Record<string, HookGroup[]>;
  /** Approves the `.mcp.json` server by name. */
  enabledMcpjsonServers: string[];
  /** Lets Claude use the MCP server's tools ({@linkcode mcpToolRules}) and open the stored
   * attachments ({@linkcode attachmentReadRule}) without asking. */
  permissions: { allow: string[] };
}

/** An MCP stdio server entry. */
export interface McpServerEntry {
  /** `stdio`. */
  type: "stdio";
  /** The executable. */
  command: string;
  /** Its arguments. */
  args: string[];
  /** Its environment: `CLAUDE_DISCORD_HOME`, so it finds the same state directory as the hooks. */
  env: Record<string, string>;
}

/** What the fragment depends on. */
export interface SettingsOptions {
  /** The state directory (absolute). */
  home: string;
  /** The checkout (absolute). Default: the directory of this module. */
  root?: string;
  /** The deno binary. Default `Deno.execPath()`. */
  denoPath?: string;
  /** REST base (`DISCORD_API_URL`). Default Discord's. */
  apiUrl?: string;
  /** The STATUS webhook URL; only its host is used. */
  webhookUrl?: string;
  /** Whether the Stop hook waits for messages. Default true. */
  wakeOnMessage?: boolean;
  /** How long it waits, in seconds. Default 3600. */
  wakeTimeoutSeconds?: number;
  /** How long a permission prompt waits, in seconds. Default 300. */
  permissionTimeoutSeconds?: number;
  /** The MCP server's name. Default `discord`. */
  mcpName?: string;
  /** Whether `send_file` runs without a prompt too (it uploads the project's files and `allowedFilePaths`). */
  allowSendFile?: boolean;
  /** config.json `allowedFilePaths`: what the MCP server may read besides the project. */
  allowedFilePaths?: string[];
}

/** The hook roles (see hooks/hook.ts). */
export type Role = "deliver" | "register" | "status" | "wake" | "notice" | "permission" | "end";
