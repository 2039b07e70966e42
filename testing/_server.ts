// The server object: one Deno.serve for REST, control API, attachments and the
// sandbox page; a TCP relay in front of the gateway WebSocket.
import { DiscordHttpError, errors } from "./_errors.ts";
import { Gateway } from "./_gateway.ts";
import type { GatewayStats } from "./_identify_budget.ts";
import { type ClickResult, type InteractionRecord, Interactions } from "./_interactions.ts";
import {
  type Autocomplete,
  autocomplete,
  type AutocompleteResult,
  type RunCommand,
  runCommand,
} from "./_slash.ts";
import { type ApplicationCommand, commandsOf } from "./_commands.ts";
import { RateLimiter } from "./_ratelimit.ts";
import { accessOf } from "./_access.ts";
import { gatewayFault, HttpFaults } from "./_faults.ts";
import { restRoutes } from "./_rest.ts";
import { compile, type Hub, json } from "./_router.ts";
import { RestPipeline } from "./_rest_pipeline.ts";
import { DiscordState } from "./_state.ts";
import { TcpRelay } from "./_tcp_proxy.ts";
import type { Attachment, Channel, Message, User, UserInit } from "./_types.ts";
import { webhookRoutes } from "./_webhooks.ts";
import { commandRoutes } from "./_command_routes.ts";
import { isThread } from "./_threads.ts";
import { ChannelType } from "discord-api-types/v10";
import { createThreadAsUser, postAsUser, type ThreadAsUser } from "./_user_actions.ts";
import { loadWorld, type SavedWorld, saveWorld } from "./_world.ts";
import { handleControl } from "./_control.ts";
import { sandboxRoute } from "./_sandbox_page.ts";
import type {
  DiscordServerOptions,
  Fault,
  PostAsUser,
  ServerStateSnapshot,
} from "./_server_types.ts";
import { describeError } from "../log.ts";

export type { DiscordServerOptions, Fault, PostAsUser, ServerStateSnapshot };

/** A running local Discord. Create it with {@linkcode startDiscordServer}. */
export class DiscordServer implements AsyncDisposable {
  /** REST base without version: `http://127.0.0.1:PORT/api` (what `DISCORD_API_URL` is set to). */
  readonly apiUrl: string;
  /** `http://127.0.0.1:PORT`: control API under `/_control`, sandbox page at `/`. */
  readonly origin: string;
  /** The gateway URL `GET /gateway/bot` returns. */
  readonly gatewayUrl: string;
  readonly #state: DiscordState;
  readonly #gateway: Gateway;
  readonly #interactions: Interactions;
  readonly #limiter: RateLimiter;
  readonly #restPipeline: RestPipeline;
  readonly #violations: string[] = [];
  readonly #http: Deno.HttpServer<Deno.NetAddr>;
  readonly #relay: TcpRelay;
  readonly #abort = new AbortController();
  readonly #listeners = new Set<(t: string, d: Record<string, unknown>) => void>();
  readonly #changeListeners = new Set<() => void>();
  readonly #httpFaults = new HttpFaults();
  #latencyMs = 0;
  #closed?: Promise<void>;

  /** @internal Use {@linkcode startDiscordServer}. */
  constructor(options: DiscordServerOptions = {}) {
    const now = options.now ?? Date.now;
    this.#http = Deno.serve({
      hostname: "127.0.0.1",
      port: options.port ?? 0,
      signal: this.#abort.signal,
      onListen: () => {},
    }, (req, info) => this.#serve(req, info as Deno.ServeHandlerInfo<Deno.NetAddr>));
    const port = this.#http.addr.port;
    this.origin = `http://127.0.0.1:${port}`;
    this.apiUrl = `${this.origin}/api`;
    this.#relay = new TcpRelay(port, options.gatewayPort);
    this.gatewayUrl = `ws://127.0.0.1:${this.#relay.port}`;
    this.#state = new DiscordState({
      now,
      origin: this.origin,
      messageContentIntent: options.messageContentIntent ?? true,
      identity: options.world?.identity,
      attachmentUrlTtlMs: options.attachmentUrlTtlMs,
    });
    if (options.world) loadWorld(this.#state, options.world);
    const heartbeat = options.heartbeatIntervalMs ?? 1050;
    if (!(heartbeat >= 100)) throw new RangeError("heartbeatIntervalMs must be at least 100");
    this.#gateway = new Gateway({
      state: this.#state,
      heartbeatIntervalMs: heartbeat,
      resumeUrl: () => `${this.gatewayUrl}/resume`,
      resumeWindowMs: options.resumeWindowMs,
      identifyBudget: options.identifyBudget,
      now,
    });
    const sink = this.#state.dispatch;
    this.#state.dispatch = (t, d, info) => {
      sink(t, d, info);
      for (const l of this.#listeners) l(t, d);
      this.#changed();
    };
    this.#interactions = new Interactions(this.#state, options.interactionDeadlineMs ?? 3000);
    this.#interactions.listen(() => this.#changed());
    this.#limiter = new RateLimiter(options.rateLimits, now);
    this.#restPipeline = new RestPipeline({
      state: this.#state,
      hub: () => this.#hub,
      limiter: this.#limiter,
      routes: compile([...restRoutes, ...webhookRoutes, ...commandRoutes]),
      httpFaults: this.#httpFaults,
      latencyMs: () => this.#latencyMs,
      checkResponses: options.checkResponses ?? true,
      violations: this.#violations,
    });
    // The owner of the signal learns of violations from close() or specViolations.
    options.signal?.addEventListener("abort", () => void this.close().catch(() => {}), {
      once: true,
    });
  }

  get #hub(): Hub {
    return {
      state: this.#state,
      gateway: this.#gateway,
      interactions: this.#interactions,
      gatewayUrl: () => this.gatewayUrl,
    };
  }

  /** The minted bot token (`base64(botId).x.y`). */
  get token(): string {
    return this.#state.token;
  }
  /** The bot user's id. */
  get botId(): string {
    return this.#state.bot.id;
  }
  /** The application id (equal to the bot id, as on Discord). */
  get applicationId(): string {
    return this.#state.applicationId;
  }
  /** The one guild. */
  get guildId(): string {
    return this.#state.guildId;
  }
  /** The text channel "chat". */
  get channelId(): string {
    return this.#state.channelId;
  }
  /** The forum channel "status". */
  get forumId(): string {
    return this.#state.forumId;
  }
  /** Webhook URL on the forum channel. */
  get webhookUrl(): string {
    return this.#state.forumWebhook.url;
  }
  /** Webhook URL on the text channel. */
  get textWebhookUrl(): string {
    return this.#state.textWebhook.url;
  }
  /** The application owner (a normal user). */
  get ownerId(): string {
    return this.#state.owner.id;
  }
  /** Preset users. */
  get users(): { owner: User; stranger: User; otherBot: User; bot: User } {
    const s = this.#state;
    return { owner: s.owner, stranger: s.stranger, otherBot: s.otherBot, bot: s.bot };
  }

  /**
   * Adds a guild member.
   *
   * @param init Name and whether it is a bot.
   * @returns The user.
   */
  createUser(init: UserInit): User {
    return this.#state.createUser(init);
  }

  /** Posts a message as a user (or webhook); dispatched to connected bots, kept in history. */
  postAsUser(p: PostAsUser): Promise<Message> {
    return Promise.resolve().then(() => postAsUser(this.#state, p));
  }

  /** Creates a thread as a user (from a message, or a forum post / bare thread). */
  createThread(o: ThreadAsUser): Promise<Channel> {
    return Promise.resolve().then(() => createThreadAsUser(this.#state, o));
  }

  /**
   * A user clicks a button of a bot message: INTERACTION_CREATE goes to the bots.
   *
   * @param o The message, the button's custom id, the user.
   * @returns The interaction id and whether a callback came within the deadline.
   */
  clickButton(o: { messageId: string; customId: string; userId: string }): Promise<ClickResult> {
    return Promise.resolve().then(() => this.#interactions.click(o));
  }

  /**
   * A user runs a slash command registered by the bot (a guild command first, then a global
   * one): INTERACTION_CREATE type 2 goes to every session, its options typed and checked as
   * the Discord client does.
   *
   * @param o The command, its options, the user (default: the owner), the channel.
   * @returns The interaction id and whether a callback came within the deadline.
   * @throws {DiscordHttpError} 10063 for a command not registered, 50035 for bad options.
   *
   * @example A bot registers /sessions and answers it ephemerally
   * ```ts
   * import assert from "node:assert/strict";
   * import { startDiscordServer } from "./mod.ts";
   *
   * await using server = await startDiscordServer({ port: 0 });
   * const api = (path: string, method: string, body: unknown) =>
   *   fetch(`${server.apiUrl}/v10${path}`, {
   *     method,
   *     headers: { authorization: `Bot ${server.token}`, "content-type": "application/json" },
   *     body: JSON.stringify(body),
   *   }).then((r) => r.text());
   * await api(`/applications/${server.applicationId}/guilds/${server.guildId}/commands`, "PUT", [
   *   { name: "sessions", description: "List the live sessions" },
   * ]);
   * server.onEvent((t, d) => {
   *   if (t !== "INTERACTION_CREATE") return;
   *   void api(`/interactions/${d.id}/${d.token}/callback`, "POST", {
   *     type: 4,
   *     data: { content: "no live session", flags: 64 },
   *   });
   * });
   * const run = await server.runCommand({ name: "sessions" });
   * const answered = await server.waitForAnswers(run.interactionId);
   * assert.equal(answered?.messages[0].content, "no live session");
   * assert.deepEqual(server.messages(server.channelId), []); // ephemeral: in no channel
   * ```
   */
  runCommand(o: RunCommand): Promise<ClickResult> {
    return Promise.resolve().then(() => runCommand(this.#state, this.#interactions, o));
  }

  /**
   * A user types into an option with autocomplete: INTERACTION_CREATE type 4 (the option
   * `focused`), then the bot's choices (callback type 8) or none after the deadline.
   */
  autocomplete(o: Autocomplete): Promise<AutocompleteResult> {
    return Promise.resolve().then(() => autocomplete(this.#state, this.#interactions, o));
  }

  /** An interaction (click, command, autocomplete) and every answer of the bot to it. */
  interaction(interactionId: string): InteractionRecord | undefined {
    return this.#interactions.record(interactionId);
  }

  /**
   * Waits until the bot has answered an interaction with at least `messages` messages (its
   * original response and follow-ups, ephemeral ones included), or `timeoutMs` passed.
   *
   * @returns The interaction as it is then (the caller checks what arrived).
   */
  waitForAnswers(
    interactionId: string,
    opts: { messages?: number; timeoutMs?: number } = {},
  ): Promise<InteractionRecord | undefined> {
    return this.#interactions.waitForAnswers(interactionId, opts);
  }

  /** The application's commands, global ones first. */
  commands(): ApplicationCommand[] {
    return commandsOf(this.#state).all();
  }

  /**
   * Calls `fn` whenever an interaction changes (a callback, a follow-up, an edit, a
   * deletion), ephemeral answers included. Returns an unsubscribe.
   */
  onInteraction(fn: (r: InteractionRecord) => void): () => void {
    return this.#interactions.listen(fn);
  }

  /** A user adds a reaction. */
  addReaction(
    o: { channelId: string; messageId: string; userId: string; emoji: string },
  ): Promise<void> {
    return Promise.resolve().then(() => {
      this.#state.addReaction(o.channelId, o.messageId, o.userId, o.emoji);
    });
  }

  /** Messages of one channel or thread, oldest first. */
  messages(channelId: string): Message[] {
    return [...(this.#state.messagesByChannel.get(channelId) ?? [])];
  }

  /** A snapshot of everything. */
  state(): ServerStateSnapshot {
    const st = this.#state;
    const all = [...st.messagesByChannel.values()].flat().sort((a, b) =>
      BigInt(a.id) < BigInt(b.id) ? -1 : 1
    );
    const channels = [...st.channels.values()];
    return structuredClone({
      users: [...st.users.values()],
      channels: channels.filter((c) =>
        c.type === ChannelType.GuildText || c.type === ChannelType.GuildForum
      ),
      threads: channels.filter(isThread),
      messages: all,
      webhookExecutions: st.webhookExecutions,
      interactionCallbacks: this.#interactions.callbacks,
      interactions: this.#interactions.records(),
      commands: commandsOf(st).all(),
      requests: st.requests,
      cdnRequests: st.cdn.requests,
      gatewaySessions: this.#gateway.sessions(),
      gatewayConnections: this.#gateway.connections,
    });
  }

  /**
   * The gateway's IDENTIFY budget (`session_start_limit`), its sessions, and how many
   * IDENTIFYs and RESUMEs each token did.
   *
   * @example A fresh server: the whole budget, no session
   * ```ts
   * import assert from "node:assert/strict";
   * import { startDiscordServer } from "./mod.ts";
   *
   * await using server = await startDiscordServer({ port: 0, identifyBudget: { total: 5 } });
   * const stats = server.gatewayStats();
   * assert.equal(stats.sessionStartLimit.remaining, 5);
   * assert.equal(stats.sessionsConnected, 0);
   * assert.equal(stats.tokens[0].identifies, 0);
   * ```
   */
  gatewayStats(): GatewayStats {
    return this.#gateway.stats();
  }

  /** Injects a fault. Returns how many connections it touched (gateway faults) or 0. */
  fault(f: Fault): number {
    const touched = gatewayFault(this.#gateway, f);
    if (touched !== undefined) return touched;
    switch (f.kind) {
      case "http":
        this.#httpFaults.add(f);
        return 0;
      case "access":
        accessOf(this.#state).apply(f);
        return 0;
      case "cdn":
        this.#state.cdn.fault(f);
        return 0;
      case "latency":
        if (!(f.ms >= 0)) throw new RangeError("latency must be >= 0 ms");
        this.#latencyMs = f.ms;
        return 0;
      default:
        throw new RangeError(`Unknown fault kind: ${(f as { kind: string }).kind}`);
    }
  }

  /** Clears messages, threads, logs, faults and rate limit windows; ids, token and live sessions stay. */
  reset(): void {
    this.#state.reset();
    this.#interactions.reset();
    this.#limiter.reset();
    this.#gateway.reset();
    this.#httpFaults.reset();
    accessOf(this.#state).reset();
    this.#latencyMs = 0;
    this.#changed();
  }

  /** `a` with its URL signed anew (valid for `attachmentUrlTtlMs` from now). */
  freshAttachment(a: Attachment): Attachment {
    return this.#state.cdn.fresh(a);
  }

  /** Calls `fn` on every dispatched gateway event (for the sandbox page). Returns an unsubscribe. */
  onEvent(fn: (t: string, d: Record<string, unknown>) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /**
   * Calls `fn` after anything may have changed the world: a gateway dispatch, a request other
   * than GET, a reset. Returns an unsubscribe.
   */
  onChange(fn: () => void): () => void {
    this.#changeListeners.add(fn);
    return () => this.#changeListeners.delete(fn);
  }

  #changed(): void {
    for (const l of this.#changeListeners) l();
  }

  /**
   * The world as data: token, ids, users, channels, threads, messages, reactions, webhooks,
   * attachment bytes. {@linkcode DiscordServerOptions.world} starts a server on it again.
   */
  saveWorld(): SavedWorld {
    return saveWorld(this.#state, this.#relay.port);
  }

  /** @internal The state store, for the control API. */
  get internalState(): DiscordState {
    return this.#state;
  }

  /**
   * Requests sent with another API version than v10, and answers that did not conform to
   * Discord's API description (see {@linkcode DiscordServerOptions.checkResponses}), one line
   * each naming the operation and the field.
   */
  get specViolations(): string[] {
    return [...this.#violations];
  }

  /**
   * Stops everything (idempotent).
   *
   * @throws {Error} Listing {@linkcode specViolations} when there are any, after stopping.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#interactions.reset();
      this.#gateway.closeAll(1001, "The local server is shutting down.");
      this.#listeners.clear();
      this.#changeListeners.clear();
      await this.#relay.close();
      this.#abort.abort();
      await this.#http.finished;
    })();
    return this.#closed.then(() => {
      if (this.#violations.length === 0) return;
      const unique = [...new Set(this.#violations)];
      throw new Error(
        `The local Discord saw ${unique.length} departure(s) from Discord's API description:\n` +
          unique.map((v) => `  ${v}`).join("\n"),
      );
    });
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #serve(req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>): Promise<Response> {
    const res = await this.#handle(req, info);
    // Reads, and the page's markdown parsing, change nothing.
    const read = req.method === "GET" || req.method === "HEAD" || req.url.includes("/_sandbox/");
    if (!read) this.#changed();
    return res;
  }

  async #handle(req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>): Promise<Response> {
    const url = new URL(req.url);
    if (req.headers.get("upgrade")?.toLowerCase() === "websocket") {
      return this.#gateway.upgrade(req, this.#relay.cutterFor(info.remoteAddr.port));
    }
    try {
      if (url.pathname.startsWith("/_control")) return await handleControl(this, req, url);
      if (url.pathname.startsWith("/api/")) return await this.#restPipeline.handle(req, url);
      if (url.pathname.startsWith("/attachments/")) return this.#state.cdn.serve(req, url);
      return await sandboxRoute(req, url) ?? json(errors.notFound().body(), 404);
    } catch (e) {
      if (e instanceof DiscordHttpError) return json(e.body(), e.status);
      return json({ message: describeError(e), code: 0 }, 500);
    }
  }
}

/**
 * Starts a local Discord on 127.0.0.1.
 *
 * @example Start, post as a user, read the history
 * ```ts
 * import assert from "node:assert/strict";
 * import { startDiscordServer } from "./mod.ts";
 *
 * await using server = await startDiscordServer({ port: 0 });
 * await server.postAsUser({ channelId: server.channelId, userId: server.ownerId, content: "hi" });
 * assert(server.messages(server.channelId)[0].content === "hi");
 * ```
 */
export function startDiscordServer(options: DiscordServerOptions = {}): Promise<DiscordServer> {
  return Promise.resolve().then(() => new DiscordServer(options));
}
