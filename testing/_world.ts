// The local Discord's world as plain data, to save it and start a server on it again with
// the same token, ids, webhook URLs and history (what `deno task sandbox` keeps between runs).
import type { DiscordState, WorldIdentity } from "./_state.ts";
import type { Attachment, Channel, Message, User, Webhook } from "./_types.ts";
import { type ApplicationCommand, commandsOf } from "./_commands.ts";

/** The version of {@linkcode SavedWorld} this module writes and reads. */
export const WORLD_VERSION = 1;

/** Everything a server holds that outlives a restart (logs, sessions and faults do not). */
export interface SavedWorld {
  /** {@linkcode WORLD_VERSION}. */
  version: number;
  /** The server's origin when saved (`http://127.0.0.1:PORT`): URLs inside are moved to the new one. */
  origin: string;
  /** The gateway relay's port when saved (kept when free, so `resume_gateway_url` stays valid). */
  gatewayPort: number;
  /** Token, preset ids and the last snowflake. */
  identity: WorldIdentity;
  /** Guild members, bots included. */
  users: User[];
  /** Channels, forum and threads. */
  channels: Channel[];
  /** Messages per channel or thread, in their order. */
  messages: Record<string, Message[]>;
  /** Who reacted with what: message id → emoji key → user ids. */
  reactions: Record<string, Record<string, string[]>>;
  /** Webhooks (tokens included). */
  webhooks: Webhook[];
  /** Attachment bytes by attachment id. */
  files: Record<string, Uint8Array>;
  /** The application's commands, guild and global (absent in worlds saved before them). */
  commands?: ApplicationCommand[];
}

/** The world of `st`, deep-copied. */
export function saveWorld(st: DiscordState, gatewayPort: number): SavedWorld {
  const reactions: SavedWorld["reactions"] = {};
  for (const [messageId, byEmoji] of st.reactionUsers) {
    reactions[messageId] = Object.fromEntries([...byEmoji].map(([k, users]) => [k, [...users]]));
  }
  return {
    version: WORLD_VERSION,
    origin: st.origin,
    gatewayPort,
    identity: st.identity(),
    users: structuredClone([...st.users.values()]),
    channels: structuredClone([...st.channels.values()]),
    messages: structuredClone(Object.fromEntries(st.messagesByChannel)),
    reactions,
    webhooks: structuredClone([...st.webhooks.values()]),
    files: Object.fromEntries(st.files),
    commands: commandsOf(st).all(),
  };
}

/**
 * Checks the shape of a world read from disk.
 *
 * @throws {Error} Naming what is wrong.
 */
export function assertWorld(value: unknown): asserts value is SavedWorld {
  const w = value as Partial<SavedWorld> | null;
  if (typeof w !== "object" || w === null) throw new Error("not a JSON object");
  if (w.version !== WORLD_VERSION) {
    throw new Error(`version ${w.version} (this sandbox reads version ${WORLD_VERSION})`);
  }
  const id = w.identity;
  if (
    typeof w.origin !== "string" || typeof id?.token !== "string" ||
    typeof id.lastId !== "string" || typeof id.users?.bot !== "string" ||
    typeof id.webhooks?.forum?.token !== "string" || typeof id.webhooks?.text?.token !== "string"
  ) {
    throw new Error("its origin or identity (token, ids, webhooks) is missing");
  }
  for (const key of ["users", "channels", "webhooks"] as const) {
    if (!Array.isArray(w[key])) throw new Error(`"${key}" is not a list`);
  }
  for (const key of ["messages", "reactions", "files"] as const) {
    if (typeof w[key] !== "object" || w[key] === null) throw new Error(`"${key}" is missing`);
  }
}

/** Points an attachment saved under another origin at this one. */
function moveAttachment(a: Attachment, from: string, to: string): void {
  if (a.url.startsWith(`${from}/`)) a.url = to + a.url.slice(from.length);
  if (a.proxy_url.startsWith(`${from}/`)) a.proxy_url = to + a.proxy_url.slice(from.length);
}

/**
 * Puts a saved world into a state made with its {@linkcode SavedWorld.identity}: users,
 * channels, messages, reactions, webhooks and files; URLs move to the state's origin.
 */
export function loadWorld(st: DiscordState, w: SavedWorld): void {
  const copy = structuredClone({ ...w, files: {} });
  st.users.clear();
  for (const u of copy.users) st.users.set(u.id, u);
  // The preset users are the state's own objects (its getters hand them out).
  for (const u of [st.bot, st.owner, st.stranger, st.otherBot]) st.users.set(u.id, u);
  st.channels.clear();
  for (const c of copy.channels) st.channels.set(c.id, c);
  st.messagesByChannel.clear();
  st.messageChannel.clear();
  for (const [channelId, list] of Object.entries(copy.messages)) {
    for (const m of list) {
      st.messageChannel.set(m.id, channelId);
      for (const a of m.attachments) moveAttachment(a, w.origin, st.origin);
      for (const a of m.referenced_message?.attachments ?? []) {
        moveAttachment(a, w.origin, st.origin);
      }
    }
    st.messagesByChannel.set(channelId, list);
  }
  st.reactionUsers.clear();
  for (const [messageId, byEmoji] of Object.entries(copy.reactions)) {
    st.reactionUsers.set(
      messageId,
      new Map(Object.entries(byEmoji).map(([k, users]) => [k, new Set(users)])),
    );
  }
  st.webhooks.clear();
  for (const hook of copy.webhooks) {
    st.webhooks.set(hook.id, {
      ...hook,
      url: `${st.origin}/api/webhooks/${hook.id}/${hook.token}`,
    });
  }
  // The preset webhooks are the state's own objects (the server's URLs read them).
  st.webhooks.set(st.forumWebhook.id, st.forumWebhook);
  st.webhooks.set(st.textWebhook.id, st.textWebhook);
  st.files.clear();
  for (const [id, bytes] of Object.entries(w.files)) st.files.set(id, bytes);
  commandsOf(st).load(Array.isArray(copy.commands) ? copy.commands : []);
}
