// Load test of the whole inbound path with real processes and SIGKILL (the end-to-end companion
// of stress_process_test.ts): the local Discord, the bridge process (bridge.ts with its least
// permissions), and 4 sessions whose tool calls run the settings' PostToolUse command (the
// bundled delivery hook behind fast.sh) in a simulated Claude Code (tests/hooks/_claude_sim.ts:
// it takes a hook's output or drops it as Claude Code does, and writes the session's transcript).
//
// 5,000 messages are posted in bursts, 40% in the chat channel (for every session) and the rest
// in the sessions' threads (for that session). Meanwhile the bridge is killed with SIGKILL every
// few seconds and restarted (it catches up from its cursors), and a fifth of the hooks are
// killed at a random moment, their output then dropped (Claude Code's timeout) or taken (what
// Claude Code does with a hook killed by a signal). Afterwards every session must have seen each
// of its messages exactly once, in Discord order: 0 lost, 0 duplicated, 0 inversions.
// Posting (with the bridge kills) has POST_BUDGET_MS; the sessions then take the rest (their
// hooks still killed at random) until DRAIN_BUDGET_MS from the start, which leaves room for a
// loaded CI machine. DELIVERY_STRESS_MESSAGES changes the message count.
import { bridgeCommand } from "../../daemon.ts";
import { compareIds } from "../../_discord/snowflake.ts";
import { assert, assertEquals } from "../_assert.ts";
import { bridgeEnv, waitConnected, world } from "../bridge/_helpers.ts";
import { type RoundFault, type SimulatedSession, simulatedSession } from "../hooks/_claude_sim.ts";
import { commandOf, settingsFor } from "../hooks/_helpers.ts";

const TOTAL = Number(Deno.env.get("DELIVERY_STRESS_MESSAGES") ?? 5_000);
const SESSIONS = ["s1", "s2", "s3", "s4"].map((s) => `${s}-5e2d0c1a`);
const BURST = 50;
const BURST_EVERY_MS = 120;
const BRIDGE_KILL_EVERY_MS = 2_500;
/** Posting and the bridge kills end by then (ms from the start). */
const POST_BUDGET_MS = 55_000;
/** Every session has seen its messages by then (ms from the start). */
const DRAIN_BUDGET_MS = 120_000;
/** The share of tool calls whose hook is killed. */
const KILL_RATE = 0.2;

/** Ids waiting for a session: in its mailbox, or claimed into the hooks' overflow file. */
function pendingIds(home: string, sid: string): Set<string> {
  const ids = new Set<string>();
  for (const path of [`${home}/inbox/${sid}.jsonl`, `${home}/hooks/overflow/${sid}.jsonl`]) {
    let text = "";
    try {
      text = Deno.readTextFileSync(path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    for (const line of text.split("\n")) {
      let value: { id?: unknown } | null;
      try {
        value = JSON.parse(line);
      } catch (err) {
        if (err instanceof SyntaxError) continue; // empty, or torn by a killed bridge
        throw err;
      }
      if (typeof value?.id === "string") ids.add(value.id); // the overflow's "shown" note has none
    }
  }
  return ids;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

Deno.test({
  name: "delivery under load: messages × 4 sessions, bridge and hooks killed: each once, in order",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const started = Date.now();
    const postDeadline = started + POST_BUDGET_MS;
    const deadline = started + DRAIN_BUDGET_MS;
    // Bridges restart here faster than Discord's one IDENTIFY per 5 s (tested in tests/testing/).
    await using w = await world({
      server: { rateLimits: false, identifyBudget: { concurrencyWindowMs: false } },
    });
    const threads = new Map<string, string>();
    const command = commandOf(settingsFor(w.home), "PostToolUse", "deliver");
    const sessions = new Map<string, SimulatedSession>();
    for (const sid of SESSIONS) {
      sessions.set(
        sid,
        await simulatedSession({ home: w.home, sid, userHome: `${w.home}/user`, command }),
      );
      const thread = await w.server.createThread({ parentId: w.server.channelId, name: sid });
      await w.registry.setThread(sid, thread.id);
      threads.set(sid, thread.id);
    }

    // The bridge, killed and restarted.
    let bridge: Deno.ChildProcess | undefined;
    const bridgeKills = { n: 0 };
    const startBridge = () => {
      const cmd = bridgeCommand({
        home: w.home,
        apiUrl: w.server.apiUrl,
        webhookUrl: w.server.webhookUrl,
        bridgeArgs: [],
      });
      // What it says goes to bridge.log; its output is not read.
      bridge = new Deno.Command(cmd.command, {
        args: cmd.args,
        cwd: cmd.cwd,
        env: bridgeEnv(w),
        clearEnv: true,
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
    };
    const stopBridge = async (signal: Deno.Signal) => {
      if (!bridge) return;
      try {
        bridge.kill(signal);
      } catch (err) {
        if (!(err instanceof TypeError)) throw err; // exited already
      }
      await bridge.status;
      bridge = undefined;
    };

    const expected = new Map<string, string[]>(SESSIONS.map((s) => [s, []]));
    let posted = 0;
    let postingDone = false;
    const hookKills = { discarded: 0, taken: 0, rounds: 0 };
    const failures: string[] = [];
    try {
      startBridge();
      // Up before the first post (a first start catches up nothing older than itself).
      await waitConnected(w, bridge!.pid, 20_000);

      // The sessions: one tool call after another until they saw all of their messages.
      const loops = SESSIONS.map(async (sid) => {
        const session = sessions.get(sid)!;
        // Kills land anywhere in a hook's run: up to 1.2 times the last delivering run's time.
        let runMs = 200;
        while (Date.now() < deadline && failures.length === 0) {
          const want = expected.get(sid)!;
          if (postingDone && session.seen.length >= want.length) return;
          hookKills.rounds++;
          const roll = Math.random();
          const fault: RoundFault = roll < KILL_RATE
            ? { kill: Math.floor(Math.random() * runMs * 1.2), discard: roll < KILL_RATE / 2 }
            : {};
          const t0 = Date.now();
          const r = await session.round(fault);
          if (r.seen.length > 0 && !r.killed) runMs = Date.now() - t0;
          if (r.killed) fault.discard ? hookKills.discarded++ : hookKills.taken++;
          else if (r.code !== 0) failures.push(`${sid}: hook exited ${r.code}: ${r.stderr}`);
          // A session with nothing new does not spin (a tool call takes the model a while).
          else if (r.seen.length === 0) await sleep(25);
        }
      });

      // The poster, and the bridge killer.
      const poster = (async () => {
        let nextKill = Date.now() + BRIDGE_KILL_EVERY_MS;
        while (posted < TOTAL && Date.now() < postDeadline) {
          for (let i = 0; i < BURST && posted < TOTAL; i++, posted++) {
            const sid = SESSIONS[posted % SESSIONS.length];
            const inChat = posted % 5 < 2;
            const m = await w.server.postAsUser({
              channelId: inChat ? w.server.channelId : threads.get(sid)!,
              userId: w.server.ownerId,
              content: `load ${posted}`,
            });
            for (const s of inChat ? SESSIONS : [sid]) expected.get(s)!.push(m.id);
          }
          if (Date.now() >= nextKill) {
            await stopBridge("SIGKILL");
            bridgeKills.n++;
            await sleep(300 + Math.random() * 700);
            startBridge();
            nextKill = Date.now() + BRIDGE_KILL_EVERY_MS;
          }
          await sleep(BURST_EVERY_MS);
        }
        postingDone = true;
      })();
      await poster;
      await Promise.all(loops);
      assertEquals(failures, []);
      assertEquals(posted, TOTAL, `posted ${posted} of ${TOTAL} within ${POST_BUDGET_MS} ms`);

      // The audit: per session, exactly the ids addressed to it, once each, in Discord order.
      const figures: string[] = [];
      let deliveries = 0;
      for (const sid of SESSIONS) {
        const seen = sessions.get(sid)!.seen;
        const want = expected.get(sid)!;
        const counts = new Map<string, number>();
        for (const id of seen) counts.set(id, (counts.get(id) ?? 0) + 1);
        const duplicated = [...counts].filter(([, n]) => n > 1).length;
        const missing = want.filter((id) => !counts.has(id));
        // Not seen yet, but still in the mailbox or the overflow file: out of time, not lost.
        const waiting = pendingIds(w.home, sid);
        const pending = missing.filter((id) => waiting.has(id)).length;
        assertEquals(
          pending,
          0,
          `${sid}: ${pending} message(s) still pending after ${DRAIN_BUDGET_MS} ms`,
        );
        const lost = missing.length;
        let inversions = 0;
        for (let i = 1; i < seen.length; i++) {
          if (compareIds(seen[i - 1], seen[i]) > 0) inversions++;
        }
        figures.push(`${sid.slice(0, 2)} ${seen.length}/${want.length}`);
        deliveries += seen.length;
        assertEquals({ sid, lost, duplicated, inversions }, {
          sid,
          lost: 0,
          duplicated: 0,
          inversions: 0,
        });
        assertEquals(seen, [...want].sort(compareIds));
      }
      assert(bridgeKills.n > 0, "the bridge was never killed");
      assert(hookKills.discarded > 0 && hookKills.taken > 0, JSON.stringify(hookKills));
      const line = `delivery stress: ${TOTAL} messages, ${deliveries} deliveries ` +
        `(${figures.join(", ")}), 0 lost, 0 duplicated, 0 inversions; bridge kills ` +
        `${bridgeKills.n}, hook kills ${hookKills.discarded + hookKills.taken} ` +
        `(output dropped ${hookKills.discarded}, taken ${hookKills.taken}) in ` +
        `${hookKills.rounds} tool calls; ${Date.now() - started} ms`;
      console.log(line);
    } finally {
      postingDone = true;
      await stopBridge("SIGTERM");
    }
  },
});
