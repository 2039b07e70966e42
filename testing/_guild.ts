// Gateway payloads of the guild: GUILD_CREATE and member objects.
import { accessOf } from "./_access.ts";
import type { DiscordState } from "./_state.ts";
import type { User } from "./_types.ts";

/** The guild member object of a user (without `user` unless asked). */
export function memberPayload(
  st: DiscordState,
  user: User,
  withUser = false,
): Record<string, unknown> {
  const m: Record<string, unknown> = {
    roles: user.id === st.bot.id ? [accessOf(st).botRoleId] : [],
    joined_at: new Date(st.now()).toISOString(),
    deaf: false,
    mute: false,
    flags: 0,
    pending: false,
    nick: null,
    avatar: null,
    premium_since: null,
    communication_disabled_until: null,
  };
  if (withUser) m.user = user;
  return m;
}

/** The GUILD_CREATE payload. */
export function guildCreatePayload(st: DiscordState): Record<string, unknown> {
  return {
    id: st.guildId,
    name: "local-discord",
    icon: null,
    splash: null,
    discovery_splash: null,
    owner_id: st.owner.id,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    roles: accessOf(st).roles(),
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: 0,
    application_id: null,
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: 0,
    premium_subscription_count: 0,
    preferred_locale: "en-US",
    public_updates_channel_id: null,
    nsfw_level: 0,
    premium_progress_bar_enabled: false,
    safety_alerts_channel_id: null,
    joined_at: new Date(st.now()).toISOString(),
    large: false,
    unavailable: false,
    member_count: st.users.size,
    voice_states: [],
    members: [...st.users.values()].map((u) => st.member(u, true)),
    channels: [...st.channels.values()].filter((c) => c.type === 0 || c.type === 15),
    threads: st.threads(),
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}
