#!/usr/bin/env -S deno run --allow-net=127.0.0.1
/**
 * Runs the local Discord server until interrupted and prints one JSON line:
 * the API base, the gateway URL, a minted bot token, the guild, channel and
 * forum ids, two webhook URLs, the owner user id and the control/sandbox URLs.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 testing/server.ts [--port N] [--heartbeat MS] [--no-message-content] [--no-rate-limits]
 * ```
 *
 * - `--port N` HTTP port (default: any free port). The gateway has a port of its own.
 * - `--heartbeat MS` HELLO heartbeat interval (default 1050).
 * - `--no-message-content` the app lacks the MESSAGE_CONTENT intent (content emptied, 4014 if asked for).
 * - `--no-rate-limits` switches rate limits off.
 *
 * Point a bot at it with `DISCORD_API_URL=<apiUrl>` and `DISCORD_BOT_TOKEN=<token>`.
 *
 * @example Start a server from code instead
 * ```ts
 * import assert from "node:assert/strict";
 * import { startDiscordServer } from "./server.ts";
 *
 * await using server = await startDiscordServer({ port: 0 });
 * assert(server.apiUrl.startsWith("http://127.0.0.1:"));
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { serverInfo } from "./_control.ts";
import { startDiscordServer } from "./_server.ts";

export {
  DiscordServer,
  type DiscordServerOptions,
  type Fault,
  type PostAsUser,
  type ServerStateSnapshot,
  startDiscordServer,
} from "./_server.ts";
export type { SavedWorld } from "./_world.ts";
import { EXIT_USAGE, exitCodeOf } from "../errors.ts";
import { describeError } from "../log.ts";

const HELP = `Usage: deno run --allow-net=127.0.0.1 testing/server.ts [options]

Runs a local Discord (gateway v10, REST, webhooks, control API) on 127.0.0.1
and prints one JSON line with the API base, a bot token and the ids.

Options:
  --port N               HTTP port (default: any free port)
  --heartbeat MS         gateway heartbeat interval (default 1050)
  --no-message-content   the app lacks the MESSAGE_CONTENT intent
  --no-rate-limits       switch rate limits off
  -h, --help             show this help
`;

/**
 * The CLI: parses `args`, starts the server, prints the JSON line, runs until
 * `signal` aborts (or SIGINT/SIGTERM when none is given).
 *
 * @param args Command line arguments.
 * @param signal Stops the server (default: the process's SIGINT/SIGTERM).
 * @param out Where the JSON line goes (default: stdout). It holds the bot token.
 * @returns The exit code: 0, 2 on bad usage, 1 when the server cannot start.
 *
 * @example Run the CLI for a moment (its line kept out of the test output: it holds the token)
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./server.ts";
 *
 * const stop = new AbortController();
 * const lines: string[] = [];
 * setTimeout(() => stop.abort(), 100);
 * assert(await main(["--port", "0"], stop.signal, (line) => lines.push(line)) === 0);
 * assert(JSON.parse(lines[0]).apiUrl.startsWith("http://127.0.0.1:"));
 * ```
 */
export async function main(
  args: string[],
  signal?: AbortSignal,
  out: (line: string) => void = (line) => console.log(line),
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        port: { type: "string" },
        heartbeat: { type: "string" },
        "no-message-content": { type: "boolean" },
        "no-rate-limits": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
  } catch (e) {
    console.error(`${describeError(e)}\n\n${HELP}`);
    return EXIT_USAGE;
  }
  const v = parsed.values;
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  const port = v.port === undefined ? 0 : Number(v.port);
  const heartbeat = v.heartbeat === undefined ? 1050 : Number(v.heartbeat);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a port number (0-65535), got "${v.port}"`);
    return EXIT_USAGE;
  }
  if (!Number.isFinite(heartbeat) || heartbeat < 100) {
    console.error(
      `--heartbeat must be a number of milliseconds (at least 100), got "${v.heartbeat}"`,
    );
    return EXIT_USAGE;
  }
  let stop = signal;
  let cleanup = () => {};
  if (!stop) {
    const ac = new AbortController();
    const onSignal = () => ac.abort();
    Deno.addSignalListener("SIGINT", onSignal);
    Deno.addSignalListener("SIGTERM", onSignal);
    cleanup = () => {
      Deno.removeSignalListener("SIGINT", onSignal);
      Deno.removeSignalListener("SIGTERM", onSignal);
    };
    stop = ac.signal;
  }
  let server;
  try {
    server = await startDiscordServer({
      port,
      heartbeatIntervalMs: heartbeat,
      messageContentIntent: !v["no-message-content"],
      rateLimits: v["no-rate-limits"] ? false : undefined,
    });
  } catch (err) {
    cleanup();
    console.error(`Cannot start the local Discord server: ${describeError(err)}`);
    return exitCodeOf(err);
  }
  out(JSON.stringify(serverInfo(server)));
  await new Promise<void>((resolve) => {
    if (stop.aborted) return resolve();
    stop.addEventListener("abort", () => resolve(), { once: true });
  });
  cleanup();
  await server.close();
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
