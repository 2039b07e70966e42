// discord.js v14 against the local server: the same flows as discordeno, through an independent client.
import assert from "node:assert/strict";
import { startDiscordServer } from "../testing/mod.ts";
import { startDiscordJs, waitFor } from "./_testing_clients.ts";

Deno.test("discord.js: connects, READY with the guild, receives a message with content", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const dj = await startDiscordJs(server);
  try {
    assert.equal(dj.client.user?.id, server.botId);
    assert.ok(dj.client.guilds.cache.has(server.guildId));
    const posted = await server.postAsUser({
      channelId: server.channelId,
      userId: server.ownerId,
      content: "hi djs",
    });
    const got = await waitFor(
      "MESSAGE_CREATE",
      () => dj.events("MESSAGE_CREATE").find((d) => d.id === posted.id),
    );
    assert.equal(got.content, "hi djs");
  } finally {
    await dj.stop();
  }
});
