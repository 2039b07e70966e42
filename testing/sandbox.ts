#!/usr/bin/env -S deno run -A
/**
 * The sandbox: a local Discord with a chat page, and the bridge running against
 * it (when `bridge.ts` exists), so a person can talk to Claude Code sessions
 * without a real Discord. Prints the page URL and the settings a Claude Code
 * session needs (env vars, and the `setup.ts` command that connects a project).
 *
 * ```sh
 * deno task sandbox [--port N] [--home DIR] [--fresh] [--no-bridge]
 * ```
 *
 * The sandbox survives a restart: its world (token, users, guild, channels, threads,
 * messages, webhooks, reactions, attachments, ids) is saved in a fixed home,
 * `~/.claude/discord-sandbox` (or `$CLAUDE_DISCORD_SANDBOX_HOME`, see
 * {@linkcode sandboxHome}), and the next run comes back with the same token, ids, webhook
 * URLs, history and, when the port is free, the same API URL, so a project set up against
 * an earlier run keeps working. `--fresh` starts over.
 *
 * @example Start a sandbox from code (without the bridge), stop it, start it again
 * ```ts
 * import assert from "node:assert/strict";
 * import { startSandbox } from "./sandbox.ts";
 *
 * const home = await Deno.makeTempDir();
 * const first = await startSandbox({ home, port: 0, bridge: false });
 * assert(first.env.DISCORD_API_URL === first.server.apiUrl);
 * await first.close();
 * const again = await startSandbox({ home, port: 0, bridge: false });
 * assert(again.restored && again.server.token === first.server.token);
 * await again.close();
 * await Deno.remove(home, { recursive: true });
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type DiscordServer, startDiscordServer } from "./_server.ts";
import { EXIT_USAGE, exitCodeOf } from "../errors.ts";
import { describeError } from "../log.ts";
import { ensurePrivateDir, readWorld, WorldSaver, writeWorld } from "./_world_file.ts";
import type { SavedWorld } from "./_world.ts";
import {
  SANDBOX_HOME_ENV,
  sandboxHome,
  sandboxStateDir,
  sandboxWorldPath,
} from "./sandbox_home.ts";

export { SANDBOX_HOME_ENV, sandboxHome, sandboxStateDir } from "./sandbox_home.ts";

/** The sandbox's HTTP port when none is given and no earlier run chose one. */
export const SANDBOX_PORT = 7431;

/** Options of {@linkcode startSandbox}. */
export interface SandboxOptions {
  /**
   * HTTP port of the server and page. Default: the port of the last run in this home, else
   * {@linkcode SANDBOX_PORT}; when that is taken, any free port ({@linkcode Sandbox.movedFrom}
   * says so). An explicit port that is taken is an error; 0 is any free port.
   */
  port?: number;
  /** The sandbox home (default: {@linkcode sandboxHome}). */
  home?: string;
  /** Forget the saved world and the state directory, and start over (new token and ids). */
  fresh?: boolean;
  /** Start the bridge (default true; skipped when the bridge module does not exist). */
  bridge?: boolean;
  /** The bridge module (default: `bridge.ts` at the repository root). */
  bridgePath?: string;
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
  /** The sandbox home. */
  home: string;
  /** The state directory of the bridge and of projects set up against the sandbox. */
  stateDir: string;
  /** Whether the world came back from an earlier run. */
  restored: boolean;
  /**
   * The API URL of the earlier run when its port was taken and this run answers on another:
   * projects set up against it need setup again.
   */
  movedFrom?: string;
  /** The bridge process, when one was started. */
  bridge?: Deno.ChildProcess;
  /** Saves the world, stops the bridge and the server. */
  close(): Promise<void>;
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
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
    // Any failure: the process ended.
  }
  if (rest) log(rest);
}

/** Removes what a sandbox keeps in `home` (and nothing else that may be there). */
function forget(home: string): void {
  for (const path of [sandboxWorldPath(home), `${home}/files`, sandboxStateDir(home)]) {
    try {
      Deno.removeSync(path, { recursive: true });
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
}

/** Throws when the sandbox of this world answers at its address (a second run of one home). */
async function refuseIfRunning(world: SavedWorld, home: string): Promise<void> {
  let info: { token?: string } | undefined;
  try {
    const res = await fetch(`${world.origin}/_control/info`, {
      signal: AbortSignal.timeout(1000),
    });
    info = res.ok ? await res.json() : (await res.body?.cancel(), undefined);
  } catch {
    return; // nothing there, or not a sandbox
  }
  if (info?.token === world.identity.token) {
    throw new Error(
      `A sandbox of ${home} already runs at ${world.origin}/: use that one, or stop it first ` +
        `(a second sandbox needs another home: --home DIR or ${SANDBOX_HOME_ENV})`,
    );
  }
}

/** Makes a directory of the sandbox home (0700), or says which home cannot be used. */
function makeDir(dir: string, home: string): void {
  try {
    ensurePrivateDir(dir);
  } catch (err) {
    const why = (err as Error).message;
    throw new Error(
      `Cannot make the sandbox home ${home} (${why}): choose another with --home DIR or ${SANDBOX_HOME_ENV}`,
    );
  }
}

function portOf(origin: string): number {
  return Number(new URL(origin).port);
}

/**
 * Starts the server on the saved world of its home (or a fresh one) and, when `bridge.ts`
 * exists, the bridge against it.
 *
 * @param opts See {@linkcode SandboxOptions}.
 * @returns The running sandbox; close it (or `await using`) to save and stop.
 * @throws {Error} When the saved world cannot be read, a sandbox of this home already runs, or
 *   an explicit port is taken (one sentence naming the fix).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startSandbox } from "./sandbox.ts";
 *
 * const home = await Deno.makeTempDir();
 * const sandbox = await startSandbox({ home, port: 0, bridge: false });
 * assert(sandbox.pageUrl.endsWith("/"));
 * assert(sandbox.env.CLAUDE_DISCORD_HOME === `${home}/state`);
 * await sandbox.close();
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const home = opts.home ?? sandboxHome();
  makeDir(home, home);
  let saved: SavedWorld | undefined;
  try {
    saved = readWorld(home);
  } catch (err) {
    if (!opts.fresh) throw err;
  }
  if (saved) await refuseIfRunning(saved, home);
  if (opts.fresh) {
    forget(home);
    saved = undefined;
  }
  const stateDir = sandboxStateDir(home);
  makeDir(stateDir, home);
  const preferred = opts.port ?? (saved ? portOf(saved.origin) : SANDBOX_PORT);
  const start = (port: number) =>
    startDiscordServer({ port, world: saved, gatewayPort: saved?.gatewayPort });
  let server: DiscordServer;
  let movedFrom: string | undefined;
  try {
    server = await start(preferred);
  } catch (err) {
    if (!(err instanceof Deno.errors.AddrInUse)) throw err;
    if (opts.port !== undefined) {
      throw new Error(
        `Port ${preferred} is taken: choose another with --port N, or leave --port out`,
      );
    }
    server = await start(0);
    if (saved) movedFrom = `${saved.origin}/api`;
  }
  const save = () => writeWorld(home, server.saveWorld());
  try {
    save();
  } catch (err) {
    await server.close();
    throw new Error(`Cannot save the sandbox's world in ${home}: ${(err as Error).message}`);
  }
  const saver = new WorldSaver(
    save,
    (err) => console.error(`The sandbox could not save its world: ${err.message}`),
  );
  const unsubscribe = server.onChange(() => saver.schedule());
  const env: Record<string, string> = {
    DISCORD_API_URL: server.apiUrl,
    DISCORD_BOT_TOKEN: server.token,
    DISCORD_CHANNEL_ID: server.channelId,
    DISCORD_WEBHOOK_URL: server.webhookUrl,
    DISCORD_ALLOWED_USERS: server.ownerId,
    CLAUDE_DISCORD_HOME: stateDir,
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
      // Saved first: a stop that does not finish still leaves the world on disk.
      saver.flush();
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
        saver.flush();
      }
      unsubscribe();
      await server.close();
    })();
  return {
    server,
    pageUrl: `${server.origin}/`,
    env,
    home,
    stateDir,
    restored: saved !== undefined,
    ...(movedFrom ? { movedFrom } : {}),
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

const HELP = `Usage: deno task sandbox [--port N] [--home DIR] [--fresh] [--no-bridge]

A local Discord with a chat page, and the bridge against it. Its world (token, ids,
channels, webhooks, history) is kept in the sandbox home and comes back on the next run.

Options:
  --port N      HTTP port (default: the last run's, else ${SANDBOX_PORT}; 0 = any free port)
  --home DIR    the sandbox home (default: $${SANDBOX_HOME_ENV}, else ~/.claude/discord-sandbox)
  --fresh       forget the saved world and start over (projects need setup again)
  --no-bridge   do not start the bridge
  -h, --help    show this help
`;

/** What the CLI prints once the sandbox runs. */
function startLines(sandbox: Sandbox): string[] {
  const messages = sandbox.server.state().messages.length;
  const lines = [
    `Sandbox chat page: ${sandbox.pageUrl}`,
    sandbox.restored
      ? `Sandbox home: ${sandbox.home} (restored: same token, ids and webhooks, ${messages} message(s); --fresh starts over)`
      : `Sandbox home: ${sandbox.home} (new world; the next run comes back to it)`,
  ];
  if (sandbox.movedFrom) {
    lines.push(
      "",
      `The earlier address ${sandbox.movedFrom} is taken by another program: the sandbox now`,
      `answers on ${sandbox.server.apiUrl}. Run the setup command below again in each project`,
      "set up against the earlier address (or free that port and restart the sandbox).",
    );
  }
  lines.push(
    sandbox.bridge
      ? `Bridge running (pid ${sandbox.bridge.pid}).`
      : "Bridge not started (no bridge.ts, or --no-bridge).",
    "",
    "Environment for a Claude Code session using this sandbox:",
    ...Object.entries(sandbox.env).map(([k, val]) => `export ${k}='${val}'`),
  );
  const setup = setupLine(sandbox.env);
  if (setup) {
    lines.push(
      "",
      "Connect a Claude Code project to this sandbox (run it in the project's directory;",
      "it writes .claude/settings.local.json there and the project's MCP entry in",
      "~/.claude.json, and the config here; --shared writes the committed files instead):",
      `  ${setup}`,
      'Then start `claude` in that project and chat as "owner" on the page above.',
    );
  }
  return lines;
}

/**
 * The CLI: starts the sandbox, prints the page URL, the env and the setup command, runs until
 * SIGINT/SIGTERM, then saves and stops (a second signal stops the bridge at once).
 *
 * @param args Command line arguments (`--port N`, `--home DIR`, `--fresh`, `--no-bridge`).
 * @returns The exit code: 0, 2 on bad usage, 1 when the sandbox cannot start or stopped with
 *   departures from Discord's API description.
 */
export async function main(args: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args,
      options: {
        port: { type: "string" },
        home: { type: "string" },
        fresh: { type: "boolean" },
        "no-bridge": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    console.error(`${describeError(e)}\n\n${HELP}`);
    return EXIT_USAGE;
  }
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  const port = v.port === undefined ? undefined : Number(v.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    console.error(`--port must be a port number (0-65535), got "${v.port}"`);
    return EXIT_USAGE;
  }
  if (v.home !== undefined && v.home.trim() === "") {
    console.error("--home needs a directory");
    return EXIT_USAGE;
  }
  const ac = new AbortController();
  let sandbox: Sandbox | undefined;
  const stop = () => {
    if (!ac.signal.aborted) {
      console.error("Stopping the sandbox (its world is saved)…");
      return ac.abort();
    }
    // Asked again: the bridge goes now; the world is already saved.
    try {
      sandbox?.bridge?.kill("SIGKILL");
    } catch {
      // already gone
    }
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  try {
    try {
      sandbox = await startSandbox({
        port,
        home: v.home,
        fresh: v.fresh,
        bridge: !v["no-bridge"],
      });
    } catch (err) {
      console.error(describeError(err));
      return exitCodeOf(err);
    }
    console.log(startLines(sandbox).join("\n"));
    if (!ac.signal.aborted) {
      await new Promise((r) => ac.signal.addEventListener("abort", r, { once: true }));
    }
    try {
      await sandbox.close();
    } catch (err) {
      console.error(describeError(err));
      return 1;
    }
    console.error(`Sandbox stopped; its world is in ${sandbox.home}.`);
    return 0;
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
