// End to end with the REAL Claude Code CLI (pinned, tests/e2e/_claude.ts): a delivery hook
// killed after it printed and committed. The hooks are the settings' own commands
// (SessionStart registers the session and its transcript; PostToolUse delivers), run by
// `claude -p` against a scripted model; one PostToolUse run is wrapped to misbehave once:
//
// - stopped by Claude Code at the hook's timeout: Claude Code drops its output, the next hook
//   finds the delivery missing from the transcript and shows it again;
// - killed by `kill -9` once its Deno process printed and exited: Claude Code 2.1.330 takes what
//   it printed, the next hook finds it in the transcript and shows nothing again.
//
// Either way the model sees the message exactly once, and the transcript holds it once.
import { Inbox } from "../../inbox.ts";
import { buildSettings } from "../../settings.ts";
import {
  type AnthropicServer,
  countToolResults,
  type MessagesRequest,
  requestText,
  startAnthropicServer,
  text,
  toolUse,
} from "../../testing/anthropic.ts";
import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { message, ROOT } from "../_fixture.ts";
import { type ClaudeSandbox, createClaudeSandbox } from "./_claude.ts";
import { ALLOW_ECHO, claudeForTests } from "./_helpers.ts";

const cli = await claudeForTests(import.meta.url);

/** Seconds Claude Code gives the misbehaving hook before it stops it. */
const FAULT_TIMEOUT_S = 10;

interface Run {
  api: AnthropicServer;
  box: ClaudeSandbox;
  /** CLAUDE_DISCORD_HOME. */
  home: string;
  /** The id of the message delivered by the misbehaving hook. */
  id: string;
  /** Every request of the run. */
  requests: MessagesRequest[];
  /** The hook log. */
  log: string;
  /** The session's transcript. */
  transcript: string;
  /** Whether the mailbox was committed when the model answered the misbehaving call. */
  committed: boolean;
}

/**
 * One `claude -p` run: the model calls Bash twice, then answers. Before it asks for the first
 * call, one Discord message waits in the mailbox, and the first PostToolUse hook is `fault`.
 */
async function run(fault: (command: string) => string): Promise<Run & AsyncDisposable> {
  await using stack = new AsyncDisposableStack();
  let home = "";
  let sid = "";
  let committed = false;
  const event = message("DELIVERY-MARK-4 please look at the logs");
  const api = stack.use(
    await startAnthropicServer({
      script: async (request) => {
        const calls = countToolResults(request);
        if (calls === 0) {
          // Registered by the SessionStart hook, with its transcript.
          sid = [...Deno.readDirSync(`${home}/sessions`)]
            .find((e) => e.name.endsWith(".json"))!.name.replace(/\.json$/, "");
          await new Inbox(home).append(sid, [event]);
          Deno.writeTextFileSync(`${box.root}/fault`, "");
          return toolUse("Bash", { command: "echo one", description: "First" });
        }
        if (calls === 1) {
          committed = await new Inbox(home).pending(sid) === 0;
          return toolUse("Bash", { command: "echo two", description: "Second" });
        }
        return text("Done.");
      },
    }),
  );
  const box: ClaudeSandbox = stack.use(
    await createClaudeSandbox(cli.path, {
      apiUrl: api.url,
    }),
  );
  home = `${box.root}/discord-state`;
  const settings = buildSettings({ home, root: ROOT, denoPath: Deno.execPath() });
  const deliver = settings.hooks.PostToolUse[0].hooks[0];
  const flag = `${box.root}/fault`;
  await box.writeSettings({
    ...ALLOW_ECHO,
    hooks: {
      SessionStart: settings.hooks.SessionStart,
      PostToolUse: [{
        matcher: "*",
        hooks: [{
          ...deliver,
          // Once (while the flag file is there): the misbehaving hook; then the real one.
          command: `if [ -e '${flag}' ]; then rm -f '${flag}'; ${
            fault(deliver.command)
          }; else ${deliver.command}; fi`,
          timeout: FAULT_TIMEOUT_S,
        }],
      }],
    },
  });
  const result = await box.print("check the logs", { timeoutMs: 120_000 });
  const log = readOr(`${home}/hooks.log`);
  assertEquals(result.code, 0, `${result.stderr}\n${result.stdout}\n${log}`);
  assertEquals(result.json?.result, "Done.", log);
  const record = JSON.parse(Deno.readTextFileSync(`${home}/sessions/${sid}.json`));
  const owned = stack.move();
  return {
    api,
    box,
    home,
    id: event.id,
    requests: api.messageRequests(),
    log,
    transcript: readOr(record.transcriptPath),
    committed,
    [Symbol.asyncDispose]: () => owned.disposeAsync(),
  };
}

function readOr(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "";
    throw err;
  }
}

/** How many messages of a request carry the frame of `id`. */
function framesIn(request: MessagesRequest, id: string): number {
  return request.messages.filter((m) =>
    requestText({ model: "", messages: [m] }).includes(`<discord-message id="${id}"`)
  ).length;
}

/** How many `hook_additional_context` records of the transcript carry the frame of `id`. */
function framesInTranscript(transcript: string, id: string): number {
  return transcript.split("\n").filter((line) => {
    if (!line.includes('"hook_additional_context"')) return false;
    const record = JSON.parse(line);
    return record.attachment?.type === "hook_additional_context" &&
      record.attachment.content.some((c: string) => c.includes(`<discord-message id="${id}"`));
  }).length;
}

Deno.test({
  name:
    "e2e claude -p: a delivery hook stopped at its timeout after its commit: the next hook shows the message again, once",
  ignore: cli.ignore,
  async fn() {
    await using r = await run((command) => `( ${command} ); exec sleep 60`);
    const [, second, third] = r.requests;
    assertEquals(r.requests.length, 3);
    // The hook had committed, and Claude Code dropped what it printed.
    assert(r.committed, `the mailbox was not committed:\n${r.log}`);
    assertEquals(framesIn(second, r.id), 0, "the stopped hook's output reached the model");
    assertMatch(r.transcript, /"hook_cancelled"/);
    // The next PostToolUse hook found it missing from the transcript and showed it again.
    assertMatch(r.log, /Claude Code did not take 1 of 1 delivered event\(s\)/);
    assertEquals(framesIn(third, r.id), 1, r.log);
    assertMatch(requestText(third), /DELIVERY-MARK-4 please look at the logs/);
    assertEquals(framesInTranscript(r.transcript, r.id), 1);
  },
});

Deno.test({
  name:
    "e2e claude -p: a delivery hook killed (kill -9) after its commit: Claude Code took its output, nothing is shown twice",
  ignore: cli.ignore,
  async fn() {
    await using r = await run((command) => `( ${command} ); kill -9 $$`);
    const [, second, third] = r.requests;
    assertEquals(r.requests.length, 3);
    assert(r.committed, `the mailbox was not committed:\n${r.log}`);
    // Claude Code 2.1.330 takes what a killed hook printed.
    assertEquals(framesIn(second, r.id), 1, r.log);
    // The next hook found it in the transcript: not shown again.
    assertEquals(framesIn(third, r.id), 1, r.log);
    assertEquals(framesInTranscript(r.transcript, r.id), 1);
    assert(!/did not take|counted as delivered/.test(r.log), r.log);
  },
});
