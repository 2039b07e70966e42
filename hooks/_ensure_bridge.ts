// Private: the hooks' way to make sure the bridge runs (register role; any role that needs the
// bridge may call it). It checks that the bridge is configured, then leaves the rest to
// daemon.ts `ensureBridgeRunning`: a bridge that is down starts at once, one that keeps
// crashing soon after its start waits longer each time. Two sessions starting at the same
// instant start one bridge (a lock around the start; the bridge's own instance lock besides).
import { bridgeCommand, ensureBridgeRunning, transcriptsDirOf } from "../daemon.ts";
import { ensurePrivateDir, removeIfExists, writePrivateFileAtomic } from "../_shared/fs.ts";
import { type HookContext, hookPaths } from "./_context.ts";

/**
 * Starts the bridge unless it runs, it is not configured, or it keeps crashing and its next
 * start is not due yet.
 *
 * @param ctx The hook context.
 * @param transcript The hook input's `transcript_path`: the bridge may read Claude Code's
 *   transcripts beside it (the status cards' figures).
 * @returns What happened, for the log.
 */
export async function ensureBridge(ctx: HookContext, transcript?: string): Promise<string> {
  const config = ctx.config();
  const paths = hookPaths(ctx.home);
  if (!config.token || !config.channelId) {
    // Tells the PreToolUse fast path not to start Deno on every tool call for nothing;
    // SessionStart looks again.
    ensurePrivateDir(paths.dir);
    writePrivateFileAtomic(paths.bridgeOff, "no bot token or channel configured\n");
    return "bridge not configured (no token or channel)";
  }
  removeIfExists(paths.bridgeOff);
  const transcripts = transcript === undefined ? undefined : transcriptsDirOf(transcript);
  const command = bridgeCommand({
    home: ctx.home,
    apiUrl: config.apiUrl,
    ...(config.webhookUrl ? { webhookUrl: config.webhookUrl } : {}),
    ...(ctx.denoPath ? { denoPath: ctx.denoPath } : {}),
    ...(transcripts ? { transcripts } : {}),
    bridgeArgs: [],
  });
  const result = await ensureBridgeRunning({ home: ctx.home, ...command, now: ctx.now });
  return result.message;
}
