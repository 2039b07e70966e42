// Helpers for the inbox tests: a message event and the ids of a batch.
import type { InboxEvent } from "../../inbox.ts";

/** A message event with the given id (and fixed channel, author and time). */
export function ev(id: string, extra: Partial<InboxEvent> = {}): InboxEvent {
  return {
    id,
    kind: "message",
    channelId: "1100000000000000002",
    author: { id: "1100000000000000003", name: "ada" },
    content: `text ${id}`,
    timestamp: "2030-01-01T00:00:00.000Z",
    attachments: [],
    ...extra,
  };
}

/** The ids of `events`, in order. */
export function ids(events: InboxEvent[]): string[] {
  return events.map((e) => e.id);
}
