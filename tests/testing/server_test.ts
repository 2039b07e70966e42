// The CLI's usage errors, the MESSAGE_CONTENT intent rules, lifecycle and faults. The CLI as a
// process and its HTTP control API: server_process_test.ts.
import { assert, assertEquals, assertMatch, assertRejects } from "../_assert.ts";
import { startDiscordServer } from "../../testing/mod.ts";
import { main } from "../../testing/server.ts";
import { DISCORDENO_INTENTS, startDiscordeno, startDiscordJs, waitFor } from "./_clients.ts";

Deno.test("CLI: main() rejects bad usage with exit code 2", async () => {
  const err = console.error;
  console.error = () => {};
  try {
    assertEquals(await main(["--port", "http"]), 2);
    assertEquals(await main(["--bogus"]), 2);
  } finally {
    console.error = err;
  }
});

Deno.test("intents: without MESSAGE_CONTENT the content is empty unless the bot is mentioned", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  const noContent = DISCORDENO_INTENTS & ~(1 << 15);
  const client = await startDiscordeno(server, { intents: noContent });
  try {
    const plain = await server.postAsUser({
      channelId: server.channelId,
      userId: server.ownerId,
      content: "secret",
    });
    const mention = await server.postAsUser({
      channelId: server.channelId,
      userId: server.ownerId,
      content: `<@${server.botId}> hello`,
    });
    const got = await waitFor("both messages", () => {
      const m = client.events("MESSAGE_CREATE");
      const a = m.find((d) => d.id === plain.id), b = m.find((d) => d.id === mention.id);
      return a && b ? [a, b] : undefined;
    });
    assertEquals(got[0].content, "");
    assertEquals(got[1].content, `<@${server.botId}> hello`);
    // REST reads still carry content: the app has the intent enabled
    const msg = await client.bot.helpers.getMessage(server.channelId, plain.id);
    assertEquals(msg.content, "secret");
  } finally {
    await client.stop();
  }
});

Deno.test("intents: an app without the MESSAGE_CONTENT intent closes 4014 when a client asks for it; REST content is empty", async () => {
  await using server = await startDiscordServer({
    port: 0,
    messageContentIntent: false,
    rateLimits: false,
  });
  // node:assert's rejects(p, regexp) matches the error's string form: the same here.
  assertMatch(String(await assertRejects(() => startDiscordJs(server))), /disallowed intents/i);
  await waitFor("the close record", () => server.state().gatewayConnections[0]?.closeCode === 4014);
  const m = await server.postAsUser({
    channelId: server.channelId,
    userId: server.ownerId,
    content: "hidden",
  });
  const res = await fetch(`${server.apiUrl}/v10/channels/${server.channelId}/messages/${m.id}`, {
    headers: { authorization: `Bot ${server.token}` },
  });
  assertEquals((await res.json()).content, "");
});

Deno.test("server: a message posted with no bot connected goes to history; close() is idempotent; abort stops it", async () => {
  const ac = new AbortController();
  const server = await startDiscordServer({ port: 0, signal: ac.signal });
  const m = await server.postAsUser({
    channelId: server.channelId,
    userId: server.ownerId,
    content: "offline",
  });
  assertEquals(server.messages(server.channelId)[0].id, m.id);
  assertEquals(server.state().gatewaySessions.length, 0);
  ac.abort();
  await server.close();
  await server.close();
  await assertRejects(() => fetch(`${server.apiUrl}/v10/gateway`));
});

Deno.test("faults: added latency on REST; reset() clears history and faults while a connected bot keeps working", async () => {
  await using server = await startDiscordServer({ port: 0, rateLimits: false });
  const client = await startDiscordeno(server);
  try {
    const sends = () =>
      server.state().requests.filter((r) =>
        r.method === "POST" && r.path === `/channels/${server.channelId}/messages`
      );
    server.fault({ kind: "latency", ms: 250 });
    const t0 = Date.now();
    await client.bot.helpers.sendMessage(server.channelId, { content: "slow" });
    assert(Date.now() - t0 >= 240, "the answer was delayed");
    assertEquals(sends().map((r) => r.delayedMs), [250], "the server held the answer back");
    server.fault({ kind: "http", status: 500, count: 5, route: "/webhooks/" });
    server.reset();
    assertEquals(server.messages(server.channelId).length, 0);
    assertEquals(server.state().requests.length, 0);
    await client.bot.helpers.sendMessage(server.channelId, { content: "fast" });
    assertEquals(sends().map((r) => r.delayedMs), [undefined], "latency cleared");
    const hook = await fetch(server.textWebhookUrl.replace("/api/", "/api/v10/"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ content: "x" }),
    });
    assertEquals(hook.status, 204, "http faults cleared");
    const m = await server.postAsUser({
      channelId: server.channelId,
      userId: server.ownerId,
      content: "after reset",
    });
    await waitFor(
      "delivery after reset",
      () => client.events("MESSAGE_CREATE").some((d) => d.id === m.id),
    );
  } finally {
    await client.stop();
  }
});
