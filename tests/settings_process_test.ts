// setup.ts as a process: --print prints the settings fragment for this checkout, --write
// merges it into a settings file and keeps a backup, bad input exits 2.
import { writeConfigFile } from "../config.ts";
import { buildSettings, mcpConfig } from "../settings.ts";
import { assertEquals, assertMatch } from "./_assert.ts";
import { ROOT, tempDir } from "./_fixture.ts";

Deno.test("setup.ts: --print prints the fragment for this checkout; --write merges and keeps a backup", async () => {
  await using h = await tempDir("cd-settings-");
  writeConfigFile(h.path, { wakeTimeoutSeconds: 120 });
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-write", "--allow-env", `${ROOT}/setup.ts`, ...args],
      env: { CLAUDE_DISCORD_HOME: h.path },
      stdout: "piped",
      stderr: "piped",
    }).output();
  const printed = await run(["--print"]);
  assertEquals(printed.code, 0, new TextDecoder().decode(printed.stderr));
  const fragment = JSON.parse(new TextDecoder().decode(printed.stdout));
  assertEquals(
    fragment,
    JSON.parse(JSON.stringify(buildSettings({
      home: h.path,
      root: ROOT,
      denoPath: Deno.execPath(),
      wakeTimeoutSeconds: 120,
    }))),
  );
  const file = `${h.path}/project/.claude/settings.json`;
  Deno.mkdirSync(`${h.path}/project/.claude`, { recursive: true });
  Deno.writeTextFileSync(file, JSON.stringify({ model: "sonnet" }));
  assertEquals(
    (await run(["--write", file, "--write-mcp", `${h.path}/project/.mcp.json`])).code,
    0,
  );
  const merged = JSON.parse(Deno.readTextFileSync(file));
  assertEquals(merged.model, "sonnet");
  assertEquals(Object.keys(merged.hooks).length, 10);
  assertEquals(JSON.parse(Deno.readTextFileSync(`${file}.bak`)), { model: "sonnet" });
  const mcp = JSON.parse(Deno.readTextFileSync(`${h.path}/project/.mcp.json`));
  assertEquals(mcp.mcpServers.discord.args.at(-1), `${ROOT}/mcp.ts`);
  // A broken file is refused and left as it is.
  Deno.writeTextFileSync(file, "{ not json");
  const broken = await run(["--write", file]);
  assertEquals(broken.code, 2);
  assertMatch(new TextDecoder().decode(broken.stderr), /is not valid JSON/);
  assertEquals(Deno.readTextFileSync(file), "{ not json");
  assertEquals((await run([])).code, 2);
});

Deno.test("mcpConfig: sh adds the directory the server starts in to --allow-read, as given and resolved", async () => {
  await using dir = await tempDir("cd-settings-");
  const project = `${dir.path}/project`;
  Deno.mkdirSync(project);
  Deno.symlinkSync(project, `${dir.path}/via-link`);
  Deno.mkdirSync(`${dir.path}/a,b`);
  const [c, script, name] = mcpConfig({ home: "/h", root: "/ck", denoPath: "deno" }).mcpServers
    .discord.args;
  // Claude Code starts the server from a shell whose PWD is the project through a link; the
  // entry's command then runs (here printf stands in for deno).
  const run = (cwd: string) =>
    new Deno.Command("/bin/sh", {
      args: ["-c", `cd "$0" && exec /bin/sh "$@"`, cwd, c, script, name, "printf", "%s\\n"]
        .concat(["--allow-read=/h", "x y"]),
    }).outputSync();
  const lines = (out: Deno.CommandOutput) => new TextDecoder().decode(out.stdout).split("\n");
  assertEquals(lines(run(`${dir.path}/via-link`)), [
    `--allow-read=/h,${dir.path}/via-link,${project}`,
    "x y",
    "",
  ]);
  assertEquals(lines(run(project)), [`--allow-read=/h,${project}`, "x y", ""]);
  // A directory whose name holds a comma is left out (Deno's list splits on commas).
  assertEquals(lines(run(`${dir.path}/a,b`)), ["--allow-read=/h", "x y", ""]);
});
