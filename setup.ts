#!/usr/bin/env -S deno run --allow-read --allow-write --allow-env
/**
 * Setup of claude-discord (minimal for now: the settings fragment; the interactive setup,
 * `status` and `doctor` come later).
 *
 * ```sh
 * deno run --allow-read --allow-write --allow-env setup.ts --print            # settings.json part
 * deno run --allow-read --allow-write --allow-env setup.ts --print-mcp        # .mcp.json part
 * deno run --allow-read --allow-write --allow-env setup.ts --write .claude/settings.json --write-mcp .mcp.json
 * ```
 *
 * The fragment has absolute paths to this checkout and to the state directory
 * (`CLAUDE_DISCORD_HOME`), and the network hosts of the configured API and webhook; see
 * settings.ts for every hook and its permissions. `--write` merges without clobbering:
 * other settings and other hooks stay, an earlier claude-discord install is replaced, and
 * the previous file is kept as `FILE.bak`.
 *
 * @example Print the fragment for a temporary state directory
 * ```ts ignore
 * import { main } from "./setup.ts";
 * await main(["--print", "--home", Deno.makeTempDirSync()]);
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { loadConfig } from "./config.ts";
import { ConfigError } from "./errors.ts";
import { readTextIfExists } from "./_fs.ts";
import { buildSettings, mcpConfig, mergeSettings, type SettingsOptions } from "./settings.ts";

const HELP = `Usage: setup.ts [--print] [--print-mcp] [--write FILE] [--write-mcp FILE]
                [--home DIR] [--deno PATH]

  --print           print the Claude Code settings fragment (hooks, MCP server enabled)
  --print-mcp       print the .mcp.json fragment (the MCP server entry)
  --write FILE      merge the settings fragment into FILE (e.g. .claude/settings.json)
  --write-mcp FILE  merge the MCP server entry into FILE (e.g. .mcp.json)
  --home DIR        state directory (default: $CLAUDE_DISCORD_HOME or ~/.claude/discord)
  --deno PATH       deno binary the hooks run with (default: this one)
  -h, --help        this help`;

/**
 * Merges `fragment` into the JSON file at `path` (created when missing, 0600 when new;
 * the old content kept as `path.bak`).
 *
 * @param path The settings file.
 * @param fragment What to merge.
 * @returns The merged object.
 * @throws {ConfigError} When the file is not a JSON object.
 *
 * @example
 * ```ts
 * import { mergeIntoFile } from "./setup.ts";
 * const path = `${Deno.makeTempDirSync()}/settings.json`;
 * Deno.writeTextFileSync(path, '{"model":"opus"}');
 * const merged = mergeIntoFile(path, { enabledMcpjsonServers: ["discord"] });
 * console.assert(merged.model === "opus");
 * ```
 */
export function mergeIntoFile(
  path: string,
  fragment: Record<string, unknown>,
): Record<string, unknown> {
  const text = readTextIfExists(path);
  let existing: Record<string, unknown> = {};
  if (text !== undefined && text.trim() !== "") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ConfigError(`${path} is not valid JSON: fix it first (nothing was changed)`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new ConfigError(`${path} does not hold a JSON object: fix it first`);
    }
    existing = parsed as Record<string, unknown>;
    Deno.writeTextFileSync(`${path}.bak`, text, { mode: 0o600 });
  }
  const merged = mergeSettings(existing, fragment);
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".";
  if (dir) Deno.mkdirSync(dir, { recursive: true });
  const tmp = `${path}.${Deno.pid}.tmp`;
  Deno.writeTextFileSync(tmp, JSON.stringify(merged, null, 2) + "\n", { mode: 0o600 });
  Deno.renameSync(tmp, path);
  return merged;
}

/**
 * The CLI.
 *
 * @param args Command-line arguments.
 * @returns The exit code (2 for usage and configuration errors, 1 otherwise).
 */
export function main(args: string[]): number {
  let flags;
  try {
    flags = parseArgs({
      args,
      options: {
        print: { type: "boolean", default: false },
        "print-mcp": { type: "boolean", default: false },
        write: { type: "string" },
        "write-mcp": { type: "string" },
        home: { type: "string" },
        deno: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : err}: see --help`);
    return 2;
  }
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  if (!flags.print && !flags["print-mcp"] && !flags.write && !flags["write-mcp"]) {
    console.error("Nothing to do: use --print or --write FILE (the full setup comes later)");
    return 2;
  }
  try {
    const env: Record<string, string | undefined> = {};
    for (const name of ["CLAUDE_DISCORD_HOME", "HOME", "DISCORD_API_URL", "DISCORD_WEBHOOK_URL"]) {
      try {
        env[name] = Deno.env.get(name);
      } catch {
        // not permitted: unset
      }
    }
    if (flags.home) env.CLAUDE_DISCORD_HOME = flags.home;
    const config = loadConfig({ env });
    const home = config.home.startsWith("/") ? config.home : `${Deno.cwd()}/${config.home}`;
    const options: SettingsOptions = {
      home,
      apiUrl: config.apiUrl,
      ...(config.webhookUrl ? { webhookUrl: config.webhookUrl } : {}),
      wakeOnMessage: config.wakeOnMessage,
      wakeTimeoutSeconds: config.wakeTimeoutSeconds,
      permissionTimeoutSeconds: config.permissionTimeoutSeconds,
      ...(flags.deno ? { denoPath: flags.deno } : {}),
    };
    const settings = buildSettings(options) as unknown as Record<string, unknown>;
    const mcp = mcpConfig(options) as unknown as Record<string, unknown>;
    if (flags.print) console.log(JSON.stringify(settings, null, 2));
    if (flags["print-mcp"]) console.log(JSON.stringify(mcp, null, 2));
    if (flags.write) {
      mergeIntoFile(flags.write, settings);
      console.error(`Merged the claude-discord hooks into ${flags.write}`);
    }
    if (flags["write-mcp"]) {
      mergeIntoFile(flags["write-mcp"], mcp);
      console.error(`Merged the discord MCP server into ${flags["write-mcp"]}`);
    }
    return 0;
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return err instanceof ConfigError ? 2 : 1;
  }
}

if (import.meta.main) Deno.exit(main(Deno.args));
