// Private: Discord permission bits, the bot's effective permissions in a channel (Discord's
// algorithm: @everyone, roles, then the channel's @everyone, role and member overwrites), the
// invite URL with exactly the permissions claude-discord uses.
import { OverwriteType, PermissionFlagsBits } from "discord-api-types/v10";

/** A permission the bot needs, with the name the Discord UI shows. */
export interface PermissionInfo {
  /** The bit. */
  bit: bigint;
  /** The name in Server Settings > Roles and Channel Settings > Permissions. */
  name: string;
  /** What claude-discord uses it for. */
  use: string;
}

/** The permissions claude-discord uses (the invite URL asks for exactly these). */
export const PERMISSIONS = {
  ViewChannel: {
    bit: PermissionFlagsBits.ViewChannel,
    name: "View Channels",
    use: "see the chat channel",
  },
  SendMessages: {
    bit: PermissionFlagsBits.SendMessages,
    name: "Send Messages",
    use: "replies and the connected check",
  },
  ReadMessageHistory: {
    bit: PermissionFlagsBits.ReadMessageHistory,
    name: "Read Message History",
    use: "catch-up after a restart, the history tool",
  },
  SendMessagesInThreads: {
    bit: PermissionFlagsBits.SendMessagesInThreads,
    name: "Send Messages in Threads",
    use: "permission prompts and replies in session threads",
  },
  CreatePublicThreads: {
    bit: PermissionFlagsBits.CreatePublicThreads,
    name: "Create Public Threads",
    use: "one thread per session when STATUS posts go to a text channel",
  },
  AddReactions: {
    bit: PermissionFlagsBits.AddReactions,
    name: "Add Reactions",
    use: "the react tool",
  },
  AttachFiles: {
    bit: PermissionFlagsBits.AttachFiles,
    name: "Attach Files",
    use: "the send-file tool",
  },
  EmbedLinks: {
    bit: PermissionFlagsBits.EmbedLinks,
    name: "Embed Links",
    use: "STATUS and prompt embeds",
  },
  ManageWebhooks: {
    bit: PermissionFlagsBits.ManageWebhooks,
    name: "Manage Webhooks",
    use: "setup creates the STATUS webhook (not needed afterwards)",
  },
} as const satisfies Record<string, PermissionInfo>;

/** The permission integer of the invite URL. */
export const INVITE_PERMISSIONS: bigint = Object.values(PERMISSIONS).reduce(
  (acc, p) => acc | p.bit,
  0n,
);

/**
 * The bot's invite URL with exactly the permissions claude-discord uses, and the scope of its
 * slash commands (`applications.commands`: /sessions, /status, /stop).
 *
 * @param applicationId The application (client) id.
 * @returns `https://discord.com/oauth2/authorize?client_id=…&scope=bot+applications.commands&permissions=…`.
 */
export function inviteUrl(applicationId: string): string {
  return `https://discord.com/oauth2/authorize?client_id=${applicationId}&scope=bot+applications.commands&permissions=${INVITE_PERMISSIONS}`;
}

/** A role as Discord sends it. */
export interface RawRole {
  /** Role id (the guild id for @everyone). */
  id: string;
  /** Permission integer as a decimal string. */
  permissions: string;
  /** Name. */
  name?: string;
}

/** A channel permission overwrite as Discord sends it. */
export interface RawOverwrite {
  /** Role or member id. */
  id: string;
  /** `OverwriteType`: role or member. */
  type: number;
  /** Allowed bits, decimal string. */
  allow: string;
  /** Denied bits, decimal string. */
  deny: string;
}

/** What {@linkcode channelPermissions} needs. */
export interface PermissionInput {
  /** The guild id (= the @everyone role id). */
  guildId: string;
  /** The guild's roles. */
  roles: readonly RawRole[];
  /** The member's role ids. */
  memberRoles: readonly string[];
  /** The member's user id. */
  userId: string;
  /** The channel's overwrites. */
  overwrites: readonly RawOverwrite[];
  /** Whether the member owns the guild (owners have every permission). */
  owner?: boolean;
}

/**
 * Computes a member's permissions in a channel, as Discord does.
 *
 * @param input Roles, member roles and the channel's overwrites.
 * @returns The permission bits.
 */
export function channelPermissions(input: PermissionInput): bigint {
  const all = (1n << 53n) - 1n;
  if (input.owner) return all;
  const roleById = new Map(input.roles.map((r) => [r.id, r]));
  const bits = (s: string | undefined) => {
    try {
      return BigInt(s ?? "0");
    } catch (err) {
      if (err instanceof SyntaxError) return 0n; // not a permission integer
      throw err;
    }
  };
  let perms = bits(roleById.get(input.guildId)?.permissions);
  for (const id of input.memberRoles) perms |= bits(roleById.get(id)?.permissions);
  if (perms & PermissionFlagsBits.Administrator) return all;
  const everyone = input.overwrites.find((o) => o.id === input.guildId);
  if (everyone) perms = (perms & ~bits(everyone.deny)) | bits(everyone.allow);
  let allow = 0n;
  let deny = 0n;
  for (const o of input.overwrites) {
    if (
      o.type === OverwriteType.Role && o.id !== input.guildId && input.memberRoles.includes(o.id)
    ) {
      allow |= bits(o.allow);
      deny |= bits(o.deny);
    }
  }
  perms = (perms & ~deny) | allow;
  const member = input.overwrites.find((o) =>
    o.type === OverwriteType.Member && o.id === input.userId
  );
  if (member) perms = (perms & ~bits(member.deny)) | bits(member.allow);
  // Without View Channel nothing else applies; without Send Messages, neither do attachments
  // nor embeds.
  if (!(perms & PERMISSIONS.ViewChannel.bit)) return 0n;
  if (!(perms & PERMISSIONS.SendMessages.bit)) {
    perms &= ~(PERMISSIONS.AttachFiles.bit | PERMISSIONS.EmbedLinks.bit);
  }
  return perms;
}

/**
 * The names of the permissions in `wanted` that `perms` lacks.
 *
 * @param perms Effective permissions.
 * @param wanted Keys of {@linkcode PERMISSIONS}.
 * @returns Missing ones, as the Discord UI names them.
 */
export function missingPermissions(
  perms: bigint,
  wanted: readonly (keyof typeof PERMISSIONS)[],
): string[] {
  return wanted.filter((k) => (perms & PERMISSIONS[k].bit) === 0n).map((k) => PERMISSIONS[k].name);
}
