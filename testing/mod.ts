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
 * | `GET /_control/events` | | server-sent events: `dispatch` `{t, d}` for every gateway event |
 * | `GET /_control/messages` | `?channelId=` (default: the text channel) | messages, oldest first |
 * | `POST /_control/messages` | `{channelId?, userId?, content, messageReference?, attachments?, webhookId?}` | the message |
 * | `POST /_control/users` | `{username, bot?}` | the user |
 * | `POST /_control/threads` | `{parentId, name, messageId?, userId?, content?}` | the thread |
 * | `POST /_control/click` | `{messageId, customId, userId?, wait?}` | `{interactionId, answered?}` |
 * | `POST /_control/reaction` | `{channelId, messageId, emoji, userId?}` | 204 |
 * | `POST /_control/fault` | a {@linkcode Fault} | `{ok, touched}` |
 * | `POST /_control/reset` | | 204 |
 *
 * `userId` defaults to the owner. Errors come back as Discord error JSON.
 *
 * @example Point discordeno at the local server
 * ```ts
 * import { startDiscordServer } from "./mod.ts";
 *
 * await using server = await startDiscordServer({ port: 0 });
 * // createBot({ token: server.token, rest: { proxy: { baseUrl: server.apiUrl } }, ... })
 * const res = await fetch(`${server.apiUrl}/v10/users/@me`, {
 *   headers: { authorization: `Bot ${server.token}` },
 * });
 * console.assert((await res.json()).id === server.botId);
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
export { DEFAULT_RATE_LIMITS, type RateLimitOptions, type RateLimitRule } from "./_ratelimit.ts";
export type { Attachment, Channel, Message, Reaction, User, Webhook } from "./_types.ts";
export type { InteractionCallbackRecord } from "./_interactions.ts";
export type { ConnectionRecord, SessionRecord } from "./_gateway.ts";
export type { RequestRecord, WebhookExecution } from "./_state.ts";
