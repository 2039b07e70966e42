// Private: the host name (STATUS posts, the machine label), from what this process may already read.
import { readTextIfExists } from "./fs.ts";

function granted(desc: Deno.PermissionDescriptor): boolean {
  return Deno.permissions.querySync(desc).state === "granted";
}

/**
 * The host name, from what is already permitted (never prompts): `Deno.hostname()`, else
 * `/etc/hostname`, else `$HOSTNAME`.
 *
 * @returns The name, or `undefined` when none may be read.
 */
export function detectHost(): string | undefined {
  if (granted({ name: "sys", kind: "hostname" })) return Deno.hostname();
  if (granted({ name: "read", path: "/etc/hostname" })) {
    const h = readTextIfExists("/etc/hostname")?.trim(); // none in some containers
    if (h) return h;
  }
  if (granted({ name: "env", variable: "HOSTNAME" })) {
    return Deno.env.get("HOSTNAME") || undefined;
  }
  return undefined;
}
