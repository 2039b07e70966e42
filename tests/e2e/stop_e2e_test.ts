// End to end with the REAL Claude Code CLI: Stop from Discord. The project's settings come from
// `setup.ts --print`; the hooks start the real bridge against the local Discord server; a scripted
// Anthropic API plays a model that runs 6 tool steps.
//
// - claude -p: the owner's click on the session's Stop button after step 2 blocks step 3 and ends
//   the turn (no further tool call, no further model request); a stranger's click before it does
//   nothing.
// - claude -p: a Discord permission prompt open when the owner clicks Stop is denied and the run
//   ends.
// - interactive (tmux): the same stop after step 2; the session then takes a new prompt, and a
//   Discord message sent after the stop reaches it with that prompt.
//
// The Stop button is the card's (`cd:stop:<session>`, stop.ts). The card is posted by the bridge
// from the card work; here the test posts a bot message carrying the same button.
import { writeConfigFile } from "../../config.ts";
import { stopBridge } from "../../daemon.ts";
import { type SessionRecord, SessionRegistry } from "../../sessions.ts";
import { readStop, stopCustomId } from "../../stop.ts";
import { ButtonStyle, ComponentType } from "../../_discord/numbers.ts";
import { DiscordRest } from "../../_discord/rest.ts";
import {
  type AnthropicScript,
  type AnthropicServer,
  countToolResults,
  type MessagesRequest,
  requestText,
  startAnthropicServer,
  text,
  toolUse,
} from "../../testing/anthropic.ts";
import { type DiscordServer, startDiscordServer } from "../../testing/mod.ts";
import { assert, assertEquals, assertMatch, waitFor } from "../_assert.ts";
import { ROOT } from "../_fixture.ts";
import { type ClaudeSandbox, createClaudeSandbox } from "./_claude.ts";
import { claudeForTests } from "./_helpers.ts";

const cli = await claudeForTests(import.meta.url);
const ignore = cli.ignore;

interface World extends AsyncDisposable {
  discord: DiscordServer;
  api: AnthropicServer;
  box: ClaudeSandbox;
  home: string;
  session(): Promise<SessionRecord>;
  bridgeConnected(): Promise<void>;
  hookLog(): string;
}

async function world(script: AnthropicScript): Promise<World> {
  await using stack = new AsyncDisposableStack();
  const discord = stack.use(await startDiscordServer({ port: 0 }));
  const api = stack.use(await startAnthropicServer({ script }));
  const box = stack.use(
    await createClaudeSandbox(cli.path, {
      apiUrl: api.url,
    }),
  );
  const home = `${box.root}/discord-state`;
  writeConfigFile(home, {
    token: discord.token,
    channelId: discord.channelId,
    webhookUrl: discord.webhookUrl,
    apiUrl: discord.apiUrl,
    allowedUsers: [discord.ownerId],
    permissionTimeoutSeconds: 60,
  });
  const printed = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", `${ROOT}/setup.ts`, "--print"],
    env: { CLAUDE_DISCORD_HOME: home },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!printed.success) throw new Error(new TextDecoder().decode(printed.stderr));
  const settings = JSON.parse(new TextDecoder().decode(printed.stdout));
  // The steps leave a file each: the files tell which tool calls ran.
  settings.permissions.allow.push("Bash(touch:*)");
  await box.writeSettings(settings);
  stack.defer(() => stopBridge(home).then(() => {}, () => {}));
  const registry = new SessionRegistry(home, { isAlive: () => true });
  const owned = stack.move();
  return {
    discord,
    api,
    box,
    home,
    session: () =>
      waitFor("the SessionStart hook to register the session", () => registry.list()[0], 20_000),
    bridgeConnected: () =>
      waitFor("the bridge to connect", () => {
        try {
          return JSON.parse(Deno.readTextFileSync(`${home}/bridge/status.json`)).state ===
            "connected";
        } catch {
          return false;
        }
      }, 30_000).then(() => {}),
    hookLog: () => {
      try {
        return Deno.readTextFileSync(`${home}/hooks.log`);
      } catch {
        return "";
      }
    },
    [Symbol.asyncDispose]: () => owned.disposeAsync(),
  };
}

/** The model: `touch step-N` for N = 1…6, then "ALL-STEPS-DONE". */
function sixSteps(request: MessagesRequest): ReturnType<typeof text> {
  const done = countToolResults(request);
  return done < 6
    ? toolUse("Bash", { command: `touch step-${done + 1}`, description: `Step ${done + 1}` })
    : text("ALL-STEPS-DONE");
}

/** The steps that ran (each leaves its file in the project). */
function stepsRun(w: World): string[] {
  return [...Deno.readDirSync(w.box.project)].map((e) => e.name).filter((n) =>
    n.startsWith("step-")
  )
    .sort();
}

/** Posts, as the bot, a message with the session's Stop button (what the card carries). */
async function stopButton(w: World, sessionId: string): Promise<string> {
  const rest = new DiscordRest({ token: w.discord.token, apiUrl: w.discord.apiUrl });
  const card = await rest.createMessage(w.discord.channelId, {
    content: "session card",
    components: [{
      type: ComponentType.ActionRow,
      components: [{
        type: ComponentType.Button,
        style: ButtonStyle.Danger,
        label: "Stop",
        custom_id: stopCustomId(sessionId),
      }],
    }],
  });
  return card.id;
}

/** Clicks the Stop button; resolves once the bridge answered (the marker is written by then). */
async function clickStop(w: World, card: string, sessionId: string, userId: string) {
  const click = await w.discord.clickButton({
    messageId: card,
    customId: stopCustomId(sessionId),
    userId,
  });
  assert(await click.answered, "the bridge answered the click within 3 s");
  const record = await waitFor(
    "the click's answer",
    () => {
      const r = w.discord.interaction(click.interactionId);
      return r?.messages.some((m) => m.content !== "") ? r : undefined;
    },
    5000,
  );
  return record.messages.map((m) => m.content).join("\n");
}

function audit(home: string): Record<string, unknown>[] {
  return Deno.readTextFileSync(`${home}/audit.log`).trim().split("\n").map((l) => JSON.parse(l));
}

Deno.test({
  name:
    "e2e claude -p: the owner's Stop click after step 2 of 6 blocks step 3 and ends the turn; a stranger's click before it does nothing",
  ignore,
  async fn() {
    let w: World | undefined = undefined;
    let card = "";
    const clicks: { by: string; answer: string; at: number }[] = [];
    await using world_ = await world(async (request) => {
      const done = countToolResults(request);
      if (done === 1 || done === 2) {
        await w!.bridgeConnected();
        const session = await w!.session();
        card ||= await stopButton(w!, session.id);
        const userId = done === 1 ? w!.discord.users.stranger.id : w!.discord.ownerId;
        const at = Date.now();
        clicks.push({
          by: done === 1 ? "stranger" : "owner",
          at,
          answer: await clickStop(w!, card, session.id, userId),
        });
      }
      return sixSteps(request);
    });
    w = world_;
    const run = await w.box.print("run the six steps", { timeoutMs: 120_000 });
    assertEquals(run.code, 0, `${run.stderr}\n${run.stdout}\n${w.hookLog()}`);
    assertEquals(clicks.map((c) => c.by), ["stranger", "owner"]);
    assertMatch(clicks[0].answer, /^Not allowed/);
    assertMatch(clicks[1].answer, /Stopping \*\*project-/);
    // Steps 1 and 2 ran, the stranger's click changed nothing; step 3 was asked for and blocked,
    // and the turn ended there: no step ran after the click, no model request followed.
    assertEquals(stepsRun(w), ["step-1", "step-2"]);
    assertEquals(w.api.messageRequests().length, 3);
    assert(run.json?.result !== "ALL-STEPS-DONE", run.stdout);
    assertMatch(w.hookLog(), /PreToolUse [0-9a-f]{8}: Bash blocked: Stopped from Discord by owner/);
    const session = await w.session();
    const lines = audit(w.home).map((a) => [a.decision, a.session, (a.by as { id: string }).id]);
    assertEquals(lines, [
      ["stop", session.id, w.discord.ownerId],
      ["stop applied", session.id, w.discord.ownerId],
    ]);
    // SessionEnd (claude -p exits) ends the stop.
    await waitFor("SessionEnd", () => readStop(w!.home, session.id) === undefined, 20_000);
    if (Deno.env.get("E2E_DEBUG")) {
      const blocked = /^(\S+) \S+ PreToolUse [0-9a-f]{8}: Bash blocked/m.exec(w.hookLog())?.[1];
      console.log(
        `stop: click → step 3 blocked ${Date.parse(blocked ?? "") - clicks[1].at} ms; ` +
          `run ${run.ms} ms`,
      );
    }
  },
});

Deno.test({
  name:
    "e2e claude -p: a Discord permission prompt open when the owner clicks Stop is denied (the prompt says who stopped it) and the run ends",
  ignore,
  async fn() {
    await using w = await world((request) =>
      countToolResults(request) === 0
        ? toolUse("Bash", { command: "mkdir made", description: "Make a directory" })
        : text("AFTER-THE-PROMPT")
    );
    const run = w.box.print("make the directory", { timeoutMs: 120_000 });
    const prompt = await waitFor(
      "the permission prompt",
      () =>
        w.discord.state().messages.find((m) =>
          JSON.stringify(m.components ?? []).includes("cd:perm:")
        ),
      60_000,
    );
    await w.bridgeConnected();
    const session = await w.session();
    const card = await stopButton(w, session.id);
    assertMatch(await clickStop(w, card, session.id, w.discord.ownerId), /Stopping/);
    const result = await run;
    // Claude Code ends a run whose PermissionRequest denies with `interrupt`: exit 1, no result.
    assertEquals([result.code, result.json?.subtype], [1, "error_during_execution"]);
    assertEquals(w.api.messageRequests().length, 1, "no request after the denial");
    assert(!(await Deno.stat(`${w.box.project}/made`).then(() => true, () => false)));
    const closed = await waitFor(
      "the prompt's closing edit",
      () =>
        w.discord.messages(prompt.channel_id).find((m) =>
          m.id === prompt.id && (m.components ?? []).length === 0
        ),
      20_000,
    );
    assertMatch(closed.content, /\*\*Denied\*\*: the session was stopped from Discord by owner/);
  },
});

Deno.test({
  name:
    "e2e interactive (tmux): the owner's Stop click after step 2 of 6 ends the turn; the session then takes a new prompt, with a Discord message sent after the stop",
  ignore,
  async fn() {
    let w: World | undefined = undefined;
    let stopped = false;
    await using world_ = await world(async (request) => {
      if (requestText(request).includes("AGAIN-PLEASE")) return text("SECOND-TURN-OK");
      if (countToolResults(request) === 2 && !stopped) {
        stopped = true;
        await w!.bridgeConnected();
        const session = await w!.session();
        const card = await stopButton(w!, session.id);
        assertMatch(await clickStop(w!, card, session.id, w!.discord.ownerId), /Stopping/);
      }
      return sixSteps(request);
    });
    w = world_;
    await using tmux = await w.box.interactive();
    await tmux.waitFor(/❯/, 30_000);
    await tmux.submit("run the six steps");
    await tmux.waitFor(/Stopped from Discord by owner/, 60_000);
    assertEquals(w.api.messageRequests().length, 3, "no model request after the stop");
    assertEquals(stepsRun(w), ["step-1", "step-2"]);
    const session = await w.session();
    // A message after the stop reaches the session as usual: with its next prompt.
    await w.discord.postAsUser({
      channelId: w.discord.channelId,
      userId: w.discord.ownerId,
      content: "AFTER-STOP-MARK-5 and then check the logs",
    });
    await waitFor("the mailbox", () => {
      try {
        return Deno.readTextFileSync(`${w!.home}/inbox/${session.id}.jsonl`).includes(
          "AFTER-STOP-MARK-5",
        );
      } catch {
        return false;
      }
    }, 15_000);
    await tmux.submit("AGAIN-PLEASE");
    await tmux.waitFor(/SECOND-TURN-OK/, 60_000);
    const again = w.api.messageRequests().find((r) => requestText(r).includes("AGAIN-PLEASE"))!;
    assertMatch(requestText(again), /AFTER-STOP-MARK-5 and then check the logs/);
    assertEquals(readStop(w.home, session.id), undefined, "the new turn ended the stop");
    await tmux.submit("/exit");
    await waitFor("the CLI to exit", async () => !(await tmux.alive()), 20_000);
  },
});
