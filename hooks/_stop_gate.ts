// Private: the `stop` role: PreToolUse of a session stopped from Discord (`hooks/fast.sh`
// starts it, instead of the register role, while the session's stop marker is non-empty; see
// stop.ts). It blocks the tool call and ends the turn.
//
// What Claude Code does with it (checked with the real CLI, ARCHITECTURE.md "Claude Code facts";
// tests/e2e/stop_e2e_test.ts): `continue: false` alone ends the turn only after the tool ran;
// a PreToolUse `deny` alone blocks the call but the model goes on. Both together block the call
// and end the turn, in `claude -p` and interactively (no Stop hook runs after it). The marker
// stays until the next turn begins, so parallel calls of the stopped turn are blocked too.
import { appendAudit } from "../_shared/audit.ts";
import { markStopApplied, stopReason } from "../stop.ts";
import type { HookContext } from "./_context.ts";
import { type HookInput, str } from "./_input.ts";

/**
 * The stop role: prints the decision that blocks the call and ends the turn, and audits the
 * stop the first time it applies. Prints nothing when the stop was cleared meanwhile.
 *
 * @param input The hook input (PreToolUse).
 * @param ctx The hook context.
 * @returns The exit code (always 0; the decision is on stdout).
 */
export function stopRole(input: HookInput, ctx: HookContext): Promise<number> {
  const sid = input.session_id;
  const tool = str(input, "tool_name") ?? "a tool";
  const applied = markStopApplied(ctx.home, sid, ctx.now());
  if (applied === undefined) return Promise.resolve(0);
  const { stop, first } = applied;
  const reason = stopReason(stop);
  const output: Record<string, unknown> = { continue: false, stopReason: reason };
  if (input.hook_event_name === "PreToolUse") {
    output.hookSpecificOutput = {
      hookEventName: "PreToolUse",
      permissionDecision: "deny",
      permissionDecisionReason: `${reason} (Discord user id ${stop.userId}): this call did not run`,
    };
  }
  ctx.out(JSON.stringify(output));
  ctx.log.info(`${input.hook_event_name} ${sid.slice(0, 8)}: ${tool} blocked: ${reason}`);
  if (first) {
    appendAudit(ctx.home, {
      at: new Date(ctx.now()).toISOString(),
      session: sid,
      decision: "stop applied",
      blocked: tool,
      by: { id: stop.userId, name: stop.by },
      via: stop.via,
      requestedAt: stop.at,
    });
  }
  return Promise.resolve(0);
}
