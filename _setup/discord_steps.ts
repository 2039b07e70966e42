// Private: setup's Discord steps 1 to 5, each a question (or a flag, env var or config value)
// passed through the checks shared with doctor (checks.ts): the token, the application's
// Message Content intent, the chat channel, the STATUS webhook and its channel, the allowed
// users.
import { isSnowflake, withoutBotPrefix } from "../config.ts";
import { ClaudeDiscordError, ConfigError, DiscordApiError } from "../errors.ts";
import {
  type AppInfo,
  type BotUser,
  type ChannelInfo,
  channelTypeName,
  type SetupApi,
} from "./api.ts";
import {
  type BotSession,
  checkAllowedUsers,
  checkChatChannel,
  checkIntent,
  checkStatusChannel,
  checkToken,
  checkWebhook,
  IntentOffError,
  orThrow,
} from "./checks.ts";
import type { Prompter } from "./prompt.ts";
import { ChannelType } from "discord-api-types/v10";

import { askAgain, pick, report, type Run } from "./run.ts";

/** Step 1, the token: from a flag, the environment, the file or a (hidden) question. */
export async function connectBot(run: Run): Promise<BotSession & { token: string }> {
  const given = pick(run, run.flags.token, "--token", "DISCORD_BOT_TOKEN", "token");
  let token = given.value as string | undefined;
  let setting: string | undefined = given.setting;
  for (let tries = 1;; tries++) {
    if (!token) {
      if (!run.prompter) {
        throw new ConfigError(
          "No bot token: pass --token, set DISCORD_BOT_TOKEN, or run setup in a terminal to be asked",
        );
      }
      token = await run.prompter.ask(
        "Bot token (Developer Portal > your application > Bot > Reset Token)",
        { secret: true },
      );
      setting = undefined;
    }
    const bare = withoutBotPrefix(token);
    if (bare !== token.trim()) {
      run.say(
        `${
          setting ?? "The token"
        } starts with "Bot ", the word of the Authorization header: using the token after it`,
      );
    }
    token = bare;
    const verdict = await checkToken(token, run.connection, setting);
    if (verdict.level !== "fail") return { token, ...report(run, verdict) };
    const { problem } = verdict;
    const refused = problem instanceof DiscordApiError && problem.status === 401;
    if (!askAgain(run, tries, verdict, problem instanceof ConfigError || refused)) throw problem;
    token = undefined;
  }
}

/** Step 2, the application: its MESSAGE CONTENT intent, waiting in a terminal for the switch. */
export async function requireMessageContent(run: Run, api: SetupApi): Promise<AppInfo> {
  let verdict = await checkIntent(api);
  for (let tries = 1; verdict.level === "fail"; tries++) {
    if (!askAgain(run, tries, verdict, verdict.problem instanceof IntentOffError)) {
      throw verdict.problem;
    }
    await run.prompter!.pause("Press Enter once it is switched on and saved…");
    verdict = await checkIntent(api);
  }
  return report(run, verdict);
}

/** Step 3, the chat channel and the bot's permissions there; in a terminal, picked from a list. */
export async function chooseChatChannel(
  run: Run,
  api: SetupApi,
  bot: BotUser,
): Promise<ChannelInfo> {
  const given = pick(run, run.flags.channel, "--channel", "DISCORD_CHANNEL_ID", "channelId");
  let channelId = given.value as string | undefined;
  let setting = given.setting;
  for (let tries = 1;; tries++) {
    if (!channelId) {
      if (!run.prompter) {
        throw new ConfigError(
          "No chat channel: pass --channel ID, set DISCORD_CHANNEL_ID, or run setup in a terminal to pick one",
        );
      }
      channelId = await pickChannel(api, run.prompter, run.say, "chat");
      setting = "The chat channel";
    }
    const verdict = await checkChatChannel(api, bot.id, channelId, setting);
    if (verdict.level !== "fail") return report(run, verdict);
    if (!askAgain(run, tries, verdict, verdict.problem instanceof ClaudeDiscordError)) {
      throw verdict.problem;
    }
    channelId = undefined;
  }
}

/**
 * Step 4, where STATUS posts go: the given webhook checked, or a channel chosen (the chat
 * channel by default) and the bot's `claude-discord` webhook found or created there.
 *
 * @returns The webhook URL (`undefined` in a dry run that would create it).
 */
export async function setUpStatusWebhook(
  run: Run,
  api: SetupApi,
  bot: BotUser,
  chat: ChannelInfo,
): Promise<string | undefined> {
  const given = pick(run, run.flags.webhook, "--webhook", "DISCORD_WEBHOOK_URL", "webhookUrl");
  const givenUrl = given.value as string | undefined;
  if (givenUrl) {
    report(run, orThrow(await checkWebhook(api, bot.id, givenUrl, chat, given.setting)));
    return givenUrl;
  }
  let target = run.flags.statusChannel;
  if (!target && run.prompter) {
    target = await pickChannel(api, run.prompter, run.say, "status", chat.id);
  }
  const verdict = orThrow(await checkStatusChannel(api, bot.id, target, chat));
  const channel = verdict.value;
  let url: string | undefined;
  if (run.flags.dryRun) {
    run.say(`(dry run) would find or create the webhook "claude-discord" on #${channel.name}`);
  } else {
    const made = await api.ensureWebhook(channel);
    url = made.url;
    run.say(`${made.created ? "created" : "found"} webhook "claude-discord" on #${channel.name}`);
  }
  report(run, verdict);
  return url;
}

/** Step 5, the allowed users: given, asked (Enter = the app owner), or the app owner. */
export async function chooseAllowedUsers(
  run: Run,
  api: SetupApi,
  app: AppInfo,
  chat: ChannelInfo,
): Promise<string[]> {
  const given = pick(
    run,
    run.flags.allowedUsers,
    "--allowed-users",
    "DISCORD_ALLOWED_USERS",
    "allowedUsers",
  );
  let allowed = given.value as string | string[] | undefined;
  let setting = given.setting;
  if (Array.isArray(allowed)) allowed = allowed.join(",");
  if (!allowed && run.prompter) {
    const owner = app.ownerId
      ? `${app.ownerId}${app.ownerName ? ` = ${app.ownerName}, the app owner` : ""}`
      : undefined;
    const answer = await run.prompter.ask(
      "User ids allowed to steer sessions (comma-separated; right-click a user > Copy User ID)" +
        (app.ownerName ? `; Enter = ${app.ownerName}, the app owner` : ""),
      owner ? { default: app.ownerId! } : {},
    );
    allowed = answer || app.ownerId;
    setting = "The user ids you typed";
    if (owner && allowed === app.ownerId) run.say(`allowing ${owner}`);
  }
  allowed ??= app.ownerId;
  const ids = (allowed ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  return report(run, orThrow(await checkAllowedUsers(api, ids, chat, setting)));
}

export async function pickChannel(
  api: SetupApi,
  prompter: Prompter,
  say: (line: string) => void,
  purpose: "chat" | "status",
  chatId?: string,
): Promise<string> {
  for (;;) {
    const guilds = await api.guilds();
    if (guilds.length === 0) {
      say(`The bot is not in any server yet. Invite it: ${api.inviteUrl()}`);
      await prompter.pause("Press Enter once it is in your server…");
      continue;
    }
    const choices: { id: string; label: string }[] = [];
    for (const g of guilds) {
      for (const c of await api.guildChannels(g.id)) {
        const fits = purpose === "chat"
          ? c.type === ChannelType.GuildText || c.type === ChannelType.GuildAnnouncement
          : c.type === ChannelType.GuildForum;
        if (fits) {
          choices.push({ id: c.id, label: `#${c.name} (${channelTypeName(c.type)}, ${g.name})` });
        }
      }
    }
    if (purpose === "status") {
      say("Where should STATUS posts (one thread per session) go?");
      say("  Enter  the chat channel (the bot starts a thread per session)");
    } else say("Which channel is the chat with your sessions? (a dedicated text channel is best)");
    choices.forEach((c, i) => say(`  ${i + 1}  ${c.label}`));
    const answer = await prompter.ask(
      purpose === "chat" ? "Number or channel id" : "Number of a forum, a channel id, or Enter",
    );
    if (purpose === "status" && answer === "") return chatId!;
    const n = Number(answer);
    if (Number.isInteger(n) && n >= 1 && n <= choices.length) return choices[n - 1].id;
    if (isSnowflake(answer)) return answer;
    say(`"${answer}" is neither a number from the list nor a channel id`);
  }
}
