// Private: the session registry as the hooks use it (liveness: sessions.ts's default,
// _shared/procs.ts `pidAlive`; "cannot tell" counts as alive, so the registry's time-to-live and
// SessionEnd end a session whose process cannot be checked).
import { SessionRegistry } from "../sessions.ts";

/** The session registry of the state directory `home`. */
export function sessionRegistry(home: string): SessionRegistry {
  return new SessionRegistry(home);
}
