// The outbox exactly once under kill -9: a bridge process (the settings' least permissions)
// sends three sessions' queues and is killed with SIGKILL at random moments mid-send, again and
// again, then restarted; every entry must be in its session's thread once, in order, and each
// session must have one thread. The server answers every request late (a latency fault), so
// that kills land between Discord taking a post and the bridge's commit: the resend after the
// restart is answered by the nonce (enforce_nonce) instead of posting twice.
import { Outbox } from "../../outbox.ts";
import { assert, assertEquals, waitFor } from "../_assert.ts";
import { spawnBridge, world } from "./_helpers.ts";

const SESSIONS = [
  "7c1d0c55-0000-4000-8000-00000000000a",
  "7c1d0c55-0000-4000-8000-00000000000b",
  "7c1d0c55-0000-4000-8000-00000000000c",
];
const PER_SESSION = 40;
const MAX_KILLS = 12;

Deno.test("outbox: kill -9 of the bridge mid-send, again and again: each entry posted once, in order per thread", async () => {
  await using w = await world({
    sessions: SESSIONS,
    // Discord's per-channel limit (5 per 5 s) would make this test minutes long; the order and
    // the exactly-once do not depend on it.
    server: { rateLimits: { messageCreate: { limit: 100, windowMs: 1000 } } },
  });
  const outbox = new Outbox(w.home);
  const names = new Map<string, string>();
  for (const [i, sid] of SESSIONS.entries()) {
    const name = w.registry.get(sid)!.name;
    names.set(sid, name);
    await outbox.enqueue(
      sid,
      Array.from({ length: PER_SESSION }, (_, n) => ({
        kind: "post" as const,
        threadName: name,
        body: { content: `s${i}:${n}`, allowed_mentions: { parse: [] } },
      })),
    );
  }
  const total = SESSIONS.length * PER_SESSION;
  const sent = () =>
    w.server.state().messages.filter((m) => /^s[0-9]:[0-9]+$/.test(m.content)).length;
  const left = () => SESSIONS.reduce((n, sid) => n + outbox.pending(sid), 0);
  w.server.fault({ kind: "latency", ms: 25 });

  let kills = 0;
  let round = 0;
  while (left() > 0 && kills < MAX_KILLS) {
    round++;
    const bridge = spawnBridge(w);
    const before = sent();
    // Killed once it is sending: at a random moment after its next post lands.
    await waitFor("the bridge to post", () => sent() > before || left() === 0, 30_000);
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 120)));
    bridge.kill("SIGKILL");
    await bridge.output();
    if (left() > 0) kills++;
  }
  // A last run, not killed, sends what is left.
  const last = spawnBridge(w);
  await waitFor("the outbox to drain", () => left() === 0, 60_000);
  last.kill("SIGTERM");
  await last.output();

  const requests =
    w.server.state().requests.filter((r) =>
      r.method === "POST" && /^\/channels\/[0-9]+\/(messages|threads)$/.test(r.path)
    ).length;
  for (const [i, sid] of SESSIONS.entries()) {
    const threads = w.server.state().threads.filter((t) => t.name === names.get(sid));
    assertEquals(threads.length, 1, `one thread for session ${i}`);
    assertEquals(w.registry.get(sid)?.threadId, threads[0].id);
    const got = w.server.messages(threads[0].id).map((m) => m.content);
    const want = Array.from({ length: PER_SESSION }, (_, n) => `s${i}:${n}`);
    assertEquals(got.join(" "), want.join(" "), `session ${i}: each entry once, in order`);
  }
  assert(kills >= 3, `only ${kills} kills landed mid-send`);
  assertEquals(sent(), total);
  console.log(
    `outbox kill -9: ${total} entries, ${kills} kills over ${round} runs, 0 duplicates; ` +
      `${requests - total} requests beyond one per entry, none of which posted twice`,
  );
});
