// settings.ts and setup.ts: the Claude Code settings fragment, its permissions, and merging.
// setup.ts --print and --write as a process: settings_process_test.ts.
import { ENV_VARS } from "../config.ts";
import {
  attachmentReadRule,
  buildSettings,
  MCP_PROJECT_READ,
  mcpConfig,
  mcpToolRules,
  mergeSettings,
  netHosts,
  rolePermissionFlags,
  shellQuote,
  TRANSCRIPTS_DIR,
} from "../settings.ts";
import { mergeIntoFile } from "../setup.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { tempDir } from "./_fixture.ts";

const OPTS = {
  home: "/h/state",
  root: "/ck",
  denoPath: "/usr/bin/deno",
  apiUrl: "https://discord.com/api",
  webhookUrl: "https://discord.com/api/webhooks/1100000000000000001/tok",
};
const ENV = `--allow-env=${
  [
    ...ENV_VARS,
    "CLAUDE_PID",
    "CLAUDE_CODE_SESSION_ID",
    "CLAUDE_CODE_ENTRYPOINT",
    "CLAUDE_PROJECT_DIR",
  ].join(",")
}`;

Deno.test("buildSettings: no hook command carries a network flag (what they post goes through the outbox)", () => {
  const settings = buildSettings({
    ...OPTS,
    apiUrl: "http://127.0.0.1:4000/api",
    webhookUrl: "http://127.0.0.1:4000/api/webhooks/1100000000000000001/t",
  });
  const commands = Object.values(settings.hooks).flatMap((groups) =>
    groups.flatMap((g) => g.hooks.map((h) => h.command))
  );
  assert(commands.length >= 12, `${commands.length} commands`);
  for (const command of commands) {
    assert(!/--allow-net|--allow-all|(^| )-A( |$)/.test(command), command);
  }
  // Each posting role is told which deno starts the bridge.
  for (const [event, role] of [["Stop", "status"], ["SessionEnd", "end"]] as const) {
    const command = settings.hooks[event][0].hooks.find((h) =>
      h.command.includes(`--role=${role}`)
    )!
      .command;
    assertMatch(command, /--deno=\/usr\/bin\/deno/);
  }
});

Deno.test("rolePermissionFlags: no role gets network; the posting roles may start the bridge, which sends for them", () => {
  // The roles that deliver messages read Claude Code's transcripts (the shell expands the path).
  assertEquals(TRANSCRIPTS_DIR, "${CLAUDE_CONFIG_DIR:-$HOME/.claude}/projects");
  assertEquals(rolePermissionFlags("deliver", OPTS), [
    "--allow-read=/h/state",
    "--allow-write=/h/state",
    `--allow-read=${TRANSCRIPTS_DIR}`,
  ]);
  assertEquals(rolePermissionFlags("wake", OPTS), [
    "--allow-read=/h/state",
    "--allow-write=/h/state",
    ENV,
    `--allow-read=${TRANSCRIPTS_DIR}`,
  ]);
  assertEquals(rolePermissionFlags("register", OPTS), [
    "--allow-read=/h/state",
    "--allow-write=/h/state",
    ENV,
    "--allow-run=/usr/bin/deno",
    `--allow-read=${TRANSCRIPTS_DIR}`,
  ]);
  for (const role of ["status", "notice", "end", "permission"] as const) {
    assertEquals(rolePermissionFlags(role, OPTS), [
      "--allow-read=/h/state",
      "--allow-write=/h/state",
      ENV,
      "--allow-run=/usr/bin/deno",
      "--allow-sys=hostname",
    ]);
  }
  assertEquals(
    netHosts("http://127.0.0.1:4000/api", "http://127.0.0.1:4000/api/webhooks/1/t"),
    ["127.0.0.1:4000"],
  );
});

Deno.test("buildSettings: events, matchers, timeouts, async and asyncRewake", () => {
  const s = buildSettings({ ...OPTS, wakeTimeoutSeconds: 600, permissionTimeoutSeconds: 120 });
  assertEquals(Object.keys(s.hooks), [
    "SessionStart",
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "UserPromptSubmit",
    "Stop",
    "StopFailure",
    "Notification",
    "SessionEnd",
    "PermissionRequest",
  ]);
  const summary = Object.fromEntries(
    Object.entries(s.hooks).map(([event, groups]) => [
      event,
      groups.map((g) => ({
        matcher: g.matcher,
        hooks: g.hooks.map((h) => [
          /--role=(\w+)/.exec(h.command)?.[1],
          h.command.endsWith("; . /ck/hooks/fast.sh") ? "fast" : "deno",
          h.timeout,
          h.async ?? false,
          h.asyncRewake ?? false,
        ]),
      })),
    ]),
  );
  assertEquals(summary, {
    SessionStart: [{ matcher: undefined, hooks: [["register", "deno", 30, false, false]] }],
    PreToolUse: [{ matcher: "*", hooks: [["register", "fast", 30, false, false]] }],
    PostToolUse: [{ matcher: "*", hooks: [["deliver", "fast", 30, false, false]] }],
    PostToolUseFailure: [{
      matcher: "*",
      hooks: [["deliver", "fast", 30, false, false], ["notice", "deno", 30, true, false]],
    }],
    UserPromptSubmit: [{ matcher: undefined, hooks: [["deliver", "fast", 30, false, false]] }],
    Stop: [{
      matcher: undefined,
      hooks: [["status", "deno", 45, false, false], ["wake", "deno", 660, true, true]],
    }],
    StopFailure: [{ matcher: undefined, hooks: [["notice", "deno", 30, false, false]] }],
    Notification: [{
      matcher: "permission_prompt|idle_prompt|elicitation_dialog",
      hooks: [["notice", "deno", 30, true, false]],
    }],
    SessionEnd: [{ matcher: undefined, hooks: [["end", "deno", 15, false, false]] }],
    PermissionRequest: [{ matcher: "*", hooks: [["permission", "deno", 150, false, false]] }],
  });
  const deliver = s.hooks.PostToolUse[0].hooks[0].command;
  assertEquals(
    deliver,
    "set -- deliver /h/state /usr/bin/deno run --no-prompt --no-lock " +
      "--quiet --no-config --no-code-cache --v8-flags=--jitless --allow-read=/h/state " +
      '--allow-write=/h/state --allow-read="${CLAUDE_CONFIG_DIR:-$HOME/.claude}/projects" ' +
      "/ck/hooks/deliver.bundle.js --role=deliver --home=/h/state --timeout=30 " +
      "--event=PostToolUse; . /ck/hooks/fast.sh",
  );
  assertEquals(s.enabledMcpjsonServers, ["discord"]);
  const off = buildSettings({ ...OPTS, wakeOnMessage: false });
  assertEquals(off.hooks.Stop[0].hooks.length, 1);
});

Deno.test("buildSettings: paths with spaces and quotes are quoted for sh", () => {
  assertEquals(shellQuote("/a b/it's"), `'/a b/it'\\''s'`);
  assertEquals(shellQuote("/plain/path-1.ts"), "/plain/path-1.ts");
  const s = buildSettings({ ...OPTS, home: "/h/my state" });
  assertMatch(s.hooks.PostToolUse[0].hooks[0].command, / '\/h\/my state' /);
  assertMatch(s.hooks.PostToolUse[0].hooks[0].command, /'--allow-read=\/h\/my state'/);
});

Deno.test("mcpConfig: the discord server runs mcp.ts with network only to the Discord host", () => {
  const m = mcpConfig(OPTS);
  assertEquals(m.mcpServers.discord, {
    type: "stdio",
    command: "/bin/sh",
    args: [
      "-c",
      MCP_PROJECT_READ,
      "claude-discord-mcp",
      "/usr/bin/deno",
      "run",
      "--no-prompt",
      "--quiet",
      "--config=/ck/deno.json",
      "--allow-net=discord.com",
      "--allow-read=/h/state",
      "--allow-write=/h/state",
      "--allow-env",
      "--allow-run=ps",
      "/ck/mcp.ts",
    ],
    env: { CLAUDE_DISCORD_HOME: "/h/state" },
  });
});

Deno.test("mcpConfig: --allow-read is the state directory and allowedFilePaths (as given and resolved)", async () => {
  await using dir = await tempDir("cd-settings-");
  const shared = dir.path;
  Deno.symlinkSync(shared, `${shared}/link`);
  const m = mcpConfig({ ...OPTS, allowedFilePaths: [`${shared}/link`, "/a,b", "/gone"] });
  const read = m.mcpServers.discord.args.filter((a) => a.startsWith("--allow-read"));
  // A comma cannot be said in Deno's list; a path not there yet stays as given.
  assertEquals(read, [`--allow-read=/h/state,${shared}/link,${shared},/gone`]);
});

Deno.test("mergeSettings: keeps everything else, replaces an older install, is idempotent", () => {
  const existing = {
    model: "opus",
    permissions: { allow: ["Bash(ls:*)"] },
    enabledMcpjsonServers: ["other"],
    hooks: {
      Stop: [{ hooks: [{ type: "command", command: "say done" }] }],
      PostToolUse: [{
        matcher: "*",
        hooks: [
          { type: "command", command: "/old/ck/hooks/hook.ts --role=deliver" },
          { type: "command", command: "prettier --write" },
        ],
      }],
      PreCompact: [{ hooks: [{ type: "command", command: "echo hi" }] }],
    },
  };
  const fragment = buildSettings(OPTS) as unknown as Record<string, unknown>;
  const once = mergeSettings(existing, fragment);
  const twice = mergeSettings(once, fragment);
  assertEquals(twice, once);
  const hooks = once.hooks as Record<string, { hooks: { command: string }[] }[]>;
  assertEquals(hooks.Stop[0].hooks[0].command, "say done");
  assertEquals(hooks.PostToolUse[0].hooks.map((h) => h.command), ["prettier --write"]);
  assert(!JSON.stringify(once).includes("/old/ck/"), "the older install is gone");
  assertEquals(hooks.PreCompact[0].hooks[0].command, "echo hi");
  assertEquals(once.model, "opus");
  // The user's rules stay; ours (one per MCP tool Claude may use without asking, and the Read of
  // the attachments folder) are added once.
  assertEquals(once.permissions, {
    allow: ["Bash(ls:*)", ...mcpToolRules({}), attachmentReadRule(OPTS.home)],
  });
  const moved = mergeSettings(once, buildSettings({ ...OPTS, home: "/elsewhere" }) as never);
  assertEquals(moved.permissions, {
    allow: ["Bash(ls:*)", ...mcpToolRules({}), "Read(//elsewhere/attachments/**)"],
  });
  assertEquals(once.enabledMcpjsonServers, ["other", "discord"]);
  assertEquals(existing.hooks.PostToolUse[0].hooks.length, 2, "input not modified");
});

Deno.test("permission rules: reply, react, edit and fetch without asking; send_file only on request, and a merge never takes it away", () => {
  const plain = buildSettings(OPTS);
  assertEquals(plain.permissions.allow, [
    "mcp__discord__reply",
    "mcp__discord__react",
    "mcp__discord__edit_message",
    "mcp__discord__fetch_messages",
    attachmentReadRule(OPTS.home),
  ]);
  const withFile = buildSettings({ ...OPTS, allowSendFile: true });
  assertEquals(withFile.permissions.allow.at(-2), "mcp__discord__send_file");
  const opted = mergeSettings({ permissions: { allow: ["Read"], deny: ["Bash(rm:*)"] } }, withFile);
  const again = mergeSettings(opted, plain as unknown as Record<string, unknown>);
  assertEquals(again.permissions, {
    allow: ["Read", "mcp__discord__send_file", ...mcpToolRules({}), attachmentReadRule(OPTS.home)],
    deny: ["Bash(rm:*)"],
  });
  assertEquals(mcpToolRules({ mcpName: "chat" })[0], "mcp__chat__reply");
});

Deno.test("mergeIntoFile: creates a missing file", async () => {
  await using h = await tempDir("cd-settings-");
  const path = `${h.path}/new/settings.json`;
  mergeIntoFile(path, { enabledMcpjsonServers: ["discord"] });
  assertEquals(JSON.parse(Deno.readTextFileSync(path)), { enabledMcpjsonServers: ["discord"] });
});
