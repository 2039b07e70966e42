// Private: the bridge's control room: Stop from Discord (stop.ts) and the slash commands
// (commands.ts), wired to the bridge's registry, REST clients, status board and mailboxes. The
// bridge hands it READY, every interaction and every accepted message first.
import { HELD, type Inbox, type InboxEvent } from "../inbox.ts";
import type { Logger } from "../log.ts";
import { Outbox } from "../outbox.ts";
import type { RoutingView } from "../routing.ts";
import { type SessionRecord, SessionRegistry } from "../sessions.ts";
import type { StopRequest } from "../stop.ts";
import type { RawInteraction } from "../_discord/raw.ts";
import { DiscordRest } from "../_discord/rest.ts";
import { InteractionAnswers } from "./answers.ts";
import { type Health, SlashCommands } from "./commands.ts";
import { Stopper } from "./stop.ts";
import type { StatusBoard } from "./status.ts";

/** What the control room needs from the bridge. */
export interface ControlDeps {
  /** The state directory. */
  home: string;
  /** Bot token (interaction answers get a REST client of their own, with a short budget). */
  token: string;
  /** REST base without version. */
  apiUrl: string;
  log: Logger;
  /** Clock (ms). Default `Date.now`. */
  now?: () => number;
  /** Users who may stop sessions and get answers. */
  allowedUsers: readonly string[];
  /** The bridge's REST client (registration, reactions). */
  rest: DiscordRest;
  /** Routing's view of the sessions and posts (who owns a thread). */
  view: Pick<RoutingView, "sessionByThread" | "postOwner">;
  /** The guild of the chat channel ("" until known). */
  guildId: () => string;
  /** This machine's label (machine.ts). */
  machine: () => string;
  /** The bridge's counters and state. */
  status: StatusBoard;
  /** The mailboxes (the held box's size). */
  inbox: Inbox;
  /** Told after every stop written (the card shows it). */
  onStop?: (session: SessionRecord, stop: StopRequest) => void;
  /** A session's state in words (the card's), when known. */
  stateOf?: (session: SessionRecord) => string | undefined;
}

/** Stop from Discord and the slash commands, for one bridge. */
export class ControlRoom {
  readonly stopper: Stopper;
  readonly commands: SlashCommands;
  readonly #answers: InteractionAnswers;

  /** @param d What the bridge provides. */
  constructor(d: ControlDeps) {
    // An interaction answer later than 3 s is useless: a short budget.
    const answerRest = new DiscordRest({
      token: d.token,
      apiUrl: d.apiUrl,
      retry: { budgetMs: 2500, timeoutMs: 2500, maxAttempts: 3 },
    });
    this.#answers = new InteractionAnswers(answerRest, d.log);
    const registry = new SessionRegistry(d.home, { onWarning: (m) => d.log.warn(m) });
    const now = d.now ?? Date.now;
    const allowed = new Set(d.allowedUsers);
    this.stopper = new Stopper({
      home: d.home,
      log: d.log,
      now,
      registry,
      allowed,
      threadOwner: (id) => d.view.sessionByThread(id)?.id ?? d.view.postOwner(id),
      react: (channelId, messageId, emoji) =>
        d.rest.request(
          "PUT",
          `/channels/${channelId}/messages/${messageId}/reactions/${encodeURIComponent(emoji)}/@me`,
          { what: `react to message ${messageId}` },
        ).then(() => {}),
      ...(d.onStop ? { onStop: d.onStop } : {}),
    });
    this.commands = new SlashCommands({
      rest: d.rest,
      answers: this.#answers,
      stopper: this.stopper,
      registry,
      home: d.home,
      allowed,
      log: d.log,
      now,
      guildId: d.guildId,
      machine: d.machine,
      health: () => health(d),
      ...(d.stateOf ? { stateOf: d.stateOf } : {}),
    });
  }

  /**
   * READY or RESUMED: makes the guild's slash commands current (registered only when they
   * differ) at every READY, and at a RESUMED when this bridge has not yet (it resumed the
   * session of the one before it, which may have had other commands).
   */
  onConnected(t: string, d: unknown): void {
    if (t === "READY") {
      const id = (d as { application?: { id?: unknown } } | null)?.application?.id;
      void this.commands.register(typeof id === "string" ? id : undefined);
    } else if (t === "RESUMED" && !this.commands.synced) void this.commands.register();
  }

  /**
   * An interaction: a Stop click, one of the slash commands or their autocomplete.
   *
   * @returns Whether it was one of those (handled here); other clicks are the bridge's.
   */
  onInteraction(i: RawInteraction): boolean {
    return this.stopper.onClick(i, this.#answers) || this.commands.onInteraction(i);
  }

  /**
   * An accepted message: `stop` alone in a session's thread stops the session.
   *
   * @returns Whether it was (then it is not delivered).
   */
  onMessage(event: InboxEvent): boolean {
    return this.stopper.onMessage(event);
  }
}

async function health(d: ControlDeps): Promise<Health> {
  const outbox = d.status.outbox?.();
  let held = 0;
  let pending = 0;
  try {
    held = await d.inbox.pending(HELD);
    pending = new Outbox(d.home).stats().pending;
  } catch (err) {
    d.log.warn(`/status: cannot count the held box or the outbox: ${err}`);
  }
  return {
    state: d.status.state,
    since: d.status.since,
    delivered: d.status.delivered,
    held,
    outboxPending: pending,
    sent: outbox?.sent ?? 0,
    failed: outbox?.failed ?? 0,
    ...(d.status.lastError ? { lastError: d.status.lastError } : {}),
  };
}
