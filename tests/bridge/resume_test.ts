// The bridge's gateway session across restarts (in-process): a restarted bridge RESUMEs the
// saved session instead of IDENTIFYing, a refused RESUME becomes an IDENTIFY plus catch-up,
// the saved sequence waits for durable mailbox lines, and the IDENTIFY budget halts the bridge
// (status, notice, no start) before it spends the token's.
import { bridgePaths, IdentifyBudgetError, readBridgeStatus, startDetached } from "../../daemon.ts";
import { createLogger } from "../../log.ts";
import { SessionStore } from "../../_bridge/resume.ts";
import { assert, assertEquals, assertMatch, assertRejects, waitFor } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";
import { startBridge, withTimeout, world } from "./_helpers.ts";

function identifies(w: { server: { state(): { gatewayConnections: { identified: boolean }[] } } }) {
  return w.server.state().gatewayConnections.filter((c) => c.identified).length;
}

function savedSession(home: string): { sessionId: string; sequence: number } {
  return JSON.parse(Deno.readTextFileSync(bridgePaths(home).gateway));
}

Deno.test("resume: a restarted bridge RESUMEs its saved session (no IDENTIFY); what it missed arrives once", async () => {
  await using w = await world({ sessions: ["s1"] });
  const first = await startBridge(w);
  const before = await w.say("before the restart");
  await waitFor("the first message", () => w.ids("s1").includes(before));
  await first.stop();
  const saved = savedSession(w.home);
  assertEquals(Deno.statSync(bridgePaths(w.home).gateway).mode! & 0o777, 0o600);
  const missed = await w.say("while no bridge ran");
  await using second = await startBridge(w);
  await waitFor("the missed message", () => w.ids("s1").includes(missed));
  await second.idle();
  assertEquals(w.ids("s1"), [before, missed]);
  assertEquals(identifies(w), 1, "no second IDENTIFY");
  const [session] = w.server.state().gatewaySessions;
  assertEquals([session.sessionId, session.identifies, session.resumes], [saved.sessionId, 1, 1]);
  assertEquals(readBridgeStatus(w.home)?.connectedBy, "resume");
  assert(second.stats().catchUps >= 1, "a catch-up ran after RESUMED");
  assertMatch(w.log(), /gateway: resuming the saved session \(sequence \d+\)/);
});

Deno.test("resume: a RESUME Discord refuses becomes an IDENTIFY, and catch-up brings what was missed", async () => {
  await using w = await world({ sessions: ["s1"] });
  const first = await startBridge(w);
  await first.stop();
  const old = savedSession(w.home).sessionId;
  w.server.fault({ kind: "expireSessions" });
  const missed = await w.say("while no bridge ran, and the session expired");
  await using _second = await startBridge(w);
  await waitFor("the missed message", () => w.ids("s1").includes(missed), 15_000);
  assertEquals(w.ids("s1"), [missed]);
  assertEquals(identifies(w), 2);
  assertEquals(readBridgeStatus(w.home)?.connectedBy, "identify");
  await waitFor("the new session saved", () => savedSession(w.home).sessionId !== old);
  assertMatch(w.log(), /session invalidated \(identifying\)/);
});

Deno.test("resume: the saved sequence never passes a dispatch whose mailbox lines are not durable", async () => {
  await using dir = await tempDir("resume-");
  const path = `${dir.path}/bridge/gateway.json`;
  const log = createLogger(`${dir.path}/bridge.log`);
  const store = new SessionStore(path, { botId: "1", log, intervalMs: 20 });
  store.ready("abc", "wss://resume.example", 1);
  const slow = Promise.withResolvers<void>();
  store.dispatched(2, [Promise.resolve()]);
  store.dispatched(3, [slow.promise]);
  store.dispatched(4, []);
  store.dispatched(5, [Promise.resolve()]);
  await new Promise((r) => setTimeout(r, 100));
  assertEquals(store.durableSequence(), 2);
  assertEquals(JSON.parse(Deno.readTextFileSync(path)).sequence, 2);
  slow.resolve();
  await waitFor("sequence 5 saved", () => JSON.parse(Deno.readTextFileSync(path)).sequence === 5);
  // Another bot's token does not resume this session; an old one is not tried.
  assertEquals(new SessionStore(path, { botId: "2", log }).load(), undefined);
  const later = new SessionStore(path, { botId: "1", log, now: () => Date.now() + 11 * 60_000 });
  assertEquals(later.load(), undefined);
  assertEquals(new SessionStore(path, { botId: "1", log }).load()?.sequence, 5);
  store.invalidated();
  assertEquals(new SessionStore(path, { botId: "1", log }).load(), undefined);
  store.close();
});

Deno.test("budget: at its cap the bridge does not IDENTIFY: it halts, says why in status.json and once in Discord, and is not started again", async () => {
  await using w = await world({ sessions: ["s1"] });
  const now = Date.now();
  Deno.mkdirSync(bridgePaths(w.home).dir, { recursive: true });
  Deno.writeTextFileSync(
    bridgePaths(w.home).identify,
    JSON.stringify({ identifies: [now - 3_600_000, now - 60_000] }),
  );
  const error = await assertRejects(
    () => withTimeout(startBridge(w, { identifyCap: 2 }), 15_000, "the refusal"),
    IdentifyBudgetError,
  );
  assertMatch(error.message, /identified to Discord's gateway 2 times in 24 h \(cap 2/);
  assertEquals(w.server.state().gatewayConnections.length, 0, "no IDENTIFY, no connection");
  const status = readBridgeStatus(w.home)!;
  assertEquals(status.state, "halted");
  assertEquals(status.warning, error.message);
  assertEquals(status.identify?.last24h, 2);
  assertEquals(
    status.identify?.halted?.until,
    new Date(now - 3_600_000 + 86_400_000).toISOString(),
  );
  const notices = w.server.messages(w.server.channelId).filter((m) => m.author.bot);
  assertEquals(notices.length, 1);
  assertMatch(
    notices[0].content,
    /^⚠️ claude-discord on \*\*.+\*\* stopped connecting to Discord: /,
  );
  // What hooks and setup start bridges with refuses while the halt lasts.
  await assertRejects(
    () => startDetached({ home: w.home, command: "false", args: [] }),
    IdentifyBudgetError,
  );
  // A manual start meanwhile is refused again, without a second notice.
  await assertRejects(() => startBridge(w, { identifyCap: 2 }), IdentifyBudgetError);
  assertEquals(w.server.messages(w.server.channelId).filter((m) => m.author.bot).length, 1);
});

Deno.test("budget: with Discord's remaining IDENTIFYs down to the reserve, the bridge halts until the reset", async () => {
  // Bridges restart here faster than Discord's one IDENTIFY per 5 s (tested in tests/testing/).
  await using w = await world({
    sessions: ["s1"],
    server: { identifyBudget: { total: 52, concurrencyWindowMs: false } },
  });
  const first = await startBridge(w);
  await first.stop();
  w.server.fault({ kind: "expireSessions" });
  const second = await startBridge(w);
  await second.stop();
  assertEquals(identifies(w), 2);
  w.server.fault({ kind: "expireSessions" });
  const error = await assertRejects(() => startBridge(w), IdentifyBudgetError);
  assertMatch(error.message, /^Discord allows this bot token 50 more gateway IDENTIFYs until /);
  assertEquals(identifies(w), 2, "the third was not sent");
  assertEquals(readBridgeStatus(w.home)?.identify?.remaining, 50);
});
