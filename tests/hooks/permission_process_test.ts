// hooks: PermissionRequest answered from Discord, against the local Discord server, with the
// settings' exact command. The bridge's part (a click or reaction on the prompt lands in the
// mailbox `perm-<requestId>`, routed by the posts index) is played by appending the event
// the bridge writes; tests/e2e/hooks_e2e_test.ts runs the real bridge.
import { writeConfigFile } from "../../config.ts";
import { Inbox, type InboxEvent } from "../../inbox.ts";
import { PostIndex } from "../../posts.ts";
import { type DiscordServer, startDiscordServer } from "../../testing/mod.ts";
import type { Message } from "../../testing/mod.ts";
import { assert, assertEquals, assertMatch, waitFor } from "../_assert.ts";
import { message, nextId, tempDir } from "../_fixture.ts";
import { openPrompts, readCandidates } from "../../hooks/_perm_store.ts";
import { answerOf } from "../../hooks/_perm_text.ts";
import {
  additionalContext,
  bridgeFor,
  commandOf,
  configure,
  fixture,
  frameIds,
  hookLog,
  runHookCommand,
  settingsFor,
} from "./_helpers.ts";

const SID = "ac47cc7e-1a98-45b2-90f8-7ad3eb6ed547";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function setup(server: DiscordServer, home: string, timeout = 20): string {
  const settings = configure(home, { permissionTimeoutSeconds: timeout }, server);
  return commandOf(settings, "PermissionRequest", "permission");
}

async function promptMessage(server: DiscordServer): Promise<Message> {
  const end = Date.now() + 15_000;
  for (;;) {
    const found = server.state().messages.find((m) =>
      JSON.stringify(m.components ?? []).includes("cd:perm:")
    );
    if (found) return found;
    if (Date.now() > end) throw new Error("no permission prompt was posted");
    await sleep(50);
  }
}

/** The prompt once the bridge sent the hook's closing edit (its buttons gone). */
function closed(server: DiscordServer, prompt: Message): Promise<Message> {
  return waitFor(
    "the prompt's closing edit",
    () =>
      server.messages(prompt.channel_id).find((m) =>
        m.id === prompt.id && (m.components ?? []).length === 0
      ),
    15_000,
  );
}

function customIds(m: Message): string[] {
  return [...JSON.stringify(m.components).matchAll(/"custom_id":"([^"]+)"/g)].map((x) => x[1]);
}

function click(
  prompt: Message,
  choice: string,
  userId: string,
  name = "owner",
): InboxEvent {
  const id = customIds(prompt).find((c) => c.endsWith(`:${choice}`))!;
  return {
    id: nextId(),
    kind: "button",
    channelId: prompt.channel_id,
    threadId: prompt.channel_id,
    author: { id: userId, name },
    content: "",
    timestamp: new Date().toISOString(),
    attachments: [],
    customId: id,
    targetMessageId: prompt.id,
  };
}

function permMailbox(prompt: Message): string {
  return `perm-${customIds(prompt)[0].split(":")[2]}`;
}

function audit(home: string): Record<string, unknown>[] {
  const path = `${home}/audit.log`;
  assertEquals(Deno.statSync(path).mode! & 0o777, 0o600);
  return Deno.readTextFileSync(path).trim().split("\n").map((l) => JSON.parse(l));
}

Deno.test("permission: a button click by an allowlisted user allows; the prompt is edited, audited", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using h = await tempDir("cd-hooks-");
  const command = setup(server, h.path);
  await using _bridge = await bridgeFor(server, h.path);
  const run = runHookCommand(command, fixture("PermissionRequest", SID), {}, 60_000);
  const prompt = await promptMessage(server);
  assertEquals(prompt.author.id, server.botId, "posted as the bot");
  assertMatch(prompt.content, /Permission request/);
  assertMatch(prompt.content, /touch made\.txt/);
  assertEquals(customIds(prompt).map((c) => c.split(":").at(-1)), ["allow", "deny", "always"]);
  // It went into the session's own thread, and clicks on it route to the prompt's mailbox.
  const thread = server.state().threads.find((t) => t.id === prompt.channel_id);
  assertEquals(thread?.parent_id, server.forumId);
  // The bridge records the post in the index once Discord answered: the prompt may show first.
  await waitFor("the prompt in the posts index", () => new PostIndex(h.path).ownerOf(prompt.id));
  assertEquals(new PostIndex(h.path).ownerOf(prompt.id), permMailbox(prompt));

  // A stranger's click first: ignored. Then the owner's.
  const inbox = new Inbox(h.path);
  await inbox.append(permMailbox(prompt), [click(prompt, "allow", server.users.stranger.id)]);
  await sleep(300);
  await inbox.append(permMailbox(prompt), [click(prompt, "allow", server.ownerId)]);
  const r = await run;
  assertEquals(r.code, 0, r.stderr);
  assertEquals(JSON.parse(r.stdout), {
    hookSpecificOutput: { hookEventName: "PermissionRequest", decision: { behavior: "allow" } },
  });
  const edited = await closed(server, prompt);
  assertEquals(edited.components, []);
  assertMatch(edited.content, /\*\*Allowed\*\* by owner/);
  const [entry] = audit(h.path);
  assertEquals(entry.decision, "allow");
  assertEquals(entry.via, "button");
  assertEquals((entry.by as { id: string }).id, server.ownerId);
  assertMatch(String(entry.tool), /Bash: touch made\.txt/);
  assertMatch(hookLog(h.path), /is not on the allowlist/);
});

Deno.test("permission: a text reply `deny` denies, naming who; the message is still delivered, with a note", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using h = await tempDir("cd-hooks-");
  const command = setup(server, h.path);
  await using _bridge = await bridgeFor(server, h.path);
  const run = runHookCommand(command, fixture("PermissionRequest", SID), {}, 60_000);
  const prompt = await promptMessage(server);
  // The bridge writes thread messages to the session's own mailbox.
  const reply = message("deny", {
    id: nextId(),
    channelId: prompt.channel_id,
    threadId: prompt.channel_id,
    author: { id: server.ownerId, name: "owner" },
    replyTo: { messageId: prompt.id },
  });
  const chatter = message("unrelated chatter", {
    channelId: prompt.channel_id,
    threadId: prompt.channel_id,
    author: { id: server.ownerId, name: "owner" },
  });
  const inbox = new Inbox(h.path);
  await inbox.append(SID, [chatter, reply]);
  const r = await run;
  const decision = JSON.parse(r.stdout).hookSpecificOutput.decision;
  assertEquals(decision.behavior, "deny");
  assertMatch(
    decision.message,
    new RegExp(`Denied from Discord by owner \\(Discord user id ${server.ownerId}\\)`),
  );
  assertEquals(audit(h.path)[0].via, "text");
  // Nothing was taken from the session's mailbox; both arrive with the next tool call.
  assertEquals(await inbox.pending(SID), 2);
  const settings = settingsFor(h.path, { apiUrl: server.apiUrl, webhookUrl: server.webhookUrl });
  const delivered = await runHookCommand(
    commandOf(settings, "PostToolUse", "deliver"),
    fixture("PostToolUse", SID),
  );
  const text = additionalContext(delivered.stdout);
  assertMatch(text, /unrelated chatter/);
  assertMatch(text, /answered the permission request for Bash: touch made\.txt: denied/);
});

Deno.test("permission: `Allow for this session` allows with session-scoped rules from the suggestions", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using h = await tempDir("cd-hooks-");
  const command = setup(server, h.path);
  await using _bridge = await bridgeFor(server, h.path);
  const input = fixture("PermissionRequest", SID);
  input.permission_suggestions = [
    {
      type: "addRules",
      rules: [{ toolName: "Bash", ruleContent: "touch:*" }],
      behavior: "allow",
      destination: "localSettings",
    },
  ];
  const run = runHookCommand(command, input, {}, 60_000);
  const prompt = await promptMessage(server);
  await new Inbox(h.path).append(permMailbox(prompt), [click(prompt, "always", server.ownerId)]);
  const r = await run;
  assertEquals(JSON.parse(r.stdout).hookSpecificOutput.decision, {
    behavior: "allow",
    updatedPermissions: [{
      type: "addRules",
      rules: [{ toolName: "Bash", ruleContent: "touch:*" }],
      behavior: "allow",
      destination: "session",
    }],
  });
});

Deno.test("permission: no answer in time → no decision (terminal prompt), the prompt says so", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using h = await tempDir("cd-hooks-");
  const command = setup(server, h.path, 2);
  await using _bridge = await bridgeFor(server, h.path);
  const t0 = Date.now();
  const run = runHookCommand(command, fixture("PermissionRequest", SID), {}, 60_000);
  const prompt = await promptMessage(server);
  // A plain `allow` older than the prompt, and one from a stranger, do not count.
  await new Inbox(h.path).append(SID, [
    message("allow", { id: "1100000000000000001", channelId: prompt.channel_id }),
    message("allow", {
      channelId: prompt.channel_id,
      author: { id: server.users.stranger.id, name: "stranger" },
    }),
  ]);
  const r = await run;
  assertEquals([r.code, r.stdout], [0, ""]);
  assert(Date.now() - t0 < 15_000);
  const edited = await closed(server, prompt);
  assertEquals(edited.components, []);
  assertMatch(edited.content, /No answer within 2 s/);
  assertMatch(String(audit(h.path)[0].decision), /none/);
});

Deno.test("permission: nobody allowlisted, or Discord refusing the post → no prompt, no decision", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using h = await tempDir("cd-hooks-");
  const command = setup(server, h.path);
  await using _bridge = await bridgeFor(server, h.path);
  writeConfigFile(h.path, { allowedUsers: [] });
  const none = await runHookCommand(command, fixture("PermissionRequest", SID));
  assertEquals([none.code, none.stdout], [0, ""]);
  assertMatch(hookLog(h.path), /nobody is allowlisted/);
  writeConfigFile(h.path, { allowedUsers: [server.ownerId], channelId: "1100000000000000999" });
  writeConfigFile(h.path, { webhookUrl: undefined });
  const refused = await runHookCommand(command, fixture("PermissionRequest", SID));
  assertEquals([refused.code, refused.stdout], [0, ""]);
  assertMatch(hookLog(h.path), /prompt not posted \(Discord refused .*: 404/);
});

Deno.test("permission: a text answer races a delivery hook: either way it answers, and Claude sees it", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using h = await tempDir("cd-hooks-");
  const command = setup(server, h.path);
  await using _bridge = await bridgeFor(server, h.path);
  const run = runHookCommand(command, fixture("PermissionRequest", SID), {}, 60_000);
  const prompt = await promptMessage(server);
  const reply = message("allow", {
    channelId: prompt.channel_id,
    threadId: prompt.channel_id,
    author: { id: server.ownerId, name: "owner" },
    replyTo: { messageId: prompt.id },
  });
  const inbox = new Inbox(h.path);
  const settings = settingsFor(h.path, { apiUrl: server.apiUrl, webhookUrl: server.webhookUrl });
  // A parallel tool call's PostToolUse hook takes the reply right away.
  await inbox.append(SID, [reply]);
  const delivered = await runHookCommand(
    commandOf(settings, "PostToolUse", "deliver"),
    fixture("PostToolUse", SID),
  );
  const r = await run;
  assertEquals(JSON.parse(r.stdout).hookSpecificOutput.decision, { behavior: "allow" });
  assertEquals(frameIds(additionalContext(delivered.stdout)), [reply.id]);
});

Deno.test("permission: while a prompt is open, the delivery hook keeps text answers for it", async () => {
  await using h = await tempDir("cd-hooks-");
  const promptId = nextId();
  openPrompts(h.path, SID).add("r1", {
    messageId: promptId,
    until: Date.now() + 60_000,
    channelId: "1100000000000000077",
  });
  const reply = message("deny", {
    channelId: "1100000000000000077",
    threadId: "1100000000000000077",
    replyTo: { messageId: promptId },
  });
  const chatter = message("not an answer", { channelId: "1100000000000000077" });
  await new Inbox(h.path).append(SID, [chatter, reply]);
  const delivered = await runHookCommand(
    commandOf(settingsFor(h.path), "PostToolUse", "deliver"),
    fixture("PostToolUse", SID),
  );
  assertEquals(frameIds(additionalContext(delivered.stdout)), [chatter.id, reply.id]);
  const kept = readCandidates(h.path, SID);
  assertEquals(kept.map((e) => e.id), [reply.id]);
  const answer = answerOf(kept[0], {
    requestId: "r1",
    promptMessageId: promptId,
    channelId: "1100000000000000077",
    allowed: new Set(["1100000000000000003"]),
    plainTextAnswers: false,
  });
  assertEquals(typeof answer === "string" ? answer : answer.decision, "deny");
  // Settled: the prompt and its kept answers go away.
  openPrompts(h.path, SID).remove("r1");
  assertEquals(readCandidates(h.path, SID), []);
});

Deno.test("permission: `Allow for this session` with Claude Code's real suggestions adds one rule for the call, never its mode or directories", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using h = await tempDir("cd-hooks-");
  const command = setup(server, h.path);
  await using _bridge = await bridgeFor(server, h.path);
  // The fixture's suggestions are what Claude Code sends for `touch`: addDirectories, setMode.
  const input = fixture("PermissionRequest", SID);
  const run = runHookCommand(command, input, { CLAUDE_CODE_ENTRYPOINT: "cli" }, 60_000);
  const prompt = await promptMessage(server);
  assertMatch(
    prompt.content,
    /\*\*Allow for this session\*\* adds the rule `Bash\(touch made\.txt\)` until the session ends/,
  );
  await new Inbox(h.path).append(permMailbox(prompt), [click(prompt, "always", server.ownerId)]);
  const r = await run;
  assertEquals(JSON.parse(r.stdout).hookSpecificOutput.decision, {
    behavior: "allow",
    updatedPermissions: [{
      type: "addRules",
      rules: [{ toolName: "Bash", ruleContent: "touch made.txt" }],
      behavior: "allow",
      destination: "session",
    }],
  });
  const edited = await closed(server, prompt);
  assertMatch(
    edited.content,
    /\*\*Allowed for this session\*\* by owner \(<@\d+>\): rule `Bash\(touch made\.txt\)` added/,
  );
  assertEquals(audit(h.path)[0].rules, ["Bash(touch made.txt)"]);
});

Deno.test("permission: a call no rule names exactly gets no session button; a text `always` allows it once", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using h = await tempDir("cd-hooks-");
  const command = setup(server, h.path);
  await using _bridge = await bridgeFor(server, h.path);
  const input = fixture("PermissionRequest", SID);
  input.tool_input = { command: "rm *.tmp", description: "Clean up" };
  const run = runHookCommand(command, input, {}, 60_000);
  const prompt = await promptMessage(server);
  assertEquals(customIds(prompt).map((c) => c.split(":").at(-1)), ["allow", "deny"]);
  assert(!prompt.content.includes("Allow for this session"), prompt.content);
  await new Inbox(h.path).append(SID, [
    message("always", {
      channelId: prompt.channel_id,
      threadId: prompt.channel_id,
      author: { id: server.ownerId, name: "owner" },
      replyTo: { messageId: prompt.id },
    }),
  ]);
  const r = await run;
  assertEquals(JSON.parse(r.stdout).hookSpecificOutput.decision, { behavior: "allow" });
  const edited = await closed(server, prompt);
  assertMatch(edited.content, /this call only: no rule names it exactly/);
});

Deno.test("permission: under `claude -p` the prompt says an unanswered request is refused, and so does its close", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using h = await tempDir("cd-hooks-");
  const command = setup(server, h.path, 2);
  await using _bridge = await bridgeFor(server, h.path);
  const env = { CLAUDE_CODE_ENTRYPOINT: "sdk-cli" };
  const run = runHookCommand(command, fixture("PermissionRequest", SID), env, 60_000);
  const prompt = await promptMessage(server);
  assertMatch(prompt.content, /No answer here within 2 s: the tool call is refused/);
  assert(!/terminal prompt/.test(prompt.content), prompt.content);
  const r = await run;
  assertEquals([r.code, r.stdout], [0, ""]);
  const edited = await closed(server, prompt);
  assertMatch(edited.content, /\*\*No answer within 2 s\*\*: the tool call was refused\./);
  assertMatch(String(audit(h.path)[0].decision), /none \(timeout: claude -p refuses the call\)/);
});

Deno.test("permission: while the Discord prompt is open, Claude Code's permission notification posts no second notice", async () => {
  await using server = await startDiscordServer({ port: 0 });
  await using h = await tempDir("cd-hooks-");
  const settings = configure(h.path, { permissionTimeoutSeconds: 20 }, server);
  await using _bridge = await bridgeFor(server, h.path);
  const env = { CLAUDE_CODE_ENTRYPOINT: "cli" };
  const notify = () =>
    runHookCommand(
      commandOf(settings, "Notification", "notice"),
      fixture("Notification", SID),
      env,
    );
  const run = runHookCommand(
    commandOf(settings, "PermissionRequest", "permission"),
    fixture("PermissionRequest", SID),
    env,
    60_000,
  );
  const prompt = await promptMessage(server);
  assertMatch(prompt.content, /The same question is open in the terminal/);
  const notices = () =>
    server.state().messages.filter((m) =>
      JSON.stringify(m.embeds ?? []).includes("Waiting for a permission answer")
    ).length;
  assertEquals((await notify()).code, 0);
  assertEquals(notices(), 0);
  assertMatch(hookLog(h.path), /Discord prompt for this request is open; no second notice/);
  await new Inbox(h.path).append(permMailbox(prompt), [click(prompt, "allow", server.ownerId)]);
  assertEquals(JSON.parse((await run).stdout).hookSpecificOutput.decision, { behavior: "allow" });
  // With no Discord prompt open, the terminal waits alone: the notice says so.
  await notify();
  assertEquals(notices(), 1);
});
