// Helpers for the inbox tests: a message event with a given id, and the ids of a batch.
import type { InboxEvent } from "../../inbox.ts";
import { message } from "../_fixture.ts";

/** A message event with the given id, its text `text <id>`, at a fixed time (2030). */
export function ev(id: string, extra: Partial<InboxEvent> = {}): InboxEvent {
  return message(`text ${id}`, { id, timestamp: "2030-01-01T00:00:00.000Z", ...extra });
}

/** The ids of `events`, in order. */
export function ids(events: InboxEvent[]): string[] {
  return events.map((e) => e.id);
}
