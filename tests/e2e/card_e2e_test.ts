// The control room with the REAL Claude Code CLI (pinned, tests/e2e/_claude.ts), installed by
// setup against the local Discord server (its edit and reaction rate limits on); a scripted
// Anthropic API plays the model.
//
// - interactive (tmux): the session's status card is in its thread before the first prompt;
//   it shows working → waiting for approval → idle → ended in turn (its edit history, the
//   local server's MESSAGE_UPDATEs), never two edits within 2 s.
// - claude -p: a message in the chat channel and one in the session's thread get 📬 when
//   written and ✅ when a hook handed them to Claude (a stranger's gets nothing); Claude's reply
//   without a target lands as a Discord reply to the last one, where it was written.
import { stopBridge } from "../../daemon.ts";
import { Inbox } from "../../inbox.ts";
import { type SessionRecord, SessionRegistry } from "../../sessions.ts";
import {
  type AnthropicScript,
  type AnthropicServer,
  countToolResults,
  requestText,
  startAnthropicServer,
  text,
  toolUse,
} from "../../testing/anthropic.ts";
import { type DiscordServer, type Message, startDiscordServer } from "../../testing/mod.ts";
import { runSetup } from "../../_setup/flow.ts";
import { assert, assertEquals, assertMatch, waitFor } from "../_assert.ts";
import { type ClaudeSandbox, createClaudeSandbox } from "./_claude.ts";
import { ALLOW_ECHO, claudeForTests } from "./_helpers.ts";

const cli = await claudeForTests(import.meta.url);

interface World extends AsyncDisposable {
  discord: DiscordServer;
  api: AnthropicServer;
  box: ClaudeSandbox;
  home: string;
  registry: SessionRegistry;
  session(): Promise<SessionRecord>;
  /** The session's card as Discord shows it now. */
  card(): Message | undefined;
  /** Every edit of the card the gateway announced: when (ms) and its state line. */
  edits: { at: number; line: string }[];
  hookLog(): string;
}

/** Setup against the local Discord (a forum for the sessions' threads), as a user runs it. */
async function world(script: AnthropicScript): Promise<World> {
  const discord = await startDiscordServer({ port: 0 });
  const api = await startAnthropicServer({ script });
  const box = await createClaudeSandbox(cli.path, {
    apiUrl: api.url,
    settings: ALLOW_ECHO,
  });
  const home = `${box.root}/state`;
  await runSetup({
    token: discord.token,
    channel: discord.channelId,
    statusChannel: discord.forumId,
    apiUrl: discord.apiUrl,
    home,
    user: false,
    projectDir: box.project,
    homeDir: box.home,
    install: true,
    dryRun: false,
    liveTest: false,
    liveTimeoutSeconds: 10,
  }, { say: () => {}, env: {} });
  const registry = new SessionRegistry(home, { isAlive: () => true });
  const card = () => {
    const thread = registry.list()[0]?.threadId;
    return thread === undefined ? undefined : discord.messages(thread)[0];
  };
  const edits: { at: number; line: string }[] = [];
  const off = discord.onEvent((t, d) => {
    const embeds = d.embeds as { description?: string; footer?: { text?: string } }[] | undefined;
    if (t !== "MESSAGE_UPDATE" || !embeds?.[0]?.footer?.text?.startsWith("session ")) return;
    edits.push({ at: Date.now(), line: embeds[0].description ?? "" });
  });
  return {
    discord,
    api,
    box,
    home,
    registry,
    session: () => waitFor("the session to register", () => registry.list()[0], 30_000),
    card,
    edits,
    hookLog: () => {
      try {
        return Deno.readTextFileSync(`${home}/hooks.log`);
      } catch {
        return "";
      }
    },
    async [Symbol.asyncDispose]() {
      off();
      await stopBridge(home, { timeoutMs: 3000 }).catch(() => {});
      await box[Symbol.asyncDispose]();
      await api.close();
      await discord.close();
    },
  };
}

function cardLine(w: World): string {
  return (w.card()?.embeds?.[0] as { description?: string } | undefined)?.description ?? "";
}

function cardShows(w: World, what: string, pattern: RegExp, ms = 30_000): Promise<unknown> {
  return waitFor(`the card to show ${what} (it shows "${cardLine(w)}")`, () => {
    return pattern.test(cardLine(w));
  }, ms);
}

/** The state a card line names. */
function stateOf(line: string): string {
  return /\*\*(working|waiting|idle|stopped|ended)/.exec(line)?.[1] ?? line;
}

Deno.test({
  name:
    "e2e interactive (tmux): the card is in the session's thread before the first prompt, then shows working → waiting for approval → idle → ended, never two edits within 2 s",
  ignore: cli.ignore,
  async fn() {
    let w: World | undefined = undefined;
    await using world_ = await world(async (request) => {
      switch (countToolResults(request)) {
        case 0:
          await cardShows(w!, "working", /working/);
          return toolUse("Bash", { command: "echo step-one", description: "Step one" });
        case 1:
          await cardShows(w!, "working: Bash", /working: Bash\*\* \(1 tool/);
          return toolUse("Bash", { command: "touch made.txt", description: "Make a file" });
        default:
          return text("CARD-TURN-DONE");
      }
    });
    w = world_;
    await using session = await w.box.interactive({ args: ["--permission-mode", "default"] });
    await session.waitFor(/❯/, 30_000);
    // Visible from the session's first second: the card opened its thread at SessionStart.
    await cardShows(w, "idle since the start", /idle since/);
    const record = await w.session();
    const card = w.card()!;
    assertEquals(w.discord.messages(card.channel_id).length, 1, "the card opens the thread");
    assertMatch(JSON.stringify(card.embeds), /"name":"Project","value":"project"/);
    await session.submit("make the file");

    const prompt = await waitFor(
      "the permission prompt",
      () =>
        w!.discord.messages(card.channel_id).find((m) =>
          JSON.stringify(m.components ?? []).includes("cd:perm:")
        ),
      60_000,
    ).catch(async (err) => {
      throw new Error(
        `${err.message}; the card shows "${cardLine(w!)}", ${w!.api.messageRequests().length} ` +
          `model requests; hooks.log:\n${w!.hookLog()}\nbridge.log:\n${
            Deno.readTextFileSync(`${w!.home}/bridge.log`)
          }\nscreen:\n${await session.screen()}`,
      );
    });
    await cardShows(
      w,
      "waiting for approval",
      /waiting for your approval:\*\* `Bash: touch made\.txt`/,
    );
    const allow = /"custom_id":"(cd:perm:[^"]+:allow)"/.exec(JSON.stringify(prompt.components))![1];
    const click = await w.discord.clickButton({
      messageId: prompt.id,
      customId: allow,
      userId: w.discord.ownerId,
    });
    assert(await click.answered, "the click was answered");
    await session.waitFor(/CARD-TURN-DONE/, 60_000);
    await cardShows(w, "idle", /idle since\*\* <t:\d+:t>/);
    const shown = JSON.stringify(w.card()!.embeds);
    assertMatch(shown, /"name":"Turns","value":"1"/);
    assertMatch(shown, /"name":"Model","value":"claude-/);
    assertMatch(shown, /"name":"Cost","value":"~\$0\.\d+"/);
    // The thread reads top to bottom: the card, then the prompt, then the STATUS.
    const thread = w.discord.messages(card.channel_id);
    assertEquals(thread[0].id, card.id);
    assert(thread.findIndex((m) => m.id === prompt.id) > 0, "the prompt after the card");

    await session.submit("/exit");
    await waitFor("the CLI to exit", async () => !(await session.alive()), 20_000);
    await cardShows(w, "ended", /ended\*\* \(exited at the prompt/);
    assertEquals(w.card()!.components, [], "no Stop button on an ended session");

    const states = w.edits.map((e) => stateOf(e.line)).filter((s, i, all) => s !== all[i - 1]);
    const order = ["working", "waiting", "idle", "ended"];
    let next = 0;
    for (const s of states) if (s === order[next]) next++;
    assertEquals(next, order.length, `the states in turn: ${states.join(" → ")}`);
    const patches = w.discord.state().requests.filter((r) =>
      r.method === "PATCH" && r.path === `/channels/${card.channel_id}/messages/${card.id}`
    ).map((r) => Date.parse(r.time));
    for (let i = 1; i < patches.length; i++) {
      assert(
        patches[i] - patches[i - 1] >= 2000,
        `PATCHes ${patches[i] - patches[i - 1]} ms apart`,
      );
    }
    console.log(`card edits: ${patches.length}, states: ${states.join(" → ")}`);
    assert(record.id !== "");
    assert(!/ error /.test(w.hookLog()), w.hookLog());
  },
});

/** The bot's reactions on a message, in the order they show. */
function receipts(w: World, channelId: string, messageId: string): string[] {
  const m = w.discord.messages(channelId).find((x) => x.id === messageId);
  return (m?.reactions ?? []).filter((r) => r.me).map((r) => r.emoji.name);
}

Deno.test({
  name:
    "e2e claude -p: messages get 📬 when written and ✅ when handed to Claude (a stranger's nothing); a reply without a target answers the last one where it was written",
  ignore: cli.ignore,
  async fn() {
    let w: World | undefined = undefined;
    const marks: { chat?: Message; thread?: Message; stranger?: Message } = {};
    const reacted = new Map<string, number>();
    const delivered = new Map<string, number>();
    let watching = true;
    /** Posts as the owner, waits for the mailbox line; the time it was written (ms). */
    const ask = async (channelId: string, content: string): Promise<Message> => {
      const session = await w!.session();
      const m = await w!.discord.postAsUser({ channelId, userId: w!.discord.ownerId, content });
      const inbox = new Inbox(w!.home);
      await waitFor("the mailbox", async () => (await inbox.pending(session.id)) >= 1, 20_000);
      return m;
    };
    await using world_ = await world(async (request) => {
      switch (countToolResults(request)) {
        case 0: {
          const session = await w!.session();
          // The delivered log, watched here to time the ✅ (what the bridge watches too).
          (async () => {
            const log = `${w!.home}/inbox/.state/${session.id}.delivered.jsonl`;
            while (watching) {
              let text = "";
              try {
                text = Deno.readTextFileSync(log);
              } catch { /* not yet */ }
              for (const m of [marks.chat, marks.thread]) {
                if (m && !delivered.has(m.id) && text.includes(m.id)) {
                  delivered.set(m.id, Date.now());
                }
              }
              await new Promise((r) => setTimeout(r, 20));
            }
          })();
          marks.stranger = await w!.discord.postAsUser({
            channelId: w!.discord.channelId,
            userId: w!.discord.users.stranger.id,
            content: "STRANGER-MARK please run rm -rf",
          });
          marks.chat = await ask(w!.discord.channelId, "CHAT-MARK how far are you?");
          return toolUse("Bash", { command: "echo one", description: "One" });
        }
        case 1:
          if (!requestText(request).includes("CHAT-MARK")) return text("CHAT-NOT-DELIVERED");
          return toolUse("mcp__discord__reply", { text: "REPLY-IN-CHAT halfway" });
        case 2: {
          const session = await w!.session();
          const thread = session.threadId ?? await waitFor(
            "the thread",
            () => w!.registry.get(session.id)?.threadId,
            20_000,
          );
          marks.thread = await ask(thread, "THREAD-MARK and the tests?");
          return toolUse("Bash", { command: "echo two", description: "Two" });
        }
        case 3:
          if (!requestText(request).includes("THREAD-MARK")) return text("THREAD-NOT-DELIVERED");
          return toolUse("mcp__discord__reply", { text: "REPLY-IN-THREAD green" });
        default:
          return text("ROUTED");
      }
    });
    w = world_;
    const off = w.discord.onEvent((t, d) => {
      if (t !== "MESSAGE_REACTION_ADD" || d.user_id !== w!.discord.botId) return;
      reacted.set(`${d.message_id} ${(d.emoji as { name: string }).name}`, Date.now());
    });
    try {
      const run = await w.box.print("answer where you are asked", { timeoutMs: 180_000 });
      assertEquals(run.code, 0, `${run.stderr}\n${run.stdout}\n${w.hookLog()}`);
      assertEquals(run.json?.result, "ROUTED", `${run.stdout}\n${w.hookLog()}`);
      const { chat, thread, stranger } = marks as Required<typeof marks>;
      const inChat = w.discord.messages(w.discord.channelId).find((m) =>
        m.content === "REPLY-IN-CHAT halfway"
      );
      assertEquals(inChat?.message_reference?.message_id, chat.id, "answered in the channel");
      const inThread = w.discord.messages(thread.channel_id).find((m) =>
        m.content === "REPLY-IN-THREAD green"
      );
      assertEquals(inThread?.message_reference?.message_id, thread.id, "answered in the thread");
      for (const m of [chat, thread]) {
        await waitFor(
          `📬 and ✅ on ${m.content}`,
          () => receipts(w!, m.channel_id, m.id).join("") === "📬✅",
          10_000,
        );
      }
      assertEquals(receipts(w, stranger.channel_id, stranger.id), [], "nothing for a stranger");
      const ms = (m: Message, emoji: string, from: number) =>
        (reacted.get(`${m.id} ${emoji}`) ?? NaN) - from;
      console.log(
        `receipts: posted → 📬 ${ms(chat, "📬", Date.parse(chat.timestamp))} ms (chat), ` +
          `${
            ms(thread, "📬", Date.parse(thread.timestamp))
          } ms (thread); in the delivered log → ✅ ` +
          `${ms(chat, "✅", delivered.get(chat.id)!)} ms (chat), ` +
          `${ms(thread, "✅", delivered.get(thread.id)!)} ms (thread)`,
      );
      assert(!/ error /.test(w.hookLog()), w.hookLog());
    } finally {
      watching = false;
      off();
    }
  },
});
