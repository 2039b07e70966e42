// discordeno v21 against the local server: connect, READY, messages, replies,
// reactions, button clicks, webhooks into forum threads, slash commands (registration,
// autocomplete, ephemeral and deferred answers, follow-ups).
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { startDiscordServer } from "../../testing/mod.ts";
import { startDiscordeno, waitFor } from "./_clients.ts";

Deno.test("discordeno: connects, gets READY and GUILD_CREATE, receives a user's message with content", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const client = await startDiscordeno(server);
  try {
    const ready = client.events("READY")[0];
    assertEquals((ready.user as { id: string }).id, server.botId);
    assertEquals(ready.resume_gateway_url, `${server.gatewayUrl}/resume`);
    await waitFor("GUILD_CREATE", () => client.events("GUILD_CREATE").length > 0);
    const posted = await server.postAsUser({
      channelId: server.channelId,
      userId: server.ownerId,
      content: "hello bot",
    });
    const got = await waitFor(
      "MESSAGE_CREATE",
      () => client.events("MESSAGE_CREATE").find((d) => d.id === posted.id),
    );
    assertEquals(got.content, "hello bot");
    assertEquals((got.author as { id: string }).id, server.ownerId);
    assertEquals(got.guild_id, server.guildId);
  } finally {
    await client.stop();
  }
});

Deno.test("discordeno: sends a message and a reply, reacts, answers a button click, posts webhooks into a forum thread", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const client = await startDiscordeno(server);
  const { bot } = client;
  try {
    // send + reply
    const userMsg = await server.postAsUser({
      channelId: server.channelId,
      userId: server.ownerId,
      content: "question?",
    });
    const sent = await bot.helpers.sendMessage(server.channelId, { content: "plain answer" });
    const reply = await bot.helpers.sendMessage(server.channelId, {
      content: "threaded answer",
      messageReference: { messageId: userMsg.id, failIfNotExists: false },
      allowedMentions: { parse: [] },
    });
    const history = server.messages(server.channelId);
    assertEquals(history.map((m) => m.content), [
      "question?",
      "plain answer",
      "threaded answer",
    ]);
    assertEquals(history[2].type, 19);
    assertEquals(history[2].message_reference?.message_id, userMsg.id);
    assertEquals(String(sent.id), history[1].id);
    assertEquals(String(reply.id), history[2].id);
    assertEquals(history[1].author.id, server.botId);
    // the bot sees its own messages on the gateway, as on Discord
    await waitFor(
      "own MESSAGE_CREATE",
      () => client.events("MESSAGE_CREATE").find((d) => d.id === history[2].id),
    );

    // reaction from the bot, and one from a user the bot sees
    await bot.helpers.addReaction(server.channelId, userMsg.id, "👀");
    assertEquals(server.messages(server.channelId)[0].reactions?.[0].emoji.name, "👀");
    await server.addReaction({
      channelId: server.channelId,
      messageId: sent.id.toString(),
      userId: server.ownerId,
      emoji: "✅",
    });
    const r = await waitFor(
      "MESSAGE_REACTION_ADD",
      () => client.events("MESSAGE_REACTION_ADD").find((d) => d.user_id === server.ownerId),
    );
    assertEquals((r.emoji as { name: string }).name, "✅");

    // button: the bot posts it, a user clicks, the bot answers with UPDATE_MESSAGE (7)
    const prompt = await bot.helpers.sendMessage(server.channelId, {
      content: "Allow?",
      components: [{
        type: 1,
        components: [{ type: 2, style: 3, label: "Allow", customId: "allow" }],
      }],
    });
    bot.events.interactionCreate = (interaction) => {
      bot.helpers.sendInteractionResponse(interaction.id, interaction.token, {
        type: 7,
        data: { content: `Allowed by ${interaction.member?.user?.username}`, components: [] },
      }).catch((e) => console.error(e));
    };
    const click = await server.clickButton({
      messageId: prompt.id.toString(),
      customId: "allow",
      userId: server.ownerId,
    });
    assertEquals(await click.answered, true);
    const updated = server.messages(server.channelId).find((m) => m.id === prompt.id.toString())!;
    assertEquals(updated.content, "Allowed by owner");
    assertEquals(updated.components, []);
    const cb = server.state().interactionCallbacks[0];
    assertEquals(cb.type, 7);
    assertEquals(cb.late, false);

    // webhook into a new forum thread, then again into the same thread
    const [hookId, hookToken] = new URL(server.webhookUrl).pathname.split("/").slice(-2);
    const first = await bot.helpers.executeWebhook(hookId, hookToken, {
      content: "session started",
      threadName: "session-1",
      wait: true,
    });
    assert(first);
    const threadId = String(first.channelId);
    const thread = server.state().threads.find((t) => t.id === threadId)!;
    assertEquals(thread.name, "session-1");
    assertEquals(thread.parent_id, server.forumId);
    assertEquals(
      threadId,
      String(first.id),
      "a forum post's thread id is its starter message id",
    );
    await waitFor(
      "THREAD_CREATE",
      () => client.events("THREAD_CREATE").find((d) => d.id === threadId),
    );
    // discordeno 21 builds `?wait=truethread_id=` (no `&`): the server refuses it as Discord would.
    await assertRejects(() =>
      bot.helpers.executeWebhook(hookId, hookToken, { content: "x", threadId, wait: true })
    );
    // without wait the URL is well-formed: 204, message lands in the thread
    await bot.helpers.executeWebhook(hookId, hookToken, { content: "turn finished", threadId });
    assertEquals(server.messages(threadId).map((m) => m.content), [
      "session started",
      "turn finished",
    ]);
    const execs = server.state().webhookExecutions;
    assertEquals(execs.at(-1)?.query.thread_id, threadId);
    assertEquals(execs.at(-2)?.status, 400);
  } finally {
    await client.stop();
  }
});

Deno.test("discordeno: registers guild commands, takes a slash command and its autocomplete, answers ephemeral, defers and follows up", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const client = await startDiscordeno(server);
  const { bot } = client;
  try {
    const made = await bot.helpers.upsertGuildApplicationCommands(server.guildId, [
      { name: "sessions", description: "List the live sessions" },
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
    assertEquals(made.map((c) => c.name), ["sessions", "stop"]);
    const listed = await bot.helpers.getGuildApplicationCommands(server.guildId);
    assertEquals(listed.map((c) => String(c.id)), made.map((c) => String(c.id)));
    const seen: { type: number; name?: string; options?: unknown }[] = [];
    bot.events.interactionCreate = (i) => {
      const data = i.data as { name?: string; options?: unknown } | undefined;
      seen.push({ type: i.type, name: data?.name, options: data?.options });
      const reply = (async () => {
        if (i.type === 4) {
          await bot.helpers.sendInteractionResponse(i.id, i.token, {
            type: 8,
            data: { choices: [{ name: "alpha", value: "alpha" }] },
          });
        } else if (data?.name === "sessions") {
          await bot.helpers.sendInteractionResponse(i.id, i.token, {
            type: 5,
            data: { flags: 64 },
          });
          await bot.helpers.editOriginalInteractionResponse(i.token, { content: "machine A: s1" });
          await bot.helpers.sendFollowupMessage(i.token, { content: "machine B: s2", flags: 64 });
        } else {
          await bot.helpers.sendInteractionResponse(i.id, i.token, {
            type: 4,
            data: { content: "stopping", flags: 64 },
          });
        }
      })();
      reply.catch((e) => console.error(e));
    };
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
    assertEquals(seen.map((s) => [s.type, s.name]), [[4, "stop"], [2, "sessions"], [2, "stop"]]);
    const options = seen[2].options as { type: number; name: string; value: unknown }[];
    assertEquals(options.map((o) => [o.type, o.name, o.value]), [[3, "session", "alpha"]]);
    assertEquals(server.messages(server.channelId), [], "every answer was ephemeral");
    await bot.helpers.deleteGuildApplicationCommand(made[0].id, server.guildId);
    assertEquals(server.commands().map((c) => c.name), ["stop"]);
  } finally {
    await client.stop();
  }
});
