// Private: channel mode. The session's mailbox is pushed to Claude Code as
// `notifications/claude/channel` events while messages arrive (a file watch on the inbox,
// no polling of Discord). Each batch is taken with `Inbox.claim`, whose two-phase commit
// happens only after every notification of the batch was written to stdout, so a message
// goes either to the channel or to the hooks, never to both, and is not lost if the
// server dies first.
//
// Claude Code drops channel notifications silently unless the session was started with
// `--channels …` or `--dangerously-load-development-channels …`, and it gives the server
// no sign of that. A message claimed then would be lost, so by default the server only
// pushes when an ancestor process (the `claude` command) carries one of those flags
// (command lines come from the process probe, _shared/procs.ts); otherwise the mailbox is
// left to the hooks.
import { sleep } from "../_shared/sleep.ts";
import type { Logger } from "../log.ts";
import type { InboxEvent } from "../inbox.ts";
import type { SessionMatch } from "./session.ts";
import { type ChannelPayload, channelPayload } from "./text.ts";

/** The inbox operations channel mode uses (`Inbox` from inbox.ts fits). */
export interface ChannelInbox {
  claim(
    mailbox: string,
    deliver: (events: InboxEvent[]) => void | Promise<void>,
  ): Promise<InboxEvent[]>;
  waitForMessages(
    mailbox: string,
    options: { signal?: AbortSignal; timeoutMs: number },
  ): Promise<boolean>;
}

/** Options of {@linkcode runChannelPump}. */
export interface ChannelPumpOptions {
  inbox: ChannelInbox;
  /** Resolves the session served (re-run on every round). */
  session: () => Promise<SessionMatch>;
  /** Writes one notification; resolves once it is on stdout. */
  send: (payload: ChannelPayload) => Promise<void>;
  /** Stops the pump. */
  signal: AbortSignal;
  log: Logger;
  /** Re-resolve the session at least this often while waiting. Default 30 000 ms. */
  resolveEveryMs?: number;
  /** Pause before looking again when no session is served. Default 2000 ms. */
  idleMs?: number;
}

/** Pushes the session's mailbox until `signal` aborts. Never throws. */
export async function runChannelPump(options: ChannelPumpOptions): Promise<void> {
  const { inbox, signal, log } = options;
  const resolveEvery = options.resolveEveryMs ?? 30_000;
  const idle = options.idleMs ?? 2000;
  while (!signal.aborted) {
    let mailbox: string | undefined;
    try {
      mailbox = (await options.session()).session?.id;
      if (!mailbox) {
        await sleep(idle, signal);
        continue;
      }
      const delivered = await inbox.claim(mailbox, async (events) => {
        for (const event of events) await options.send(channelPayload(event));
      });
      if (delivered.length > 0) {
        log.info(
          `channel: pushed ${delivered.length} event(s) of ${mailbox}: ${
            delivered.map((e) => e.id).join(", ")
          }`,
        );
      }
      if (signal.aborted) break;
      await inbox.waitForMessages(mailbox, { signal, timeoutMs: resolveEvery });
    } catch (err) {
      if (signal.aborted) break;
      log.error(`channel: ${mailbox ?? "(no session)"}: delivery failed, retrying`, err);
      await sleep(1000, signal);
    }
  }
}

/** The Claude Code flags that turn channel delivery on. */
export const CHANNEL_FLAGS = ["--channels", "--dangerously-load-development-channels"] as const;

/**
 * Looks through the ancestors' command lines for a Claude Code channel flag.
 *
 * @param pids Ancestor pids, nearest first.
 * @param argsOf A process's command line as words, `undefined` when unknown.
 * @returns The pid and its channel flags with their values, or `undefined` when no ancestor has one.
 */
export function findChannelFlag(
  pids: number[],
  argsOf: (pid: number) => string[] | undefined,
): { pid: number; args: string[] } | undefined {
  for (const pid of pids) {
    const argv = argsOf(pid);
    if (!argv) continue;
    const args: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      const flag = CHANNEL_FLAGS.find((f) => a === f || a.startsWith(`${f}=`));
      if (!flag) continue;
      const values: string[] = [];
      if (a.includes("=")) values.push(a.slice(a.indexOf("=") + 1));
      else {
        for (let j = i + 1; j < argv.length && !argv[j].startsWith("-"); j++) values.push(argv[j]);
      }
      args.push([flag, ...values].join(" "));
    }
    if (args.length > 0) return { pid, args };
  }
  return undefined;
}
