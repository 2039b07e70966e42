// REST routes of application commands (Application Commands topic, Endpoints): the guild's and
// the global ones, list, bulk overwrite, create (an upsert), get, edit, delete.
import { RESTJSONErrorCodes } from "discord-api-types/v10";
import { DiscordHttpError } from "./_errors.ts";
import { commandsOf } from "./_commands.ts";
import { type Ctx, json, noContent, type Route } from "./_router.ts";

const byApp = (p: Record<string, string>) => ({
  rule: "default" as const,
  major: p.application_id ?? "",
  global: true,
});

/** The scope of a request: its guild (one the bot is in), or undefined for global commands. */
function scope(ctx: Ctx): string | undefined {
  const st = ctx.hub.state;
  if (ctx.params.application_id !== st.applicationId) {
    throw new DiscordHttpError(404, RESTJSONErrorCodes.UnknownApplication, "Unknown Application");
  }
  const guildId = ctx.params.guild_id;
  if (guildId !== undefined && guildId !== st.guildId) {
    throw new DiscordHttpError(404, RESTJSONErrorCodes.UnknownGuild, "Unknown Guild");
  }
  return guildId;
}

function routesOf(base: string): Route[] {
  const one = `${base}/{command_id}`;
  return [
    {
      method: "GET",
      template: base,
      auth: true,
      limit: byApp,
      handler: (ctx) => json(commandsOf(ctx.hub.state).list(scope(ctx))),
    },
    {
      method: "PUT",
      template: base,
      auth: true,
      limit: byApp,
      handler: async (ctx) => {
        const guildId = scope(ctx);
        const body = (await ctx.body()).json;
        return json(commandsOf(ctx.hub.state).overwrite(body ?? [], guildId));
      },
    },
    {
      method: "POST",
      template: base,
      auth: true,
      limit: byApp,
      handler: async (ctx) => {
        const guildId = scope(ctx);
        const made = commandsOf(ctx.hub.state).create((await ctx.body()).json, guildId);
        return json(made.command, made.created ? 201 : 200);
      },
    },
    {
      method: "GET",
      template: one,
      auth: true,
      limit: byApp,
      handler: (ctx) => json(commandsOf(ctx.hub.state).get(ctx.params.command_id, scope(ctx))),
    },
    {
      method: "PATCH",
      template: one,
      auth: true,
      limit: byApp,
      handler: async (ctx) => {
        const guildId = scope(ctx);
        const patch = (await ctx.body()).json;
        return json(commandsOf(ctx.hub.state).edit(ctx.params.command_id, patch, guildId));
      },
    },
    {
      method: "DELETE",
      template: one,
      auth: true,
      limit: byApp,
      handler: (ctx) => {
        commandsOf(ctx.hub.state).delete(ctx.params.command_id, scope(ctx));
        return noContent();
      },
    },
  ];
}

/** The application command routes, guild and global. */
export const commandRoutes: Route[] = [
  ...routesOf("/applications/{application_id}/guilds/{guild_id}/commands"),
  ...routesOf("/applications/{application_id}/commands"),
];
