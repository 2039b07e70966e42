// Reactions: add/remove with MESSAGE_REACTION_ADD/REMOVE, emoji parsing.
import { GatewayIntentBits, ReactionType } from "discord-api-types/v10";
import { errors } from "./_errors.ts";
import type { World } from "./_state_types.ts";

/** Adds a reaction and dispatches MESSAGE_REACTION_ADD. Returns false if it was there. */
export function addReaction(
  st: World,
  channelId: string,
  messageId: string,
  userId: string,
  emoji: string,
): boolean {
  const msg = st.messageOrThrow(channelId, messageId);
  const user = st.userOrThrow(userId);
  const parsed = parseEmoji(emoji);
  const key = parsed.id ?? parsed.name;
  const byEmoji = st.reactionUsers.get(messageId) ?? new Map<string, Set<string>>();
  st.reactionUsers.set(messageId, byEmoji);
  const users = byEmoji.get(key) ?? new Set<string>();
  byEmoji.set(key, users);
  if (users.has(userId)) return false;
  users.add(userId);
  msg.reactions ??= [];
  let r = msg.reactions.find((x) => (x.emoji.id ?? x.emoji.name) === key);
  if (!r) {
    r = {
      count: 0,
      count_details: { burst: 0, normal: 0 },
      me: false,
      me_burst: false,
      burst_colors: [],
      emoji: parsed,
    };
    msg.reactions.push(r);
  }
  r.count++;
  r.count_details.normal++;
  if (userId === st.bot.id) r.me = true;
  st.dispatch("MESSAGE_REACTION_ADD", {
    user_id: userId,
    channel_id: channelId,
    message_id: messageId,
    guild_id: st.guildId,
    member: st.member(user, true),
    emoji: parsed,
    message_author_id: msg.author.id,
    burst: false,
    burst_colors: [],
    type: ReactionType.Normal,
  }, { intent: GatewayIntentBits.GuildMessageReactions });
  return true;
}

/** Removes a reaction and dispatches MESSAGE_REACTION_REMOVE. */
export function removeReaction(
  st: World,
  channelId: string,
  messageId: string,
  userId: string,
  emoji: string,
): void {
  const msg = st.messageOrThrow(channelId, messageId);
  const parsed = parseEmoji(emoji);
  const key = parsed.id ?? parsed.name;
  const users = st.reactionUsers.get(messageId)?.get(key);
  if (!users?.delete(userId)) return;
  const r = msg.reactions?.find((x) => (x.emoji.id ?? x.emoji.name) === key);
  if (r) {
    r.count--;
    r.count_details.normal--;
    if (userId === st.bot.id) r.me = false;
    if (r.count === 0) msg.reactions = msg.reactions!.filter((x) => x !== r);
  }
  st.dispatch("MESSAGE_REACTION_REMOVE", {
    user_id: userId,
    channel_id: channelId,
    message_id: messageId,
    guild_id: st.guildId,
    emoji: parsed,
    burst: false,
    type: ReactionType.Normal,
  }, { intent: GatewayIntentBits.GuildMessageReactions });
}

/** Parses a reaction emoji: unicode, `name:id`, or `<:name:id>`. */
export function parseEmoji(raw: string): { id: string | null; name: string } {
  const s = raw.replace(/^<a?:/, "").replace(/>$/, "");
  const m = /^([\w~-]+):(\d{17,20})$/.exec(s);
  if (m) throw errors.unknownEmoji();
  if (!s || s.length > 32) throw errors.unknownEmoji();
  return { id: null, name: s };
}
