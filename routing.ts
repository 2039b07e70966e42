/**
 * Routing: which mailboxes an accepted Discord event goes to (ARCHITECTURE.md, Routing).
 *
 * Pure: every fact about sessions and posts comes from a {@linkcode RoutingView}; what every
 * bridge can tell about the event itself (who made its thread, who posted the message it
 * replies to) comes with the event.
 *
 * Several machines may run a bridge each on one bot token; each bridge sees every event and
 * acts only on what is its own (this machine's registry and posts index). What belongs to
 * another machine goes nowhere here (`elsewhere`): not delivered, not held.
 *
 * | event | goes to |
 * |---|---|
 * | message in a thread of this machine's session | that session only |
 * | message in another thread the bot made, or started from a bot message | nobody (`elsewhere`) |
 * | message starting with `@name` (one or more names; `name@label` names the machine) | this machine's sessions of those names; none: nobody (`elsewhere`) |
 * | reply to a message this machine's session posted | that session |
 * | reply to another message of the bot | nobody (`elsewhere`) |
 * | any other message | every live session, or {@linkcode HELD} when none is live |
 * | button click / reaction on a message this machine's session posted, or in its thread | that session |
 * | button click / reaction on anything else | nobody (`unowned`) |
 *
 * A thread belongs to a session when the registry says so, or when the session posted
 * the thread's starter message (a forum post's id and the id of a thread started from
 * a message are that message's id). A thread a person made (not from a bot message) is
 * treated like the channel.
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
 * @example Another machine's thread and session
 * ```ts
 * import assert from "node:assert/strict";
 * import { routeEvent, type RoutingView } from "./routing.ts";
 *
 * const view: RoutingView = {
 *   liveSessions: () => [{ id: "s1", name: "api" }],
 *   sessionByThread: () => undefined,
 *   sessionByName: () => undefined,
 *   postOwner: () => undefined,
 * };
 * const thread = routeEvent({
 *   kind: "message", channelId: "7", threadId: "7", content: "go", threadOrigin: "bot",
 * }, view);
 * assert(thread.mailboxes.length === 0 && thread.reason === "elsewhere");
 * const named = routeEvent({ kind: "message", channelId: "1", content: "@web go" }, view);
 * assert(named.mailboxes.length === 0 && named.reason === "elsewhere");
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
  /**
   * This machine's session with this name (case as typed, without `@`), if any. A name may end
   * in `@<machine label>`: it names this machine's session only when the label is this
   * machine's.
   */
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
  /**
   * Who made the event's thread, as every bridge can tell: `bot` when the bot created it or it
   * was started from a bot message (a session's thread, of this machine or another), `person`
   * otherwise. Unknown: the thread counts as a person's.
   */
  threadOrigin?: ThreadOrigin;
  /** Whether the message this one replies to was posted by the bot (on any machine). */
  replyToBot?: boolean;
}

/** Who made a thread: the bot (a session's thread, of some machine) or a person. */
export type ThreadOrigin = "bot" | "person";

/** Why an event went where it went. */
export type RouteReason =
  | "thread"
  | "name"
  | "reply"
  | "owner"
  | "broadcast"
  | "held"
  | "elsewhere"
  | "unowned";

/** Where an event goes. */
export interface Route {
  /** Mailbox names (session ids, or {@linkcode HELD}); empty when nobody should get it. */
  mailboxes: string[];
  /** The rule that decided. */
  reason: RouteReason;
}

const NAME_PREFIX = /^@([A-Za-z0-9][A-Za-z0-9_.-]*?(?:@[A-Za-z0-9][A-Za-z0-9_.-]*?)?)[:,]?(?=\s|$)/;

/**
 * Reads the `@name` addresses at the start of a message (`@api @web do this` → both). A name
 * may carry its machine's label: `@api-3f2a@laptop`.
 *
 * @param content The message text.
 * @returns The names, in order, without the leading `@`; empty when the text does not start
 *   with one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { leadingNames } from "./routing.ts";
 * assert(leadingNames("@api, @web: deploy").join() === "api,web");
 * assert(leadingNames("@api-3f2a@laptop go").join() === "api-3f2a@laptop");
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
  // A session's thread that is not this machine's: its machine delivers it.
  if (event.threadId !== undefined && event.threadOrigin === "bot") {
    return { mailboxes: [], reason: "elsewhere" };
  }

  const names = leadingNames(event.content);
  const named: string[] = [];
  for (const name of names) {
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
  // Addressed to sessions this machine does not have, or a reply to another machine's post.
  if (names.length > 0 || event.replyToBot === true) return { mailboxes: [], reason: "elsewhere" };

  const live = view.liveSessions().map((s) => s.id);
  const unique = [...new Set(live)];
  return unique.length > 0
    ? { mailboxes: unique, reason: "broadcast" }
    : { mailboxes: [HELD], reason: "held" };
}

function ownerOfThread(threadId: string, view: RoutingView): string | undefined {
  return view.sessionByThread(threadId)?.id ?? view.postOwner(threadId);
}
