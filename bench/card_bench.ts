// The status card and the receipts, against the local Discord with its rate limits on (bot
// message edits 5 per 5 s per channel, reactions 1 per 250 ms per channel), an in-process bridge.
//
// - Card edits under a session making 10 tool calls per second for 20 s (its transcript
//   appended 10×/s, as Claude Code appends it): the server's PATCHes of the card against the
//   baseline of the same run, one edit per tool call (what editing on every change would send);
//   the most edits in any 2 s window (target: 1), the shortest gap between two, and how long
//   after the last tool call the card showed it (the last state lands).
// - Receipts: a message written to a session's mailbox → its 📬 on the local Discord (the
//   gateway's MESSAGE_REACTION_ADD), and a hook's claim of it → its ✅; 30 messages, 600 ms apart.
//
// Run: deno bench -A bench/card_bench.ts
import { Bridge } from "../bridge.ts";
import { cardEntry } from "../card.ts";
import { Inbox } from "../inbox.ts";
import { createLogger } from "../log.ts";
import { Outbox } from "../outbox.ts";
import { SessionRegistry } from "../sessions.ts";
import { startDiscordServer } from "../testing/mod.ts";
import { once, percentile, reportAtExit, until } from "./_helpers.ts";

const SID = "c4bd0000-0000-4000-8000-000000000001";
const figures = reportAtExit("card and receipts figures");

const server = await startDiscordServer({ port: 0, checkResponses: false });
const home = await Deno.makeTempDir({ prefix: "card_bench_" });
const transcript = `${home}/projects/-bench-app/${SID}.jsonl`;
Deno.mkdirSync(`${home}/projects/-bench-app`, { recursive: true });
Deno.writeTextFileSync(transcript, "");
const registry = new SessionRegistry(home);
const record = await registry.register({
  id: SID,
  cwd: "/bench/app",
  pid: Deno.pid,
  transcriptPath: transcript,
});
await new Outbox(home).enqueue(SID, [cardEntry(
  {
    session: { id: SID, name: record.name },
    cwd: record.cwd,
    startedAt: record.started,
    state: { kind: "idle", since: record.started },
  },
  record.name,
  Date.now(),
)]);
const written = new Map<string, number>();
const bridge = new Bridge({
  token: server.token,
  channelId: server.channelId,
  webhookUrl: server.webhookUrl,
  allowedUsers: [server.ownerId],
  apiUrl: server.apiUrl,
  home,
  log: createLogger(`${home}/bridge.log`),
  onWritten: (_mailbox, events) => {
    for (const e of events) if (!written.has(e.id)) written.set(e.id, performance.now());
  },
});
await bridge.start();
addEventListener("unload", () => {
  // deno bench ends the process; the bridge's files go with the directory.
  Deno.removeSync(home, { recursive: true });
});

let n = 0;
function append(record: Record<string, unknown>): void {
  const line = JSON.stringify({
    isSidechain: false,
    sessionId: SID,
    timestamp: new Date().toISOString(),
    gitBranch: "main",
    ...record,
  });
  Deno.writeTextFileSync(transcript, line + "\n", { append: true });
}
function toolCall(): void {
  const id = `toolu_${++n}`;
  append({
    type: "assistant",
    message: {
      id: `msg_${n}`,
      model: "claude-opus-5-5",
      content: [{ type: "tool_use", id, name: "Bash", input: { command: `echo ${n}` } }],
      usage: { input_tokens: 2000, output_tokens: 40 },
    },
  });
  append({
    type: "user",
    message: { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: "" }] },
  });
}

function cardMessage() {
  const thread = registry.get(SID)?.threadId;
  return thread === undefined ? undefined : server.messages(thread)[0];
}

Deno.bench({
  name: "card edits: a session making 10 tool calls per second for 20 s",
  group: "card",
  n: 1,
  warmup: 0,
  fn: once(async () => {
    await until("the card", () => cardMessage() !== undefined, 15_000);
    const card = cardMessage()!;
    append({ type: "user", message: { role: "user", content: "go" } });
    // Let the edit after the post go, then count from a quiet start.
    await new Promise((r) => setTimeout(r, 3000));
    const path = `/channels/${card.channel_id}/messages/${card.id}`;
    const patches = () =>
      server.state().requests.filter((r) => r.method === "PATCH" && r.path === path)
        .map((r) => Date.parse(r.time));
    const before = patches().length;
    const started = Date.now();
    const calls = 200;
    for (let i = 0; i < calls; i++) {
      const due = started + i * 100;
      await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
      toolCall();
    }
    const lastCall = Date.now();
    const shows = (text: string) => JSON.stringify(cardMessage()?.embeds ?? []).includes(text);
    await until("the last tool call on the card", () => shows(`(${n} tools,`), 15_000);
    const landed = Date.now() - lastCall;
    const times = patches().slice(before);
    const seconds = (lastCall - started) / 1000;
    let most = 0;
    for (const t of times) {
      most = Math.max(
        most,
        times.filter((u) => u >= t && u < t + 2000).length,
      );
    }
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    figures.push(
      `card edits: ${times.length} for ${calls} tool calls in ${seconds.toFixed(1)} s ` +
        `(${(times.length / seconds).toFixed(2)} per s); baseline in the same run, one edit per ` +
        `tool call: ${calls} (${(calls / seconds).toFixed(1)} per s): ratio ` +
        `${(times.length / calls).toFixed(3)}`,
      `card edits: at most ${most} in any 2 s window (target 1); shortest gap ` +
        `${Math.min(...gaps)} ms, median ${percentile(gaps, 50)} ms; the last tool call showed ` +
        `${landed} ms after it was made`,
    );
  }),
});

Deno.bench({
  name: "receipts: 30 messages, 600 ms apart: written → 📬, claimed → ✅",
  group: "receipts",
  n: 1,
  warmup: 0,
  fn: once(async () => {
    const reacted = new Map<string, number>();
    const off = server.onEvent((t, d) => {
      if (t !== "MESSAGE_REACTION_ADD" || d.user_id !== server.botId) return;
      reacted.set(`${d.message_id} ${(d.emoji as { name: string }).name}`, performance.now());
    });
    const inbox = new Inbox(home);
    const mailed: number[] = [];
    const checked: number[] = [];
    try {
      for (let i = 0; i < 30; i++) {
        const m = await server.postAsUser({
          channelId: server.channelId,
          userId: server.ownerId,
          content: `receipt ${i}`,
        });
        await until("📬", () => reacted.has(`${m.id} 📬`), 10_000);
        mailed.push(reacted.get(`${m.id} 📬`)! - written.get(m.id)!);
        await new Promise((r) => setTimeout(r, 300));
        let claimedAt = 0;
        await inbox.claim(SID, () => {
          claimedAt = performance.now();
        });
        await until("✅", () => reacted.has(`${m.id} ✅`), 10_000);
        checked.push(reacted.get(`${m.id} ✅`)! - claimedAt);
        await new Promise((r) => setTimeout(r, 300));
      }
    } finally {
      off();
    }
    const q = (v: number[], p: number) => percentile(v, p).toFixed(0);
    figures.push(
      `receipts: written → 📬 p50 ${q(mailed, 50)} ms, p90 ${q(mailed, 90)} ms, max ` +
        `${q(mailed, 100)} ms; claimed by a hook → ✅ p50 ${q(checked, 50)} ms, p90 ` +
        `${q(checked, 90)} ms, max ${q(checked, 100)} ms (${mailed.length} messages; target 1 s)`,
    );
    await bridge.stop();
    await server.close();
  }),
});
