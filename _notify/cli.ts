// Private: the notify.ts command line — help text, argument parsing, and the StatusInput it
// builds (text from the arguments or from stdin when it is not a terminal).
import { UsageError } from "../errors.ts";
import { readCommandLine } from "../_shared/args.ts";
import type { StatusField, StatusInput, StatusState } from "./render.ts";

/** The `--help` text. */
export const HELP = `Usage: notify.ts --session NAME [options] [TEXT...]

Posts a STATUS message into the session's Discord thread (one thread per session).
TEXT comes from the arguments, or from stdin when none are given and stdin is not a terminal.
With --enqueue it only writes the post to the outbox; this machine's bridge sends it.

Options:
  -s, --session NAME      session name: the thread's title (required unless --flush)
      --id ID             session id, the key of its thread (default: the name)
      --state STATE       done | error | waiting | info (default: info)
  -t, --title TITLE       embed title (default from the state)
  -f, --field NAME=VALUE  extra embed field (repeatable)
      --cwd DIR           project folder shown (default: the current directory)
      --started-at TIME   session start (ISO time or ms since epoch), for the duration
      --mention           mention the configured owner (config mentionUserId)
      --mention-user ID   mention this user id
      --budget SECONDS    how long to retry before spooling (default 30)
      --flush             only send spooled posts, then exit
      --enqueue           write the post to the outbox for the bridge (no network needed)
      --json              print the result as JSON
  -h, --help              show this help

Config: DISCORD_WEBHOOK_URL (required), DISCORD_BOT_TOKEN, DISCORD_API_URL, CLAUDE_DISCORD_HOME
(or $CLAUDE_DISCORD_HOME/config.json); --enqueue needs none of them. Exit codes: 0 sent,
spooled or queued, 1 failed, 2 usage/config.
Permissions: --allow-net --allow-read --allow-write --allow-env (--enqueue: no --allow-net)`;

/** Parses the command line; a bad option becomes a UsageError (`_shared/args.ts`). */
export function parseCli(args: string[]) {
  return readCommandLine({
    args,
    allowPositionals: true,
    options: {
      session: { type: "string", short: "s" },
      id: { type: "string" },
      state: { type: "string", default: "info" },
      title: { type: "string", short: "t" },
      field: { type: "string", short: "f", multiple: true },
      cwd: { type: "string" },
      "started-at": { type: "string" },
      mention: { type: "boolean" },
      "mention-user": { type: "string" },
      budget: { type: "string" },
      flush: { type: "boolean" },
      enqueue: { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

/** The options `parseCli` read. */
export type CliValues = Awaited<ReturnType<typeof parseCli>>["values"];

/** The retry budget `--budget SECONDS` asks for, in ms (0 to an hour); `undefined` without it. */
export function cliBudgetMs(values: CliValues): number | undefined {
  if (values.budget === undefined) return undefined;
  const budgetMs = Number(values.budget) * 1000;
  if (!(budgetMs >= 0 && budgetMs <= 3_600_000)) {
    throw new UsageError(`--budget must be a number of seconds (got "${values.budget}")`);
  }
  return budgetMs;
}

/** Builds the StatusInput from parsed options and positionals (reads stdin when needed). */
export async function cliInput(
  values: CliValues,
  positionals: string[],
): Promise<StatusInput> {
  const name = values.session?.trim();
  if (!name) throw new UsageError("--session NAME is required");
  const state = values.state as StatusState;
  if (!["done", "error", "waiting", "info"].includes(state)) {
    throw new UsageError(`--state must be done, error, waiting or info (got "${values.state}")`);
  }
  const fields: StatusField[] = [];
  for (const f of values.field ?? []) {
    const eq = f.indexOf("=");
    if (eq <= 0) throw new UsageError(`--field must be NAME=VALUE (got "${f}")`);
    fields.push({ name: f.slice(0, eq), value: f.slice(eq + 1), inline: true });
  }
  let startedAt: number | undefined;
  if (values["started-at"] !== undefined) {
    const raw = values["started-at"];
    startedAt = /^[0-9]+$/.test(raw) ? Number(raw) : Date.parse(raw);
    if (!Number.isFinite(startedAt)) throw new UsageError(`--started-at is not a time: "${raw}"`);
  }
  const mentionUser = values["mention-user"];
  if (mentionUser !== undefined && !/^[0-9]{15,21}$/.test(mentionUser)) {
    throw new UsageError(`--mention-user must be a Discord user id`);
  }
  let text = positionals.join(" ");
  if (positionals.length === 0 && !Deno.stdin.isTerminal()) {
    text = await new Response(Deno.stdin.readable).text();
  }
  let cwd = values.cwd;
  if (cwd === undefined) {
    try {
      cwd = Deno.cwd();
    } catch (err) {
      // Removed meanwhile, or not readable by this process: leave it out.
      if (!(err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotCapable)) {
        throw err;
      }
    }
  }
  return {
    session: { id: values.id?.trim() || name, name },
    state,
    title: values.title,
    text: text.trim() || undefined,
    fields,
    cwd,
    startedAt,
    mention: mentionUser ?? (values.mention ? true : undefined),
  };
}
