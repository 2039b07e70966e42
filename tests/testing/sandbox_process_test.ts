// The sandbox (testing/sandbox.ts): it starts the bridge with the right environment, survives
// a restart (same token, ids, webhooks, API URL and history; --fresh starts over), says when
// its earlier port is taken, refuses a second run of one home, and `deno task sandbox` stopped
// with Ctrl-C (SIGINT to its process group, twice, with the real bridge) saves and leaves no
// temporary directory behind. The page in a browser: sandbox_page_process_test.ts.
import { assert, assertEquals, assertMatch, assertRejects } from "../_assert.ts";
import { main, SANDBOX_PORT, startSandbox } from "../../testing/sandbox.ts";
import { ROOT, tempDir } from "../_fixture.ts";
import { waitFor } from "./_clients.ts";

Deno.test("sandbox: starts the bridge module with DISCORD_* env pointing at the server", async () => {
  await using dir = await tempDir("sandbox-test-");
  const home = dir.path;
  const lines: string[] = [];
  await using sandbox = await startSandbox({
    port: 0,
    home,
    bridgePath: new URL("../testdata/sandbox_bridge_probe.ts", import.meta.url).pathname,
    log: (l) => lines.push(l),
  });
  assert(sandbox.bridge, "bridge started");
  const env = await waitFor("the probe's env file", () => {
    try {
      return JSON.parse(Deno.readTextFileSync(`${home}/state/probe-env.json`));
    } catch {
      return undefined;
    }
  }, 15_000);
  assertEquals(env.DISCORD_API_URL, sandbox.server.apiUrl);
  assertEquals(env.DISCORD_BOT_TOKEN, sandbox.server.token);
  assertEquals(env.DISCORD_CHANNEL_ID, sandbox.server.channelId);
  assertEquals(env.DISCORD_WEBHOOK_URL, sandbox.server.webhookUrl);
  assertEquals(env.DISCORD_ALLOWED_USERS, sandbox.server.ownerId);
  assertEquals(env.CLAUDE_DISCORD_HOME, `${home}/state`);
  assertEquals(sandbox.stateDir, `${home}/state`);
  // The probe writes its env file, then prints: both before the stop.
  await waitFor("the probe's line", () => lines.includes("probe started"), 15_000);
  await sandbox.close();
});

/** What a project set up against a sandbox holds on to. */
function identity(s: Awaited<ReturnType<typeof startSandbox>>) {
  const x = s.server;
  return {
    env: s.env,
    ids: [x.botId, x.guildId, x.channelId, x.forumId, x.ownerId],
    textWebhookUrl: x.textWebhookUrl,
  };
}

Deno.test("sandbox: a restart comes back with the same token, guild, channels, webhooks, API URL and history; --fresh starts over", async () => {
  await using dir = await tempDir("sandbox-restart-");
  const home = dir.path;
  const first = await startSandbox({ home, port: 0, bridge: false });
  assertEquals(first.restored, false);
  const s = first.server;
  const hello = await s.postAsUser({ channelId: s.channelId, userId: s.ownerId, content: "hi" });
  const posted = await (await fetch(`${s.webhookUrl.replace("/api/", "/api/v10/")}?wait=true`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ content: "session status", thread_name: "session-1" }),
  })).json();
  const before = identity(first);
  const messages = s.state().messages;
  await first.close();
  assertEquals(Deno.statSync(home).mode! & 0o777, 0o700);
  assertEquals(Deno.statSync(`${home}/state`).mode! & 0o777, 0o700);
  assertEquals(Deno.statSync(`${home}/world.json`).mode! & 0o777, 0o600);

  // No port given: the earlier one, free again, so the same API URL.
  const again = await startSandbox({ home, bridge: false });
  try {
    assertEquals(again.restored, true);
    assertEquals(again.movedFrom, undefined);
    assertEquals(identity(again), before);
    assertEquals(again.server.state().messages, messages);
    // What the project's bridge and hooks do: read the history, post through the webhook.
    const history = await (await fetch(
      `${again.env.DISCORD_API_URL}/v10/channels/${again.env.DISCORD_CHANNEL_ID}/messages`,
      { headers: { authorization: `Bot ${again.env.DISCORD_BOT_TOKEN}` } },
    )).json();
    assertEquals(history.map((m: { id: string }) => m.id), [hello.id]);
    const status = await fetch(
      `${
        again.env.DISCORD_WEBHOOK_URL.replace("/api/", "/api/v10/")
      }?thread_id=${posted.channel_id}`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ content: "still here" }),
      },
    );
    assertEquals(status.status, 204);
  } finally {
    await again.close();
  }

  await using fresh = await startSandbox({ home, port: 0, bridge: false, fresh: true });
  assertEquals(fresh.restored, false);
  assert(fresh.server.token !== before.env.DISCORD_BOT_TOKEN, "a new token");
  assertEquals(fresh.server.state().messages, []);
});

Deno.test("sandbox: its earlier port taken, it answers on another and says so; a second run of one home is refused; a taken --port is an error", async () => {
  await using dir = await tempDir("sandbox-port-");
  const home = dir.path;
  const first = await startSandbox({ home, port: 0, bridge: false });
  const earlier = first.server.apiUrl;
  await assertRejects(
    () => startSandbox({ home, port: 0, bridge: false }),
    Error,
    `A sandbox of ${home} already runs at ${first.server.origin}/`,
  );
  await first.close();

  using holder = Deno.listen({ hostname: "127.0.0.1", port: Number(new URL(earlier).port) });
  await assertRejects(
    () => startSandbox({ home, port: holder.addr.port, bridge: false }),
    Error,
    `Port ${holder.addr.port} is taken: choose another with --port N, or leave --port out`,
  );
  await using moved = await startSandbox({ home, bridge: false });
  assertEquals(moved.movedFrom, earlier);
  assert(moved.server.apiUrl !== earlier);
  assertEquals(moved.server.token, first.server.token);
  assert(
    SANDBOX_PORT > 0 && SANDBOX_PORT < 32768,
    "the default port is outside Linux's ephemeral range",
  );
});

Deno.test("sandbox: bad usage exits 2; a home that cannot be made is one line naming the fix", async () => {
  const err = console.error;
  const said: string[] = [];
  console.error = (...a: unknown[]) => said.push(a.join(" "));
  try {
    assertEquals(await main(["--port", "nope"]), 2);
    assertEquals(await main(["--bogus"]), 2);
    assertEquals(await main(["--home", " "]), 2);
  } finally {
    console.error = err;
  }
  assertMatch(said.join("\n"), /--port must be a port number \(0-65535\), got "nope"/);
  await using dir = await tempDir("sandbox-bad-home-");
  Deno.writeTextFileSync(`${dir.path}/file`, "");
  await assertRejects(
    () => startSandbox({ home: `${dir.path}/file/home`, port: 0, bridge: false }),
    Error,
    `Cannot make the sandbox home ${dir.path}/file/home (`,
  );
});

/** Reads `stream` into `into` line by line until it ends. */
async function collect(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    rest += chunk;
    const lines = rest.split("\n");
    rest = lines.pop()!;
    into.push(...lines);
  }
  if (rest) into.push(rest);
}

/** Starts `deno task sandbox`'s script in a process group of its own (as a terminal would). */
function sandboxCli(args: string[], env: Record<string, string>) {
  const child = new Deno.Command("setsid", {
    args: [Deno.execPath(), "run", "-A", `${ROOT}/testing/sandbox.ts`, ...args],
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out: string[] = [], err: string[] = [];
  const done = Promise.all([collect(child.stdout, out), collect(child.stderr, err)]);
  // Bounded: whatever happens, the group is gone after a minute.
  const timer = setTimeout(() => {
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch {
      // gone
    }
  }, 60_000);
  const status = child.status.then(async (s) => {
    clearTimeout(timer);
    await done;
    return s;
  });
  return { pid: child.pid, out, err, status };
}

Deno.test("sandbox CLI: Ctrl-C (SIGINT to its process group, twice, the real bridge running) saves and stops; no temp directory with a token is left; the next run restores", async () => {
  await using dir = await tempDir("sandbox-cli-");
  const home = `${dir.path}/home`;
  const tmp = `${dir.path}/tmp`;
  Deno.mkdirSync(tmp);
  const env = { TMPDIR: tmp, NO_COLOR: "1" };
  const run = sandboxCli(["--home", home, "--port", "0"], env);
  const pageLine = await waitFor(
    "the page line",
    () => run.out.find((l) => l.startsWith("Sandbox chat page: ")),
    30_000,
  );
  const origin = pageLine.slice("Sandbox chat page: ".length).replace(/\/$/, "");
  assertMatch(run.out.join("\n"), /Bridge running \(pid \d+\)/);
  const info = await (await fetch(`${origin}/_control/info`)).json();
  await fetch(`${origin}/_control/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ content: "remember me" }),
  });
  // The bridge is connected (its gateway session is there) before the stop.
  await waitFor("the bridge's gateway session", async () => {
    const st = await (await fetch(`${origin}/_control/state`)).json();
    return st.gatewaySessions.length > 0;
  }, 30_000);
  assertEquals([...Deno.readDirSync(tmp)], [], "no temporary directory while running");

  // Ctrl-C, and again at once (an impatient person): the second lands while it stops, or
  // after it stopped.
  Deno.kill(-run.pid, "SIGINT");
  try {
    Deno.kill(-run.pid, "SIGINT");
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const status = await run.status;
  assertEquals(status.code, 0, run.err.join("\n"));
  assertMatch(run.err.join("\n"), /Sandbox stopped; its world is in /);
  assertEquals([...Deno.readDirSync(tmp)], [], "no temporary directory after the stop");
  assertEquals(Deno.statSync(home).mode! & 0o777, 0o700);
  assertEquals(Deno.statSync(`${home}/world.json`).mode! & 0o777, 0o600);
  const world = Deno.readTextFileSync(`${home}/world.json`);
  assert(world.includes("remember me"), "the message is saved");
  for (const name of ["config.json", "bridge.pid", "bridge.lock"]) {
    try {
      assertEquals(Deno.statSync(`${home}/state/${name}`).mode! & 0o077, 0, name);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }

  const next = sandboxCli(["--home", home, "--no-bridge"], env);
  try {
    await waitFor(
      "the restored line",
      () => next.out.find((l) => l.includes("(restored:")),
      30_000,
    );
    assertMatch(next.out.join("\n"), /Sandbox chat page: /);
    assert(next.out.includes(`Sandbox chat page: ${origin}/`), next.out.join("\n"));
    const again = await (await fetch(`${origin}/_control/info`)).json();
    assertEquals([again.token, again.channelId, again.webhookUrl], [
      info.token,
      info.channelId,
      info.webhookUrl,
    ]);
  } finally {
    Deno.kill(-next.pid, "SIGTERM");
    assertEquals((await next.status).code, 0, next.err.join("\n"));
  }
  assertEquals([...Deno.readDirSync(tmp)], []);
});
