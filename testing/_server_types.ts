// The public shapes of the local server: its options, faults, user posts and state snapshot.
import type { ConnectionRecord, SessionRecord } from "./_gateway.ts";
import type { InteractionCallbackRecord, InteractionRecord } from "./_interactions.ts";
import type { ApplicationCommand } from "./_commands.ts";
import type { IdentifyBudgetOptions } from "./_identify_budget.ts";
import type { RateLimitOptions } from "./_ratelimit.ts";
import type { AccessChange } from "./_access.ts";
import type { NewAttachment, RequestRecord, WebhookExecution } from "./_state.ts";
import type { CdnFault, CdnRequestRecord } from "./_cdn.ts";
import type { Channel, Message, User } from "./_types.ts";
import type { SavedWorld } from "./_world.ts";

/** Options of {@linkcode startDiscordServer}. */
export interface DiscordServerOptions {
  /** Port for HTTP (REST, control, sandbox page). 0 = any free port (default). */
  port?: number;
  /** Port for the gateway relay; another free port when taken. Default: any free port. */
  gatewayPort?: number;
  /**
   * Starts on a world saved by {@linkcode DiscordServer.saveWorld}: same token, ids, webhook
   * URLs (moved to this server's port) and history. Default: a fresh world.
   */
  world?: SavedWorld;
  /** Stops the server when aborted. */
  signal?: AbortSignal;
  /** HELLO heartbeat interval. Default 1050 ms (discordeno hangs below ~1017 ms). */
  heartbeatIntervalMs?: number;
  /** Whether the app has the privileged MESSAGE_CONTENT intent. Default true. */
  messageContentIntent?: boolean;
  /** Rate limits (see {@linkcode RateLimitOptions}); `false` switches them all off. */
  rateLimits?: RateLimitOptions | false;
  /** Deadline for the first interaction callback. Default 3000 ms. */
  interactionDeadlineMs?: number;
  /** How long a disconnected gateway session stays resumable. Default 5 minutes. */
  resumeWindowMs?: number;
  /**
   * The token's IDENTIFY budget: 1,000 per 24 hours and `max_concurrency` 1 (one IDENTIFY per
   * 5 s; a faster one gets op 9) unless set otherwise; over the budget every session ends and
   * the token is reset. See {@linkcode IdentifyBudgetOptions}.
   */
  identifyBudget?: IdentifyBudgetOptions;
  /** Clock for snowflakes, timestamps and rate limit windows. Default `Date.now`. */
  now?: () => number;
  /**
   * Checks every REST answer against Discord's API description (npm `discord-api-spec`) and
   * makes {@linkcode DiscordServer.close} fail, naming each operation and field, when one did
   * not conform. Default true: every test that starts a server checks what it answered.
   * Requests are always checked; an invalid one gets Discord's 400 (code 50035).
   */
  checkResponses?: boolean;
  /**
   * How long a signed attachment URL stays valid; after that the CDN answers 404 and a fresh URL
   * comes with the message from REST. Default a day, as on Discord.
   */
  attachmentUrlTtlMs?: number;
}

/** A fault to inject; see {@linkcode DiscordServer.fault}. */
export type Fault =
  | { kind: "close"; code?: number }
  | { kind: "drop" }
  | { kind: "reconnect" }
  | { kind: "invalidSession"; resumable: boolean }
  | { kind: "stopAcks" }
  /** Forgets every session without telling the clients: their next RESUME gets op 9. */
  | { kind: "expireSessions" }
  | { kind: "http"; status: 429 | 500; count: number; route?: string; retryAfter?: number }
  | { kind: "latency"; ms: number }
  /** Slows the CDN's transfers down, or fails its next requests (see {@linkcode CdnFault}). */
  | ({ kind: "cdn" } & CdnFault)
  /** Changes the bot's access: guild membership, role permissions, channel overwrites. */
  | ({ kind: "access" } & AccessChange);

/** Input of {@linkcode DiscordServer.postAsUser}. */
export interface PostAsUser {
  /** Channel or thread to post in. */
  channelId: string;
  /** The author (a guild member). */
  userId: string;
  /** The text. */
  content: string;
  /** Makes it a reply to this message. */
  messageReference?: { message_id: string };
  /**
   * Attachments: their bytes, or placeholder bytes of the given size; served by the local CDN
   * behind signed URLs that expire (see {@linkcode DiscordServerOptions.attachmentUrlTtlMs}).
   */
  attachments?: NewAttachment[];
  /** Message flags, e.g. `MessageFlags.IsVoiceMessage` (with one attachment that has `duration_secs`). */
  flags?: number;
  /** Post as this webhook instead (the author becomes the webhook). */
  webhookId?: string;
}

/** Everything the server has seen and holds. */
export interface ServerStateSnapshot {
  /** Guild members, bots included. */
  users: User[];
  /** Text and forum channels. */
  channels: Channel[];
  /** Threads (forum posts included). */
  threads: Channel[];
  /** All messages, oldest first. */
  messages: Message[];
  /** Every webhook execution with its query string and answer status. */
  webhookExecutions: WebhookExecution[];
  /** Every interaction callback, with timing. */
  interactionCallbacks: InteractionCallbackRecord[];
  /** Every interaction with the bot's answers (ephemeral ones included), oldest first. */
  interactions: InteractionRecord[];
  /** The application's commands, global ones first. */
  commands: ApplicationCommand[];
  /** Every REST request (method, path, status, time). */
  requests: RequestRecord[];
  /** Every request to the attachment CDN. */
  cdnRequests: CdnRequestRecord[];
  /** Gateway sessions. */
  gatewaySessions: SessionRecord[];
  /** Gateway connections, oldest first. */
  gatewayConnections: ConnectionRecord[];
}
