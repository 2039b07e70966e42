// Private: SessionStart / PreToolUse: register the session, move held messages to the
// first session that starts, and make sure the bridge runs.
//
// The session's pid (for liveness) is the Claude Code process: Claude Code 2.1.x puts it
// in the hook's environment as CLAUDE_PID; without it the hook walks up its ancestors
// (_shared/procs.ts: /proc or ps, when Deno lets it look) to the first process named `claude`
// (the native build) or a `node` whose command line mentions claude (the npm build). When
// neither is found no pid is recorded and liveness falls back to the registry's last-seen
// time.
//
// The bridge is started through _ensure_bridge.ts (daemon.ts `ensureBridgeRunning`): at the
// first hook after it went down, unless it keeps crashing soon after its start.
import { Inbox } from "../inbox.ts";
import { configFileExposure } from "../config.ts";
import { ensurePrivateDir, writePrivateFileAtomic } from "../_shared/fs.ts";
import { ensureBridge } from "./_ensure_bridge.ts";
import { type HookContext, hookPaths } from "./_context.ts";
import { sessionRegistry } from "./_registry.ts";
import { ancestors, type ProcessProbe, systemProbe } from "../_shared/procs.ts";
import { deliverRole } from "./_deliver.ts";
import { type HookInput, str } from "./_input.ts";
import { describeError } from "../log.ts";
import { ConfigError } from "../errors.ts";

/**
 * Finds the Claude Code process: `CLAUDE_PID`, else the nearest of 8 ancestors from `ppid`
 * whose program is `claude…`, or `node` with `claude` in its command line.
 *
 * @param env The environment.
 * @param ppid This process's parent pid. Default `Deno.ppid`.
 * @param probe The process tree. Default: `/proc`, else `ps`, else none (see _shared/procs.ts).
 * @returns The pid, or `undefined`.
 */
export function findClaudePid(
  env: Record<string, string | undefined>,
  ppid: number | undefined = Deno.ppid,
  probe?: Pick<ProcessProbe, "info">,
): number | undefined {
  const fromEnv = env.CLAUDE_PID?.trim();
  if (fromEnv && /^[1-9][0-9]{0,9}$/.test(fromEnv)) return Number(fromEnv);
  if (ppid === undefined) return undefined;
  const tree = probe ?? systemProbe();
  return ancestors(ppid, tree, 8).find((pid) => {
    const args = tree.info(pid)?.args ?? [];
    const program = args[0]?.slice(args[0].lastIndexOf("/") + 1) ?? "";
    return /^claude/i.test(program) || (program === "node" && /claude/i.test(args.join(" ")));
  });
}

/**
 * The registration role (SessionStart, PreToolUse).
 *
 * @param input The hook input.
 * @param ctx The hook context.
 * @returns The exit code (always 0).
 */
export async function registerRole(input: HookInput, ctx: HookContext): Promise<number> {
  const sid = input.session_id;
  const registry = sessionRegistry(ctx.home, ctx.log, () => configuredLabel(ctx));
  const pid = findClaudePid(ctx.env);
  const cwd = str(input, "cwd") ?? ctx.env.CLAUDE_PROJECT_DIR ?? "";
  const transcript = str(input, "transcript_path");
  const known = registry.get(sid) !== undefined;
  const record = await registry.register({
    id: sid,
    cwd,
    ...(pid ? { pid } : {}),
    // The delivery hooks confirm their deliveries there (hooks/_evidence.ts).
    ...(transcript?.startsWith("/") ? { transcriptPath: transcript } : {}),
  });
  const envSid = ctx.env.CLAUDE_CODE_SESSION_ID;
  if (envSid !== undefined && envSid !== sid) {
    // The shell fast path trusts CLAUDE_CODE_SESSION_ID; turn that off for good.
    const paths = hookPaths(ctx.home);
    ensurePrivateDir(paths.dir);
    writePrivateFileAtomic(paths.noEnvSession, `${envSid} != ${sid}\n`);
    ctx.log.warn(`CLAUDE_CODE_SESSION_ID differs from session_id: fast path reads stdin now`);
  }
  let held = 0;
  if (input.hook_event_name === "SessionStart") {
    // Once per session, off the per-tool-call path (fast.sh never gets here for it).
    const exposed = configFileExposure(ctx.home);
    if (exposed) ctx.log.warn(exposed);
    const inbox = new Inbox(ctx.home, {
      heldRetentionHours: safeRetention(ctx),
      onWarning: (m) => ctx.log.warn(m),
    });
    held = await inbox.releaseHeld(sid);
  }
  // The status card opens the session's thread from its first second (hooks/_card.ts).
  const card = input.hook_event_name === "SessionStart" || !known
    ? await (await import("./_card.ts")).queueCard(ctx, record)
    : undefined;
  let bridge: string;
  try {
    bridge = await ensureBridge(ctx, transcript);
  } catch (err) {
    bridge = `bridge start failed: ${describeError(err)}`;
  }
  ctx.log.info(
    `${input.hook_event_name} ${sid.slice(0, 8)}: registered as ${record.name}` +
      `${pid ? ` (pid ${pid})` : " (no pid)"}; ${bridge}${card ? `; ${card}` : ""}` +
      (held ? `; ${held} held message(s) moved here` : ""),
  );
  if (input.hook_event_name === "SessionStart") {
    // Held messages (and anything already addressed to it) reach Claude right away.
    return await deliverRole(input, ctx);
  }
  return 0;
}

function safeRetention(ctx: HookContext): number {
  try {
    return ctx.config().heldRetentionHours;
  } catch (err) {
    if (err instanceof ConfigError) return 24; // a bad config is reported where it matters
    throw err;
  }
}

/**
 * This machine's configured label (config.json `machineLabel`, `CLAUDE_DISCORD_MACHINE`), for a
 * new session's name; `undefined` when none is set or the configuration cannot be read.
 *
 * @param ctx The hook context.
 * @returns The label.
 */
export function configuredLabel(ctx: HookContext): string | undefined {
  try {
    return ctx.config().machineLabel;
  } catch (err) {
    if (err instanceof ConfigError) return undefined; // a bad config is reported where it matters
    throw err;
  }
}
