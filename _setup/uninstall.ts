// Private: `setup --uninstall`: the hooks, the MCP server and its permission rules out of the
// settings files again, the install forgotten, the bridge stopped, its slash commands removed.
import type { Config } from "../config.ts";
import { describeError } from "../log.ts";
import {
  applyChange,
  type InstallTarget,
  installTarget,
  planMcpRemoval,
  planRemoval,
} from "./install.ts";
import { forgetInstalls } from "./installs.ts";

/** Where to uninstall from. */
export interface UninstallPlace {
  /** The state directory. */
  home: string;
  /** The project directory. */
  projectDir: string;
  /** The environment (`HOME`). */
  env: Record<string, string | undefined>;
  /** Loads the configuration (the slash commands' bot and server). */
  load: () => Config;
}

/**
 * `--uninstall`: takes the hooks, the MCP server and its permission rules out again (from the
 * project's local and shared files, or the user's with `--user`), forgets the install, stops the
 * bridge and removes its slash commands from the server (a bridge started later adds them again).
 */
export async function uninstall(
  flags: { user: boolean; write?: string; "write-mcp"?: string; "dry-run": boolean },
  { home, projectDir, env: e, load }: UninstallPlace,
  io: { out: (line: string) => void; err: (line: string) => void },
): Promise<number> {
  const homeDir = e.HOME ? { homeDir: e.HOME } : {};
  const targets: InstallTarget[] = flags.user
    ? [installTarget({ user: true, projectDir, ...homeDir })]
    : [
      ...(e.HOME ? [installTarget({ user: false, projectDir, ...homeDir })] : []),
      installTarget({ user: false, shared: true, projectDir }),
    ];
  const changes = flags.write || flags["write-mcp"]
    ? [flags.write, flags["write-mcp"]].filter((p) => p !== undefined).map((p) => planRemoval(p))
    : targets.flatMap((t) => [planRemoval(t.settings), planMcpRemoval(t)]);
  const said = changes.filter((c) => c.changed);
  if (said.length === 0) {
    io.out(`Nothing of claude-discord in ${changes.map((c) => c.path).join(", ")}`);
  }
  for (const change of said) {
    if (flags["dry-run"]) io.out(`(dry run) ${change.summary}`);
    else {
      const backup = applyChange(change);
      io.out(`${change.summary}${backup ? `; previous version in ${backup}` : ""}`);
    }
  }
  if (!flags["dry-run"]) {
    forgetInstalls(
      home,
      [...targets.map((t) => t.settings), ...changes.map((c) => c.path)],
      (line) => io.err(`warn ${line}`),
    );
    try {
      const { stopBridge } = await import("../daemon.ts");
      const r = await stopBridge(home);
      if (r.wasRunning) {
        io.out(`stopped the bridge (pid ${r.pid}); a session with hooks left starts it again`);
      }
    } catch (err) {
      io.err(`could not stop the bridge: ${describeError(err)}`);
    }
    try {
      const { COMMAND_NAMES, removeSlashCommands } = await import("./commands.ts");
      const r = await removeSlashCommands(load());
      if ("removed" in r && r.removed > 0) io.out(`removed the slash commands ${COMMAND_NAMES}`);
      if ("skipped" in r && r.skipped.startsWith("no network")) {
        io.err(`warn the slash commands ${COMMAND_NAMES} stay: ${r.skipped}`);
      }
    } catch (err) {
      io.err(`could not remove the slash commands: ${describeError(err)}`);
    }
  }
  io.out(`The state directory stays: ${home} (config.json holds the token; delete it with rm -r)`);
  return 0;
}
