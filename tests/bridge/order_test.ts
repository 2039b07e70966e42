// Discord order per session across the chat channel and its threads: after a restart (the
// catch-up reads every channel, paged) and while live messages arrive during a slow catch-up,
// each session's mailbox lists its messages in snowflake order.
import { compareIds } from "../../_discord/snowflake.ts";
import { assert, assertEquals, waitFor } from "../_assert.ts";
import { startBridge, withTimeout, type World, world } from "./_helpers.ts";
import { Bridge } from "../../bridge.ts";
import { createLogger } from "../../log.ts";

/** Two sessions, each with a thread; the chat channel goes to both. */
async function twoThreads(w: World): Promise<{ a: string; b: string }> {
  const a = await w.server.createThread({ parentId: w.server.channelId, name: "a" });
  const b = await w.server.createThread({ parentId: w.server.channelId, name: "b" });
  await w.registry.setThread("s1", a.id);
  await w.registry.setThread("s2", b.id);
  return { a: a.id, b: b.id };
}

function sorted(ids: string[]): string[] {
  return [...ids].sort(compareIds);
}

Deno.test("order: after a restart, a session gets the chat channel's and its thread's messages in Discord order", async () => {
  await using w = await world({ sessions: ["s1", "s2"] });
  const { a, b } = await twoThreads(w);
  {
    await using b1 = await startBridge(w);
    await b1.idle();
  }
  // While the bridge is down: 260 messages, interleaved, more than a page in two channels.
  const to = { s1: [] as string[], s2: [] as string[] };
  for (let i = 0; i < 260; i++) {
    const where = i % 5 === 0 || i % 5 === 3 ? "chat" : i % 5 === 1 || i % 5 === 4 ? "a" : "b";
    const channelId = where === "chat" ? w.server.channelId : where === "a" ? a : b;
    const id = await w.say(`down ${i} in ${where}`, { channelId });
    if (where !== "b") to.s1.push(id);
    if (where !== "a") to.s2.push(id);
  }
  {
    await using b2 = await startBridge(w);
    await b2.idle();
  }
  assertEquals(w.ids("s1"), to.s1);
  assertEquals(w.ids("s2"), to.s2);
  assertEquals(to.s1, sorted(to.s1));
});

Deno.test("order: live messages during a slow catch-up are merged into it in Discord order", async () => {
  await using w = await world({ sessions: ["s1", "s2"] });
  const { a, b } = await twoThreads(w);
  {
    await using b1 = await startBridge(w);
    await b1.idle();
  }
  const to = { s1: [] as string[], s2: [] as string[] };
  const post = async (i: number, phase: string) => {
    const where = ["chat", "a", "b"][i % 3];
    const channelId = where === "chat" ? w.server.channelId : where === "a" ? a : b;
    const id = await w.say(`${phase} ${i} in ${where}`, { channelId });
    if (where !== "b") to.s1.push(id);
    if (where !== "a") to.s2.push(id);
  };
  for (let i = 0; i < 30; i++) await post(i, "down");
  // Every REST call of the bridge now takes 150 ms: its catch-up runs for a while after it
  // connects, and live messages arrive meanwhile.
  w.server.fault({ kind: "latency", ms: 150 });
  const bridge = new Bridge({
    token: w.server.token,
    channelId: w.server.channelId,
    webhookUrl: w.server.webhookUrl,
    allowedUsers: [w.server.ownerId],
    apiUrl: w.server.apiUrl,
    home: w.home,
    log: createLogger(`${w.home}/bridge.log`),
    random: () => 0.5,
  });
  try {
    const started = bridge.start();
    await waitFor("the gateway connection", () => bridge.stats().state === "connected", 15_000);
    assertEquals(bridge.stats().catchUps, 0, "the catch-up is still running");
    for (let i = 30; i < 45; i++) await post(i, "live");
    assertEquals(bridge.stats().catchUps, 0, "the catch-up was still running");
    await withTimeout(started, 20_000, "the first catch-up");
    w.server.fault({ kind: "latency", ms: 0 });
    for (let i = 45; i < 51; i++) await post(i, "after");
    await waitFor("every message", () => w.ids("s1").length === to.s1.length, 15_000);
    await waitFor("every message", () => w.ids("s2").length === to.s2.length, 15_000);
    await bridge.idle();
  } finally {
    await bridge.stop();
  }
  assertEquals(w.ids("s1"), sorted(to.s1));
  assertEquals(w.ids("s2"), sorted(to.s2));
  assert(w.log().includes("caught up"), w.log());
});
