// Helpers for the bridge tests: a local Discord, a state directory with sessions, an
// in-process bridge or a bridge process with its least permissions, and mailbox readers.
import { Bridge, type BridgeOptions } from "../../bridge.ts";
import { bridgeCommand } from "../../daemon.ts";
import type { InboxEvent } from "../../inbox.ts";
import { createLogger } from "../../log.ts";
import { SessionRegistry } from "../../sessions.ts";
import {
  type DiscordServer,
  type DiscordServerOptions,
  startDiscordServer,
} from "../../testing/mod.ts";
import { waitFor } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";

/** A local Discord plus a state directory. */
export interface World extends AsyncDisposable {
  server: DiscordServer;
  home: string;
  registry: SessionRegistry;
  /** Events pending in a mailbox, in file order. */
  mailbox(name: string): InboxEvent[];
  /** Ids of the message events in a mailbox. */
  ids(name: string): string[];
  /** Posts as the owner in the chat channel (or `channelId`). */
  say(
    content: string,
    extra?: Partial<Parameters<DiscordServer["postAsUser"]>[0]>,
  ): Promise<string>;
  /** The bridge log so far. */
  log(): string;
}

/** Starts a local Discord and makes a state directory with the given sessions registered live. */
export async function world(
  options: { sessions?: string[]; server?: DiscordServerOptions } = {},
): Promise<World> {
  const server = await startDiscordServer({ port: 0, ...options.server });
  const dir = await tempDir("bridge-test-");
  const home = dir.path;
  const registry = new SessionRegistry(home);
  for (const id of options.sessions ?? []) {
    await registry.register({ id, cwd: `/work/${id}`, pid: Deno.pid });
  }
  const mailbox = (name: string): InboxEvent[] => {
    let text = "";
    try {
      text = Deno.readTextFileSync(`${home}/inbox/${name}.jsonl`);
    } catch {
      return [];
    }
    return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
  };
  return {
    server,
    home,
    registry,
    mailbox,
    ids: (name) => mailbox(name).filter((e) => e.kind === "message").map((e) => e.id),
    async say(content, extra = {}) {
      const m = await server.postAsUser({
        channelId: server.channelId,
        userId: server.ownerId,
        content,
        ...extra,
      });
      return m.id;
    },
    log() {
      try {
        return Deno.readTextFileSync(`${home}/bridge.log`);
      } catch {
        return "";
      }
    },
    async [Symbol.asyncDispose]() {
      try {
        await server.close();
      } finally {
        await dir[Symbol.asyncDispose]();
      }
    },
  };
}

/** Starts a bridge in this process and waits until it is connected and caught up. */
export async function startBridge(
  w: World,
  extra: Partial<BridgeOptions> = {},
): Promise<Bridge & AsyncDisposable> {
  const bridge = new Bridge({
    token: w.server.token,
    channelId: w.server.channelId,
    webhookUrl: w.server.webhookUrl,
    allowedUsers: [w.server.ownerId],
    apiUrl: w.server.apiUrl,
    home: w.home,
    log: createLogger(`${w.home}/bridge.log`),
    random: () => 0.5,
    ...extra,
  });
  const disposable = bridge as Bridge & AsyncDisposable;
  disposable[Symbol.asyncDispose] = () => bridge.stop();
  await withTimeout(bridge.start(), 15_000, "the bridge to connect");
  return disposable;
}

/** Rejects when `promise` takes longer than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The environment a bridge process gets. */
export function bridgeEnv(w: World, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DISCORD_BOT_TOKEN: w.server.token,
    DISCORD_CHANNEL_ID: w.server.channelId,
    DISCORD_WEBHOOK_URL: w.server.webhookUrl,
    DISCORD_ALLOWED_USERS: w.server.ownerId,
    DISCORD_API_URL: w.server.apiUrl,
    CLAUDE_DISCORD_HOME: w.home,
    // Deno finds its module cache (npm packages) through these.
    ...pick("HOME", "PATH", "DENO_DIR", "XDG_CACHE_HOME"),
    ...extra,
  };
}

function pick(...names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = Deno.env.get(n);
    if (v !== undefined) out[n] = v;
  }
  return out;
}

/** A bridge process with the least permissions of `bridgeCommand` (plus run, for --stop). */
export function spawnBridge(
  w: World,
  args: string[] = [],
  env: Record<string, string> = {},
): Deno.ChildProcess {
  const cmd = bridgeCommand({
    home: w.home,
    apiUrl: w.server.apiUrl,
    webhookUrl: w.server.webhookUrl,
    bridgeArgs: args,
  });
  return new Deno.Command(cmd.command, {
    args: cmd.args,
    cwd: cmd.cwd,
    env: bridgeEnv(w, env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Collects a process's output and status, bounded in time. */
export async function finish(
  child: Deno.ChildProcess,
  ms = 20_000,
): Promise<{ code: number; signal: Deno.Signal | null; stdout: string; stderr: string }> {
  const out = await withTimeout(child.output(), ms, "the bridge process to exit");
  const dec = new TextDecoder();
  return {
    code: out.code,
    signal: out.signal,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

/** Waits until a bridge process has connected (its status file says so). */
export async function waitConnected(w: World, pid: number, ms = 15_000): Promise<void> {
  await waitFor("the bridge process to connect", () => {
    try {
      const s = JSON.parse(Deno.readTextFileSync(`${w.home}/bridge/status.json`));
      return s.pid === pid && s.state === "connected" && s.lastCatchUpAt !== undefined;
    } catch {
      return false;
    }
  }, ms);
}

/** Counts how often each id occurs. */
export function counts(ids: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1);
  return m;
}
