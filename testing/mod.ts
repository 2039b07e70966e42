/**
 * A Discord-compatible local server for tests and a sandbox: gateway v10 (JSON
 * over WebSocket), the REST routes bots use, webhooks, interactions, rate
 * limits, fault injection, and a control API. Real clients (discordeno,
 * discord.js) connect to it unchanged: point their REST base at
 * {@linkcode DiscordServer.apiUrl} and the gateway URL comes from
 * `GET /gateway/bot`.
 *
 * ## Control API over HTTP (same port, under `/_control`)
 *
 * | route | body / query | answer |
 * |---|---|---|
 * | `GET /_control/info` | | ids, token, URLs (what the CLI prints) |
 * | `GET /_control/state` | | {@linkcode ServerStateSnapshot} |
 * | `GET /_control/events` | | server-sent events: `dispatch` `{t, d}` for every gateway event, `interaction` ({@linkcode InteractionRecord}) when an interaction changes |
 * | `GET /_control/messages` | `?channelId=` (default: the text channel) | messages, oldest first |
 * | `POST /_control/messages` | `{channelId?, userId?, content, messageReference?, attachments?, webhookId?, flags?}`; an attachment is `{filename, content_type?, data}` (base64 bytes) or `{filename, size}` | the message |
 * | `POST /_control/users` | `{username, bot?}` | the user |
 * | `POST /_control/threads` | `{parentId, name, messageId?, userId?, content?}` | the thread |
 * | `POST /_control/click` | `{messageId, customId, userId?, wait?}` | `{interactionId, answered?}` |
 * | `GET /_control/gateway` | | {@linkcode GatewayStats}: `session_start_limit`, sessions connected, IDENTIFYs and RESUMEs per token |
 * | `GET /_control/commands` | | the application's commands, global ones first |
 * | `POST /_control/command` | `{name, options?, subcommand?, group?, userId?, channelId?, wait?}` | `{interactionId, answered?}` |
 * | `POST /_control/autocomplete` | `{name, focused, options?, subcommand?, group?, userId?, channelId?}` | {@linkcode AutocompleteResult} |
 * | `GET /_control/interactions/{id}` | `?messages=N&timeoutMs=T` waits for N answers | {@linkcode InteractionRecord} |
 * | `POST /_control/reaction` | `{channelId, messageId, emoji, userId?}` | 204 |
 * | `POST /_control/fault` | a {@linkcode Fault} | `{ok, touched}` |
 * | `POST /_control/reset` | | 204 |
 *
 * `userId` defaults to the owner. Errors come back as Discord error JSON.
 *
 * The sandbox page is served at `/` (its Discord markdown is parsed by the server: `POST
 * /_sandbox/markdown` `{texts}` → `{trees}`, npm `discord-markdown-parser`).
 *
 * ## Saved and started again
 *
 * {@linkcode DiscordServer.saveWorld} gives the world as data (token, ids, users, channels,
 * threads, messages, reactions, webhooks, application commands, attachment bytes);
 * `startDiscordServer({ world })`
 * starts on it with the same token, ids and history, webhook and attachment URLs moved to
 * the new port, new ids after the saved ones. Logs, gateway sessions and faults start empty.
 * `deno task sandbox` keeps its world this way (see `testing/sandbox.ts`).
 *
 * ## What behaves like Discord
 *
 * - Gateway v10, JSON text frames, `s`/`t` null on non-dispatch frames: HELLO
 *   (interval configurable, default 1050 ms), heartbeat ACK, IDENTIFY with token
 *   check (4004), intents check (4013, 4014 for MESSAGE_CONTENT when the app
 *   lacks it), READY with `resume_gateway_url` (`<gateway>/resume`), GUILD_CREATE
 *   (text channel "chat", forum "status", active threads), sequence numbers,
 *   RESUME replaying the session buffer then RESUMED, op 9 when a session cannot
 *   be resumed, a client close 1000/1001 ends the session.
 * - Several sessions per token (Gateway topic, Sharding: "You can establish multiple
 *   sessions with the same `[shard_id, num_shards]`"): every IDENTIFY starts a session of
 *   its own and each session gets every dispatch of its intents, interactions included (the
 *   first valid callback wins; the others get 40060). `shard` `[id, n]` routes the guild's
 *   events to shard `(guild_id >> 22) % n` (events without a guild to shard 0); an invalid
 *   one closes 4010.
 * - The token's IDENTIFY budget (Gateway topic, Identifying and Session Start Limit Object):
 *   `GET /gateway/bot` answers `session_start_limit` {total 1000, remaining counting down,
 *   reset_after, max_concurrency 1}; RESUMEs do not count. An IDENTIFY within 5 s of the
 *   last one (per rate limit key `shard_id % max_concurrency`) gets op 9 `d: false` ("If your
 *   app exceeds this limit, Discord will respond with an Invalid Session (opcode 9)"), starts
 *   nothing and costs nothing. The IDENTIFY that finds nothing remaining ends every session
 *   (close 4004) and resets the token ("all active sessions for the app will be terminated,
 *   the bot token will be reset"): {@linkcode DiscordServer.token} is then a new one, the old
 *   one gets 401 and 4004. Set it with {@linkcode DiscordServerOptions.identifyBudget}; read
 *   it with {@linkcode DiscordServer.gatewayStats} or `GET /_control/gateway`.
 * - Dispatches: MESSAGE_CREATE/UPDATE/DELETE, MESSAGE_REACTION_ADD/REMOVE (the bot's own
 *   reactions too, with the bot as `user_id`), THREAD_CREATE, INTERACTION_CREATE (button
 *   clicks, type 3; slash commands, type 2; autocomplete, type 4), filtered by intents;
 *   content, embeds, attachments and components emptied without MESSAGE_CONTENT (except the
 *   bot's own messages and messages mentioning it), on REST reads too.
 * - Attachments: served by a CDN on the same port behind signed URLs that expire
 *   like Discord's (`?ex=&is=&hm=`; default after a day, `attachmentUrlTtlMs`),
 *   404 "This content is no longer available." after that; every REST answer
 *   signs a message's attachment URLs anew. CDN requests are recorded
 *   (`cdnRequests`), and the `cdn` fault slows transfers or fails requests.
 * - Application commands (Application Commands topic): guild and global, list, bulk
 *   overwrite (a command whose name and type exist keeps its id, and its version when
 *   nothing changed; the others are deleted), create as an upsert (201 new, 200 otherwise),
 *   get, edit, delete (10063 when unknown); names and options checked as documented
 *   (`APPLICATION_COMMAND_INVALID_NAME`, lower case, required options first, unique names,
 *   `autocomplete` only on string, integer and number options and never with `choices`,
 *   `APPLICATION_COMMANDS_DUPLICATE_NAME`), 100 per type and scope (30032), 200 new guild
 *   commands per day (30034, a 429).
 * - Slash commands ({@linkcode DiscordServer.runCommand}, {@linkcode DiscordServer.autocomplete}):
 *   the interaction carries the command's id, name, type and options typed as the Discord
 *   client sends them (required ones present, `choices` and min/max kept, sub-commands
 *   nested, users and channels in `resolved`); autocomplete sends the `focused` option as
 *   typed so far. Callbacks by kind: 4, 5 (deferred) and 9 for commands, 8 for autocomplete,
 *   4–7 and 9 for components (any other: 50035); once, within the deadline (3 s: later 10062,
 *   a second one 40060). An answer with flag 64 (ephemeral) is kept with the interaction for
 *   its user only: in no channel history and no gateway event;
 *   {@linkcode DiscordServer.interaction} and {@linkcode DiscordServer.waitForAnswers} show
 *   every answer (original and follow-ups). Follow-ups (`/webhooks/{app}/{token}`, and
 *   `@original` or a message id with GET, PATCH, DELETE) take the token once the interaction
 *   is answered, for 15 minutes (10015 Unknown Webhook otherwise); the first follow-up after
 *   a deferral edits the loading message instead, as Discord still does (Create Followup
 *   Message), keeping its ephemeral state.
 * - Discord's API description (npm `discord-api-spec`, pinned): every route is
 *   one of its operations, every request is checked against it (path and query
 *   parameters, JSON or multipart `payload_json` body; unknown fields ignored as
 *   Discord ignores them) and an invalid one answered 400 with code 50035 and
 *   field errors. Every answer is checked too (types, required fields, no field
 *   the description lacks) unless `checkResponses: false`: {@linkcode DiscordServer.close}
 *   then fails naming each operation and field. A request without `/v10` is
 *   answered but counted as such a departure. Where the description disagrees
 *   with Discord's documented behaviour, the documented behaviour wins; each such
 *   departure is listed once, with its reason, in `testing/_spec_exceptions.ts`.
 * - REST (`/api/v10`, `/api/v9` and unversioned): `Bot` auth (401), error JSON
 *   with 50035 field errors, 50006, 10003/10008/10013/10015/10062/40060/50005,
 *   messages with before/after/around/limit (newest first), replies (type 19,
 *   `referenced_message`), embeds/components validation, multipart uploads,
 *   reactions, typing, threads from a message (id = message id), without one
 *   (type 18 system message), forum posts (id = starter message id),
 *   webhooks with `wait`, `thread_id`, `thread_name`, 220001–220003 and
 *   message get/edit/delete, interaction callbacks (see above), `nonce` echoed and
 *   `enforce_nonce` answering the first message again within 5 minutes,
 *   `PATCH /channels/{id}` (rename, topic, archive, un-archive, lock; a message
 *   into an archived thread un-archives it unless locked: 160005).
 * - Access: the bot's guild membership, its role's permissions and per-channel
 *   overwrites (fault `access`) show in the guild's roles, the bot's member roles and
 *   the channels' `permission_overwrites`, and its REST calls get 50001 Missing Access
 *   (no View Channel, not a member), 50013 Missing Permissions (send, threads,
 *   webhooks, reactions) or an empty history (no Read Message History).
 * - Rate limits: per-route buckets with `X-RateLimit-*` headers, 429 bodies with
 *   `retry_after`/`global`, `Retry-After` and `X-RateLimit-Scope`. Discord publishes the
 *   global limit (50/s per bot) and says to read the rest from the headers; the local
 *   server's own numbers (see {@linkcode RateLimitOptions}, all configurable): webhooks 5
 *   per 2 s per webhook and 30 per minute per channel, bot messages 5 per 5 s per channel,
 *   edits of the bot's messages (`PATCH /channels/{id}/messages/{id}`) 5 per 5 s per
 *   channel, reactions 1 per 250 ms per channel, any other route 50 per second.
 *
 * ## Knowingly not covered
 *
 * Compression (zlib/zstd, ETF), the gateway send limit (4008), server
 * side heartbeat timeouts, presences, voice, DMs, roles other than @everyone and
 * the bot's, access on the gateway (events are not filtered by it), modals' submit,
 * user and message commands run by a person (they register; only chat input commands
 * run), command permissions and localized names, option values of roles, mentionables
 * and attachments (sent as given, not resolved), archiving by inactivity,
 * thread members, pins, bulk delete, stickers, polls, custom emoji (unknown
 * custom emoji answer 10014), `MESSAGE_UPDATE` of a message that gets a thread,
 * Cloudflare-level bans after many invalid requests.
 *
 * @example Point discordeno at the local server
 * ```ts
 * import assert from "node:assert/strict";
 * import { startDiscordServer } from "./mod.ts";
 *
 * await using server = await startDiscordServer({ port: 0 });
 * // createBot({ token: server.token, rest: { proxy: { baseUrl: server.apiUrl } }, ... })
 * const res = await fetch(`${server.apiUrl}/v10/users/@me`, {
 *   headers: { authorization: `Bot ${server.token}` },
 * });
 * assert((await res.json()).id === server.botId);
 * ```
 *
 * @module
 */
export {
  DiscordServer,
  type DiscordServerOptions,
  type Fault,
  type PostAsUser,
  type ServerStateSnapshot,
  startDiscordServer,
} from "./_server.ts";
export type { AccessChange } from "./_access.ts";
export { DEFAULT_RATE_LIMITS, type RateLimitOptions, type RateLimitRule } from "./_ratelimit.ts";
export type {
  Attachment,
  Channel,
  Message,
  MessageReference,
  Reaction,
  ThreadMetadata,
  User,
  UserInit,
  Webhook,
} from "./_types.ts";
export type {
  ClickResult,
  InteractionCallbackRecord,
  InteractionKind,
  InteractionRecord,
} from "./_interactions.ts";
export type { ApplicationCommand, CommandOption } from "./_commands.ts";
export type { Autocomplete, AutocompleteResult, RunCommand } from "./_slash.ts";
export type { ConnectionRecord, SessionRecord } from "./_gateway.ts";
export type {
  GatewayStats,
  IdentifyBudgetOptions,
  SessionStartLimit,
  TokenGatewayStats,
} from "./_identify_budget.ts";
export type {
  NewAttachment,
  RequestRecord,
  WebhookExecution,
  WebhookKey,
  WorldIdentity,
} from "./_state.ts";
export type { SavedWorld } from "./_world.ts";
export type { ThreadAsUser } from "./_user_actions.ts";
export type { CdnFault, CdnRequestRecord } from "./_cdn.ts";
