// Private: the session's status card (card.ts) into its outbox queue at SessionStart, so that
// it opens the session's thread and the thread reads top to bottom from it; the bridge keeps it
// current. Loaded by the register role only when a session starts (or registers late).
import { CARD_KEY, cardEntry } from "../card.ts";
import { describeError } from "../log.ts";
import { Outbox } from "../outbox.ts";
import type { SessionRecord } from "../sessions.ts";
import type { HookContext } from "./_context.ts";
import { machineOf } from "../machine.ts";

/**
 * Queues the session's card unless it was posted already (a SessionStart after `/compact`, a
 * resumed session). Nothing without a STATUS channel (no webhook: no session threads).
 *
 * @param ctx The hook context.
 * @param record The session's record.
 * @returns What happened, for the log line.
 */
export async function queueCard(ctx: HookContext, record: SessionRecord): Promise<string> {
  const config = ctx.config();
  if (!config.webhookUrl) return "no STATUS channel, no card";
  try {
    const outbox = new Outbox(ctx.home, {
      maxEntries: config.outboxMaxPosts,
      maxBytes: config.outboxMaxBytes,
      now: ctx.now,
      onWarning: (m) => ctx.log.warn(m),
    });
    if (outbox.record(record.id).message(CARD_KEY) !== undefined) return "card posted before";
    if (outbox.hasPending(record.id, CARD_KEY)) return "card queued before";
    const facts = {
      session: { id: record.id, name: record.name },
      cwd: record.cwd,
      machine: machineOf(config, { onWarning: (m) => ctx.log.warn(m) }).label,
      startedAt: record.started,
      state: { kind: "idle" as const, since: record.started },
    };
    // Session names are letters, digits, _ and -, at most 50: their own thread title.
    await outbox.enqueue(record.id, [cardEntry(facts, record.name, ctx.now())]);
    return "card queued";
  } catch (err) {
    return `card not queued: ${describeError(err)}`;
  }
}
