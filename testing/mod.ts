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
 * threads, messages, reactions, webhooks, attachment bytes); `startDiscordServer({ world })`
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
 * - Dispatches: MESSAGE_CREATE/UPDATE/DELETE, MESSAGE_REACTION_ADD/REMOVE,
 *   THREAD_CREATE, INTERACTION_CREATE, filtered by intents; content, embeds,
 *   attachments and components emptied without MESSAGE_CONTENT (except the
 *   bot's own messages and messages mentioning it), on REST reads too.
 * - Attachments: served by a CDN on the same port behind signed URLs that expire
 *   like Discord's (`?ex=&is=&hm=`; default after a day, `attachmentUrlTtlMs`),
 *   404 "This content is no longer available." after that; every REST answer
 *   signs a message's attachment URLs anew. CDN requests are recorded
 *   (`cdnRequests`), and the `cdn` fault slows transfers or fails requests.
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
 *   message get/edit/delete, interaction callbacks 4–7 (3 s deadline, 15 min
 *   follow-ups via `/webhooks/{app}/{token}`, `@original`), `nonce` echoed and
 *   `enforce_nonce` answering the first message again within 5 minutes,
 *   `PATCH /channels/{id}` (rename, topic, archive, un-archive, lock; a message
 *   into an archived thread un-archives it unless locked: 160005).
 * - Access: the bot's guild membership, its role's permissions and per-channel
 *   overwrites (fault `access`) show in the guild's roles, the bot's member roles and
 *   the channels' `permission_overwrites`, and its REST calls get 50001 Missing Access
 *   (no View Channel, not a member), 50013 Missing Permissions (send, threads,
 *   webhooks, reactions) or an empty history (no Read Message History).
 * - Rate limits: per-route buckets with `X-RateLimit-*` headers, 429 bodies with
 *   `retry_after`/`global`, `Retry-After` and `X-RateLimit-Scope`, global 50/s,
 *   webhooks 5 per 2 s and 30 per minute per channel (see {@linkcode RateLimitOptions}).
 *
 * ## Knowingly not covered
 *
 * Compression (zlib/zstd, ETF), sharding beyond one shard, identify throttling
 * and `session_start_limit` accounting, the gateway send limit (4008), server
 * side heartbeat timeouts, presences, voice, DMs, roles other than @everyone and
 * the bot's, access on the gateway (events are not filtered by it), slash commands and modals' submit, archiving by inactivity,
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
