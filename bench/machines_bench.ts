// Benchmark of several machines on one bot (issue 13). Run: deno bench -A bench/machines_bench.ts
//
// Two machines (two state directories, two bridges in this process, one token) with four live
// sessions each, every session with the thread its bridge opened and one post of its own in the
// chat channel (as the MCP server's reply). 2,000 messages, mixed in turn: a broadcast (to all 8
// sessions), a message in a session's thread, an `@name` of a session, a Discord reply to a
// session's post; the addressed session goes round all 8. Sent at a steady 400 messages per
// second, once the sessions' posts are older than the posts index's grace (1.5 s). Then every mailbox line is checked against where each message should go:
// - misrouted: a line in a mailbox its message was not for (on either machine, held box too);
// - lost: a session its message was for that has no line of it;
// - duplicated: a message with more than one line in one mailbox.
// Latency: from the local server sending the MESSAGE_CREATE frame (its event listener, in this
// process) to the owning bridge's append of the line being durable (fsync done), per line.
//
// Target: 0 misrouted, 0 lost, 0 duplicated.
import { Bridge } from "../bridge.ts";
import { HELD } from "../inbox.ts";
import { createLogger } from "../log.ts";
import { machineIdentity } from "../machine.ts";
import { startDiscordServer } from "../testing/mod.ts";
import { RECORD_GRACE_MS } from "../_bridge/events.ts";
import { type Machine, machine, openThreads, postAs } from "../tests/bridge/_machines.ts";

const results: string[] = [];
addEventListener("unload", () => {
  if (results.length > 0) console.log(`\nmachines benchmark\n  ${results.join("\n  ")}`);
});

/** deno bench may call a function more than once even with n: 1; the figures need one run. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let run: Promise<void> | undefined;
  return async () => await (run ??= fn());
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function until(what: string, check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const N = 2000;
const PER_SECOND = 400;

Deno.bench({
  name: "machines: 2 machines x 4 sessions, 2,000 mixed messages (threads, @names, broadcasts)",
  n: 1,
  warmup: 0,
  fn: once(async () => {
    await using server = await startDiscordServer({
      port: 0,
      rateLimits: false,
      checkResponses: false, // benchmarks time the project, not the spec check
      identifyBudget: { concurrencyWindowMs: false },
    });
    const ids = (m: number) =>
      [0, 1, 2, 3].map((k) => ({
        id: `${m}${k}aa${k}bb${m}-0000-4000-8000-00000000000${k}`,
        cwd: `/bench/project-${k}`,
      }));
    const machines: Machine[] = [
      await machine(server, "laptop", ids(1)),
      await machine(server, "desk", ids(2)),
    ];
    const sentAt = new Map<string, number>();
    const stopListening = server.onEvent((t, d) => {
      if (t === "MESSAGE_CREATE") sentAt.set(String(d.id), performance.now());
    });
    /** Durable time of each line: `${home}\n${mailbox}\n${id}`. */
    const durable = new Map<string, number>();
    const bridges = machines.map((m) =>
      new Bridge({
        token: server.token,
        channelId: server.channelId,
        webhookUrl: server.webhookUrl,
        allowedUsers: [server.ownerId],
        apiUrl: server.apiUrl,
        home: m.home,
        machine: machineIdentity(m.home, { label: m.label }),
        log: createLogger(`${m.home}/bridge.log`),
        onWritten: (mailbox, events) => {
          const t = performance.now();
          for (const e of events) durable.set(`${m.home}\n${mailbox}\n${e.id}`, t);
        },
      })
    );
    try {
      await Promise.all(bridges.map((b) => b.start()));
      const sessions: { m: Machine; id: string; name: string; thread: string; post: string }[] = [];
      for (const m of machines) {
        const sids = m.registry.list({ live: true }).map((r) => r.id);
        const threads = await openThreads(m, sids);
        for (const [i, id] of sids.entries()) {
          const post = await postAs(m, id, `a reply of ${m.session(id).name}`);
          sessions.push({ m, id, name: m.session(id).name, thread: threads[i], post });
        }
      }
      await Promise.all(bridges.map((b) => b.idle()));
      // Replies come later than the posts index's grace (a reply to another machine's post younger
      // than that waits for it, holding the messages after it: _bridge/events.ts).
      await new Promise((r) => setTimeout(r, RECORD_GRACE_MS + 100));

      // Where each message should go: session keys `${home}\n${sid}`.
      const expected = new Map<string, string[]>();
      const key = (s: { m: Machine; id: string }) => `${s.m.home}\n${s.id}`;
      const t0 = performance.now();
      for (let i = 0; i < N; i++) {
        const s = sessions[(i >> 2) % sessions.length];
        const base = { channelId: server.channelId, userId: server.ownerId };
        let to = [s];
        let msg;
        switch (i % 4) {
          case 0:
            msg = await server.postAsUser({ ...base, content: `everyone ${i}` });
            to = sessions;
            break;
          case 1:
            msg = await server.postAsUser({ ...base, channelId: s.thread, content: `thread ${i}` });
            break;
          case 2:
            msg = await server.postAsUser({ ...base, content: `@${s.name} ${i}` });
            break;
          default:
            msg = await server.postAsUser({
              ...base,
              content: `re ${i}`,
              messageReference: { message_id: s.post },
            });
        }
        expected.set(msg.id, to.map(key));
        const due = t0 + ((i + 1) * 1000) / PER_SECOND;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const lines = [...expected.values()].reduce((n, to) => n + to.length, 0);
      await until(
        "every line",
        () => [...expected].every(([id, to]) => to.every((k) => durable.has(`${k}\n${id}`))),
        120_000,
      ).catch(() => {}); // what is missing is counted as lost below
      await Promise.all(bridges.map((b) => b.idle()));
      const tEnd = performance.now();

      let misrouted = 0;
      let lost = 0;
      let duplicated = 0;
      const latencies: number[] = [];
      for (const m of machines) {
        const mailboxes = [...m.registry.list().map((r) => r.id), HELD];
        for (const mailbox of mailboxes) {
          const seen = new Map<string, number>();
          for (const id of m.ids(mailbox)) seen.set(id, (seen.get(id) ?? 0) + 1);
          for (const [id, n] of seen) {
            const to = expected.get(id);
            if (to === undefined) continue; // not one of the 2,000
            if (!to.includes(`${m.home}\n${mailbox}`)) misrouted += n;
            else if (n > 1) duplicated += n - 1;
          }
        }
      }
      for (const [id, to] of expected) {
        for (const k of to) {
          const [home, sid] = k.split("\n");
          const m = machines.find((x) => x.home === home)!;
          if (!m.ids(sid).includes(id)) lost++;
          const t = durable.get(`${k}\n${id}`);
          if (t !== undefined) latencies.push(t - sentAt.get(id)!);
        }
      }
      latencies.sort((a, b) => a - b);
      const elsewhere = bridges.map((b) => b.stats().dropped.elsewhere ?? 0);
      results.push(
        `${N} messages (${lines} mailbox lines due, 8 sessions on 2 machines, sent at ` +
          `${PER_SECOND}/s, last durable ${(tEnd - t0).toFixed(0)} ms after the first was sent): ` +
          `${misrouted} misrouted, ${lost} lost, ${duplicated} duplicated; left to the other ` +
          `machine: ${elsewhere.join(" and ")}`,
        `gateway frame -> durable line over ${latencies.length} lines: p50 ${
          percentile(latencies, 50).toFixed(2)
        } ms, p99 ${percentile(latencies, 99).toFixed(2)} ms, max ${
          latencies.at(-1)!.toFixed(2)
        } ms`,
      );
      if (misrouted + lost + duplicated > 0) {
        throw new Error(`bench: ${misrouted} misrouted, ${lost} lost, ${duplicated} duplicated`);
      }
    } finally {
      stopListening();
      await Promise.all(bridges.map((b) => b.stop()));
      for (const m of machines) await m[Symbol.asyncDispose]();
    }
  }),
});
