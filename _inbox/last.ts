// Private: where a session was last spoken to: the last Discord message a hook handed to it
// (`inbox/.state/<session>.last.json`), written by the delivery hooks after they printed it and
// read by the MCP server, whose `reply` without a target answers that message where it was
// written (ARCHITECTURE.md, Routing).
import { ensurePrivateDir, readJsonState, writePrivateFileAtomic } from "../_shared/fs.ts";
import type { InboxEvent } from "./types.ts";

/** The last message delivered to a session. */
export interface LastDelivered {
  /** The message id. */
  messageId: string;
  /** Its channel, or its thread when it was written in one. */
  channelId: string;
  /** Set when `channelId` is a thread. */
  threadId?: string;
  /** Who wrote it. */
  authorId: string;
  /** When it was handed to the session (ISO 8601). */
  at: string;
}

function lastPath(home: string, session: string): string {
  return `${home.replace(/\/+$/, "")}/inbox/.state/${session}.last.json`;
}

/**
 * Records the last message (not a click or a reaction) of `events` as the session's last
 * delivered one; nothing without a message.
 *
 * @param home The state directory.
 * @param session The session (mailbox) id.
 * @param events What was just handed to it, in order.
 * @param now The time (ms).
 * @returns Whether something was recorded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { noteLastDelivered, readLastDelivered } from "../inbox.ts";
 * const home = Deno.makeTempDirSync();
 * noteLastDelivered(home, "s1", [{
 *   id: "1100000000000000005", kind: "message", channelId: "1100000000000000002",
 *   author: { id: "1100000000000000003", name: "ada" }, content: "hi",
 *   timestamp: new Date().toISOString(), attachments: [],
 * }], Date.now());
 * assert.equal(readLastDelivered(home, "s1")?.messageId, "1100000000000000005");
 * ```
 */
export function noteLastDelivered(
  home: string,
  session: string,
  events: readonly InboxEvent[],
  now: number,
): boolean {
  const last = events.findLast((e) => e.kind === "message");
  if (last === undefined) return false;
  const path = lastPath(home, session);
  ensurePrivateDir(path.slice(0, path.lastIndexOf("/")));
  const record: LastDelivered = {
    messageId: last.id,
    channelId: last.channelId,
    ...(last.threadId !== undefined ? { threadId: last.threadId } : {}),
    authorId: last.author.id,
    at: new Date(now).toISOString(),
  };
  writePrivateFileAtomic(path, JSON.stringify(record) + "\n");
  return true;
}

/**
 * The last message delivered to a session, if any (a damaged record is moved aside and told).
 *
 * @param home The state directory.
 * @param session The session id.
 * @param onWarning Told when a damaged record was moved aside.
 * @returns The record.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readLastDelivered } from "../inbox.ts";
 * assert.equal(readLastDelivered(Deno.makeTempDirSync(), "s1"), undefined);
 * ```
 */
export function readLastDelivered(
  home: string,
  session: string,
  onWarning?: (message: string) => void,
): LastDelivered | undefined {
  const read = readJsonState(lastPath(home, session), (v) => {
    const r = v as Partial<LastDelivered> | null;
    return typeof r?.messageId === "string" && typeof r.channelId === "string" &&
        typeof r.authorId === "string" && typeof r.at === "string"
      ? r as LastDelivered
      : undefined;
  }, undefined);
  if (read.damaged) onWarning?.(read.damaged);
  return read.value;
}
