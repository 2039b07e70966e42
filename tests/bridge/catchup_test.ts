// Catch-up and fatal gateway faults: nothing posted while the bridge was down is lost, nothing
// is written twice, fatal closes end it with the right sentence, and a server that is gone does
// not make it spin. The gaps a recoverable fault leaves: gap_test.ts, gap_invalid_session_test.ts.
import { Inbox } from "../../inbox.ts";
import { bridgePaths } from "../../daemon.ts";
import { assert, assertEquals, waitFor } from "../_assert.ts";
import { startBridge, withTimeout, world } from "./_helpers.ts";
import { DiscordApiError } from "../../errors.ts";

Deno.test("catch-up: 50 messages posted while the bridge was down are each delivered once", async () => {
  await using w = await world({ sessions: ["s1"] });
  const thread = await w.server.createThread({ parentId: w.server.channelId, name: "t" });
  await w.registry.setThread("s1", thread.id);
  let before: string;
  {
    await using b = await startBridge(w);
    before = await w.say("before");
    await waitFor("the first message", () => w.ids("s1").includes(before));
    await b.idle();
  }
  const chat: string[] = [];
  const inThread: string[] = [];
  for (let i = 0; i < 50; i++) chat.push(await w.say(`while down ${i}`));
  // More than one page (100) in the thread.
  for (let i = 0; i < 130; i++) inThread.push(await w.say(`thread ${i}`, { channelId: thread.id }));
  {
    await using b = await startBridge(w); // resolves after the first catch-up
    await b.idle();
  }
  assertEquals(w.ids("s1"), [before, ...chat, ...inThread]);
  const cursors = JSON.parse(Deno.readTextFileSync(bridgePaths(w.home).cursors));
  assertEquals(cursors.channels[w.server.channelId], chat.at(-1));
  assertEquals(cursors.channels[thread.id], inThread.at(-1));
  assertEquals(Deno.statSync(bridgePaths(w.home).cursors).mode! & 0o777, 0o600);

  // The session takes its messages; a restart writes nothing again.
  const claimed = await new Inbox(w.home).claim("s1", () => {});
  assertEquals(claimed.length, 181);
  {
    await using b = await startBridge(w);
    await b.idle();
    assertEquals(b.stats().delivered, 0);
  }
  assertEquals(w.ids("s1"), []);
});

Deno.test("catch-up: the first start delivers nothing older than itself", async () => {
  await using w = await world({ sessions: ["s1"] });
  await w.say("an old message, before the bridge was ever installed");
  await new Promise((r) => setTimeout(r, 20)); // a later millisecond
  await using b = await startBridge(w);
  const now = await w.say("a new one");
  await waitFor("the new message", () => w.ids("s1").includes(now));
  await b.idle();
  assertEquals(w.ids("s1"), [now]);
});

Deno.test("faults: close 4004 ends the bridge with the token sentence (no unhandled rejection)", async () => {
  await using w = await world({ sessions: ["s1"] });
  const b = await startBridge(w);
  w.server.fault({ kind: "close", code: 4004 });
  const err = await withTimeout(
    b.done.then(() => undefined, (e) => e),
    10_000,
    "the bridge to end",
  );
  assert(err instanceof DiscordApiError, String(err));
  assertEquals(err.code, 4004);
  assert(err.message.startsWith("Discord rejected the token (4004): run setup"), err.message);
  assert(w.log().includes("Discord rejected the token"));
});

Deno.test("faults: a missing Message Content intent (4014) names the Developer Portal switch", async () => {
  await using w = await world({ sessions: ["s1"], server: { messageContentIntent: false } });
  const err = await startBridge(w).then(() => undefined, (e) => e);
  assert(err instanceof DiscordApiError, String(err));
  assertEquals(err.code, 4014);
  assert(err.message.includes("MESSAGE CONTENT INTENT"), err.message);
  assert(err.message.includes("Developer Portal"), err.message);
});

Deno.test("faults: with the server gone the bridge backs off instead of spinning, and stops cleanly", async () => {
  await using w = await world({ sessions: ["s1"] });
  const b = await startBridge(w);
  await w.server.close();
  await new Promise((r) => setTimeout(r, 4000));
  const attempts = w.log().split("\n").filter((l) => l.includes("gateway: attempt"));
  // 250, 500, 1000, 2000 ms (with random() = 0.5: 3/4 of the ceiling): about 4 in 4 s.
  assert(
    attempts.length >= 2 && attempts.length <= 8,
    `${attempts.length} attempts:\n${attempts.join("\n")}`,
  );
  const delays = attempts.map((l) => Number(l.match(/retrying in (\d+) ms/)?.[1]));
  for (let i = 1; i < delays.length; i++) assert(delays[i] > delays[i - 1], delays.join(","));
  await withTimeout(b.stop(), 5000, "stop while reconnecting");
  await b.done;
});
