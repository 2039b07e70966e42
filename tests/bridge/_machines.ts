// Helpers for the tests of several machines on one bot: one local Discord, a state directory
// per machine (= one machine, machine.ts) with its label and live sessions, each session's
// thread opened by that machine's bridge as the hooks' first post opens it (the outbox), and
// mailbox readers. The bridges run in this process or as processes.
import { Bridge } from "../../bridge.ts";
import { bridgeCommand, probeBridge } from "../../daemon.ts";
import type { InboxEvent } from "../../inbox.ts";
import { createLogger } from "../../log.ts";
import { machineIdentity } from "../../machine.ts";
import { threadNameFor } from "../../notify.ts";
import { Outbox } from "../../outbox.ts";
import { type SessionRecord, SessionRegistry } from "../../sessions.ts";
import type { DiscordServer } from "../../testing/mod.ts";
import { sessionRegistry } from "../../hooks/_registry.ts";
import { waitFor } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";
import { bridgeEnv, withTimeout, type World } from "./_helpers.ts";

/** One machine: a state directory with its label and sessions. */
export interface Machine extends AsyncDisposable {
  label: string;
  home: string;
  registry: SessionRegistry;
  /** Events in a mailbox, in file order. */
  mailbox(name: string): InboxEvent[];
  /** Ids of the events of a mailbox. */
  ids(name: string): string[];
  /** A live session by id. */
  session(id: string): SessionRecord;
  /** The bridge log so far. */
  log(): string;
  /** The machine as a {@linkcode World} (for the bridge helpers). */
  world: World;
}

/**
 * Makes a machine: a state directory with `label` and the sessions `ids` registered live (as
 * the register hook does: names that another machine's session has get the label).
 */
export async function machine(
  server: DiscordServer,
  label: string,
  ids: { id: string; cwd: string }[],
): Promise<Machine> {
  const dir = await tempDir(`machine-${label}-`);
  const home = dir.path;
  machineIdentity(home, { label });
  const registry = new SessionRegistry(home);
  const naming = sessionRegistry(home, undefined, () => label);
  for (const s of ids) await naming.register({ ...s, pid: Deno.pid });
  const mailbox = (name: string): InboxEvent[] => {
    let text = "";
    try {
      text = Deno.readTextFileSync(`${home}/inbox/${name}.jsonl`);
    } catch {
      return [];
    }
    return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
  };
  const log = () => {
    try {
      return Deno.readTextFileSync(`${home}/bridge.log`);
    } catch {
      return "";
    }
  };
  const world: World = {
    server,
    home,
    registry,
    mailbox,
    ids: (name) => mailbox(name).map((e) => e.id),
    say: async (content, extra = {}) =>
      (await server.postAsUser({
        channelId: server.channelId,
        userId: server.ownerId,
        content,
        ...extra,
      })).id,
    log,
    [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose](),
  };
  return {
    label,
    home,
    registry,
    mailbox,
    ids: world.ids,
    session: (id) => registry.get(id)!,
    log,
    world,
    [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose](),
  };
}

/** Registers one more session on a machine, named as the register hook names it. */
export async function addSession(m: Machine, id: string, cwd: string): Promise<SessionRecord> {
  return await sessionRegistry(m.home, undefined, () => m.label).register({
    id,
    cwd,
    pid: Deno.pid,
  });
}

/** Starts a machine's bridge in this process; resolves once it is connected and caught up. */
export async function startMachineBridge(m: Machine): Promise<Bridge & AsyncDisposable> {
  const { server } = m.world;
  const bridge = new Bridge({
    token: server.token,
    channelId: server.channelId,
    webhookUrl: server.webhookUrl,
    allowedUsers: [server.ownerId],
    apiUrl: server.apiUrl,
    home: m.home,
    machine: machineIdentity(m.home, { label: m.label }),
    log: createLogger(`${m.home}/bridge.log`),
    random: () => 0.5,
  });
  const disposable = bridge as Bridge & AsyncDisposable;
  disposable[Symbol.asyncDispose] = () => bridge.stop();
  await withTimeout(bridge.start(), 15_000, `the bridge of ${m.label} to connect`);
  return disposable;
}

/** A machine's bridge as a process, started as daemon.ts starts it (its label in the env). */
export function spawnMachineBridge(m: Machine): Deno.ChildProcess {
  const cmd = bridgeCommand({
    home: m.home,
    apiUrl: m.world.server.apiUrl,
    webhookUrl: m.world.server.webhookUrl,
  });
  return new Deno.Command(cmd.command, {
    args: cmd.args,
    cwd: cmd.cwd,
    env: bridgeEnv(m.world, { CLAUDE_DISCORD_MACHINE: m.label }),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Waits until a machine's bridge process is connected and caught up. */
export async function waitMachineConnected(m: Machine, pid: number): Promise<void> {
  await waitFor(`the bridge of ${m.label} to connect`, () => {
    const s = probeBridge(m.home).status;
    return s?.pid === pid && s.state === "connected" && s.lastCatchUpAt !== undefined;
  }, 20_000);
}

/**
 * Opens the thread of each session of a machine as the hooks' first post does: a post queued in
 * its outbox, which the machine's bridge sends (a forum post in the STATUS channel, by the bot).
 * Resolves with the thread ids once each is recorded.
 */
export async function openThreads(m: Machine, ids: string[]): Promise<string[]> {
  const outbox = new Outbox(m.home);
  for (const id of ids) {
    const name = m.session(id).name;
    await outbox.enqueue(id, [{
      kind: "post",
      threadName: threadNameFor(name),
      body: { content: `STATUS ${name}: started` },
    }]);
  }
  return await waitFor(
    `the threads of ${m.label}`,
    () => {
      const threads = ids.map((id) => m.registry.get(id)?.threadId);
      return threads.every((t) => t !== undefined) ? threads as string[] : undefined;
    },
    15_000,
  );
}

/**
 * Posts a message as a session of a machine in the chat channel (as the MCP server's reply
 * does: the bot's message, recorded in that machine's posts index); resolves with its id.
 */
export async function postAs(m: Machine, sid: string, content: string): Promise<string> {
  const [entry] = await new Outbox(m.home).enqueue(sid, [{
    kind: "post",
    channelId: m.world.server.channelId,
    body: { content },
  }]);
  return await waitFor(`${m.label}'s post "${content}"`, () => {
    const sent = new Outbox(m.home).record(sid).outcome(entry.id);
    return sent !== undefined && "sent" in sent ? sent.sent.messageId : undefined;
  }, 15_000);
}

/**
 * Posts a permission prompt of a session into its thread as the permission hook does (an outbox
 * post keyed and owned `perm-<requestId>`, with an Allow button `cd:perm:<requestId>:allow`);
 * resolves with its message id once the machine's bridge posted it.
 */
export async function postPrompt(m: Machine, sid: string, requestId: string): Promise<string> {
  const key = `perm-${requestId}`;
  await new Outbox(m.home).enqueue(sid, [{
    kind: "post",
    threadName: threadNameFor(m.session(sid).name),
    key,
    owner: key,
    body: {
      content: `Permission request of ${m.session(sid).name}: Bash(touch x)`,
      components: [{
        type: 1,
        components: [{
          type: 2,
          style: 3,
          label: "Allow",
          custom_id: `cd:perm:${requestId}:allow`,
        }],
      }],
    },
  }]);
  return await waitFor(
    `${m.label}'s prompt ${requestId}`,
    () => new Outbox(m.home).record(sid).message(key)?.messageId,
    15_000,
  );
}
