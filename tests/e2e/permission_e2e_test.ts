// End to end with the REAL Claude Code CLI (tests/e2e/_hooks_world.ts): permission prompts.
//
// - claude -p: a PermissionRequest answered by a button click lets the tool run; Deny blocks it.
// - interactive (tmux): the Discord prompt and the terminal dialog ask at once, the prompt says
//   so, no second notice follows; "Allow for this session" adds the one rule it names and
//   leaves the session's permission mode alone.
import { countToolResults, requestText, text, toolUse } from "../../testing/anthropic.ts";
import { assert, assertEquals, assertMatch, waitFor } from "../_assert.ts";
import { claudeForTests } from "./_helpers.ts";

import { clickPrompt, permissionRun, prompts, world } from "./_hooks_world.ts";

const cli = await claudeForTests(import.meta.url);
const ignore = cli.ignore;

Deno.test({
  name:
    "e2e claude -p: a PermissionRequest answered with a Discord button: Allow runs the tool, Deny blocks it",
  ignore,
  async fn() {
    await using w = await world(cli.path, (request) => {
      const asked = requestText(request, 0);
      const file = /make (\S+\.txt)/.exec(asked)?.[1] ?? "x.txt";
      return countToolResults(request) === 0
        ? toolUse("Bash", { command: `touch ${file}`, description: "Make a file" })
        : text(`done with ${file}`);
    });
    const allowed = await permissionRun(w, "allow", "allowed.txt");
    assertEquals(allowed.result.code, 0, allowed.result.stderr + w.hookLog());
    assert(
      await Deno.stat(`${w.box.project}/allowed.txt`).then(() => true, () => false),
      `Allow let touch run:\n${w.hookLog()}`,
    );
    const edited = await waitFor(
      "the prompt's closing edit",
      () =>
        w.discord.messages(allowed.prompt.channel_id).find((m) =>
          m.id === allowed.prompt.id && (m.components ?? []).length === 0
        ),
      20_000,
    );
    assertMatch(edited.content, /\*\*Allowed\*\* by owner/);
    assertEquals(edited.components, []);

    // claude -p has no terminal to fall back on: the prompt says what an unanswered one means.
    assertMatch(allowed.prompt.content, /No answer here within 60 s: the tool call is refused/);

    const denied = await permissionRun(w, "deny", "denied.txt");
    assert(
      !(await Deno.stat(`${w.box.project}/denied.txt`).then(() => true, () => false)),
      "Deny blocked touch",
    );
    const last = w.api.messageRequests().at(-1)!;
    assertMatch(requestText(last), /Denied from Discord by owner/);
    const audit = Deno.readTextFileSync(`${w.home}/audit.log`).trim().split("\n")
      .map((l) => JSON.parse(l));
    assertEquals(audit.map((a) => a.decision), ["allow", "deny"]);
    assertEquals(denied.result.code, 0);
  },
});

/** The permission prompts posted so far, open or settled (settled ones have no buttons). */

Deno.test({
  name:
    "e2e interactive (tmux): one permission prompt in Discord beside the terminal dialog, no second notice; Allow for this session adds its rule, not a mode",
  ignore,
  async fn() {
    await using w = await world(cli.path, (request) => {
      switch (countToolResults(request)) {
        case 0:
        case 1:
          return toolUse("Bash", { command: "touch made.txt", description: "Make a file" });
        case 2:
          return toolUse("Write", { file_path: `${w.box.project}/note.txt`, content: "hi" });
        default:
          return text("ALL-FILES-DONE");
      }
    });
    await using session = await w.box.interactive({ args: ["--permission-mode", "default"] });
    await session.waitFor(/❯/, 30_000);
    await session.submit("make the files");
    const first = await waitFor("the permission prompt in Discord", () => prompts(w)[0], 60_000);
    // Both ask at once: the terminal dialog is up, and the Discord prompt says so.
    await session.waitFor(/Do you want to proceed\?/, 15_000);
    assertMatch(first.content, /touch made\.txt/);
    assertMatch(first.content, /The same question is open in the terminal: the first answer/);
    assertMatch(first.content, /adds the rule `Bash\(touch made\.txt\)` until the session ends/);
    // Claude Code's own "needs your permission" notification comes a few seconds later.
    await waitFor(
      "the Notification hook",
      () => /no second notice/.test(w.hookLog()),
      30_000,
    );
    const notices = w.discord.state().messages.filter((m) =>
      /Waiting for a permission answer|needs your permission/.test(JSON.stringify(m.embeds ?? []))
    );
    assertEquals(notices.length, 0, JSON.stringify(notices.map((m) => m.embeds)));

    await w.bridgeConnected();
    await clickPrompt(w, first, "always");
    // The second `touch` runs on the rule; the Write is asked again: the mode did not change
    // to accept edits (which would have let it through).
    const second = await waitFor("the prompt for the Write", () => prompts(w)[1], 60_000);
    assertMatch(second.content, /\*\*Write\*\*/);
    assertMatch(second.content, /note\.txt/);
    await clickPrompt(w, second, "allow");
    await session.waitFor(/ALL-FILES-DONE/, 60_000);
    assertEquals(prompts(w).length, 2, prompts(w).map((m) => m.content).join("\n---\n"));
    const settled = await waitFor(
      "the first prompt's closing edit",
      () =>
        w.discord.messages(first.channel_id).find((m) =>
          m.id === first.id && (m.components ?? []).length === 0
        ),
      20_000,
    );
    assertMatch(
      settled.content,
      /\*\*Allowed for this session\*\* by owner \(<@\d+>\): rule `Bash\(touch made\.txt\)`/,
    );
    assert(await Deno.stat(`${w.box.project}/note.txt`).then(() => true, () => false));
    assert(!/accept edits on/i.test(await session.screen()), await session.screen());
    const audit = Deno.readTextFileSync(`${w.home}/audit.log`).trim().split("\n")
      .map((l) => JSON.parse(l));
    assertEquals(audit.map((a) => a.decision), ["always", "allow"]);
    await session.submit("/exit");
    await waitFor("the CLI to exit", async () => !(await session.alive()), 20_000);
  },
});
