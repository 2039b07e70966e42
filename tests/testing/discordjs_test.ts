// discord.js v14 against the local server: the same flows as discordeno, through an independent client.
import { assert, assertEquals } from "../_assert.ts";
import { startDiscordServer } from "../../testing/mod.ts";
import { startDiscordJs, waitFor } from "./_clients.ts";

Deno.test("discord.js: connects, READY with the guild, receives a message with content", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const dj = await startDiscordJs(server);
  try {
    assertEquals(dj.client.user?.id, server.botId);
    assert(dj.client.guilds.cache.has(server.guildId));
    const posted = await server.postAsUser({
      channelId: server.channelId,
      userId: server.ownerId,
      content: "hi djs",
    });
    const got = await waitFor(
      "MESSAGE_CREATE",
      () => dj.events("MESSAGE_CREATE").find((d) => d.id === posted.id),
    );
    assertEquals(got.content, "hi djs");
  } finally {
    await dj.stop();
  }
});

Deno.test("discord.js: sends a message and a reply, reacts, answers a button click, posts webhooks into a forum thread", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const dj = await startDiscordJs(server);
  const { ChannelType, Events, WebhookClient } = await import("discord.js");
  const hook = new WebhookClient(
    { id: server.webhookUrl.split("/").at(-2)!, token: server.webhookUrl.split("/").at(-1)! },
    { rest: { api: server.apiUrl } },
  );
  try {
    const channel = await dj.client.channels.fetch(server.channelId);
    assert(channel && channel.type === ChannelType.GuildText);
    const userMsg = await server.postAsUser({
      channelId: server.channelId,
      userId: server.ownerId,
      content: "question?",
    });
    const sent = await channel.send("plain answer");
    const fetched = await channel.messages.fetch(userMsg.id);
    assertEquals(fetched.content, "question?");
    const reply = await fetched.reply({
      content: "threaded answer",
      allowedMentions: { repliedUser: false },
    });
    assertEquals(reply.reference?.messageId, userMsg.id);
    const history = server.messages(server.channelId);
    assertEquals(history.map((m) => m.content), [
      "question?",
      "plain answer",
      "threaded answer",
    ]);
    assertEquals(history[1].id, sent.id);

    await fetched.react("👀");
    await sent.react("👍");
    assertEquals(server.messages(server.channelId)[1].reactions?.[0].emoji.name, "👍");
    await server.addReaction({
      channelId: server.channelId,
      messageId: sent.id,
      userId: server.ownerId,
      emoji: "✅",
    });
    const reacted = new Promise<string>((resolve) =>
      dj.client.on(Events.MessageReactionAdd, (r, u) => {
        if (u.id === server.users.stranger.id) resolve(`${r.emoji.name}:${u.id}`);
      })
    );
    await server.addReaction({
      channelId: server.channelId,
      messageId: sent.id,
      userId: server.users.stranger.id,
      emoji: "🎉",
    });
    assertEquals(await reacted, `🎉:${server.users.stranger.id}`);

    const prompt = await channel.send({
      content: "Allow?",
      components: [{
        type: 1,
        components: [{ type: 2, style: 3, label: "Allow", custom_id: "allow" }],
      }],
    });
    dj.client.on(Events.InteractionCreate, (i) => {
      if (i.isButton()) {
        i.update({ content: `Allowed by ${i.user.username}`, components: [] }).catch((e) =>
          console.error(e)
        );
      }
    });
    const click = await server.clickButton({
      messageId: prompt.id,
      customId: "allow",
      userId: server.ownerId,
    });
    assertEquals(await click.answered, true);
    const updated = server.messages(server.channelId).find((m) => m.id === prompt.id)!;
    assertEquals(updated.content, "Allowed by owner");

    const first = await hook.send({ content: "session started", threadName: "session-1" });
    const threadId = first.channel_id;
    assertEquals(server.state().threads.find((t) => t.id === threadId)?.name, "session-1");
    const second = await hook.send({ content: "turn finished", threadId });
    assertEquals(second.channel_id, threadId);
    assertEquals(server.messages(threadId).map((m) => m.content), [
      "session started",
      "turn finished",
    ]);
    const execs = server.state().webhookExecutions;
    assertEquals(execs[1].query.thread_id, threadId);
    assertEquals(execs[1].query.wait, "true");
  } finally {
    hook.destroy();
    await dj.stop();
  }
});

Deno.test("discord.js: sets guild commands, takes a slash command and its autocomplete, replies ephemeral, defers and follows up", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const dj = await startDiscordJs(server);
  const { Events, MessageFlags } = await import("discord.js");
  try {
    const guild = dj.client.guilds.cache.get(server.guildId)!;
    const set = await guild.commands.set([
      { name: "sessions", description: "List the live sessions", defaultMemberPermissions: "0" },
      {
        name: "stop",
        description: "Stop a session",
        options: [{
          type: 3,
          name: "session",
          description: "The session",
          required: true,
          autocomplete: true,
        }],
      },
    ]);
    assertEquals([...set.values()].map((c) => c.name).sort(), ["sessions", "stop"]);
    assertEquals(
      server.commands().find((c) => c.name === "sessions")?.default_member_permissions,
      "0",
    );
    const seen: string[] = [];
    dj.client.on(Events.InteractionCreate, (i) => {
      const reply = (async () => {
        if (i.isAutocomplete()) {
          seen.push(`autocomplete ${i.commandName} ${i.options.getFocused()}`);
          await i.respond([{ name: "alpha", value: "alpha" }]);
        } else if (i.isChatInputCommand() && i.commandName === "sessions") {
          seen.push("sessions");
          await i.deferReply({ flags: MessageFlags.Ephemeral });
          await i.editReply("machine A: s1");
          await i.followUp({ content: "machine B: s2", flags: MessageFlags.Ephemeral });
        } else if (i.isChatInputCommand()) {
          seen.push(`stop ${i.options.getString("session")}`);
          await i.reply({ content: "stopping", flags: MessageFlags.Ephemeral });
        }
      })();
      reply.catch((e) => console.error(e));
    });
    const ac = await server.autocomplete({
      name: "stop",
      focused: "session",
      options: { session: "al" },
    });
    assertEquals(ac.choices, [{ name: "alpha", value: "alpha" }]);
    const run = await server.runCommand({ name: "sessions" });
    const answers = await server.waitForAnswers(run.interactionId, { messages: 2 });
    assertEquals(answers?.messages.map((m) => [m.content, m.flags]), [
      ["machine A: s1", 64],
      ["machine B: s2", 64],
    ]);
    const stop = await server.runCommand({ name: "stop", options: { session: "alpha" } });
    assertEquals(await stop.answered, true);
    assertEquals(server.interaction(stop.interactionId)?.messages[0].content, "stopping");
    assertEquals(seen, ["autocomplete stop al", "sessions", "stop alpha"]);
    assert(server.messages(server.channelId).length === 0, "every answer was ephemeral");
  } finally {
    await dj.stop();
  }
});
