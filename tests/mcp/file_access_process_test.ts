// send_file reads only what it may: the project and allowedFilePaths, by real path; never the
// state directory (the token), a link out of the project, or a secret-looking file unless it is
// listed. Driven over stdio with the MCP SDK's client against the local Discord server, first
// with mcp.ts's documented broad flags (the server's own checks), then with the exact entry
// setup installs (Deno's --allow-read as the second wall).
import { startDiscordServer } from "../../testing/mod.ts";
import { writeConfigFile } from "../../config.ts";
import { mcpConfig } from "../../settings.ts";
import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { ROOT, tempDir } from "../_fixture.ts";
import { startMcp } from "./_harness.ts";

Deno.test({
  name: "send_file: the project and allowedFilePaths only, never the state directory or a secret",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using srv = await startDiscordServer({ port: 0 });
    await using homeDir = await tempDir("mcp-home-");
    await using projectDir = await tempDir("mcp-project-");
    await using elsewhere = await tempDir("mcp-elsewhere-");
    await using shared = await tempDir("mcp-shared-");
    const home = homeDir.path;
    const project = projectDir.path;
    Deno.writeTextFileSync(`${elsewhere.path}/private.txt`, "not for Discord\n");
    Deno.writeTextFileSync(`${shared.path}/notes.md`, "# shared notes\n");
    Deno.writeTextFileSync(`${shared.path}/.env`, "SHARED_KEY=1\n");
    Deno.writeTextFileSync(`${project}/.env`, "API_KEY=hunter2\n");
    Deno.writeTextFileSync(`${project}/.env.example`, "API_KEY=\n");
    Deno.mkdirSync(`${project}/.ssh`);
    Deno.writeTextFileSync(`${project}/.ssh/deploy`, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
    Deno.writeTextFileSync(`${project}/server.pem`, "-----BEGIN PRIVATE KEY-----\n");
    Deno.writeTextFileSync(`${project}/readme.txt`, "hello\n");
    // config.json as setup writes it, plus the paths the user lists.
    writeConfigFile(home, {
      token: srv.token,
      channelId: srv.channelId,
      allowedFilePaths: [shared.path, `${project}/.env.example`],
    });
    await using mcp = await startMcp({ srv, home, cwd: project });
    const posted = () => srv.messages(srv.channelId).length;

    const refused = async (path: string, why: RegExp) => {
      const before = posted();
      const res = await mcp.call("send_file", { path });
      assert(res.isError, `${path} was sent: ${res.text}`);
      assertMatch(res.text, why);
      assertEquals(posted(), before, `${path}: nothing posted`);
      assert(!res.text.includes(srv.token), "the token is not in the answer");
    };

    await t.step("the state directory's config.json (the bot token)", async () => {
      await refused(`${home}/config.json`, /is in claude-discord's state directory/);
      await refused(`${home}/../${homeDir.path.split("/").pop()}/config.json`, /state directory/);
    });

    await t.step("a symlink in the project to config.json or out of the project", async () => {
      Deno.symlinkSync(`${home}/config.json`, `${project}/settings.txt`);
      await refused("settings.txt", /state directory/);
      Deno.symlinkSync(`${elsewhere.path}/private.txt`, `${project}/private.txt`);
      await refused("private.txt", /\(a link to .*private\.txt\) is outside the directories/);
      Deno.symlinkSync(elsewhere.path, `${project}/linked-dir`);
      await refused("linked-dir/private.txt", /is outside the directories send_file may read/);
      await refused(`${elsewhere.path}/private.txt`, /allowedFilePaths/);
      await refused("../" + elsewhere.path.split("/").pop() + "/private.txt", /outside/);
    });

    await t.step("a hard link to config.json", async () => {
      try {
        Deno.linkSync(`${home}/config.json`, `${project}/copy.json`);
      } catch {
        return; // another file system: no hard link possible, nothing to test
      }
      await refused("copy.json", /hard link/);
    });

    await t.step(".env, keys and credentials unless listed", async () => {
      await refused(".env", /looks like an environment file/);
      await refused("server.pem", /private key/);
      await refused(".ssh/deploy", /a file under \.ssh/);
      await refused(`${shared.path}/.env`, /environment file/);
      Deno.symlinkSync(`${project}/.env`, `${project}/innocent.txt`);
      await refused("innocent.txt", /environment file/);
    });

    await t.step("project files, listed files and listed directories are sent", async () => {
      for (const path of ["readme.txt", ".env.example", `${shared.path}/notes.md`]) {
        const res = await mcp.call("send_file", { path });
        assert(!res.isError, `${path}: ${res.text}`);
      }
      const names = srv.messages(srv.channelId).map((m) => m.attachments[0]?.filename);
      assertEquals(names, ["readme.txt", ".env.example", "notes.md"]);
    });
  },
});

Deno.test({
  name: "send_file with setup's MCP entry: Deno's --allow-read holds the project, not the disk",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using srv = await startDiscordServer({ port: 0 });
    await using homeDir = await tempDir("mcp-home-");
    await using projectDir = await tempDir("mcp-project-");
    await using later = await tempDir("mcp-later-");
    const home = homeDir.path;
    const project = projectDir.path;
    Deno.writeTextFileSync(`${project}/report.txt`, "all green\n");
    Deno.writeTextFileSync(`${later.path}/data.csv`, "a,b\n");
    // Listed in config.json after setup built the entry: the server's own check lets it
    // through, Deno's flag (baked in at setup) does not.
    writeConfigFile(home, { token: srv.token, channelId: srv.channelId });
    const entry = mcpConfig({ home, root: ROOT, denoPath: Deno.execPath(), apiUrl: srv.apiUrl })
      .mcpServers.discord;
    writeConfigFile(home, { allowedFilePaths: [later.path] });
    await using mcp = await startMcp({
      srv,
      home,
      cwd: project,
      argv: [entry.command, ...entry.args],
    });
    const cmdline = Deno.readTextFileSync(`/proc/${mcp.pid}/cmdline`).split("\0");
    const read = cmdline.filter((a) => a.startsWith("--allow-read"));
    assertEquals(read, [`--allow-read=${home},${project}`], "the project is added at start");
    assert(cmdline.some((a) => a.endsWith("/mcp.ts")), "sh became the server (exec)");

    let res = await mcp.call("send_file", { path: "report.txt" });
    assert(!res.isError, res.text);
    res = await mcp.call("send_file", { path: `${later.path}/data.csv` });
    assert(res.isError, res.text);
    assertMatch(res.text, /outside the directories .*run `deno task setup` again/);
    assertEquals(srv.messages(srv.channelId).map((m) => m.attachments[0]?.filename), [
      "report.txt",
    ]);
  },
});
