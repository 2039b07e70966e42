// Test helper: runs mcp.ts as a subprocess over stdio with the MCP SDK's own client, the
// way Claude Code does, against the local Discord server.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { DiscordServer } from "../../testing/mod.ts";
import { ROOT, tempDir } from "../_fixture.ts";

/** The permissions mcp.ts documents. */
export const MCP_PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run=ps",
];

/** A channel notification as the client received it. */
export interface ChannelNotification {
  content: string;
  meta: Record<string, string>;
}

/** A running mcp.ts with a connected client. */
export interface McpHandle extends AsyncDisposable {
  client: Client;
  /** The server process id. */
  pid: number;
  /** The server's working directory (its project). */
  cwd: string;
  /** Protocol errors the client saw (e.g. a non-JSON line on stdout). */
  errors: Error[];
  /** `notifications/claude/channel` received, in order. */
  notifications: ChannelNotification[];
  /** Calls a tool; returns its text and whether it is an error. */
  call(name: string, args: Record<string, unknown>): Promise<{ text: string; isError: boolean }>;
  close(): Promise<void>;
}

/** Options of {@linkcode startMcp}. */
export interface StartMcpOptions {
  srv: DiscordServer;
  home: string;
  /** Extra mcp.ts arguments. */
  args?: string[];
  /** Extra environment (over a copy of this process's, without DISCORD_* / CLAUDE_*). */
  env?: Record<string, string>;
  /** The server's working directory (a temp dir by default, like a user's project, removed on close). */
  cwd?: string;
  /**
   * Wrap the command: `["bash", "-c", SCRIPT, "claude", ...]`, where SCRIPT runs
   * `"$MCP_CMD"` ; used to give the server an ancestor with a given command line.
   */
  wrapArgs?: string[];
  /** Pass the bot webhook URL (threads of its channel become allowed). Default false. */
  webhook?: boolean;
  /** The whole command line, instead of `deno run <MCP_PERMISSIONS> mcp.ts` (e.g. setup's entry). */
  argv?: string[];
}

/** Starts mcp.ts and connects the SDK client. */
export async function startMcp(options: StartMcpOptions): Promise<McpHandle> {
  const { srv, home } = options;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (!k.startsWith("DISCORD_") && !k.startsWith("CLAUDE_")) env[k] = v;
  }
  Object.assign(env, {
    CLAUDE_DISCORD_HOME: home,
    DISCORD_BOT_TOKEN: srv.token,
    DISCORD_CHANNEL_ID: srv.channelId,
    DISCORD_API_URL: srv.apiUrl,
    ...(options.webhook ? { DISCORD_WEBHOOK_URL: srv.webhookUrl } : {}),
    ...options.env,
  });
  const cmd = options.argv ?? [
    Deno.execPath(),
    "run",
    ...MCP_PERMISSIONS,
    `${ROOT}/mcp.ts`,
    ...(options.args ?? []),
  ];
  let command = cmd[0];
  let args = cmd.slice(1);
  if (options.wrapArgs) {
    env.MCP_CMD = cmd.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
    command = "bash";
    // The trailing `; true` keeps bash alive as the server's parent (no exec optimisation).
    args = ["-c", 'eval "$MCP_CMD"; true', ...options.wrapArgs];
  }
  const project = options.cwd === undefined ? await tempDir("mcp-project-") : undefined;
  const transport = new StdioClientTransport({
    command,
    args,
    env,
    cwd: options.cwd ?? project!.path,
    stderr: "inherit",
  });
  const client = new Client({ name: "mcp-test", version: "1.0.0" });
  const errors: Error[] = [];
  const notifications: ChannelNotification[] = [];
  client.onerror = (err: Error) => errors.push(err);
  client.fallbackNotificationHandler = (n: { method: string; params?: unknown }) => {
    if (n.method === "notifications/claude/channel") {
      notifications.push(n.params as ChannelNotification);
    }
    return Promise.resolve();
  };
  await client.connect(transport);
  let closed: Promise<void> | undefined;
  const close = () => closed ??= client.close().finally(() => project?.[Symbol.asyncDispose]());
  return {
    client,
    pid: transport.pid ?? 0,
    cwd: options.cwd ?? project!.path,
    errors,
    notifications,
    async call(name, a) {
      const res = await client.callTool({ name, arguments: a }) as {
        content: { type: string; text?: string }[];
        isError?: boolean;
      };
      const text = res.content.map((c) => c.text ?? "").join("\n");
      return { text, isError: res.isError === true };
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
