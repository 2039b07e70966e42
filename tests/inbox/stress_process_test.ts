// Stress test of the queue with real processes and SIGKILL: 1 writer appending 20,000
// messages (each to 1–4 of 4 sessions) and 4 claimers, all killed at random and restarted.
// Afterwards, per session, the committed batches in the queue's delivered log must hold every
// addressed id exactly once, each committed batch must have been handed to some deliver, and
// nothing may be left pending. Set INBOX_STRESS_MESSAGES to change the message count.
import { Inbox } from "../../inbox.ts";
import { assert, assertEquals } from "../_assert.ts";
import { tempDir } from "../_fixture.ts";
import {
  addressees,
  messageId,
  SESSIONS,
  STRESS_DEDUPE_WINDOW,
} from "../testdata/inbox_stress_common.ts";

const WRITER = new URL("../testdata/inbox_stress_writer.ts", import.meta.url).pathname;
const CLAIMER = new URL("../testdata/inbox_stress_claimer.ts", import.meta.url).pathname;
const TOTAL = Number(Deno.env.get("INBOX_STRESS_MESSAGES") ?? 20_000);
const BUDGET_MS = 55_000;

interface Proc {
  role: string;
  args: string[];
  child: Deno.ChildProcess;
  output: Promise<Deno.CommandOutput>;
  started: number;
  killed: boolean;
}

function spawn(role: string, args: string[]): Proc {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...args],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  return { role, args, child, output: child.output(), started: Date.now(), killed: false };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Reads complete JSON lines; a torn last line (killed mid-write) is ignored. */
function readLines(path: string): unknown[] {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return [];
  }
  const end = text.lastIndexOf("\n");
  if (end < 0) return [];
  return text.slice(0, end).split("\n").map((l) => JSON.parse(l));
}

Deno.test({
  name: "inbox survives kill -9 of writer and claimers: exactly once per session",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using dir = await tempDir("inbox-stress-");
    const home = dir.path;
    const resultsDir = `${home}/results`;
    await Deno.mkdir(resultsDir);
    const started = Date.now();
    const deadline = started + BUDGET_MS;
    const kills = { writer: 0, claimer: 0 };
    const procs = new Map<string, Proc>();
    const failures: string[] = [];
    let writerDone = false;
    const start = (role: string, args: string[]) => {
      const p = spawn(role, args);
      procs.set(role, p);
      p.output.then((out) => {
        if (p.killed) return;
        if (out.code !== 0) {
          failures.push(`${role} exited ${out.code}: ${new TextDecoder().decode(out.stderr)}`);
        } else if (role === "writer") {
          writerDone = true;
        } else if (!stopping) {
          failures.push(`${role} exited before it was asked to stop`);
        }
      });
    };
    let stopping = false;
    try {
      start("writer", [WRITER, home, String(TOTAL)]);
      for (const s of SESSIONS) start(s, [CLAIMER, home, s, resultsDir]);

      // Phase 1: kill at random while the writer works; restart whatever was killed.
      const cursor = () => {
        try {
          return Number(Deno.readTextFileSync(`${home}/writer.cursor`));
        } catch {
          return 0;
        }
      };
      let nextKillAt = 100;
      while (!writerDone && Date.now() < deadline && failures.length === 0) {
        // Kills are spaced by the writer's progress, not by time, so a loaded machine gets
        // the same number of kills (about 40) instead of more kills and ever slower progress.
        while (!writerDone && cursor() < nextKillAt && Date.now() < deadline) await sleep(20);
        if (writerDone || Date.now() >= deadline) break;
        nextKillAt = cursor() + 200 + Math.floor(Math.random() * 600);
        const victim = Math.random() < 0.35
          ? "writer"
          : SESSIONS[Math.floor(Math.random() * SESSIONS.length)];
        const p = procs.get(victim)!;
        // Let it get past start-up first, so the kill lands mid-operation.
        const age = Date.now() - p.started;
        if (age < 150) await sleep(150 - age);
        p.killed = true;
        try {
          p.child.kill("SIGKILL");
        } catch {
          // exited on its own just now
        }
        const out = await p.output;
        if (out.signal !== "SIGKILL") {
          // It finished on its own just before the kill (the writer at its last batch).
          if (victim === "writer" && out.code === 0) {
            writerDone = true;
          } else {
            const stderr = new TextDecoder().decode(out.stderr);
            failures.push(`${victim} exited ${out.code}: ${stderr}`);
          }
          continue;
        }
        victim === "writer" ? kills.writer++ : kills.claimer++;
        start(victim, p.args);
      }
      assertEquals(failures, []);
      assert(writerDone, `the writer did not finish within ${BUDGET_MS} ms`);
      const writerMs = Date.now() - started;

      // Phase 2: no more kills; claimers drain their mailboxes and exit.
      stopping = true;
      Deno.writeTextFileSync(`${home}/stop`, "");
      const drainBy = Math.max(Date.now() + 5000, deadline);
      const exited = new Set<string>();
      for (const s of SESSIONS) procs.get(s)!.child.status.then(() => exited.add(s));
      while (exited.size < SESSIONS.length && Date.now() < drainBy) await sleep(20);
      assertEquals([...exited].sort(), [...SESSIONS], "claimers that drained in time");
      await Promise.all(SESSIONS.map((s) => procs.get(s)!.output));
      assertEquals(failures, []);

      // Audit.
      const inbox = new Inbox(home, { dedupeWindow: STRESS_DEDUPE_WINDOW });
      const handed = new Map<string, Set<string>>(SESSIONS.map((s) => [s, new Set()]));
      for (const entry of Deno.readDirSync(resultsDir)) {
        const session = entry.name.split(".")[0];
        for (const batch of readLines(`${resultsDir}/${entry.name}`)) {
          handed.get(session)!.add((batch as string[]).join(","));
        }
      }
      let batches = 0;
      let redelivered = 0;
      for (const s of SESSIONS) {
        const expected: string[] = [];
        for (let i = 0; i < TOTAL; i++) if (addressees(i).includes(s)) expected.push(messageId(i));
        const commits = readLines(`${home}/inbox/.state/${s}.delivered.jsonl`) as {
          ids: string[];
        }[];
        batches += commits.length;
        const committed = commits.flatMap((c) => c.ids);
        const counts = new Map<string, number>();
        for (const id of committed) counts.set(id, (counts.get(id) ?? 0) + 1);
        const dupes = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
        const missing = expected.filter((id) => !counts.has(id));
        const extra = committed.filter((id) => !expected.includes(id));
        assertEquals(dupes.slice(0, 10), [], `${s}: ids committed more than once`);
        assertEquals(missing.slice(0, 10), [], `${s}: ids never committed`);
        assertEquals(extra.slice(0, 10), [], `${s}: ids not addressed to it`);
        assertEquals(committed.length, expected.length);
        for (const c of commits) {
          assert(handed.get(s)!.has(c.ids.join(",")), `${s}: committed batch never handed over`);
        }
        redelivered += handed.get(s)!.size - commits.length;
        assertEquals(await inbox.pending(s), 0, `${s}: events left pending`);
        const size = await Deno.stat(inbox.mailboxPath(s)).then((st) => st.size, () => 0);
        assertEquals(size, 0, `${s}: mailbox file not empty`);
      }
      assert(kills.writer > 0 && kills.claimer > 0, `too few kills: ${JSON.stringify(kills)}`);
      const line = `inbox stress: ${TOTAL} messages, kills writer=${kills.writer} ` +
        `claimer=${kills.claimer}, ${batches} committed batches, ${redelivered} handed over ` +
        `but not committed, writer done in ${writerMs} ms, total ${Date.now() - started} ms`;
      console.log(line);
      const log = Deno.env.get("INBOX_STRESS_LOG");
      if (log) Deno.writeTextFileSync(log, line + "\n", { append: true });
    } finally {
      for (const p of procs.values()) {
        try {
          p.child.kill("SIGKILL");
        } catch {
          // already exited
        }
        await p.output.catch(() => {});
      }
    }
  },
});
