// Shared by tests/inbox/stress_process_test.ts and its child processes.
import type { InboxEvent } from "../../inbox.ts";

/** The four session mailboxes of the stress test. */
export const SESSIONS: readonly string[] = ["s0", "s1", "s2", "s3"];

/** Large enough that the delivered logs keep every id, so the test can audit them. */
export const STRESS_DEDUPE_WINDOW = 1_000_000;

/** The sessions message `i` is addressed to: a non-empty subset, fixed per `i`. */
export function addressees(i: number): string[] {
  const mask = 1 + (Math.imul(i + 1, 2654435761) >>> 0) % 15;
  return SESSIONS.filter((_, bit) => (mask & (1 << bit)) !== 0);
}

/** The id of message `i`. */
export function messageId(i: number): string {
  return `m${i}`;
}

/** The event written for message `i`. */
export function eventFor(i: number): InboxEvent {
  return {
    id: messageId(i),
    kind: "message",
    channelId: "1100000000000000002",
    author: { id: "1100000000000000003", name: "stress" },
    content: `message ${i}`,
    timestamp: new Date(1_900_000_000_000 + i).toISOString(),
    attachments: [],
  };
}
