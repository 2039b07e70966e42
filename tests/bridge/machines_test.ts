// Two machines (two state directories) on one bot token, against the local Discord server: each
// bridge sees every event and acts only on what is its own (ARCHITECTURE.md, Routing). Two
// sessions on each machine, each with the thread its bridge opened. The same with a permission
// hook and a bridge killed mid-stream: machines_process_test.ts.
import { HELD } from "../../inbox.ts";
import { recordPost } from "../../posts.ts";
import { bridgePaths, readSessionThreads } from "../../daemon.ts";
import { startDiscordServer } from "../../testing/mod.ts";
import { assert, assertEquals, assertMatch, waitFor } from "../_assert.ts";
import { DiscordRest } from "../../_discord/rest.ts";
import {
  addSession,
  type Machine,
  machine,
  openThreads,
  postAs,
  postPrompt,
  startMachineBridge,
} from "./_machines.ts";

const A1 = "a1b2c3d4-0000-4000-8000-000000000a01";
const B1 = "b1b2c3d4-0000-4000-8000-000000000b01";
const A2 = "a2b2c3d4-0000-4000-8000-000000000a02";
const B2 = "b2b2c3d4-0000-4000-8000-000000000b02";
const SESSIONS = [A1, B1, A2, B2];

/** Two machines, two sessions each with their threads, their bridges running. */
async function twoMachines() {
  const server = await startDiscordServer({
    port: 0,
    identifyBudget: { concurrencyWindowMs: false },
  });
  const laptop = await machine(server, "laptop", [
    { id: A1, cwd: "/src/api" },
    { id: B1, cwd: "/src/web" },
  ]);
  const desk = await machine(server, "desk", [
    { id: A2, cwd: "/src/api" },
    { id: B2, cwd: "/src/docs" },
  ]);
  const [one, two] = await Promise.all([startMachineBridge(laptop), startMachineBridge(desk)]);
  const [t1, t2] = await Promise.all([openThreads(laptop, [A1, B1]), openThreads(desk, [A2, B2])]);
  const owner = (sid: string): Machine => sid === A1 || sid === B1 ? laptop : desk;
  /** Every session's mailbox events (all kinds), by session. */
  const got = () => Object.fromEntries(SESSIONS.map((s) => [s, owner(s).ids(s)]));
  return {
    server,
    laptop,
    desk,
    one,
    two,
    threads: { [A1]: t1[0], [B1]: t1[1], [A2]: t2[0], [B2]: t2[1] } as Record<string, string>,
    got,
    async idle() {
      await Promise.all([one.idle(), two.idle()]);
    },
    async [Symbol.asyncDispose]() {
      await Promise.allSettled([one.stop(), two.stop()]);
      await server.close();
      await laptop[Symbol.asyncDispose]();
      await desk[Symbol.asyncDispose]();
    },
  };
}

Deno.test("machines: a thread, @name, reply or reaction reaches its session only; a channel message all 4 once", async () => {
  await using m = await twoMachines();
  const { server, laptop, desk } = m;
  const say = (content: string, extra = {}) =>
    server.postAsUser({ channelId: server.channelId, userId: server.ownerId, content, ...extra })
      .then((x) => x.id);

  const all = await say("status, everyone?");
  const inA1 = await say("only for A1", { channelId: m.threads[A1] });
  const inB2 = await say("only for B2", { channelId: m.threads[B2] });
  const toA2 = await say(`@${desk.session(A2).name} run the tests`);
  const toB1 = await say(`@${laptop.session(B1).name}@laptop and you`);
  // Claude's reply in the channel (MCP `reply`): the bot's message, in one machine's index.
  const replyOfA2 = await postAs(desk, A2, "A2: done");
  const replyToA2 = await say("thanks", { messageReference: { message_id: replyOfA2 } });
  // A forum post of A2 through the STATUS webhook (notify.ts used directly), and a message in it.
  const hooked =
    await (await fetch(`${server.webhookUrl}?wait=true`.replace("/api/", "/api/v10/"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ content: "A2: STATUS", thread_name: "A2 by webhook" }),
    })).json();
  await recordPost(desk.home, A2, hooked.id);
  const inHooked = await say("ok", { channelId: hooked.channel_id });
  // A thread a person starts from B1's reply belongs to B1; one from their own message is the
  // channel's.
  const replyOfB1 = await postAs(laptop, B1, "B1: which file?");
  const fromB1 = await server.createThread({
    parentId: server.channelId,
    name: "about B1's question",
    messageId: replyOfB1,
  });
  const inFromB1 = await say("this one", { channelId: fromB1.id });
  const mine = await say("a topic of mine");
  const own = await server.createThread({
    parentId: server.channelId,
    name: "a topic",
    messageId: mine,
  });
  const inOwn = await say("everyone, here", { channelId: own.id });
  await say("@nobody-0000 are you there?"); // no machine has it: nobody gets it
  // A reaction on desk's post (B2's thread starter, the forum post) reaches B2 only.
  await server.addReaction({
    channelId: m.threads[B2],
    messageId: m.threads[B2],
    userId: server.ownerId,
    emoji: "👍",
  });
  const reaction = `r:${m.threads[B2]}:${server.ownerId}:👍`;

  await waitFor("every delivery", () => {
    const g = m.got();
    return g[B1].includes(inFromB1) && g[A2].includes(replyToA2) && g[B2].includes(reaction) &&
      SESSIONS.every((s) => g[s].includes(inOwn));
  }, 15_000);
  await m.idle();
  // Messages in Discord order; a reaction is not ordered with them.
  const messages = (sid: string) => m.got()[sid].filter((id) => id !== reaction);
  assertEquals(Object.fromEntries(SESSIONS.map((s) => [s, messages(s)])), {
    [A1]: [all, inA1, mine, inOwn],
    [B1]: [all, toB1, inFromB1, mine, inOwn],
    [A2]: [all, toA2, replyToA2, inHooked, mine, inOwn],
    [B2]: [all, inB2, mine, inOwn],
  });
  assertEquals(SESSIONS.filter((s) => m.got()[s].includes(reaction)), [B2]);
  assertEquals(m.got()[B2].filter((id) => id === reaction).length, 1);
  for (const machine of [laptop, desk]) assertEquals(machine.mailbox(HELD), []);
  // What each left to the other: B2's thread, @A2, the reply to A2, A2's webhook post, @nobody on the laptop;
  // A1's thread, @B1@laptop, the thread from B1's reply, @nobody on the desk.
  assertEquals(m.one.stats().dropped.elsewhere, 5);
  assertEquals(m.two.stats().dropped.elsewhere, 4);
});

Deno.test("machines: a channel message with no live session on a machine is held there only", async () => {
  await using m = await twoMachines();
  await m.laptop.registry.unregister(A1);
  await m.laptop.registry.unregister(B1);
  const id = (await m.server.postAsUser({
    channelId: m.server.channelId,
    userId: m.server.ownerId,
    content: "anyone?",
  })).id;
  await waitFor("the broadcast", () => m.laptop.ids(HELD).includes(id) && m.got()[B2].includes(id));
  await m.idle();
  assertEquals(m.laptop.ids(HELD), [id]);
  assertEquals(m.desk.ids(HELD), []);
  assertEquals([m.got()[A2], m.got()[B2]], [[id], [id]]);
});

Deno.test("machines: a name another machine's session has gets this machine's label, and @name@label reaches it alone", async () => {
  await using m = await twoMachines();
  const { laptop, desk, server } = m;
  // desk's bridge saw laptop's threads: their names are taken there.
  await waitFor(
    "desk's view of the session threads",
    () => readSessionThreads(desk.home).some((t) => t.id === m.threads[A1]),
  );
  // A session of the same project whose id starts as A1's: on one machine it would be "api-a1b2".
  const twin = await addSession(desk, "a1b2c3d4-0000-4000-8000-00000000beef", "/home/me/api");
  assertEquals(laptop.session(A1).name, "api-a1b2");
  assertEquals(twin.name, "api-a1b2@desk");
  const [twinThread] = await openThreads(desk, [twin.id]);
  const thread = server.state().threads.find((t) => t.id === twinThread);
  assertEquals(thread?.name, "api-a1b2@desk");

  const bare = (await server.postAsUser({
    channelId: server.channelId,
    userId: server.ownerId,
    content: "@api-a1b2 which one?",
  })).id;
  const qualified = (await server.postAsUser({
    channelId: server.channelId,
    userId: server.ownerId,
    content: "@api-a1b2@desk this one",
  })).id;
  await waitFor(
    "both",
    () => laptop.ids(A1).includes(bare) && desk.ids(twin.id).includes(qualified),
  );
  await m.idle();
  assertEquals(laptop.ids(A1), [bare]);
  assertEquals(desk.ids(twin.id), [qualified]);
  assertEquals([laptop.ids(B1), desk.ids(A2), desk.ids(B2)], [[], [], []]);
});

Deno.test("machines: a bridge that catches up from history after a restart routes as it does live", async () => {
  await using m = await twoMachines();
  const { server, laptop, desk } = m;
  const say = (content: string, extra = {}) =>
    server.postAsUser({ channelId: server.channelId, userId: server.ownerId, content, ...extra })
      .then((x) => x.id);
  const replyOfA2 = await postAs(desk, A2, "A2: done");
  const replyOfB1 = await postAs(laptop, B1, "B1: which file?");
  await m.one.stop();
  // Without its saved gateway session the laptop IDENTIFYs again and reads the history.
  Deno.removeSync(bridgePaths(laptop.home).gateway);
  const all = await say("while the laptop was away");
  const inB2 = await say("for B2", { channelId: m.threads[B2] });
  const inA1 = await say("for A1", { channelId: m.threads[A1] });
  const toA2 = await say(`@${desk.session(A2).name} and`);
  const toB1 = await say(`@${laptop.session(B1).name} too`);
  const replyToA2 = await say("thanks", { messageReference: { message_id: replyOfA2 } });
  // A forum post of A2 through the STATUS webhook (notify.ts used directly), and a message in it.
  const hooked =
    await (await fetch(`${server.webhookUrl}?wait=true`.replace("/api/", "/api/v10/"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ content: "A2: STATUS", thread_name: "A2 by webhook" }),
    })).json();
  await recordPost(desk.home, A2, hooked.id);
  const inHooked = await say("ok", { channelId: hooked.channel_id });
  const fromB1 = await server.createThread({
    parentId: server.channelId,
    name: "B1's question",
    messageId: replyOfB1,
  });
  const inFromB1 = await say("in B1's thread", { channelId: fromB1.id });
  const fromA2 = await server.createThread({
    parentId: server.channelId,
    name: "A2's answer",
    messageId: replyOfA2,
  });
  const inFromA2 = await say("in A2's thread", { channelId: fromA2.id });
  await using again = await startMachineBridge(laptop);
  await waitFor("the laptop's catch-up", () => laptop.ids(B1).includes(inFromB1), 15_000);
  await Promise.all([again.idle(), m.two.idle()]);
  assertEquals([laptop.ids(A1), laptop.ids(B1)], [[all, inA1], [all, toB1, inFromB1]]);
  assertEquals([desk.ids(A2), desk.ids(B2)], [
    [all, toA2, replyToA2, inHooked, inFromA2],
    [all, inB2],
  ]);
  // B2's thread, @A2, the reply to A2, A2's webhook post, the thread from A2's reply.
  assertEquals(again.stats().dropped.elsewhere, 5);
  assertMatch(laptop.log(), new RegExp(`caught up \\d+ message\\(s\\) in ${fromB1.id}`));
});

Deno.test("machines: a click on a prompt while its machine's bridge is down is answered by nobody; it reaches the prompt when that bridge resumes", async () => {
  await using m = await twoMachines();
  const { server, laptop, desk } = m;
  const prompt = await postPrompt(laptop, A1, "r1");
  await m.one.stop();
  const click = await server.clickButton({
    messageId: prompt,
    customId: "cd:perm:r1:allow",
    userId: server.ownerId,
  });
  assertEquals(await click.answered, false, "the desk does not answer for the laptop");
  await using again = await startMachineBridge(laptop);
  await waitFor(
    "the click in the prompt's mailbox",
    () => laptop.ids("perm-r1").includes(click.interactionId),
    15_000,
  );
  await Promise.all([again.idle(), m.two.idle()]);
  assertEquals(laptop.ids("perm-r1"), [click.interactionId]);
  assertEquals(desk.ids("perm-r1"), []);
  assertMatch(laptop.log(), /gateway: resuming the saved session/);
  // Only the laptop tried to answer, late.
  const answers = server.state().interactionCallbacks.filter((c) =>
    c.interactionId === click.interactionId
  );
  assertEquals(answers.map((c) => c.late), [true]);
  await waitFor("the late answer logged", () => /cannot answer interaction/.test(laptop.log()));
});

Deno.test("machines: a reply or click on a post its machine records a moment after Discord took it still reaches it, in order", async () => {
  await using m = await twoMachines();
  const { server, laptop, desk } = m;
  const rest = new DiscordRest({ token: server.token, apiUrl: server.apiUrl });
  // As the MCP server does: post, then record (here 300 ms later).
  const post = await rest.createMessage(server.channelId, {
    content: "A1: allow?",
    components: [{
      type: 1,
      components: [{ type: 2, style: 1, label: "Yes", custom_id: "cd:perm:r9:allow" }],
    }],
  });
  const say = (content: string, extra = {}) =>
    server.postAsUser({ channelId: server.channelId, userId: server.ownerId, content, ...extra })
      .then((x) => x.id);
  const reply = await say("yes", { messageReference: { message_id: post.id } });
  const after = await say("and everyone: thanks");
  const click = await server.clickButton({
    messageId: post.id,
    customId: "cd:perm:r9:allow",
    userId: server.ownerId,
  });
  await new Promise((r) => setTimeout(r, 300));
  await recordPost(laptop.home, A1, post.id);
  assert(await click.answered);
  await waitFor("the click", () => laptop.ids(A1).includes(click.interactionId));
  await waitFor(
    "both messages",
    () => desk.ids(B2).includes(after) && laptop.ids(A1).includes(after),
  );
  await m.idle();
  assertEquals(laptop.ids(A1).filter((id) => id !== click.interactionId), [reply, after]);
  assertEquals([laptop.ids(B1), desk.ids(A2), desk.ids(B2)], [[after], [after], [after]]);
  const answers = server.state().interactionCallbacks.filter((c) =>
    c.interactionId === click.interactionId
  );
  assertEquals(answers.map((c) => c.status), [204]);
});

Deno.test("machines: /sessions shows all 4 sessions with their machines, each machine's part once; one answer accepted", async () => {
  await using m = await twoMachines();
  const { server, laptop, desk } = m;
  await waitFor("the slash commands", () => server.commands().length === 3, 10_000);
  const run = await server.runCommand({ name: "sessions" });
  assert(await run.answered, "deferred within 3 s");
  const answered = await waitFor("both machines' parts", () => {
    const r = server.interaction(run.interactionId);
    return r && r.messages.filter((x) => x.content !== "").length === 2 ? r : undefined;
  }, 10_000);
  const lines = answered.messages.flatMap((x) => x.content.split("\n"))
    .filter((l) => l.startsWith("•")).sort();
  const expected = [
    [laptop, A1],
    [laptop, B1],
    [desk, A2],
    [desk, B2],
  ] as const;
  assertEquals(lines.length, 4, lines.join("\n"));
  for (const [machine, sid] of expected) {
    const line = lines.find((l) => l.includes(`**${machine.session(sid).name}**`));
    assert(line !== undefined, `${sid} listed`);
    assertMatch(line, new RegExp(` · ${machine.label} · .* · <#${m.threads[sid]}>$`));
  }
  // Each part is one machine's: its two sessions.
  for (const part of answered.messages) {
    const labels = [...part.content.matchAll(/^• \*\*[^*]+\*\* · (\w+) ·/gm)].map((x) => x[1]);
    assertEquals(labels.length, 2);
    assertEquals(new Set(labels).size, 1, part.content);
  }
  // One deferral accepted; the other bridge's was refused (40060), as the design has it.
  const accepted = server.state().interactionCallbacks.filter((c) =>
    c.interactionId === run.interactionId && c.status < 300
  );
  assertEquals(accepted.length, 1);
});
