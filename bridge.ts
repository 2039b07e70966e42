#!/usr/bin/env -S deno run --no-code-cache --v8-flags=--optimize-for-size,--max-opt=1,--gc-memory-reducer-start-delay-ms=1000,--memory-reducer-delay-ms=1000 --allow-net --allow-read --allow-write --allow-env --allow-run --allow-sys=hostname
/**
 * The bridge: the one process per machine (and bot token) that holds the Discord gateway
 * connection. It listens to the chat channel, the threads under it and the threads of the
 * notification channel (the webhook's channel), and writes every accepted event as one
 * JSON line into the mailbox of each session it is addressed to (ARCHITECTURE.md, Data flow and Routing).
 *
 * - **Accepted:** messages from `DISCORD_ALLOWED_USERS` only; bot, webhook and system
 *   messages are never delivered (counted in the log). Button clicks on the bot's
 *   prompts (`custom_id` starting `cd:`) and reactions on messages a session posted are
 *   delivered to that session; every interaction is answered within 3 s.
 * - **Routing:** see `routing.ts` (thread → its session; `@name` or a reply to a session's
 *   post → that session; else every live session; none live → the held box).
 * - **Attachments:** the files of an accepted message are downloaded into
 *   `$CLAUDE_DISCORD_HOME/attachments/<message id>/` before its line is written (limits, types,
 *   retention: ARCHITECTURE.md, Attachments).
 * - **Nothing lost:** a cursor per channel/thread (`$CLAUDE_DISCORD_HOME/bridge/cursors.json`)
 *   moves only after the mailbox write is durable; on start and after every reconnect the
 *   bridge pages the history after it. Mailboxes de-duplicate by message id.
 * - **One per state directory:** a lock file and a pid file; a second start prints
 *   `already running (pid N)` and exits 0; the lock of a killed bridge is taken over. Each
 *   state directory is one machine (machine.ts); machines may share one bot token.
 * - **Restarts RESUME:** the gateway session is saved (`bridge/gateway.json`) and a restarted
 *   bridge RESUMEs it while Discord keeps it, so nothing is replayed from scratch and no
 *   IDENTIFY is spent; a refused RESUME becomes an IDENTIFY, and catch-up covers the gap.
 * - **IDENTIFY budget:** at `identifyCap` IDENTIFYs in 24 h (default 100), or with Discord's
 *   remaining budget for the token down to 50, the bridge does not IDENTIFY: it exits 1 with
 *   the reason (also in `--status`, status.json and once in the chat channel), and nothing
 *   starts it again until the halt ends (daemon.ts `startDetached`).
 * - **Faults:** a bad token or a missing Message Content intent ends it with exit code 1
 *   and one sentence naming the fix; while Discord is unreachable it reconnects with
 *   capped exponential backoff and jitter; SIGINT/SIGTERM flush, save and release the lock.
 * - **Log:** `$CLAUDE_DISCORD_HOME/bridge.log` (rotated; tokens scrubbed).
 *
 * ## Usage and least permissions
 *
 * ```sh
 * # foreground (`deno task start`: the same Deno and V8 flags, broader permissions)
 * deno run --no-code-cache --v8-flags=--optimize-for-size,--max-opt=1,--gc-memory-reducer-start-delay-ms=1000,--memory-reducer-delay-ms=1000 \
 *   --allow-net=discord.com,*.discord.gg,cdn.discordapp.com,media.discordapp.net \
 *   --allow-read=$HOME/.claude/discord --allow-write=$HOME/.claude/discord \
 *   --allow-env=DISCORD_BOT_TOKEN,DISCORD_CHANNEL_ID,DISCORD_WEBHOOK_URL,DISCORD_ALLOWED_USERS,DISCORD_API_URL,CLAUDE_DISCORD_HOME,CLAUDE_DISCORD_MACHINE,HOME,WS_NO_BUFFER_UTIL,WS_NO_UTF_8_VALIDATE \
 *   --allow-run=ps --allow-sys=hostname bridge.ts
 * # in the background, returning at once (what hooks do): the same with --allow-run=ps,deno
 * deno run … --allow-run=ps,deno bridge.ts --detach
 * # stop it (Deno.kill needs --allow-run without a list) / show its state
 * deno run … --allow-run bridge.ts --stop
 * deno run … bridge.ts --status
 * ```
 *
 * Deno lets only `--allow-all` read `/proc`, so the bridge asks `ps` (`--allow-run=ps`)
 * whether a session's process is alive; without it, a session whose process died without
 * SessionEnd counts as live until the registry's time-to-live. With a local
 * server (`DISCORD_API_URL=http://127.0.0.1:PORT/api`) use `--allow-net=127.0.0.1`.
 * Exit codes: 0 (also "already running"), 1 fatal error, 2 usage or configuration error;
 * `--status` exits 1 when no bridge runs.
 *
 * @example Run a bridge in-process against the local Discord server
 * ```ts
 * import assert from "node:assert/strict";
 * import { Bridge } from "./bridge.ts";
 * import { createLogger } from "./log.ts";
 * import { startDiscordServer } from "./testing/mod.ts";
 *
 * await using server = await startDiscordServer({ port: 0 });
 * const home = Deno.makeTempDirSync();
 * const bridge = new Bridge({
 *   token: server.token,
 *   channelId: server.channelId,
 *   webhookUrl: server.webhookUrl,
 *   allowedUsers: [server.ownerId],
 *   apiUrl: server.apiUrl,
 *   home,
 *   log: createLogger(`${home}/bridge.log`),
 * });
 * await bridge.start();
 * await server.postAsUser({ channelId: server.channelId, userId: server.ownerId, content: "hi" });
 * await new Promise((r) => setTimeout(r, 200));
 * await bridge.idle();
 * await bridge.stop();
 * assert(bridge.stats().delivered === 1); // into the held box: no session is live
 * ```
 *
 * @module
 */
import { readCommandLine } from "./_shared/args.ts";
import { type Config, loadConfig } from "./config.ts";
import { machineOf } from "./machine.ts";
import {
  acquireInstanceLock,
  bridgeCommand,
  bridgePaths,
  identifyHalt,
  probeBridge,
  startDetached,
  stopBridge,
  transcriptsDirFor,
} from "./daemon.ts";
import { readEnv } from "./_shared/env.ts";
import { ClaudeDiscordError, EXIT_USAGE, exitCodeOf, UsageError } from "./errors.ts";
import { createLogger, describeError } from "./log.ts";
import { Bridge } from "./_bridge/bridge.ts";
import type { AttachmentLimits } from "./_bridge/attachments.ts";

export { Bridge, type BridgeOptions, type BridgeStats } from "./_bridge/bridge.ts";
export type { Logger } from "./log.ts";
export type { InboxAttachment, InboxEvent } from "./inbox.ts";
export type { BridgeStatusFile } from "./daemon.ts";
export type { AttachmentLimits } from "./_bridge/attachments.ts";

const USAGE = `Usage: bridge.ts [--detach | --stop | --status] [--help]

Holds the Discord gateway connection and writes each accepted message into the
mailboxes of the Claude Code sessions it is addressed to.

  (no option)  run in the foreground until SIGINT/SIGTERM
  --detach     start in the background (unless running) and return at once
  --stop       stop the running bridge (SIGTERM, then SIGKILL after 10 s)
  --status     show whether a bridge runs (exit 1 when not)
  --help       show this text

Configuration: env vars or $CLAUDE_DISCORD_HOME/config.json (run setup).
Log: $CLAUDE_DISCORD_HOME/bridge.log`;

/**
 * The command line: runs, detaches, stops or shows the bridge.
 *
 * @param args Command-line arguments.
 * @param io Output streams (default: the console).
 * @returns The exit code: 0, 1 (fatal), 2 (usage or configuration).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./bridge.ts";
 * assert(await main(["--bogus"], { out: () => {}, err: () => {} }) === 2);
 * ```
 */
export async function main(
  args: string[],
  io: { out: (line: string) => void; err: (line: string) => void } = {
    out: (l) => console.log(l),
    err: (l) => console.error(l),
  },
): Promise<number> {
  let flags;
  try {
    flags = (await readCommandLine({
      args,
      options: {
        detach: { type: "boolean" },
        stop: { type: "boolean" },
        status: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    })).values;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`${err.message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (flags.help) {
    io.out(USAGE);
    return 0;
  }
  if ([flags.detach, flags.stop, flags.status].filter(Boolean).length > 1) {
    io.err(`Use one of --detach, --stop, --status.\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  try {
    const config = loadConfig(
      flags.stop || flags.status ? {} : { require: ["token", "channelId"] },
    );
    if (flags.status) return status(config.home, io);
    if (flags.stop) {
      const r = await stopBridge(config.home);
      io.out(
        !r.wasRunning
          ? "not running"
          : `stopped (pid ${r.pid})${r.forced ? " with SIGKILL: it did not exit on SIGTERM" : ""}`,
      );
      return 0;
    }
    const home = absolute(config.home);
    if (flags.detach) {
      const r = await startDetached({
        home,
        ...bridgeCommand({
          home,
          apiUrl: config.apiUrl,
          webhookUrl: config.webhookUrl,
          transcripts: transcriptsDirFor(readEnv(["HOME", "CLAUDE_CONFIG_DIR"])),
        }),
      });
      io.out(
        r.started
          ? `started (pid ${r.pid}); log: ${bridgePaths(home).log}`
          : `already running (pid ${r.pid})`,
      );
      return 0;
    }
    return await foreground({ ...config, home }, io);
  } catch (err) {
    io.err(describeError(err));
    return exitCodeOf(err);
  }
}

function status(home: string, io: { out: (line: string) => void }): number {
  const s = probeBridge(home);
  if (!s.running) {
    const halt = identifyHalt(home);
    io.out(
      halt
        ? `not running: halted until ${new Date(halt.until).toISOString()}: ${halt.reason}`
        : "not running",
    );
    return 1;
  }
  const st = s.status;
  const dropped = Object.entries(st?.dropped ?? {}).map(([k, v]) => `${k} ${v}`).join(", ");
  io.out(
    `running (pid ${s.pid ?? "?"})` +
      (st ? `, ${st.state} since ${st.since}, delivered ${st.delivered}` : "") +
      (dropped ? `, not delivered: ${dropped}` : "") +
      (st?.lastCatchUpAt ? `, last catch-up ${st.lastCatchUpAt}` : "") +
      (st?.warning ? `\nwarning: ${st.warning}` : ""),
  );
  return 0;
}

/**
 * The attachment limits of a configuration (config.json's MiB, KiB and days in bytes and ms).
 *
 * @param config The loaded configuration.
 * @returns The limits for {@linkcode Bridge}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { attachmentLimits } from "./bridge.ts";
 * import { type Config, loadConfig } from "./config.ts";
 * const limits = attachmentLimits(loadConfig({ env: { CLAUDE_DISCORD_HOME: Deno.makeTempDirSync() } }));
 * assert(limits.maxFileBytes === 8 * 1024 * 1024);
 * ```
 */
export function attachmentLimits(config: Config): AttachmentLimits {
  return {
    maxFileBytes: Math.round(config.attachmentMaxFileMiB * 1024 * 1024),
    maxMessageBytes: Math.round(config.attachmentMaxMessageMiB * 1024 * 1024),
    inlineTextBytes: Math.round(config.attachmentInlineKiB * 1024),
    retentionMs: Math.round(config.attachmentRetentionDays * 86_400_000),
  };
}

function absolute(path: string): string {
  if (path.startsWith("/")) return path;
  return `${Deno.cwd()}/${path}`.replace(/\/+$/, "");
}

async function foreground(
  config: ReturnType<typeof loadConfig> & { token?: string; channelId?: string },
  io: { out: (line: string) => void; err: (line: string) => void },
): Promise<number> {
  const got = await acquireInstanceLock(config.home);
  if (!got.acquired) {
    io.out(`already running (pid ${got.pid ?? "?"})`);
    return 0;
  }
  using lock = got.lock;
  const log = createLogger(lock.paths.log, { stderr: Deno.stderr.isTerminal() });
  const bridge = new Bridge({
    token: config.token!,
    channelId: config.channelId!,
    webhookUrl: config.webhookUrl,
    allowedUsers: config.allowedUsers,
    apiUrl: config.apiUrl,
    home: config.home,
    heldRetentionHours: config.heldRetentionHours,
    outboxLimits: { maxEntries: config.outboxMaxPosts, maxBytes: config.outboxMaxBytes },
    receipts: config.receipts,
    attachments: attachmentLimits(config),
    identifyCap: config.identifyCap,
    machine: machineOf(config, { onWarning: (m) => log.warn(m) }),
    log,
  });
  if (config.allowedUsers.length === 0) {
    log.warn("DISCORD_ALLOWED_USERS is empty: no message will be delivered (run setup)");
  }
  // discordeno runs handlers without awaiting them; whatever escapes must not end the bridge.
  const onRejection = (e: PromiseRejectionEvent) => {
    e.preventDefault();
    log.error("unhandled rejection", e.reason);
  };
  const onError = (e: ErrorEvent) => {
    e.preventDefault();
    log.error("uncaught error", e.error ?? e.message);
  };
  const onSignal = () => void bridge.stop();
  globalThis.addEventListener("unhandledrejection", onRejection);
  globalThis.addEventListener("error", onError);
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    bridge.start().catch(() => {});
    await bridge.done;
    return 0;
  } catch (err) {
    io.err(err instanceof ClaudeDiscordError ? err.message : describeError(err));
    return exitCodeOf(err);
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    globalThis.removeEventListener("unhandledrejection", onRejection);
    globalThis.removeEventListener("error", onError);
  }
}

if (import.meta.main) {
  const code = await main(Deno.args);
  // discordeno may leave sockets and timers behind: end the process explicitly.
  Deno.exit(code);
}
