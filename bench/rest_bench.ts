// What the REST library (@discordjs/rest, loaded by _discord/rest_library.ts) costs the
// processes that post, against the local Discord server:
//
// - "status hook": the Stop hook posting a STATUS, run as Claude Code runs it (`sh -c` with the
//   settings' command and the hook JSON on stdin), against `deno run` of an empty file.
// - "mcp.ts": the MCP server started as .mcp.json starts it: time to answer `initialize`, and to
//   answer the first tool call (the first REST call loads the library); its RSS after that call.
//
// The bridge's idle RSS (it loads the library too) is in bridge_bench.ts.
// Run: deno bench -A bench/rest_bench.ts
import { buildSettings, mcpConfig } from "../settings.ts";
import { SessionRegistry } from "../sessions.ts";
import { startDiscordServer } from "../testing/mod.ts";

const root = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/+$/, "");
const server = await startDiscordServer({ port: 0, rateLimits: false, checkResponses: false }); // benchmarks time the project, not the spec check;
const home = Deno.makeTempDirSync({ prefix: "rest_bench_" });
const empty = `${home}/empty.ts`;
Deno.writeTextFileSync(empty, "");
Deno.writeTextFileSync(
  `${home}/config.json`,
  JSON.stringify({
    token: server.token,
    channelId: server.channelId,
    webhookUrl: server.webhookUrl,
    apiUrl: server.apiUrl,
    allowedUsers: [server.ownerId],
  }),
);
const SID = "5b0c6a52-1f7e-4c1e-9d0f-3a2b1c0d9e8f";
await new SessionRegistry(home).register({ id: SID, cwd: home });
const options = {
  home,
  root,
  denoPath: Deno.execPath(),
  apiUrl: server.apiUrl,
  webhookUrl: server.webhookUrl,
  wakeOnMessage: false,
};
const status = buildSettings(options).hooks.Stop[0].hooks[0].command;
const stop = JSON.stringify({
  session_id: SID,
  transcript_path: `${home}/${SID}.jsonl`,
  cwd: home,
  hook_event_name: "Stop",
  stop_hook_active: false,
  last_assistant_message: "All tests pass.",
}) + "\n";

async function sh(command: string, input = ""): Promise<void> {
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", command],
    cwd: home,
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(input)).catch(() => {});
  await w.close().catch(() => {});
  const { code } = await child.status;
  if (code !== 0) throw new Error(`${command} exited ${code}`);
}

// The first post creates the session's thread and warms Deno's caches.
await sh(status, stop);
const posts = () => server.state().webhookExecutions.length;
const RUNS = { n: 20, warmup: 2 };

Deno.bench({
  name: "deno run empty.ts",
  group: "status hook",
  baseline: true,
  ...RUNS,
  fn: async () => await sh(`${Deno.execPath()} run --no-prompt ${empty}`),
});

Deno.bench({
  name: "Stop hook posting a STATUS",
  group: "status hook",
  ...RUNS,
  fn: async () => {
    const before = posts();
    await sh(status, stop);
    if (posts() !== before + 1) throw new Error("the hook posted nothing");
  },
});

function rssMiB(pid: number): number {
  const kb = Number(Deno.readTextFileSync(`/proc/${pid}/status`).match(/VmRSS:\s+(\d+) kB/)?.[1]);
  return kb / 1024;
}

/** Starts mcp.ts, answers `initialize`, then one `fetch_messages`; returns the timings. */
async function mcpRun(): Promise<{ initialize: number; firstCall: number; rss: number }> {
  const entry = mcpConfig(options).mcpServers.discord;
  const t0 = performance.now();
  const child = new Deno.Command(entry.command, {
    args: entry.args,
    env: { ...entry.env, DISCORD_BOT_TOKEN: server.token },
    cwd: home,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const answer = async (): Promise<{ result?: { isError?: boolean } }> => {
    while (!buffered.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) throw new Error("mcp.ts closed its output");
      buffered += value;
    }
    const line = buffered.slice(0, buffered.indexOf("\n"));
    buffered = buffered.slice(line.length + 1);
    return JSON.parse(line);
  };
  const send = (message: unknown) =>
    writer.write(new TextEncoder().encode(JSON.stringify(message) + "\n"));
  try {
    await send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "bench", version: "1" },
      },
    });
    await answer();
    const initialize = performance.now() - t0;
    await send({ jsonrpc: "2.0", method: "notifications/initialized" });
    const t1 = performance.now();
    await send({
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "fetch_messages", arguments: { limit: 1 } },
    });
    const res = await answer();
    if (!res.result || res.result.isError) throw new Error("fetch_messages failed");
    return { initialize, firstCall: performance.now() - t1, rss: rssMiB(child.pid) };
  } finally {
    lines.releaseLock();
    await writer.close().catch(() => {});
    child.kill("SIGTERM");
    await child.status;
  }
}

const mcp: { initialize: number; firstCall: number; rss: number }[] = [];
Deno.bench({
  name: "mcp.ts: spawn, initialize, first tool call",
  group: "mcp.ts",
  n: 10,
  warmup: 1,
  fn: async () => void mcp.push(await mcpRun()),
});

addEventListener("unload", () => {
  if (mcp.length > 0) {
    const median = (k: keyof (typeof mcp)[number]) =>
      mcp.map((m) => m[k]).sort((a, b) => a - b)[Math.floor(mcp.length / 2)].toFixed(1);
    console.log(
      `\nmcp.ts (median of ${mcp.length}): initialize answered after ${median("initialize")} ms, ` +
        `first tool call ${median("firstCall")} ms, RSS after it ${median("rss")} MiB`,
    );
  }
  server.close();
  Deno.removeSync(home, { recursive: true });
});
