// Private: merging the fragment into existing settings without clobbering them (settings.ts
// re-exports `mergeSettings`).
import { isOurPermission } from "./permissions.ts";
import type { HookGroup, SettingsFragment } from "./types.ts";

/** Tells whether a hook command is one of ours (any checkout). */
function isOurs(hook: unknown): boolean {
  if (hook === null || typeof hook !== "object") return false;
  const cmd = (hook as { command?: unknown }).command;
  return typeof cmd === "string" &&
    /\/hooks\/(hook\.ts|deliver\.(ts|bundle\.js)|fast\.sh)\b/.test(cmd) &&
    cmd.includes("--role=");
}

/**
 * Merges a fragment into existing settings without clobbering: other keys, other events
 * and other hooks stay as they are; hooks of an earlier claude-discord install are
 * replaced (so merging twice changes nothing); list settings get our entries added once.
 *
 * @param existing The current settings object (parsed JSON).
 * @param fragment What to add (a {@linkcode SettingsFragment} or any settings object).
 * @returns A new object.
 *
 * @example Idempotent, and other hooks survive
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildSettings, mergeSettings } from "../settings.ts";
 * const mine = { hooks: { Stop: [{ hooks: [{ type: "command", command: "say done" }] }] } };
 * const f = buildSettings({ home: "/h", root: "/ck", denoPath: "/usr/bin/deno" });
 * const once = mergeSettings(mine, f);
 * const twice = mergeSettings(once, f);
 * assert(JSON.stringify(once) === JSON.stringify(twice));
 * assert(JSON.stringify(twice).includes("say done"));
 * ```
 */
export function mergeSettings(
  existing: Record<string, unknown>,
  fragment: SettingsFragment | Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(existing);
  for (const [key, value] of Object.entries(fragment as Record<string, unknown>)) {
    if (key === "hooks" && value && typeof value === "object") {
      const hooks: Record<string, unknown> = out.hooks && typeof out.hooks === "object" &&
          !Array.isArray(out.hooks)
        ? out.hooks as Record<string, unknown>
        : {};
      for (const [event, groups] of Object.entries(value as Record<string, HookGroup[]>)) {
        const kept: unknown[] = [];
        for (const group of Array.isArray(hooks[event]) ? hooks[event] as unknown[] : []) {
          const list = (group as { hooks?: unknown })?.hooks;
          if (!Array.isArray(list)) {
            kept.push(group);
            continue;
          }
          const others = list.filter((h) => !isOurs(h));
          if (others.length > 0) kept.push({ ...(group as object), hooks: others });
        }
        hooks[event] = [...kept, ...structuredClone(groups)];
      }
      out.hooks = hooks;
    } else if (key === "permissions" && value && typeof value === "object") {
      // Our rules replace an earlier install's; the user's rules and other keys stay.
      const current = out.permissions && typeof out.permissions === "object" &&
          !Array.isArray(out.permissions)
        ? out.permissions as Record<string, unknown>
        : {};
      const allow = Array.isArray(current.allow)
        ? current.allow.filter((r) => !isOurPermission(r))
        : [];
      const ours = (value as { allow?: unknown[] }).allow ?? [];
      out.permissions = {
        ...current,
        allow: [...allow, ...ours.filter((r) => !allow.includes(r))],
      };
    } else if (Array.isArray(value)) {
      const current = Array.isArray(out[key]) ? out[key] as unknown[] : [];
      out[key] = [...current, ...value.filter((v) => !current.includes(v))];
    } else if (value && typeof value === "object") {
      const current = out[key] && typeof out[key] === "object" && !Array.isArray(out[key])
        ? out[key] as Record<string, unknown>
        : {};
      out[key] = { ...current, ...structuredClone(value as Record<string, unknown>) };
    } else {
      out[key] = value;
    }
  }
  return out;
}
