// Private: setup's final live test. It (re)starts the bridge with the new configuration,
// waits for the gateway, registers a throw-away session, posts "connected" in the chat
// channel as the bot, and waits for a reply from an allowed user to arrive in that session's
// mailbox: the whole inbound path (Discord → gateway → bridge → routing → inbox) and the
// bot's REST path, checked once.
import type { Config } from "../config.ts";
import {
  bridgeCommand,
  bridgePaths,
  probeBridge,
  readBridgeStatus,
  startDetached,
  stopBridge,
} from "../daemon.ts";
import { ClaudeDiscordError, DiscordApiError, StateError } from "../errors.ts";
import { Inbox, type InboxEvent } from "../inbox.ts";
import { recordPost } from "../posts.ts";
import { SessionRegistry } from "../sessions.ts";
import { readTextIfExists, removeIfExists } from "../_shared/fs.ts";
import type { SetupApi } from "./api.ts";
import { describeError } from "../log.ts";

/** Options of {@linkcode liveTest}. */
export interface LiveTestOptions {
  /** The configuration just written (home absolute; token and channel set). */
  config: Config;
  /** The Discord calls. */
  api: SetupApi;
  /** How long to wait for the reply, ms. */
  timeoutMs: number;
  /** Restart a running bridge (the configuration changed). */
  restart: boolean;
  /** Progress lines. */
  say: (line: string) => void;
  /** The channel's name, for messages. */
  channelName: string;
  /** The deno binary for the bridge. Default `Deno.execPath()`. */
  denoPath?: string;
  /** Claude Code's transcripts directory, which the bridge reads for the status cards. */
  transcripts?: string;
}

/** What the live test proved. */
export interface LiveTestResult {
  /** The bridge's pid. */
  bridgePid: number | undefined;
  /** Whether this run started it. */
  started: boolean;
  /** The "connected" message. */
  messageId: string;
  /** The reply that came back through the bridge. */
  reply: InboxEvent;
  /** Time from posting to the reply's arrival, ms. */
  waitedMs: number;
}

/**
 * Runs the live round trip.
 *
 * @param o Configuration, API, timeouts, output.
 * @returns What happened.
 * @throws {ClaudeDiscordError} When the bridge does not connect or no reply arrives.
 */
export async function liveTest(o: LiveTestOptions): Promise<LiveTestResult> {
  const { config } = o;
  const home = config.home;
  const bridge = await ensureBridge(o);
  const sid = `setup-${crypto.randomUUID().slice(0, 8)}`;
  const registry = new SessionRegistry(home);
  await registry.register({ id: sid, cwd: Deno.cwd(), pid: Deno.pid });
  const inbox = new Inbox(home);
  try {
    const before = readBridgeStatus(home);
    const host = hostname();
    const message = await o.api.post(
      config.channelId!,
      `claude-discord is connected${host ? ` on ${host}` : ""}. Reply to this message ` +
        "to finish the setup check.",
    );
    await recordPost(home, sid, message.id);
    o.say(
      `Posted "claude-discord is connected" in #${o.channelName}: reply to it in Discord ` +
        `within ${Math.round(o.timeoutMs / 1000)} s (as one of the allowed users)…`,
    );
    const started = performance.now();
    const arrived = await inbox.waitForMessages(sid, { timeoutMs: o.timeoutMs });
    if (!arrived) throw noReply(o, before);
    const got = await inbox.claim(sid, () => {});
    const reply = got.find((e) => e.kind === "message") ?? got[0];
    const waitedMs = Math.round(performance.now() - started);
    await o.api.rest.createMessage(config.channelId!, {
      content: `Setup check passed: your message reached this machine's bridge.`,
      message_reference: { message_id: reply.id, fail_if_not_exists: false },
      allowed_mentions: { parse: [] },
    }).catch((err) => {
      if (!(err instanceof DiscordApiError)) throw err; // the confirmation is a courtesy
    });
    return {
      bridgePid: bridge.pid,
      started: bridge.started,
      messageId: message.id,
      reply,
      waitedMs,
    };
  } finally {
    await registry.unregister(sid).catch((err) => {
      if (!(err instanceof StateError)) throw err; // not registered (any more)
    });
    for (const file of [`inbox/${sid}.jsonl`, `inbox/.state/${sid}.lock`]) {
      removeIfExists(`${home}/${file}`);
    }
  }
}

async function ensureBridge(o: LiveTestOptions): Promise<{ pid?: number; started: boolean }> {
  const home = o.config.home;
  const now = probeBridge(home);
  if (now.running && !o.restart && now.status?.state === "connected") {
    o.say(`The bridge runs (pid ${now.pid}) and is connected.`);
    return { ...(now.pid ? { pid: now.pid } : {}), started: false };
  }
  if (now.running) {
    o.say(`Restarting the bridge (pid ${now.pid}) with the new configuration…`);
    await stopBridge(home);
  }
  const command = bridgeCommand({
    home,
    apiUrl: o.config.apiUrl,
    ...(o.config.webhookUrl ? { webhookUrl: o.config.webhookUrl } : {}),
    ...(o.denoPath ? { denoPath: o.denoPath } : {}),
    ...(o.transcripts ? { transcripts: o.transcripts } : {}),
  });
  let result;
  try {
    result = await startDetached({ home, ...command, waitMs: 15_000 });
  } catch (err) {
    throw new ClaudeDiscordError(
      `The bridge stopped right after starting: ${lastLogError(home) ?? describeError(err)} (log: ${
        bridgePaths(home).log
      })`,
      { cause: err },
    );
  }
  o.say(`Started the bridge (pid ${result.pid}); waiting for the gateway…`);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const probe = probeBridge(home);
    if (!probe.running) {
      await new Promise((r) => setTimeout(r, 200));
      if (!probeBridge(home).running) {
        throw new ClaudeDiscordError(
          `The bridge stopped right after starting: ${
            lastLogError(home) ?? "no reason logged"
          } (log: ${bridgePaths(home).log})`,
        );
      }
      continue;
    }
    if (probe.status?.state === "connected") {
      return { ...(probe.pid ? { pid: probe.pid } : {}), started: true };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new ClaudeDiscordError(
    `The bridge did not connect to the gateway within 30 s: ${
      lastLogError(home) ?? "nothing in its log"
    } (log: ${bridgePaths(home).log})`,
  );
}

function noReply(
  o: LiveTestOptions,
  before: ReturnType<typeof readBridgeStatus>,
): ClaudeDiscordError {
  const after = readBridgeStatus(o.config.home);
  const grew = (reason: string) => (after?.dropped[reason] ?? 0) > (before?.dropped[reason] ?? 0);
  const seconds = Math.round(o.timeoutMs / 1000);
  if (grew("not-allowed")) {
    return new ClaudeDiscordError(
      `A message arrived within ${seconds} s, but from a user who is not allowed: add your user id to DISCORD_ALLOWED_USERS (--allowed-users; right-click your name > Copy User ID), then run setup again`,
    );
  }
  if (grew("empty") || after?.warning) {
    return new ClaudeDiscordError(
      `No usable message arrived within ${seconds} s: ${
        after?.warning ?? "messages arrive without their text"
      }`,
    );
  }
  return new ClaudeDiscordError(
    `No reply reached the bridge within ${seconds} s: reply to the "connected" message in #${o.channelName} as one of the allowed users (${
      o.config.allowedUsers.join(", ") || "none set"
    }), or skip this check with --no-live-test; \`deno task status\` shows the bridge`,
  );
}

/** The last `error` (else `warn`) line of the bridge log, without its time stamp. */
export function lastLogError(home: string): string | undefined {
  const text = readTextIfExists(bridgePaths(home).log) ?? "";
  const lines = text.trimEnd().split("\n").reverse();
  const line = lines.find((l) => / error /.test(l)) ?? lines.find((l) => / warn /.test(l));
  return line?.replace(/^\S+ (error|warn) /, "");
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) return ""; // no --allow-sys=hostname
    throw err;
  }
}
