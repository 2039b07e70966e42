// Gateway payloads of the guild: GUILD_CREATE and member objects.
import { accessOf } from "./_access.ts";
import type { World } from "./_state_types.ts";
import type { User } from "./_types.ts";
import {
  ChannelType,
  GuildDefaultMessageNotifications,
  GuildExplicitContentFilter,
  GuildMFALevel,
  GuildNSFWLevel,
  GuildPremiumTier,
  GuildVerificationLevel,
} from "discord-api-types/v10";

/** The guild member object of a user (without `user` unless asked). */
export function memberPayload(
  st: World,
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
    banner: null,
    nick: null,
    avatar: null,
    premium_since: null,
    communication_disabled_until: null,
  };
  if (withUser) m.user = user;
  return m;
}

/** The guild as REST answers it (`GET /guilds/{guild_id}`). */
export function guildPayload(st: World): Record<string, unknown> {
  return {
    id: st.guildId,
    name: "local-discord",
    icon: null,
    description: null,
    home_header: null,
    splash: null,
    discovery_splash: null,
    features: [],
    banner: null,
    owner_id: st.owner.id,
    application_id: null,
    region: "deprecated",
    afk_channel_id: null,
    afk_timeout: 300,
    system_channel_id: null,
    system_channel_flags: 0,
    widget_enabled: false,
    widget_channel_id: null,
    verification_level: GuildVerificationLevel.None,
    roles: accessOf(st).roles(),
    default_message_notifications: GuildDefaultMessageNotifications.AllMessages,
    mfa_level: GuildMFALevel.None,
    explicit_content_filter: GuildExplicitContentFilter.Disabled,
    max_presences: null,
    max_members: 500_000,
    max_stage_video_channel_users: 50,
    max_video_channel_users: 25,
    vanity_url_code: null,
    premium_tier: GuildPremiumTier.None,
    premium_subscription_count: 0,
    preferred_locale: "en-US",
    rules_channel_id: null,
    safety_alerts_channel_id: null,
    public_updates_channel_id: null,
    premium_progress_bar_enabled: false,
    nsfw: false,
    nsfw_level: GuildNSFWLevel.Default,
    emojis: [],
    stickers: [],
    incidents_data: null,
  };
}

/** The GUILD_CREATE payload: the REST guild plus the fields only the gateway sends. */
export function guildCreatePayload(st: World): Record<string, unknown> {
  return {
    ...guildPayload(st),
    joined_at: new Date(st.now()).toISOString(),
    large: false,
    unavailable: false,
    member_count: st.users.size,
    voice_states: [],
    members: [...st.users.values()].map((u) => st.member(u, true)),
    channels: [...st.channels.values()].filter((c) =>
      c.type === ChannelType.GuildText || c.type === ChannelType.GuildForum
    ),
    threads: st.threads(),
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}
