// Private: the session registry as the hooks use it (liveness: sessions.ts's default,
// _shared/procs.ts `pidAlive`; "cannot tell" counts as alive, so the registry's time-to-live and
// SessionEnd end a session whose process cannot be checked). A new session's name takes this
// machine's label when another machine's session has it (the session threads the bridge saw,
// daemon.ts `readSessionThreads`; ARCHITECTURE.md, Machines).
import type { Logger } from "../log.ts";
import { readSessionThreads } from "../daemon.ts";
import { machineIdentity } from "../machine.ts";
import { SessionRegistry } from "../sessions.ts";

/**
 * The session registry of the state directory `home`; a damaged record is logged to `log`.
 *
 * @param home The state directory.
 * @param log Where damaged records are told.
 * @param label This machine's configured label (config.json `machineLabel`), read when a new
 *   session's name needs it.
 * @returns The registry.
 */
export function sessionRegistry(
  home: string,
  log?: Pick<Logger, "warn">,
  label?: () => string | undefined,
): SessionRegistry {
  const onWarning = (message: string) => log?.warn(message);
  return new SessionRegistry(home, {
    onWarning,
    otherMachines: () => {
      const threads = readSessionThreads(home);
      if (threads.length === 0) return { label: "", threads };
      const configured = label?.();
      const machine = machineIdentity(home, {
        ...(configured ? { label: configured } : {}),
        onWarning,
      });
      return { label: machine.label, threads };
    },
  });
}
