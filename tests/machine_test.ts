// machine.ts: one id per state directory, made once and kept; the label from the configuration,
// else the host name recorded when the id was made, else the id.
import { ConfigError } from "../errors.ts";
import { loadConfig, parseMachineLabel } from "../config.ts";
import { machineIdentity, machineOf, machinePath, readMachineFile } from "../machine.ts";
import { createPrivateFileExclusive } from "../_shared/fs.ts";
import { assert, assertEquals, assertMatch, assertNotEquals, assertThrows } from "./_assert.ts";
import { tempDir } from "./_fixture.ts";

Deno.test("machine: the id is made once (0600) and kept; two state directories are two machines", async () => {
  await using a = await tempDir("machine-");
  await using b = await tempDir("machine-");
  const first = machineIdentity(a.path, { hostname: () => "laptop.local", now: () => 0 });
  assertMatch(first.id, /^[a-z2-7]{10}$/);
  assertEquals(first.created, "1970-01-01T00:00:00.000Z");
  assertEquals(first.label, "laptop");
  assertEquals(Deno.statSync(machinePath(a.path)).mode! & 0o777, 0o600);
  // Kept: another read (another process, a restart) sees the same id and host name.
  const again = machineIdentity(a.path, { hostname: () => "renamed-host" });
  assertEquals([again.id, again.hostname, again.label], [first.id, "laptop.local", "laptop"]);
  assertEquals(readMachineFile(a.path)?.id, first.id);
  const other = machineIdentity(b.path, { hostname: () => "laptop.local" });
  assertNotEquals(other.id, first.id);
  assertEquals(other.label, "laptop", "labels need not be unique; ids are");
});

Deno.test("machine: the configured label wins; without a host name the label names the id", async () => {
  await using h = await tempDir("machine-");
  const bare = machineIdentity(h.path, { hostname: () => undefined });
  assertEquals(bare.label, `machine-${bare.id}`);
  assertEquals(bare.hostname, undefined);
  // A process that may read the host name (the bridge, setup) fills it in; the id stays.
  const later = machineIdentity(h.path, { hostname: () => "box" });
  assertEquals([later.id, later.label], [bare.id, "box"]);
  const config = loadConfig({
    env: { CLAUDE_DISCORD_HOME: h.path, CLAUDE_DISCORD_MACHINE: "  cloud 1 " },
  });
  assertEquals(config.machineLabel, "cloud 1");
  assertEquals(machineOf(config).label, "cloud 1");
  assertEquals(machineOf(config).id, bare.id);
});

Deno.test("machine: a damaged machine.json is moved aside and a new id made, with a warning", async () => {
  await using h = await tempDir("machine-");
  Deno.writeTextFileSync(machinePath(h.path), "{not json");
  const warnings: string[] = [];
  const m = machineIdentity(h.path, { onWarning: (w) => warnings.push(w) });
  assertMatch(m.id, /^[a-z2-7]{10}$/);
  assertEquals(warnings.length, 1);
  assertMatch(warnings[0], /machine\.json is damaged .*moved to .*machine\.json\.damaged/);
  assertEquals(machineIdentity(h.path).id, m.id);
});

Deno.test("machine: of two processes making machine.json at once, one wins and the other keeps its file", async () => {
  await using h = await tempDir("machine-");
  const path = `${h.path}/f.json`;
  assert(createPrivateFileExclusive(path, "first\n"));
  assert(!createPrivateFileExclusive(path, "second\n"));
  assertEquals(Deno.readTextFileSync(path), "first\n");
  assertEquals([...Deno.readDirSync(h.path)].map((e) => e.name), ["f.json"], "no temp file left");
});

Deno.test("machine label: 1 to 32 printable characters", () => {
  assertEquals(parseMachineLabel("laptop"), "laptop");
  assertEquals(parseMachineLabel("   "), undefined);
  assertThrows(() => parseMachineLabel("x".repeat(33)), ConfigError);
  assertThrows(() => parseMachineLabel("a\tb"), ConfigError);
  assertThrows(() => parseMachineLabel(7), ConfigError);
});
