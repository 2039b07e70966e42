// The local Discord's world saved and started again (what the sandbox keeps between runs):
// same token, ids, webhooks and history, URLs moved to the new port, new ids after the old
// ones; and the world on disk in a sandbox home.
import { startDiscordServer } from "../../testing/server.ts";
import { readWorld, writeWorld } from "../../testing/_world_file.ts";
import { assert, assertEquals, assertMatch, assertNotEquals, assertThrows } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";

/** A REST call as the bot. */
function rest(
  server: { apiUrl: string; token: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  const init: RequestInit = { method, headers: { authorization: `Bot ${server.token}` } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] = "application/json";
  }
  return fetch(`${server.apiUrl}/v10${path}`, init);
}

/** `webhooks/{id}/{token}` of a webhook URL. */
const hookPath = (url: string) => new URL(url).pathname.replace(/^\/api\//, "");

Deno.test("world: a server started on a saved world has its token, ids, webhooks, reactions, files and history; URLs move to the new port", async () => {
  const first = await startDiscordServer({ port: 0 });
  const ada = first.createUser({ username: "ada" });
  const hello = await first.postAsUser({
    channelId: first.channelId,
    userId: ada.id,
    content: "hello **world**",
  });
  const form = new FormData();
  form.append(
    "payload_json",
    JSON.stringify({
      content: "here is the log",
      message_reference: { message_id: hello.id },
      embeds: [{ title: "STATUS", fields: [{ name: "tool", value: "Bash", inline: true }] }],
    }),
  );
  form.append("files[0]", new Blob([new TextEncoder().encode("log bytes")]), "log.txt");
  const answer = await (await rest(first, "POST", `/channels/${first.channelId}/messages`, form))
    .json();
  const emoji = encodeURIComponent("👍");
  const path = `/channels/${first.channelId}/messages/${answer.id}/reactions/${emoji}`;
  assertEquals((await rest(first, "PUT", `${path}/@me`)).status, 204);
  await first.addReaction({
    channelId: first.channelId,
    messageId: answer.id,
    userId: ada.id,
    emoji: "👍",
  });
  const made = await (await rest(first, "POST", `/channels/${first.channelId}/webhooks`, {
    name: "deploys",
  })).json();
  const post = await (await fetch(`${first.webhookUrl.replace("/api/", "/api/v10/")}?wait=true`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ content: "session status", thread_name: "session-1" }),
  })).json();
  const before = first.state();
  const world = first.saveWorld();
  await first.close();

  await using again = await startDiscordServer({ port: 0, world });
  assertNotEquals(again.origin, first.origin);
  assertEquals(
    [again.token, again.botId, again.guildId, again.channelId, again.forumId, again.ownerId],
    [first.token, first.botId, first.guildId, first.channelId, first.forumId, first.ownerId],
  );
  assertEquals(hookPath(again.webhookUrl), hookPath(first.webhookUrl));
  assertEquals(hookPath(again.textWebhookUrl), hookPath(first.textWebhookUrl));
  assert(again.webhookUrl.startsWith(`${again.origin}/api/webhooks/`), again.webhookUrl);
  const after = again.state();
  assertEquals(after.users, before.users);
  assertEquals(after.channels, before.channels);
  assertEquals(after.threads, before.threads);
  assertEquals(
    after.messages.map((m) => [m.id, m.content]),
    before.messages.map((m) => [m.id, m.content]),
  );

  // History through REST, with the reply, the embed and the attachment at the new origin.
  const history = await (await rest(again, "GET", `/channels/${again.channelId}/messages`)).json();
  assertEquals(history.map((m: { id: string }) => m.id), [answer.id, hello.id]);
  assertEquals(history[0].referenced_message.id, hello.id);
  assertEquals(history[0].embeds[0].fields, [{ name: "tool", value: "Bash", inline: true }]);
  const file = history[0].attachments[0];
  assert(file.url.startsWith(`${again.origin}/attachments/`), file.url);
  assertEquals(await (await fetch(file.url)).text(), "log bytes");
  const who = await (await rest(again, "GET", path)).json();
  assertEquals(who.map((u: { id: string }) => u.id).sort(), [again.botId, ada.id].sort());
  assertEquals(history[0].reactions[0].count, 2);

  // The webhooks still execute (the one made over REST too), and the thread is still active.
  const hooked = await fetch(`${again.origin}/api/v10/${hookPath(made.url)}?wait=true`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ content: "deployed" }),
  });
  assertEquals(hooked.status, 200);
  const inThread = await fetch(
    `${again.webhookUrl.replace("/api/", "/api/v10/")}?wait=true&thread_id=${post.channel_id}`,
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ content: "still here" }),
    },
  );
  assertEquals(inThread.status, 200);
  const active = await (await rest(again, "GET", `/guilds/${again.guildId}/threads/active`)).json();
  assertEquals(active.threads.map((t: { id: string }) => t.id), [post.channel_id]);

  // New ids come after every saved one.
  const next = await again.postAsUser({ channelId: again.channelId, userId: ada.id, content: "x" });
  assert(before.messages.every((m) => BigInt(m.id) < BigInt(next.id)), next.id);
  assert(BigInt(made.id) < BigInt(next.id));
});

Deno.test("world: written to a sandbox home (world.json 0600, files/ 0700) and read back; a damaged one names the fix", async () => {
  await using home = await tempDir("world-test-");
  const server = await startDiscordServer({ port: 0 });
  const form = new FormData();
  form.append("payload_json", JSON.stringify({ content: "file" }));
  form.append("files[0]", new Blob([new Uint8Array([1, 2, 3])]), "a.bin");
  assertEquals(
    (await rest(server, "POST", `/channels/${server.channelId}/messages`, form)).status,
    200,
  );
  const world = server.saveWorld();
  await server.close();

  assertEquals(readWorld(home.path), undefined);
  writeWorld(home.path, world);
  writeWorld(home.path, world); // again: files already there are kept
  assertEquals(Deno.statSync(`${home.path}/world.json`).mode! & 0o777, 0o600);
  assertEquals(Deno.statSync(`${home.path}/files`).mode! & 0o777, 0o700);
  const [id] = Object.keys(world.files);
  assertEquals(Deno.statSync(`${home.path}/files/${id}`).mode! & 0o777, 0o600);
  assertEquals([...Deno.readDirSync(home.path)].map((e) => e.name).sort(), ["files", "world.json"]);
  const back = readWorld(home.path)!;
  assertEquals(back, world);

  // A world without the attachment drops its bytes from the home.
  writeWorld(home.path, { ...world, files: {} });
  assertEquals([...Deno.readDirSync(`${home.path}/files`)], []);

  Deno.writeTextFileSync(`${home.path}/world.json`, "{not json");
  const err = assertThrows(() => readWorld(home.path)) as Error;
  assertMatch(err.message, /world\.json is not a saved sandbox world .*--fresh/);
  Deno.writeTextFileSync(`${home.path}/world.json`, JSON.stringify({ version: 99 }));
  assertMatch((assertThrows(() => readWorld(home.path)) as Error).message, /version 99/);
});
