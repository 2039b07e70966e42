// Benchmarks of attachments (issue 14). Run: deno bench -A bench/attachments_bench.ts
//
// - "latency": what a 1 MiB image adds to live delivery. 60 pairs of messages one at a time
//   (after 10 pairs of warm-up): one with text only, one with a 1 MiB PNG; from `postAsUser`
//   (the server dispatches MESSAGE_CREATE synchronously) to the mailbox line being durable,
//   which for the image includes the download from the local CDN, the type check and fsync.
// - "throughput": 16 messages of one 2 MiB file each, posted back to back (32 MiB); from the
//   first post to the last durable line, in MiB/s (downloads run 4 at a time).
// - "rss": a bridge process started as daemon.ts starts it: resident memory idle, then after
//   its first attachment (the magic-bytes detector loaded) and after each 50 of 150 1 MiB images.
//
// Server and bridge share this process and its two cores for the first two (loopback).
import { Bridge } from "../bridge.ts";
import { bridgeCommand } from "../daemon.ts";
import { Inbox } from "../inbox.ts";
import { createLogger } from "../log.ts";
import type { DiscordServer } from "../testing/mod.ts";
import { png } from "../tests/_png.ts";
import { benchWorld, median, once, reportAtExit, until } from "./_helpers.ts";

const MIB = 1024 * 1024;
const results = reportAtExit("attachment benchmarks");

/** A PNG of about 1 MiB (noise compresses poorly). */
function megabytePng(): Uint8Array {
  return png(600, 582, undefined, true);
}

function inProcessBridge(
  server: DiscordServer,
  home: string,
  durable: Map<string, number>,
): Bridge {
  return new Bridge({
    token: server.token,
    channelId: server.channelId,
    allowedUsers: [server.ownerId],
    apiUrl: server.apiUrl,
    home,
    log: createLogger(`${home}/bridge.log`),
    onWritten: (_mailbox, events) => {
      const t = performance.now();
      for (const e of events) durable.set(e.id, t);
    },
  });
}

Deno.bench({
  name: "latency: a 1 MiB image against text only, post -> line durable",
  n: 1,
  warmup: 0,
  fn: once(async () => {
    const { server, home } = await benchWorld("attachments_bench_");
    const durable = new Map<string, number>();
    const bridge = inProcessBridge(server, home, durable);
    const image = megabytePng();
    const inbox = new Inbox(home);
    try {
      await bridge.start();
      const text: number[] = [];
      const withImage: number[] = [];
      for (let i = 0; i < 70; i++) {
        for (const attach of [false, true]) {
          const t0 = performance.now();
          const m = await server.postAsUser({
            channelId: server.channelId,
            userId: server.ownerId,
            content: `probe ${i}`,
            ...(attach
              ? { attachments: [{ filename: "shot.png", bytes: image, content_type: "image/png" }] }
              : {}),
          });
          await until("a durable line", () => durable.has(m.id), 10_000);
          if (i >= 10) (attach ? withImage : text).push(durable.get(m.id)! - t0);
        }
        await inbox.claim("s1", () => {});
      }
      const t = median(text);
      const img = median(withImage);
      results.push(
        `latency (median of ${text.length}): text only ${t.toFixed(2)} ms, with a ` +
          `${(image.length / MIB).toFixed(2)} MiB PNG ${img.toFixed(2)} ms: ` +
          `+${(img - t).toFixed(2)} ms for the image (p90 with it ` +
          `${
            [...withImage].sort((a, b) => a - b)[Math.floor(withImage.length * 0.9)].toFixed(2)
          } ms)`,
      );
    } finally {
      await bridge.stop();
      await server.close();
      await Deno.remove(home, { recursive: true });
    }
  }),
});

Deno.bench({
  name: "throughput: 16 messages of 2 MiB posted back to back",
  n: 1,
  warmup: 0,
  fn: once(async () => {
    const { server, home } = await benchWorld("attachments_bench_");
    const durable = new Map<string, number>();
    const bridge = inProcessBridge(server, home, durable);
    const file = new Uint8Array(2 * MIB);
    for (let at = 0; at < file.length; at += 65536) {
      crypto.getRandomValues(file.subarray(at, at + 65536));
    }
    try {
      await bridge.start();
      const ids: string[] = [];
      const t0 = performance.now();
      for (let i = 0; i < 16; i++) {
        const m = await server.postAsUser({
          channelId: server.channelId,
          userId: server.ownerId,
          content: `file ${i}`,
          attachments: [{ filename: `f${i}.bin`, bytes: file }],
        });
        ids.push(m.id);
      }
      await until("every line", () => ids.every((id) => durable.has(id)), 60_000);
      const ms = Math.max(...ids.map((id) => durable.get(id)!)) - t0;
      results.push(
        `throughput: 32 MiB in 16 files stored and delivered in ${ms.toFixed(0)} ms: ` +
          `${(32 / (ms / 1000)).toFixed(0)} MiB/s`,
      );
    } finally {
      await bridge.stop();
      await server.close();
      await Deno.remove(home, { recursive: true });
    }
  }),
});

function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(status.match(/VmRSS:\s+(\d+) kB/)?.[1]) / 1024;
}

Deno.bench({
  name: "rss: bridge process idle, after its first attachment and after 150 images",
  n: 1,
  warmup: 0,
  ignore: Deno.build.os !== "linux",
  fn: once(async () => {
    const { server, home } = await benchWorld("attachments_bench_");
    const cmd = bridgeCommand({ home, apiUrl: server.apiUrl });
    const child = new Deno.Command(cmd.command, {
      args: cmd.args,
      cwd: cmd.cwd,
      env: {
        DISCORD_BOT_TOKEN: server.token,
        DISCORD_CHANNEL_ID: server.channelId,
        DISCORD_ALLOWED_USERS: server.ownerId,
        DISCORD_API_URL: server.apiUrl,
        CLAUDE_DISCORD_HOME: home,
      },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const inbox = new Inbox(home);
    const settle = () => new Promise((r) => setTimeout(r, 3000));
    const post = (content: string, bytes: Uint8Array, filename: string) =>
      server.postAsUser({
        channelId: server.channelId,
        userId: server.ownerId,
        content,
        attachments: [{ filename, bytes }],
      });
    try {
      await until("the bridge to connect", () => {
        try {
          const s = JSON.parse(Deno.readTextFileSync(`${home}/bridge/status.json`));
          return s.state === "connected" && s.lastCatchUpAt !== undefined;
        } catch {
          return false;
        }
      }, 30_000);
      await settle();
      const samples = [`idle ${rssMiB(child.pid).toFixed(1)}`];
      await post("first", new TextEncoder().encode("a small text\n"), "a.txt");
      const lines = () => {
        try {
          return Deno.readTextFileSync(`${home}/inbox/s1.jsonl`).split("\n")
            .filter((l) => l.trim() !== "").length;
        } catch {
          return 0;
        }
      };
      await until("the first", () => lines() >= 1, 10_000);
      await settle();
      samples.push(`after the first attachment ${rssMiB(child.pid).toFixed(1)}`);
      const image = megabytePng();
      for (const round of [1, 2, 3]) {
        for (let i = 0; i < 50; i++) await post(`image ${i}`, image, "shot.png");
        await until("50 more", () => lines() >= 1 + 50 * round, 60_000);
        await settle();
        samples.push(`after ${50 * round} 1 MiB images ${rssMiB(child.pid).toFixed(1)}`);
      }
      await inbox.claim("s1", () => {});
      results.push(`rss (MiB): ${samples.join(", ")}`);
    } finally {
      child.kill("SIGTERM");
      await child.status;
      await server.close();
      await Deno.remove(home, { recursive: true });
    }
  }),
});
