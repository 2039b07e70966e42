// How soon a Stop click stops a runaway session (issue 12): the real Claude Code CLI (`claude -p`,
// the settings setup installs, the bridge the hooks start, the local Discord server) runs a
// scripted model that calls a tool as fast as it can (`touch step-N`, up to 400 steps); at a
// random moment after its third step the owner clicks the session's Stop button. Measured from
// the click (the interaction created) to:
// - the last tool call (the newest step file's modification time; negative when no tool started
//   after the click);
// - the PreToolUse that blocked the next call (the stop role's line in hooks.log);
// - the end of the turn (`claude -p` exited).
// Also counted: tool calls that started after the click (a call already past its PreToolUse runs
// to its end: a stop is not a kill).
//
// Run: deno bench -A bench/stop_bench.ts (SAMPLES=n sets the number of runs, default 5).
import { writeConfigFile } from "../config.ts";
import { readBridgeStatus, stopBridge } from "../daemon.ts";
import { SessionRegistry } from "../sessions.ts";
import { buildSettings } from "../settings.ts";
import { stopCustomId } from "../stop.ts";
import { ButtonStyle, ComponentType } from "../_discord/numbers.ts";
import { DiscordRest } from "../_discord/rest.ts";
import { countToolResults, startAnthropicServer, text, toolUse } from "../testing/anthropic.ts";
import { startDiscordServer } from "../testing/mod.ts";
import { createClaudeSandbox, locateClaude } from "../tests/e2e/_claude.ts";
import { median, once, percentile, reportAtExit, until } from "./_helpers.ts";

const root = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/+$/, "");
const SAMPLES = Number(Deno.env.get("SAMPLES") ?? 5);
const STEPS = 400;
const results = reportAtExit("Stop click → the session stops");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function stepTimes(project: string): number[] {
  return [...Deno.readDirSync(project)].filter((e) => e.name.startsWith("step-"))
    .map((e) => Deno.statSync(`${project}/${e.name}`).mtime!.getTime());
}

const cli = await locateClaude();

Deno.bench({
  name: "Stop click → last tool call, blocked PreToolUse, end of the turn (claude -p)",
  n: 1,
  warmup: 0,
  ignore: cli.path === undefined,
  fn: once(async () => {
    await using discord = await startDiscordServer({ port: 0, checkResponses: false });
    await using api = await startAnthropicServer({
      script: (r) => {
        const done = countToolResults(r);
        return done < STEPS
          ? toolUse("Bash", { command: `touch step-${done + 1}`, description: "Step" })
          : text("ALL-STEPS-DONE");
      },
    });
    const rest = new DiscordRest({ token: discord.token, apiUrl: discord.apiUrl });
    const toLastTool: number[] = [];
    const toBlocked: number[] = [];
    const toEnd: number[] = [];
    const after: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      await using box = await createClaudeSandbox(cli.path!, {
        apiUrl: api.url,
      });
      const home = `${box.root}/discord-state`;
      writeConfigFile(home, {
        token: discord.token,
        channelId: discord.channelId,
        webhookUrl: discord.webhookUrl,
        apiUrl: discord.apiUrl,
        allowedUsers: [discord.ownerId],
      });
      const settings = buildSettings({
        home,
        root,
        apiUrl: discord.apiUrl,
        webhookUrl: discord.webhookUrl,
      });
      settings.permissions.allow.push("Bash(touch:*)");
      await box.writeSettings(settings as unknown as Record<string, unknown>);
      try {
        const run = box.print("run the steps", { timeoutMs: 120_000 }).then((r) => {
          ended = performance.now();
          return r;
        });
        let ended = 0;
        const registry = new SessionRegistry(home);
        await until("the session", () => registry.list().length > 0, 60_000);
        const session = registry.list()[0];
        await until("the bridge", () => readBridgeStatus(home)?.state === "connected", 60_000);
        const card = await rest.createMessage(discord.channelId, {
          content: "card",
          components: [{
            type: ComponentType.ActionRow,
            components: [{
              type: ComponentType.Button,
              style: ButtonStyle.Danger,
              label: "Stop",
              custom_id: stopCustomId(session.id),
            }],
          }],
        });
        await until("step 3", () => stepTimes(box.project).length >= 3, 60_000);
        await sleep(Math.random() * 1000);
        const clickedAt = Date.now();
        const clickedPerf = performance.now();
        await discord.clickButton({
          messageId: card.id,
          customId: stopCustomId(session.id),
          userId: discord.ownerId,
        });
        const result = await run;
        if (result.json?.result === "ALL-STEPS-DONE") {
          const t = stepTimes(box.project).sort();
          throw new Error(
            `not stopped: ${t.length} steps in ${t.at(-1)! - t[0]} ms, clicked ${
              clickedAt - t[0]
            } ms after the first`,
          );
        }
        const times = stepTimes(box.project);
        toLastTool.push(Math.max(...times) - clickedAt);
        after.push(times.filter((t) => t > clickedAt).length);
        const log = Deno.readTextFileSync(`${home}/hooks.log`);
        const blocked = /^(\S+) \S+ PreToolUse \S+: Bash blocked/m.exec(log)?.[1];
        if (blocked === undefined) throw new Error(`no blocked PreToolUse:\n${log}`);
        toBlocked.push(Date.parse(blocked) - clickedAt);
        toEnd.push(ended - clickedPerf);
      } finally {
        await stopBridge(home).catch(() => {});
      }
    }
    const fmt = (xs: number[]) =>
      `median ${Math.round(median(xs))} ms, p90 ${Math.round(percentile(xs, 90))} ms, max ${
        Math.round(Math.max(...xs))
      } ms (${xs.map(Math.round).join(", ")})`;
    results.push(`click → last tool call (${SAMPLES} runs): ${fmt(toLastTool)}`);
    results.push(`click → PreToolUse blocked: ${fmt(toBlocked)}`);
    results.push(`click → claude -p exited: ${fmt(toEnd)}`);
    results.push(`tool calls started after the click: ${after.join(", ")}`);
  }),
});
