// Rate limits: webhook bursts get Discord-shaped 429s; discord.js's REST queue
// (the reference implementation) honours the headers; injected 429/500 faults.
import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { startDiscordServer } from "../../testing/mod.ts";

/** A webhook URL (unversioned, as Discord hands it out) with the API version requests name. */
const v10 = (url: string) => url.replace("/api/webhooks/", "/api/v10/webhooks/");

Deno.test("rate limits: a burst over the webhook limit gets 429s with Discord's headers and body", async () => {
  await using server = await startDiscordServer({ port: 0 });
  const statuses: number[] = [];
  let limited: Response | undefined;
  for (let i = 0; i < 7; i++) {
    const res = await fetch(`${v10(server.textWebhookUrl)}?wait=true`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ content: `burst ${i}` }),
    });
    statuses.push(res.status);
    if (res.status === 429) limited ??= res;
    else {
      assertEquals(res.headers.get("x-ratelimit-limit"), "5");
      assertEquals(res.headers.get("x-ratelimit-remaining"), String(4 - i));
      await res.body?.cancel();
    }
    if (res !== limited) await res.body?.cancel().catch(() => {});
  }
  assertEquals(statuses, [200, 200, 200, 200, 200, 429, 429]);
  assert(limited);
  const h = limited.headers;
  const body = await limited.json();
  assertEquals(body.message, "You are being rate limited.");
  assertEquals(body.global, false);
  assert(body.retry_after > 0 && body.retry_after <= 2, `retry_after ${body.retry_after}`);
  assertEquals(h.get("retry-after"), String(Math.ceil(body.retry_after)));
  assertEquals(h.get("x-ratelimit-scope"), "user");
  assertEquals(h.get("x-ratelimit-remaining"), "0");
  assert(Number(h.get("x-ratelimit-reset-after")) <= 2);
  assert(Number(h.get("x-ratelimit-reset")) * 1000 > Date.now());
  assertMatch(h.get("x-ratelimit-bucket") ?? "", /^[0-9a-f]{16}$/);
  // a different webhook has its own bucket
  const other = await fetch(v10(server.webhookUrl), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ content: "other", thread_name: "t" }),
  });
  assertEquals(other.status, 204);
  // after retry_after the webhook works again
  await new Promise((r) => setTimeout(r, body.retry_after * 1000 + 30));
  const again = await fetch(v10(server.textWebhookUrl), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ content: "after" }),
  });
  assertEquals(again.status, 204);
  assertEquals(server.messages(server.channelId).length, 6);
});

Deno.test("rate limits: the global limit answers global 429s; limits are configurable", async () => {
  await using server = await startDiscordServer({
    port: 0,
    rateLimits: { global: { limit: 3, windowMs: 1000 }, default: { limit: 100, windowMs: 1000 } },
  });
  const auth = { authorization: `Bot ${server.token}` };
  const statuses: number[] = [];
  let last: Response | undefined;
  for (let i = 0; i < 4; i++) {
    last = await fetch(`${server.apiUrl}/v10/users/@me`, { headers: auth });
    statuses.push(last.status);
    if (i < 3) await last.body?.cancel();
  }
  assertEquals(statuses, [200, 200, 200, 429]);
  assertEquals(last!.headers.get("x-ratelimit-global"), "true");
  assertEquals(last!.headers.get("x-ratelimit-scope"), "global");
  assertEquals((await last!.json()).global, true);
  // webhooks are not counted against the bot's global limit
  const hook = await fetch(v10(server.textWebhookUrl), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ content: "x" }),
  });
  assertEquals(hook.status, 204);
});

Deno.test("rate limits: discord.js's REST queue honours the headers (no 429 reaches it) and retries injected 429/500", async () => {
  await using server = await startDiscordServer({
    port: 0,
    rateLimits: {
      webhook: { limit: 2, windowMs: 600 },
      messageCreate: { limit: 2, windowMs: 600 },
    },
  });
  const { WebhookClient, REST, Routes } = await import("discord.js");
  const [id, token] = server.textWebhookUrl.split("/").slice(-2);
  const hook = new WebhookClient({ id, token }, { rest: { api: server.apiUrl, offset: 0 } });
  const rest = new REST({ api: server.apiUrl, offset: 0 }).setToken(server.token);
  try {
    const started = Date.now();
    await Promise.all([0, 1, 2, 3, 4].map((i) => hook.send({ content: `q${i}` })));
    const took = Date.now() - started;
    assert(took >= 1000, `5 posts at 2 per 600 ms need two waits, took ${took} ms`);
    assertEquals(server.messages(server.channelId).length, 5);
    assert(
      server.state().requests.every((r) => r.status !== 429),
      "discord.js waited instead of hitting 429",
    );

    server.fault({ kind: "http", status: 429, count: 1, route: "/channels/" });
    server.fault({ kind: "http", status: 500, count: 1, route: "/channels/" });
    const msg = await rest.post(Routes.channelMessages(server.channelId), {
      body: { content: "through faults" },
    }) as {
      content: string;
    };
    assertEquals(msg.content, "through faults");
    const tail = server.state().requests.slice(-3).map((r) => r.status);
    assertEquals(tail, [429, 500, 200]);
  } finally {
    hook.destroy();
  }
});
