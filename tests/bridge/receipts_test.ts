// Receipts with an in-process bridge against the local Discord: 📬 when a message is written to
// a session's mailbox, ⏳ when it is held, ✅ when a hook hands it over (the mailbox claim, as
// the delivery hooks make it); one set per message, also for several sessions; nothing on a
// stranger's message; nothing when turned off; a ✅ owed across a bridge restart still comes.
// The latencies are printed, not asserted (bench/card_bench.ts measures them).
import { HELD, Inbox } from "../../inbox.ts";
import { REACTING_MAX } from "../../_bridge/receipts.ts";
import { assert, assertEquals, waitFor } from "../_assert.ts";
import { startBridge, type World, world } from "./_helpers.ts";

const A = "0d1e2f30-0000-4000-8000-0000000000a1";
const B = "0d1e2f30-0000-4000-8000-0000000000b2";

/** The bot's reactions on a message of the chat channel, in the order they show. */
function receipts(w: World, messageId: string, channelId = w.server.channelId): string[] {
  const m = w.server.messages(channelId).find((x) => x.id === messageId);
  return (m?.reactions ?? []).filter((r) => r.me).map((r) => r.emoji.name);
}

/** Times (ms) the bot's reactions were added, from the gateway's MESSAGE_REACTION_ADD. */
function reactionTimes(w: World): Map<string, number> {
  const times = new Map<string, number>();
  w.server.onEvent((t, d) => {
    if (t !== "MESSAGE_REACTION_ADD" || d.user_id !== w.server.botId) return;
    const emoji = (d.emoji as { name: string }).name;
    times.set(`${d.message_id} ${emoji}`, performance.now());
  });
  return times;
}

/** What a delivery hook does: claim the mailbox (the delivered log gets the ids). */
async function deliver(w: World, session: string): Promise<number> {
  let at = 0;
  await new Inbox(w.home).claim(session, () => {
    at = performance.now();
  });
  return at;
}

Deno.test("receipts: 📬 when written, ✅ when a hook hands it over, one set for several sessions", async () => {
  await using w = await world({ sessions: [A, B] });
  const times = reactionTimes(w);
  const written = new Map<string, number>();
  await using bridge = await startBridge(w, {
    onWritten: (_mailbox, events) => {
      for (const e of events) if (!written.has(e.id)) written.set(e.id, performance.now());
    },
  });
  const id = await w.say("run the tests please");
  await waitFor("📬", () => receipts(w, id).includes("📬"), 5000);
  assertEquals(w.ids(A), [id]);
  assertEquals(w.ids(B), [id]);
  const handed = await deliver(w, A);
  await waitFor("✅", () => receipts(w, id).includes("✅"), 5000);
  await deliver(w, B);
  await new Promise((r) => setTimeout(r, 500));
  await bridge.idle();
  assertEquals(receipts(w, id), ["📬", "✅"], "one set, in order");
  const stranger = await w.server.postAsUser({
    channelId: w.server.channelId,
    userId: w.server.users.stranger.id,
    content: "rm -rf /",
  });
  await new Promise((r) => setTimeout(r, 500));
  await bridge.idle();
  assertEquals(receipts(w, stranger.id), [], "nothing on a stranger's message");
  const ms = (emoji: string, from: number) =>
    ((times.get(`${id} ${emoji}`) ?? NaN) - from).toFixed(0);
  console.log(
    `receipt latency: written → 📬 ${ms("📬", written.get(id)!)} ms, ` +
      `handed over → ✅ ${ms("✅", handed)} ms`,
  );
});

Deno.test("receipts: ⏳ while held, then ✅ (and the ⏳ taken back) once a session took it; in a thread too", async () => {
  await using w = await world();
  await using bridge = await startBridge(w);
  const id = await w.say("anyone there?");
  await waitFor("⏳", () => receipts(w, id).includes("⏳"), 5000);
  assertEquals(w.ids(HELD), [id]);
  // A session starts: the register hook moves the held box to it, then delivers.
  await w.registry.register({ id: A, cwd: "/work/a", pid: Deno.pid });
  await new Inbox(w.home).releaseHeld(A);
  await deliver(w, A);
  await waitFor("✅", () => receipts(w, id).includes("✅"), 5000);
  await bridge.idle();
  await waitFor("⏳ gone", () => !receipts(w, id).includes("⏳"), 5000);
  assertEquals(receipts(w, id), ["✅"]);

  // A message in a thread of the chat channel (to the live session).
  const thread = await w.server.createThread({ parentId: w.server.channelId, name: "side" });
  const inThread = await w.say("and here", { channelId: thread.id });
  await waitFor("📬 in the thread", () => receipts(w, inThread, thread.id).includes("📬"), 5000);
  await deliver(w, A);
  await waitFor("✅ in the thread", () => receipts(w, inThread, thread.id).includes("✅"), 5000);
});

Deno.test("receipts: a ✅ owed when the bridge stopped comes after its restart; none when turned off", async () => {
  await using w = await world({ sessions: [A] });
  let id: string;
  {
    await using bridge = await startBridge(w);
    id = await w.say("one");
    await waitFor("📬", () => receipts(w, id).includes("📬"), 5000);
    await bridge.idle();
  }
  await deliver(w, A);
  {
    await using _bridge = await startBridge(w);
    await waitFor("✅ after the restart", () => receipts(w, id).includes("✅"), 5000);
  }
  await using off = await startBridge(w, { receipts: false });
  const quiet = await w.say("two");
  await waitFor("the mailbox", () => w.ids(A).includes(quiet), 5000);
  await deliver(w, A);
  await new Promise((r) => setTimeout(r, 500));
  await off.idle();
  assertEquals(receipts(w, quiet), [], "receipts off");
});

Deno.test("receipts: under a flood, reactions under way stay bounded (the rest skipped, logged); every message is still delivered", async () => {
  await using w = await world({ sessions: [A] });
  await using bridge = await startBridge(w);
  // The local Discord takes one reaction per 250 ms per channel: 300 messages at once leave
  // more than REACTING_MAX of them waiting.
  const ids: string[] = [];
  for (let i = 0; i < REACTING_MAX + 100; i++) ids.push(await w.say(`flood ${i}`));
  await waitFor("every message in the mailbox", () => w.ids(A).length === ids.length, 20_000);
  await bridge.idle();
  assertEquals(w.ids(A), ids);
  await waitFor("the skip in the log", () => /skipping receipts/.test(w.log()), 5000);
  // The first ones get theirs, at Discord's pace; the skipped ones never do.
  const reacted = () => ids.filter((id) => receipts(w, id).includes("📬")).length;
  await waitFor("the first 📬", () => reacted() > 0, 10_000);
  assert(reacted() < ids.length, `${reacted()} of ${ids.length} got 📬`);
});
