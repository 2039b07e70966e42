// sessions.ts with real processes: the default liveness probe on an exited pid, concurrent
// registers from several processes, and liveness under the permission flags the roles run with.
import { SessionRegistry } from "../sessions.ts";
import { bridgePermissionFlags } from "../daemon.ts";
import { assert, assertEquals } from "./_assert.ts";
import { tempDir } from "./_fixture.ts";

const CHILD = new URL("./testdata/sessions_register.ts", import.meta.url).pathname;

Deno.test("the default pid probe sees a real exited process as dead", async () => {
  await using t = await tempDir("sessions-test-");
  const registry = new SessionRegistry(t.path);
  const child = new Deno.Command("true").spawn();
  const pid = child.pid;
  await child.status;
  await registry.register({ id: "gone", cwd: "/x", pid });
  await registry.register({ id: "here", cwd: "/y", pid: Deno.pid });
  const live = registry.list({ live: true }).map((r) => r.id);
  assert(live.includes("here"));
  if (Deno.build.os === "linux") assert(!live.includes("gone"), "exited pid counted as live");
});

Deno.test("concurrent registers from separate processes get distinct names", async () => {
  await using t = await tempDir("sessions-test-");
  const start = `${t.path}/go`;
  const ids = Array.from({ length: 6 }, (_, i) => `abcd${i}000-0000`);
  const children = ids.map((id) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CHILD, t.path, id, `/repo${id}/app`, start],
      stdout: "piped",
      stderr: "piped",
    }).output()
  );
  await new Promise((r) => setTimeout(r, 1500)); // let every child reach its wait loop
  Deno.writeTextFileSync(start, "");
  const outputs = await Promise.all(children);
  for (const o of outputs) assertEquals(o.code, 0, new TextDecoder().decode(o.stderr));
  const names = outputs.map((o) => new TextDecoder().decode(o.stdout).trim());
  assertEquals(new Set(names).size, 6, names.join(" "));
  assert(names.every((n) => n.startsWith("app-abcd")), names.join(" "));
  const registry = new SessionRegistry(t.path);
  assertEquals(registry.list({ live: true }).map((r) => r.name).sort(), [...names].sort());
});

Deno.test("without read access to /proc a recorded pid counts as alive", async () => {
  await using t = await tempDir("sessions-test-");
  const repo = new URL("..", import.meta.url).pathname;
  const script = new URL("./testdata/sessions_liveness.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", `--allow-read=${t.path},${repo}`, `--allow-write=${t.path}`, script, t.path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  assertEquals(new TextDecoder().decode(out.stdout).trim(), "1");
});

Deno.test("under the bridge's flags a session whose pid is dead is not live (ps); without --allow-run=ps it counts as alive", async () => {
  await using t = await tempDir("sessions-test-");
  const gone = new Deno.Command("true", { stdout: "null", stderr: "null" }).spawn();
  await gone.status;
  const registry = new SessionRegistry(t.path);
  await registry.register({ id: "alive", cwd: "/p/a", pid: Deno.pid });
  await registry.register({ id: "dead", cwd: "/p/d", pid: gone.pid });
  const repo = new URL("..", import.meta.url).pathname;
  const script = new URL("./testdata/sessions_live_ids.ts", import.meta.url).pathname;
  const liveUnder = async (flags: string[]): Promise<string[]> => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-lock", ...flags, script, t.path],
      cwd: repo,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    return JSON.parse(new TextDecoder().decode(out.stdout));
  };
  const bridgeFlags = bridgePermissionFlags({ home: t.path, apiUrl: "http://127.0.0.1:9/api" });
  assertEquals(await liveUnder(bridgeFlags), ["alive"], bridgeFlags.join(" "));
  assertEquals(await liveUnder([`--allow-read=${t.path}`]), ["alive", "dead"]);
});
