/**
 * Routing: which mailboxes an accepted Discord event goes to (ARCHITECTURE.md, Routing).
 *
 * Pure: every fact about sessions and posts comes from a {@linkcode RoutingView}.
 *
 * | event | goes to |
 * |---|---|
 * | message in a session's thread | that session only |
 * | message starting with `@name` (one or more names) | those sessions |
 * | reply to a message a session posted | that session |
 * | any other message | every live session, or {@linkcode HELD} when none is live |
 * | button click / reaction on a message a session posted | that session |
 * | button click / reaction on anything else | nobody (`unowned`) |
 *
 * A thread belongs to a session when the registry says so, or when the session posted
 * the thread's starter message (a forum post's id and the id of a thread started from
 * a message are that message's id). A thread nobody owns is treated like the channel.
 *
 * @example Route a broadcast
 * ```ts
 * import assert from "node:assert/strict";
 * import { routeEvent, type RoutingView } from "./routing.ts";
 *
 * const view: RoutingView = {
 *   liveSessions: () => [{ id: "s1", name: "api" }, { id: "s2", name: "web" }],
 *   sessionByThread: () => undefined,
 *   sessionByName: (name) => name === "web" ? { id: "s2", name: "web" } : undefined,
 *   postOwner: () => undefined,
 * };
 * const all = routeEvent({ kind: "message", channelId: "1", content: "status?" }, view);
 * assert(all.mailboxes.join() === "s1,s2" && all.reason === "broadcast");
 * const one = routeEvent({ kind: "message", channelId: "1", content: "@web run tests" }, view);
 * assert(one.mailboxes.join() === "s2" && one.reason === "name");
 * ```
 *
 * @module
 */
import { HELD } from "./inbox.ts";

/** What routing needs to know about a session. */
export interface RoutedSession {
  /** Session id (= its mailbox name). */
  id: string;
  /** Human name, used by `@name` addressing. */
  name: string;
  /** The session's Discord thread, when it has one. */
  threadId?: string;
}

/** The facts routing reads; the bridge backs it with the session registry and the posts index. */
export interface RoutingView {
  /** Sessions that are live now. */
  liveSessions(): readonly RoutedSession[];
  /** The session that owns a thread (live or not), if any. */
  sessionByThread(threadId: string): RoutedSession | undefined;
  /** The session with this name (case as typed), if any. */
  sessionByName(name: string): RoutedSession | undefined;
  /** The id of the session that posted this message, if one did. */
  postOwner(messageId: string): string | undefined;
}

/** The fields of an inbox event that routing looks at. */
export interface RoutableEvent {
  /** Message, button click or reaction. */
  kind: "message" | "button" | "reaction";
  /** Where it happened (the thread id when in a thread). */
  channelId: string;
  /** Set when the event happened in a thread. */
  threadId?: string;
  /** Message text. */
  content: string;
  /** The message this one replies to. */
  replyTo?: { messageId: string; channelId?: string };
  /** The message a button or reaction belongs to. */
  targetMessageId?: string;
}

/** Why an event went where it went. */
export type RouteReason =
  | "thread"
  | "name"
  | "reply"
  | "owner"
  | "broadcast"
  | "held"
  | "unowned";

/** Where an event goes. */
export interface Route {
  /** Mailbox names (session ids, or {@linkcode HELD}); empty when nobody should get it. */
  mailboxes: string[];
  /** The rule that decided. */
  reason: RouteReason;
}

const NAME_PREFIX = /^@([A-Za-z0-9][A-Za-z0-9_.-]*?)[:,]?(?=\s|$)/;

/**
 * Reads the `@name` addresses at the start of a message (`@api @web do this` → both).
 *
 * @param content The message text.
 * @returns The names, in order, without `@`; empty when the text does not start with one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { leadingNames } from "./routing.ts";
 * assert(leadingNames("@api, @web: deploy").join() === "api,web");
 * assert(leadingNames("hello @api").length === 0);
 * assert(leadingNames("<@1100000000000000001> hi").length === 0);
 * ```
 */
export function leadingNames(content: string): string[] {
  const names: string[] = [];
  let rest = content.trimStart();
  for (;;) {
    const m = rest.match(NAME_PREFIX);
    if (!m) return names;
    names.push(m[1]);
    rest = rest.slice(m[0].length).replace(/^[\s,]+/, "");
  }
}

/**
 * Decides which mailboxes an accepted event goes to (see the module doc for the rules).
 *
 * @param event The event (already filtered: an allowed user in an accepted channel).
 * @param view Sessions and posts.
 * @returns The mailboxes and the deciding rule.
 *
 * @example A reply to a session's post, and a held message
 * ```ts
 * import assert from "node:assert/strict";
 * import { routeEvent, type RoutingView } from "./routing.ts";
 * import { HELD } from "./inbox.ts";
 *
 * const view: RoutingView = {
 *   liveSessions: () => [],
 *   sessionByThread: () => undefined,
 *   sessionByName: () => undefined,
 *   postOwner: (id) => id === "1100000000000000009" ? "s1" : undefined,
 * };
 * const reply = routeEvent({
 *   kind: "message", channelId: "1", content: "yes",
 *   replyTo: { messageId: "1100000000000000009" },
 * }, view);
 * assert(reply.mailboxes.join() === "s1" && reply.reason === "reply");
 * const held = routeEvent({ kind: "message", channelId: "1", content: "anyone?" }, view);
 * assert(held.mailboxes[0] === HELD && held.reason === "held");
 * ```
 */
export function routeEvent(event: RoutableEvent, view: RoutingView): Route {
  const threadOwner = event.threadId === undefined
    ? undefined
    : ownerOfThread(event.threadId, view);

  if (event.kind !== "message") {
    const target = event.targetMessageId;
    const owner = (target === undefined ? undefined : view.postOwner(target)) ?? threadOwner;
    return owner === undefined
      ? { mailboxes: [], reason: "unowned" }
      : { mailboxes: [owner], reason: "owner" };
  }

  if (threadOwner !== undefined) return { mailboxes: [threadOwner], reason: "thread" };

  const named: string[] = [];
  for (const name of leadingNames(event.content)) {
    const session = view.sessionByName(name);
    if (session !== undefined && !named.includes(session.id)) named.push(session.id);
  }
  const replyOwner = event.replyTo === undefined
    ? undefined
    : view.postOwner(event.replyTo.messageId);
  if (named.length > 0) {
    if (replyOwner !== undefined && !named.includes(replyOwner)) named.push(replyOwner);
    return { mailboxes: named, reason: "name" };
  }
  if (replyOwner !== undefined) return { mailboxes: [replyOwner], reason: "reply" };

  const live = view.liveSessions().map((s) => s.id);
  const unique = [...new Set(live)];
  return unique.length > 0
    ? { mailboxes: unique, reason: "broadcast" }
    : { mailboxes: [HELD], reason: "held" };
}

function ownerOfThread(threadId: string, view: RoutingView): string | undefined {
  return view.sessionByThread(threadId)?.id ?? view.postOwner(threadId);
}
