// discordeno v21 against the local server: connect, READY, messages, replies,
// reactions, button clicks, webhooks into forum threads.
import assert from "node:assert/strict";
import { startDiscordServer } from "../testing/mod.ts";
import { startDiscordeno, waitFor } from "./_testing_clients.ts";

Deno.test("discordeno: connects, gets READY and GUILD_CREATE, receives a user's message with content", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const client = await startDiscordeno(server);
  try {
    const ready = client.events("READY")[0];
    assert.equal((ready.user as { id: string }).id, server.botId);
    assert.equal(ready.resume_gateway_url, `${server.gatewayUrl}/resume`);
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
    assert.equal(got.content, "hello bot");
    assert.equal((got.author as { id: string }).id, server.ownerId);
    assert.equal(got.guild_id, server.guildId);
  } finally {
    await client.stop();
  }
});
