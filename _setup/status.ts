// Private: `setup.ts status`, the view of the running system from its state directory:
// the bridge (running, since when, gateway state, counters, warning), each live session
// (name, thread, mailbox depth), the recorded installs (and whether their hooks are still
// there), held messages, the outbox (posts waiting for the bridge, dropped by its bounds,
// refused by Discord), the IDENTIFY budget, spooled STATUS posts, and the last errors of the
// logs. Local files only: no Discord call.
import { type Config, DEFAULT_IDENTIFY_CAP, stateHome } from "../config.ts";
import {
  bridgePaths,
  type IdentifySummary,
  probeBridge,
  readIdentifyFile,
  summarizeIdentify,
} from "../daemon.ts";
import { HELD, Inbox } from "../inbox.ts";
import { Outbox, type OutboxStats } from "../outbox.ts";
import { SessionRegistry } from "../sessions.ts";
import { machineIdentity, readMachineFile } from "../machine.ts";
import { readDirIfExists, readTextIfExists } from "../_shared/fs.ts";
import { directoryUsage } from "../_shared/disk.ts";
import { pidAlive } from "../_shared/procs.ts";
import { ConfigError } from "../errors.ts";
import { findOurHooks, type InstallScope, readJsonObject } from "./install.ts";
import { type InstallRecord, readInstalls } from "./installs.ts";
import { describeError } from "../log.ts";

/** One live session in the status. */
export interface SessionStatus {
  /** Session id. */
  id: string;
  /** Its name (for `@name`). */
  name: string;
  /** Working directory. */
  cwd: string;
  /** Its Discord thread. */
  threadId?: string;
  /** Messages waiting in its mailbox. */
  pending: number;
  /** ISO time last seen by a hook. */
  lastSeen: string;
}

/** One recorded install in the status. */
export interface InstallStatus {
  /** Claude Code's scope. */
  scope: InstallScope;
  /** The project (`local`, `shared`). */
  project?: string;
  /** The settings file. */
  settings: string;
  /** Whether the settings file still holds the hooks. */
  hooks: boolean;
}

/** A log line worth showing. */
export interface LogLine {
  /** The log file's name (`bridge.log`, `hooks.log`, `mcp.log`). */
  log: string;
  /** The line. */
  line: string;
}

/** Everything `status` shows. */
export interface StatusReport {
  /** The state directory. */
  home: string;
  /** A configuration problem, if the configuration cannot be loaded. */
  configProblem?: string;
  /** Configuration summary (no secrets). */
  config?: {
    channelId?: string;
    webhook: boolean;
    allowedUsers: number;
    apiUrl: string;
    token: boolean;
  };
  /** This machine (machine.ts), once its `machine.json` exists. */
  machine?: { id: string; label: string };
  /** The bridge. */
  bridge: {
    running: boolean;
    pid?: number;
    startedAt?: string;
    state?: string;
    since?: string;
    delivered?: number;
    dropped?: Record<string, number>;
    lastCatchUpAt?: string;
    warning?: string;
    /** Outbox entries this bridge run sent. */
    sent?: number;
    /** Why a session's outbox queue waits for Discord now. */
    outboxWaiting?: string;
    connectedBy?: string;
  };
  /** The outbox: posts waiting for the bridge, dropped by its bounds, refused by Discord. */
  outbox: OutboxStats;
  /** The IDENTIFY budget (`bridge/identify.json`), also while no bridge runs. */
  identify: IdentifySummary;
  /** Live sessions. */
  sessions: SessionStatus[];
  /** The installs setup recorded for this state directory. */
  installs: InstallStatus[];
  /** Set when the record of installs was damaged (and moved aside): what happened. */
  installsDamaged?: string;
  /** Messages held for the next session. */
  held: number;
  /** notify.ts webhook posts waiting to be sent (Discord was unreachable). */
  spooled: number;
  /** notify.ts webhook posts Discord refused for good. */
  failedPosts: number;
  /** Attachments the bridge stored: message folders, files, bytes, and how long they are kept. */
  attachments: { messages: number; files: number; bytes: number; retentionDays?: number };
  /** The last warnings and errors of the logs, oldest first. */
  problems: LogLine[];
}

/**
 * Reads the status of the system under `home`.
 *
 * @param home The state directory.
 * @param loadConfig Loads the configuration (may throw a ConfigError).
 * @param options How many log lines.
 * @returns The report.
 */
export async function collectStatus(
  home: string,
  loadConfig: () => Config,
  options: { maxProblems?: number } = {},
): Promise<StatusReport> {
  let config: StatusReport["config"];
  let configProblem: string | undefined;
  let retentionDays: number | undefined;
  let label: string | undefined;
  let cap = DEFAULT_IDENTIFY_CAP;
  try {
    const c = loadConfig();
    label = c.machineLabel;
    retentionDays = c.attachmentRetentionDays;
    cap = c.identifyCap;
    config = {
      ...(c.channelId ? { channelId: c.channelId } : {}),
      webhook: c.webhookUrl !== undefined,
      allowedUsers: c.allowedUsers.length,
      apiUrl: c.apiUrl,
      token: c.token !== undefined,
    };
  } catch (err) {
    configProblem = describeError(err);
  }
  const probe = probeBridge(home);
  const st = probe.status;
  const machineFile = readMachineFile(home);
  const machine = machineFile ? machineIdentity(home, label ? { label } : {}) : undefined;
  const registry = new SessionRegistry(home, { isAlive: pidAlive });
  const inbox = new Inbox(home);
  const sessions: SessionStatus[] = [];
  for (const r of registry.list({ live: true })) {
    sessions.push({
      id: r.id,
      name: r.name,
      cwd: r.cwd,
      ...(r.threadId ? { threadId: r.threadId } : {}),
      pending: await inbox.pending(r.id).catch(() => 0),
      lastSeen: r.lastSeen,
    });
  }
  const installs = readInstalls(home);
  return {
    home,
    ...(configProblem ? { configProblem } : {}),
    ...(config ? { config } : {}),
    ...(machine ? { machine: { id: machine.id, label: machine.label } } : {}),
    bridge: {
      running: probe.running,
      ...(probe.pid ? { pid: probe.pid } : {}),
      ...(st
        ? {
          startedAt: st.startedAt,
          state: st.state,
          since: st.since,
          delivered: st.delivered,
          dropped: st.dropped,
          ...(st.lastCatchUpAt ? { lastCatchUpAt: st.lastCatchUpAt } : {}),
          ...(st.warning ? { warning: st.warning } : {}),
          ...(st.outbox ? { sent: st.outbox.sent } : {}),
          ...(st.outbox?.waiting && st.outbox.waitingWhy
            ? { outboxWaiting: st.outbox.waitingWhy }
            : {}),
          ...(st.connectedBy ? { connectedBy: st.connectedBy } : {}),
        }
        : {}),
    },
    outbox: new Outbox(home).stats(),
    identify: summarizeIdentify(readIdentifyFile(home), cap, Date.now()),
    sessions,
    installs: installs.value.map(installStatus),
    ...(installs.damaged ? { installsDamaged: installs.damaged } : {}),
    held: await inbox.pending(HELD).catch(() => 0),
    spooled: countJson(`${home}/spool`),
    failedPosts: countJson(`${home}/spool/failed`),
    attachments: attachmentsOf(home, retentionDays),
    problems: recentProblems(home, options.maxProblems ?? 8),
  };
}

function installStatus(r: InstallRecord): InstallStatus {
  let hooks = false;
  try {
    hooks = findOurHooks(readJsonObject(r.settings)).commands.length > 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
  }
  return {
    scope: r.scope,
    ...(r.project !== undefined ? { project: r.project } : {}),
    settings: r.settings,
    hooks,
  };
}

function attachmentsOf(home: string, retentionDays?: number): StatusReport["attachments"] {
  const usage = directoryUsage(bridgePaths(home).attachments);
  return {
    messages: usage.folders,
    files: usage.files,
    bytes: usage.bytes,
    ...(retentionDays !== undefined ? { retentionDays } : {}),
  };
}

function countJson(dir: string): number {
  return readDirIfExists(dir).filter((e) => e.isFile && e.name.endsWith(".json")).length;
}

const LOGS = ["bridge.log", "hooks.log", "mcp.log"];

/**
 * The last warning and error lines of the logs under `home`, oldest first.
 *
 * @param home The state directory.
 * @param max How many lines at most.
 * @returns The lines with their log's name.
 */
export function recentProblems(home: string, max: number): LogLine[] {
  const found: { time: string; log: string; line: string }[] = [];
  for (const log of LOGS) {
    const text = readTextIfExists(`${home}/${log}`);
    if (!text) continue;
    const lines = text.trimEnd().split("\n");
    for (const line of lines.slice(-2000)) {
      const m = /^(\S+) (warn|error) /.exec(line);
      if (m) found.push({ time: m[1], log, line });
    }
  }
  found.sort((a, b) => a.time.localeCompare(b.time));
  return found.slice(-max).map(({ log, line }) => ({ log, line }));
}

/**
 * Renders a report as text for a terminal.
 *
 * @param r The report.
 * @param now The current time (ms), for ages.
 * @returns Lines.
 */
export function renderStatus(r: StatusReport, now: number = Date.now()): string {
  const out: string[] = [];
  const ago = (iso?: string) => {
    if (!iso) return "";
    const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
    const text = s < 90
      ? `${s} s`
      : s < 5400
      ? `${Math.round(s / 60)} min`
      : `${(s / 3600).toFixed(1)} h`;
    return `${iso} (${text} ago)`;
  };
  out.push(`State directory: ${r.home}`);
  if (r.configProblem) out.push(`Configuration: PROBLEM: ${r.configProblem}`);
  else if (r.config) {
    const c = r.config;
    out.push(
      `Configuration: channel ${c.channelId ?? "(not set)"}, token ${
        c.token ? "set" : "NOT SET"
      }, ` +
        `webhook ${
          c.webhook ? "set" : "not set"
        }, ${c.allowedUsers} allowed user(s), API ${c.apiUrl}`,
    );
  }
  out.push(
    r.machine
      ? `Machine: ${r.machine.label} (id ${r.machine.id})`
      : "Machine: no machine.json yet (made by setup or the bridge's first start)",
  );
  const b = r.bridge;
  if (!b.running) {
    out.push("Bridge: not running (a Claude Code session's hooks start it; or `deno task start`)");
  } else {
    out.push(`Bridge: running, pid ${b.pid ?? "?"}, since ${ago(b.startedAt)}`);
    if (b.state) {
      const by = b.connectedBy === "resume"
        ? " (resumed its session)"
        : b.connectedBy === "identify"
        ? " (identified)"
        : "";
      out.push(`  gateway: ${b.state} since ${ago(b.since)}${by}`);
    }
    if (b.delivered !== undefined) out.push(...counterLines(b.delivered, b.dropped ?? {}));
    if (b.lastCatchUpAt) out.push(`  last catch-up: ${ago(b.lastCatchUpAt)}`);
    if (b.sent !== undefined) out.push(`  sent ${b.sent} post(s) from the outbox`);
    if (b.outboxWaiting) out.push(`  outbox waits for Discord: ${b.outboxWaiting}`);
    if (b.warning) out.push(`  WARNING: ${b.warning}`);
  }
  const o = r.outbox;
  out.push(
    `Outbox: ${o.pending} post(s) waiting` +
      (o.sessions > 0
        ? ` in ${o.sessions} session(s)${b.running ? "" : " (no bridge runs)"}`
        : "") +
      `; dropped by its bounds: ${o.dropped}${o.droppedAt ? `, last ${ago(o.droppedAt)}` : ""}` +
      `; refused by Discord: ${o.failed}${
        o.failedAt ? `, last ${ago(o.failedAt)}, see outbox/failed.jsonl` : ""
      }`,
  );
  const id = r.identify;
  out.push(
    `IDENTIFY budget: ${id.last24h} in the last 24 h (cap ${id.cap})` +
      (id.remaining !== undefined
        ? `; Discord: ${id.remaining} of ${id.total} left for the token (read ${ago(id.readAt)})`
        : ""),
  );
  if (id.halted) out.push(`  HALTED until ${id.halted.until}: ${id.halted.reason}`);
  if (r.sessions.length === 0) out.push("Sessions: none live");
  else {
    out.push(`Sessions (${r.sessions.length} live):`);
    for (const s of r.sessions) {
      out.push(
        `  @${s.name}  ${s.pending} waiting  thread ${s.threadId ?? "(none yet)"}  ` +
          `seen ${ago(s.lastSeen)}  ${s.cwd}`,
      );
    }
  }
  if (r.installsDamaged) out.push(`WARNING: ${r.installsDamaged}`);
  if (r.installs.length === 0) {
    out.push("Installs: none recorded (`deno task setup` records each one)");
  } else {
    out.push(`Installs (${r.installs.length}):`);
    for (const i of r.installs) {
      out.push(
        `  ${i.scope.padEnd(6)} ${i.project ?? "every project"}  ${
          i.hooks ? "hooks in" : "hooks GONE from"
        } ${i.settings}`,
      );
    }
  }
  out.push(`Held for the next session: ${r.held}`);
  if (r.spooled || r.failedPosts) {
    out.push(
      `Webhook posts of notify.ts spooled: ${r.spooled}; refused by Discord: ${r.failedPosts}`,
    );
  }
  const a = r.attachments;
  const kept = a.retentionDays === undefined ? "" : ` (kept ${a.retentionDays} days)`;
  out.push(
    `Attachments stored: ${a.files} file(s) of ${a.messages} message(s), ${mib(a.bytes)}${kept}`,
  );
  if (r.problems.length === 0) out.push("Recent problems in the logs: none");
  else {
    out.push("Recent problems in the logs:");
    for (const p of r.problems) out.push(`  ${p.log}: ${p.line}`);
  }
  return out.join("\n");
}

/** Drop reasons that are the bridge working as meant: posts it must not deliver. */
const EXPECTED: Record<string, [one: string, many: string]> = {
  webhook: ["webhook post", "webhook posts"],
  bot: ["bot post", "bot posts"],
  system: ["system message", "system messages"],
  elsewhere: [
    "message for a session not on this machine",
    "messages for sessions not on this machine",
  ],
};

/** Drop reasons worth a look, in words. */
const NOTABLE: Record<string, [one: string, many: string]> = {
  "not-allowed": ["message from a user not allowed", "messages from users not allowed"],
  empty: [
    "message without text (MESSAGE CONTENT intent?)",
    "messages without text (MESSAGE CONTENT intent?)",
  ],
};

/**
 * The bridge's counters as sentences: what it delivered, what it ignored as it should (bot and
 * webhook posts, this bot's own included), and what did not reach a session that might have
 * been meant to.
 *
 * @param delivered Events written to mailboxes.
 * @param dropped Messages not delivered, by reason.
 * @returns Indented lines.
 */
export function counterLines(delivered: number, dropped: Record<string, number>): string[] {
  const words = (table: Record<string, [string, string]>, reason: string, n: number) => {
    const [one, many] = table[reason] ?? [`${reason} message`, `${reason} messages`];
    return `${n} ${n === 1 ? one : many}`;
  };
  const expected = Object.entries(dropped).filter(([k, n]) => k in EXPECTED && n > 0)
    .map(([k, n]) => words(EXPECTED, k, n));
  const notable = Object.entries(dropped).filter(([k, n]) => !(k in EXPECTED) && n > 0)
    .map(([k, n]) => words(NOTABLE, k, n));
  const out = [`  delivered: ${delivered} ${delivered === 1 ? "event" : "events"}`];
  if (expected.length > 0) out.push(`  ignored: ${expected.join(", ")} (expected)`);
  if (notable.length > 0) out.push(`  not delivered: ${notable.join(", ")}`);
  return out;
}

/** The state directory from an env-like record and an optional flag. */
export function homeFrom(env: Record<string, string | undefined>, flag?: string): string {
  const home = flag ?? stateHome(env);
  return home.startsWith("/") ? home : `${Deno.cwd()}/${home}`;
}

/** Bytes as MiB with one decimal (`0.0 MiB` for nothing). */
function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
