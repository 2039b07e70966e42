#!/usr/bin/env -S deno run -A
/**
 * The sandbox: a local Discord with a chat page, and the bridge running against
 * it (when `bridge.ts` exists), so a person can talk to Claude Code sessions
 * without a real Discord. Prints the page URL and the settings a Claude Code
 * session needs (env vars, and the `setup.ts` command that connects a project).
 *
 * ```sh
 * deno task sandbox [--port N] [--no-bridge]
 * ```
 *
 * @example Start a sandbox from code (without the bridge)
 * ```ts
 * import assert from "node:assert/strict";
 * import { startSandbox } from "./sandbox.ts";
 *
 * await using sandbox = await startSandbox({ port: 0, bridge: false });
 * assert(sandbox.env.DISCORD_API_URL === sandbox.server.apiUrl);
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type DiscordServer, startDiscordServer } from "./_server.ts";

/** Options of {@linkcode startSandbox}. */
export interface SandboxOptions {
  /** HTTP port of the server and page (default: any free port). */
  port?: number;
  /** Start the bridge (default true; skipped when the bridge module does not exist). */
  bridge?: boolean;
  /** The bridge module (default: `bridge.ts` at the repository root). */
  bridgePath?: string;
  /** State directory for the bridge (default: a fresh temporary directory, removed on close). */
  home?: string;
  /** Where the bridge's output lines go (default: stderr with a `[bridge]` prefix). */
  log?: (line: string) => void;
}

/** A running sandbox. */
export interface Sandbox extends AsyncDisposable {
  /** The local Discord. */
  server: DiscordServer;
  /** The chat page. */
  pageUrl: string;
  /** The env a bridge or Claude Code session needs to use this sandbox. */
  env: Record<string, string>;
  /** The bridge process, when one was started. */
  bridge?: Deno.ChildProcess;
  /** Stops the bridge and the server. */
  close(): Promise<void>;
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

async function pump(
  stream: ReadableStream<Uint8Array>,
  log: (line: string) => void,
): Promise<void> {
  let rest = "";
  try {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      rest += chunk;
      const lines = rest.split("\n");
      rest = lines.pop()!;
      for (const l of lines) log(l);
    }
  } catch {
    // process ended
  }
  if (rest) log(rest);
}

/**
 * Starts the server and, when `bridge.ts` exists, the bridge against it.
 *
 * @param opts See {@linkcode SandboxOptions}.
 * @returns The running sandbox; close it (or `await using`) to stop both.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startSandbox } from "./sandbox.ts";
 *
 * const sandbox = await startSandbox({ bridge: false });
 * assert(sandbox.pageUrl.endsWith("/"));
 * await sandbox.close();
 * ```
 */
export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const server = await startDiscordServer({ port: opts.port ?? 0 });
  const ownHome = opts.home === undefined;
  const home = opts.home ?? await Deno.makeTempDir({ prefix: "claude-discord-sandbox-" });
  const env: Record<string, string> = {
    DISCORD_API_URL: server.apiUrl,
    DISCORD_BOT_TOKEN: server.token,
    DISCORD_CHANNEL_ID: server.channelId,
    DISCORD_WEBHOOK_URL: server.webhookUrl,
    DISCORD_ALLOWED_USERS: server.ownerId,
    CLAUDE_DISCORD_HOME: home,
  };
  const bridgePath = opts.bridgePath ?? new URL("../bridge.ts", import.meta.url).pathname;
  let bridge: Deno.ChildProcess | undefined;
  const pumps: Promise<void>[] = [];
  if (opts.bridge !== false && exists(bridgePath)) {
    const log = opts.log ?? ((l: string) => console.error(`[bridge] ${l}`));
    bridge = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", bridgePath],
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    pumps.push(pump(bridge.stdout, log), pump(bridge.stderr, log));
  }
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      if (bridge) {
        try {
          bridge.kill("SIGTERM");
        } catch {
          // already gone
        }
        const timer = setTimeout(() => {
          try {
            bridge!.kill("SIGKILL");
          } catch {
            // already gone
          }
        }, 5000);
        await bridge.status;
        clearTimeout(timer);
        await Promise.all(pumps);
      }
      await server.close();
      if (ownHome) await Deno.remove(home, { recursive: true }).catch(() => {});
    })();
  return {
    server,
    pageUrl: `${server.origin}/`,
    env,
    bridge,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The command that connects a Claude Code project to the sandbox (when setup.ts exists). */
function setupLine(env: Record<string, string>): string | undefined {
  const setup = new URL("../setup.ts", import.meta.url);
  if (setup.protocol !== "file:" || !exists(setup.pathname)) return undefined;
  const q = (v: string) => `'${v.replaceAll("'", `'\\''`)}'`;
  return [
    `CLAUDE_DISCORD_HOME=${q(env.CLAUDE_DISCORD_HOME)} deno run -A ${q(setup.pathname)}`,
    `--api-url ${q(env.DISCORD_API_URL)} --token ${q(env.DISCORD_BOT_TOKEN)}`,
    `--channel ${env.DISCORD_CHANNEL_ID} --webhook ${q(env.DISCORD_WEBHOOK_URL)}`,
    `--allowed-users ${env.DISCORD_ALLOWED_USERS} --no-live-test`,
  ].join(" \\\n    ");
}

/**
 * The CLI: starts the sandbox, prints the page URL, the env and the setup command, runs until
 * SIGINT/SIGTERM.
 *
 * @param args Command line arguments (`--port N`, `--no-bridge`).
 * @returns The exit code: 0, or 2 on bad usage.
 */
export async function main(args: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args,
      options: {
        port: { type: "string" },
        "no-bridge": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  if (v.help) {
    console.log("Usage: deno task sandbox [--port N] [--no-bridge]");
    return 0;
  }
  const port = v.port === undefined ? 0 : Number(v.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a port number, got "${v.port}"`);
    return 2;
  }
  const sandbox = await startSandbox({ port, bridge: !v["no-bridge"] });
  const lines = [
    `Sandbox chat page: ${sandbox.pageUrl}`,
    sandbox.bridge
      ? `Bridge running (pid ${sandbox.bridge.pid}).`
      : "Bridge not started (no bridge.ts, or --no-bridge).",
    "",
    "Environment for a Claude Code session using this sandbox:",
    ...Object.entries(sandbox.env).map(([k, val]) => `export ${k}='${val}'`),
  ];
  const setup = setupLine(sandbox.env);
  if (setup) {
    lines.push(
      "",
      "Connect a Claude Code project to this sandbox (run it in the project's directory;",
      "it writes .claude/settings.json and .mcp.json there, and the config here):",
      `  ${setup}`,
      'Then start `claude` in that project and chat as "owner" on the page above.',
    );
  }
  console.log(lines.join("\n"));
  const ac = new AbortController();
  const stop = () => ac.abort();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await new Promise((r) => ac.signal.addEventListener("abort", r, { once: true }));
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  await sandbox.close();
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
