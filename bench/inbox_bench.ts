// Benchmarks of the queue (inbox.ts). Run: deno bench -A bench/
//
// - "throughput": append and claim in this process (events per second = batch / time).
// - "fresh process": a claim run as a new `deno run` process (what a hook pays) against
//   `deno run` of an empty file; the summary prints the ratio ("x times slower").
import { Inbox, type InboxEvent } from "../inbox.ts";

const CHILD = new URL("../tests/testdata/inbox_child.ts", import.meta.url).pathname;
const EMPTY = new URL("../tests/testdata/empty.ts", import.meta.url).pathname;
const home = Deno.makeTempDirSync({ prefix: "inbox_bench_" });
const inbox = new Inbox(home);
let next = 0;

function events(n: number): InboxEvent[] {
  return Array.from({ length: n }, () => ({
    id: String(1_100_000_000_000_000_000n + BigInt(next++)),
    kind: "message" as const,
    channelId: "1100000000000000002",
    author: { id: "1100000000000000003", name: "bench" },
    content: "a message of ordinary length, asking the agent to do one more thing",
    timestamp: new Date().toISOString(),
    attachments: [],
  }));
}

let appended = 0;
Deno.bench("append 1 event (fsync)", { group: "throughput" }, async (b) => {
  if (++appended % 50 === 0) await inbox.claim("a1", () => {}); // keep the mailbox small
  const batch = events(1);
  b.start();
  await inbox.append("a1", batch);
  b.end();
});

Deno.bench("append 100 events (fsync)", { group: "throughput" }, async (b) => {
  await inbox.claim("a100", () => {});
  const batch = events(100);
  b.start();
  await inbox.append("a100", batch);
  b.end();
});

Deno.bench("claim 1 pending event", { group: "throughput" }, async (b) => {
  await inbox.append("c1", events(1));
  b.start();
  await inbox.claim("c1", () => {});
  b.end();
});

Deno.bench("claim 100 pending events", { group: "throughput" }, async (b) => {
  await inbox.append("c100", events(100));
  b.start();
  await inbox.claim("c100", () => {});
  b.end();
});

Deno.bench("claim an empty mailbox (fast path)", { group: "throughput" }, async () => {
  await inbox.claim("never", () => {});
});

Deno.bench(
  "deno run of an empty file",
  { group: "fresh process", baseline: true, n: 30, warmup: 3 },
  async () => {
    const out = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", EMPTY] }).output();
    if (out.code !== 0) throw new Error("empty script failed");
  },
);

Deno.bench(
  "deno run of a claim (1 pending event)",
  { group: "fresh process", n: 30, warmup: 3 },
  async (b) => {
    await inbox.append("fresh", events(1));
    b.start();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CHILD, "claim-once", home, "fresh"],
    }).output();
    b.end();
    if (out.code !== 0 || !new TextDecoder().decode(out.stdout).includes('"id"')) {
      throw new Error(`claim process failed: ${new TextDecoder().decode(out.stderr)}`);
    }
  },
);

globalThis.addEventListener("unload", () => Deno.removeSync(home, { recursive: true }));
