/**
 * This machine's identity. Each state directory (`CLAUDE_DISCORD_HOME`) is one machine: two
 * state directories on one host are two machines, and several machines may run a bridge each on
 * one bot token (ARCHITECTURE.md, Machines).
 *
 * - **id**: 10 random base32 characters (`[a-z2-7]`), made once and kept in `$home/machine.json`
 *   (0600). Stable across restarts and upgrades; short enough for a `custom_id`. Decide
 *   ownership on it, never on the label.
 * - **label**: what people read (session cards, `/sessions`, thread names): the configured
 *   `machineLabel` (config.json, env `CLAUDE_DISCORD_MACHINE`, `deno task setup --machine-label`),
 *   else the host name recorded in `machine.json` when it was made (its first DNS label), else
 *   `machine-<id>`. Labels need not be unique.
 *
 * The host name is read once, by the first process that makes the file and may read it
 * (setup, the bridge: `--allow-sys=hostname`; a file made without it gets it from the first
 * such process), so the hooks need no `sys` permission. Reading
 * takes `--allow-read` and, the first time, `--allow-write` on the state directory.
 *
 * @example One state directory, one machine; another one, another machine
 * ```ts
 * import assert from "node:assert/strict";
 * import { machineIdentity } from "./machine.ts";
 *
 * const home = Deno.makeTempDirSync();
 * const first = machineIdentity(home, { label: "laptop" });
 * assert.match(first.id, /^[a-z2-7]{10}$/);
 * assert.equal(first.label, "laptop");
 * assert.equal(machineIdentity(home).id, first.id); // kept
 * assert.notEqual(machineIdentity(Deno.makeTempDirSync()).id, first.id);
 * ```
 *
 * @example From the configuration
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadConfig } from "./config.ts";
 * import { machineOf } from "./machine.ts";
 *
 * const home = Deno.makeTempDirSync();
 * const config = loadConfig({ env: { CLAUDE_DISCORD_HOME: home, CLAUDE_DISCORD_MACHINE: "box" } });
 * assert.equal(machineOf(config).label, "box");
 * ```
 *
 * @module
 */
import type { Config } from "./config.ts";
import { StateError } from "./errors.ts";
import {
  createPrivateFileExclusive,
  ensurePrivateDir,
  readJsonState,
  writePrivateFileAtomic,
} from "./_shared/fs.ts";
import { detectHost } from "./_shared/host.ts";

/** A machine: one state directory. */
export interface MachineIdentity {
  /** Stable id: 10 base32 characters, `[a-z2-7]`. */
  id: string;
  /** Human label: the configured one, else the host name, else `machine-<id>`. */
  label: string;
  /** ISO time the id was made. */
  created: string;
  /** The host name read when the file was made (absent when it could not be read). */
  hostname?: string;
}

/** What `machine.json` holds. */
export interface MachineFile {
  /** The machine id. */
  id: string;
  /** ISO time it was made. */
  created: string;
  /** The host name, when it could be read. */
  hostname?: string;
}

/** Options of {@linkcode machineIdentity}. */
export interface MachineOptions {
  /** The configured label (`Config.machineLabel`); unset: the host name. */
  label?: string;
  /** The host name to record when the file is made. Default: read it if permitted. */
  hostname?: () => string | undefined;
  /** Clock (ms), for `created`. Default `Date.now`. */
  now?: () => number;
  /** Told when a damaged `machine.json` was moved aside (a new id is made). */
  onWarning?: (message: string) => void;
}

const ID_PATTERN = /^[a-z2-7]{10}$/;
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/**
 * The path of `machine.json` under a state directory.
 *
 * @param home The state directory.
 * @returns `$home/machine.json`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { machinePath } from "./machine.ts";
 * assert.equal(machinePath("/h/"), "/h/machine.json");
 * ```
 */
export function machinePath(home: string): string {
  return `${home.replace(/\/+$/, "")}/machine.json`;
}

/**
 * This machine's identity: reads `$home/machine.json`, or makes it (once; of two processes
 * making it at the same time one wins and both return its id).
 *
 * @param home The state directory.
 * @param options The configured label, host name source, clock, warning sink.
 * @returns Id, label, creation time, host name.
 * @throws {StateError} When the file cannot be read or made.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { machineIdentity } from "./machine.ts";
 * const m = machineIdentity(Deno.makeTempDirSync(), { hostname: () => "build-7.example.com" });
 * assert.equal(m.label, "build-7");
 * assert.equal(m.hostname, "build-7.example.com");
 * ```
 */
export function machineIdentity(home: string, options: MachineOptions = {}): MachineIdentity {
  let file = readMachineFile(home, options.onWarning) ?? makeMachineFile(home, options);
  if (file.hostname === undefined) file = withHostname(home, file, options);
  return {
    id: file.id,
    label: options.label ?? labelOf(file),
    created: file.created,
    ...(file.hostname ? { hostname: file.hostname } : {}),
  };
}

/**
 * The identity of the machine a configuration describes (its state directory and label).
 *
 * @param config A loaded configuration.
 * @param options As for {@linkcode machineIdentity} (the label comes from `config`).
 * @returns The identity.
 */
export function machineOf(
  config: Pick<Config, "home" | "machineLabel">,
  options: Omit<MachineOptions, "label"> = {},
): MachineIdentity {
  return machineIdentity(config.home, {
    ...options,
    ...(config.machineLabel ? { label: config.machineLabel } : {}),
  });
}

/**
 * Reads `machine.json` without making it.
 *
 * @param home The state directory.
 * @param onWarning Told when a damaged file was moved aside.
 * @returns Its content, or `undefined` when absent (or damaged).
 * @throws {StateError} When it cannot be read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readMachineFile } from "./machine.ts";
 * assert.equal(readMachineFile(Deno.makeTempDirSync()), undefined);
 * ```
 */
export function readMachineFile(
  home: string,
  onWarning?: (message: string) => void,
): MachineFile | undefined {
  const state = readJsonState(machinePath(home), parseMachineFile, undefined);
  if (state.damaged) onWarning?.(state.damaged);
  return state.value;
}

function parseMachineFile(value: unknown): MachineFile | undefined {
  const v = value as Partial<MachineFile> | null;
  if (!v || typeof v !== "object" || typeof v.id !== "string" || !ID_PATTERN.test(v.id)) {
    return undefined;
  }
  if (typeof v.created !== "string") return undefined;
  return {
    id: v.id,
    created: v.created,
    ...(typeof v.hostname === "string" && v.hostname ? { hostname: v.hostname } : {}),
  };
}

function makeMachineFile(home: string, options: MachineOptions): MachineFile {
  const hostname = (options.hostname ?? readHostname)();
  const made: MachineFile = {
    id: newMachineId(),
    created: new Date((options.now ?? Date.now)()).toISOString(),
    ...(hostname ? { hostname } : {}),
  };
  const path = machinePath(home);
  try {
    ensurePrivateDir(home);
    if (createPrivateFileExclusive(path, JSON.stringify(made, null, 2) + "\n")) return made;
  } catch (err) {
    throw new StateError(`Cannot make ${path}: check the state directory's owner and permissions`, {
      cause: err,
    });
  }
  // Another process made it first: its id is the machine's.
  const theirs = readMachineFile(home, options.onWarning);
  if (theirs) return theirs;
  writePrivateFileAtomic(path, JSON.stringify(made, null, 2) + "\n");
  return made;
}

/**
 * A file made by a process that could not read the host name (a hook) gets it from the first
 * one that can (setup, the bridge); the id stays.
 */
function withHostname(home: string, file: MachineFile, options: MachineOptions): MachineFile {
  const hostname = (options.hostname ?? readHostname)();
  if (!hostname) return file;
  const updated = { ...file, hostname };
  writePrivateFileAtomic(machinePath(home), JSON.stringify(updated, null, 2) + "\n");
  return updated;
}

function readHostname(): string | undefined {
  try {
    return detectHost();
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      return undefined;
    }
    throw err;
  }
}

/**
 * A new machine id: 10 characters of lower-case base32 (50 random bits).
 *
 * @returns The id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newMachineId } from "./machine.ts";
 * assert.match(newMachineId(), /^[a-z2-7]{10}$/);
 * ```
 */
export function newMachineId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  return [...bytes].map((b) => BASE32[b & 31]).join("");
}

function labelOf(file: MachineFile): string {
  const host = file.hostname?.split(".")[0]?.trim().slice(0, 32);
  return host ? host : `machine-${file.id}`;
}
