// Private: the session registry as the hooks use it.
import { SessionRegistry } from "../sessions.ts";

/**
 * Whether a pid is alive, as far as this process may look: Deno lets only `--allow-all`
 * read `/proc/<pid>`, so "cannot tell" counts as alive (the registry's time-to-live and
 * SessionEnd then end the session), like the bridge does.
 */
export function pidAlive(pid: number): boolean {
  if (Deno.build.os !== "linux") return true;
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (err) {
    return !(err instanceof Deno.errors.NotFound);
  }
}

/** The session registry with the hooks' liveness probe. */
export function sessionRegistry(home: string): SessionRegistry {
  return new SessionRegistry(home, { isAlive: pidAlive });
}
