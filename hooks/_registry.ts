// Private: the session registry as the hooks use it (liveness: sessions.ts's default,
// _shared/procs.ts `pidAlive`; "cannot tell" counts as alive, so the registry's time-to-live and
// SessionEnd end a session whose process cannot be checked).
import type { Logger } from "../log.ts";
import { SessionRegistry } from "../sessions.ts";

/** The session registry of the state directory `home`; a damaged record is logged to `log`. */
export function sessionRegistry(home: string, log?: Pick<Logger, "warn">): SessionRegistry {
  return new SessionRegistry(home, { onWarning: (message) => log?.warn(message) });
}
