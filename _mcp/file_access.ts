// Private: which local files the MCP server may read and send, and opening one so that what
// is read is what was checked. Every tool that reads a file goes through openAllowedFile
// (ARCHITECTURE.md, "Processes and their permissions").
//
// The rules, on the file's real path (every symlink resolved):
// - never under the state directory (config.json holds the bot token), nor the same file as
//   its config.json under another name (a hard link);
// - a file listed in `allowedFilePaths` (config.ts) opens;
// - otherwise it must lie under an allowed root: the session's project directory, or a
//   directory listed in `allowedFilePaths`; and neither its name nor a directory between the
//   root and it may mark a secret (SECRET_NAMES, SECRET_DIRS).
// The file is opened by its real path, and it counts only if, after the open, that path still
// resolves to itself and names the very file opened (device and inode): a path swapped for a
// link between the check and the open is refused.
// Deno's `--allow-read` of the server (settings.ts `mcpConfig`) is the second wall: a path it
// does not cover fails with NotCapable, reported as outside.
import { basename, isAbsolute, relative, resolve, sep } from "node:path";
import { describeError } from "../log.ts";

/** What {@linkcode openAllowedFile} checks a path against. */
export interface FileAccess {
  /** The state directory: nothing under it is ever read. */
  home: string;
  /** The session's project directories (its cwd, the server's project directory). */
  projectDirs: readonly string[];
  /** `allowedFilePaths` of config.json: directories and single files, absolute. */
  allowed: readonly string[];
}

/** A file opened for reading after the checks; close `file` when done. */
export interface AllowedFile {
  /** The open file. */
  file: Deno.FsFile;
  /** Its real path. */
  realPath: string;
  /** Its metadata (from the open file). */
  info: Deno.FileInfo;
}

/** File names that mark a secret, with what they are (for the refusal). */
export const SECRET_NAMES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\.env|\.env$/i, "an environment file"],
  [/^id_(rsa|dsa|ecdsa|ed25519)(_sk)?$/i, "an SSH private key"],
  [/\.(pem|key|p12|pfx|jks|keystore|ppk|kdbx)$/i, "a private key or key store"],
  [
    /^(\.?credentials(\.json)?|\.git-credentials|[._]netrc|\.npmrc|\.pypirc|\.pgpass|\.htpasswd|\.dockercfg|\.s3cfg|secrets?\.(json|ya?ml|toml))$/i,
    "a credentials file",
  ],
];

/** Directories whose files are secrets (SSH, GnuPG, cloud and cluster credentials). */
export const SECRET_DIRS: ReadonlySet<string> = new Set([
  ".ssh",
  ".gnupg",
  ".aws",
  ".azure",
  ".kube",
  ".docker",
  ".password-store",
]);

/**
 * Why a path marks a secret, or `undefined`.
 *
 * @param path The path below its root (relative), or a file name.
 * @returns What kind of secret it looks like.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { secretKind } from "./file_access.ts";
 * assert.equal(secretKind(".env.local"), "an environment file");
 * assert.equal(secretKind("keys/.ssh/known_hosts"), "a file under .ssh");
 * assert.equal(secretKind("id_ed25519.pub"), undefined);
 * assert.equal(secretKind("src/main.ts"), undefined);
 * ```
 */
export function secretKind(path: string): string | undefined {
  const parts = path.split(sep).filter((p) => p !== "" && p !== ".");
  const name = parts.at(-1) ?? "";
  for (const [pattern, what] of SECRET_NAMES) if (pattern.test(name)) return what;
  const dir = parts.slice(0, -1).find((p) => SECRET_DIRS.has(p));
  return dir === undefined ? undefined : `a file under ${dir}`;
}

function inside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/**
 * Whether an error of a path lookup means "nothing this server can see there": missing, a file
 * where a directory was expected, or outside what it may read. Such a path stays as given (and
 * fails the checks), never opens.
 */
function unseen(err: unknown): boolean {
  return err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory ||
    err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied;
}

async function realOrSelf(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch (err) {
    if (unseen(err)) return resolve(path);
    throw err;
  }
}

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (err) {
    if (unseen(err)) return undefined;
    throw err;
  }
}

function sameFile(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  return a.dev === b.dev && a.ino !== null && a.ino === b.ino;
}

/**
 * Opens `path` for reading when the rules allow it (see the module comment).
 *
 * @param path An absolute path (the caller resolves relative ones and `~`).
 * @param access The state directory, the project directories and the configured paths.
 * @returns The open file, its real path and metadata.
 * @throws {RangeError} With one sentence naming the fix when the file is missing, not a
 *   regular file, or not allowed.
 *
 * @example Files of the project open; the state directory and secrets do not
 * ```ts
 * import assert from "node:assert/strict";
 * import { openAllowedFile } from "./file_access.ts";
 *
 * const project = Deno.makeTempDirSync();
 * const home = Deno.makeTempDirSync();
 * Deno.writeTextFileSync(`${project}/notes.txt`, "hello");
 * Deno.writeTextFileSync(`${project}/.env`, "KEY=1");
 * Deno.writeTextFileSync(`${home}/config.json`, "{}");
 * const access = { home, projectDirs: [project], allowed: [] };
 * const opened = await openAllowedFile(`${project}/notes.txt`, access);
 * opened.file.close();
 * assert.equal(opened.info.size, 5);
 * await assert.rejects(openAllowedFile(`${home}/config.json`, access), /state directory/);
 * await assert.rejects(openAllowedFile(`${project}/.env`, access), /environment file/);
 * ```
 */
export async function openAllowedFile(path: string, access: FileAccess): Promise<AllowedFile> {
  const given = resolve(path);
  let real: string;
  try {
    real = await Deno.realPath(given);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      throw new RangeError(`No file at ${given}: pass an existing file`, { cause: err });
    }
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      throw outside(given, undefined, access, err);
    }
    throw err;
  }
  const home = resolve(access.home);
  const homeReal = await realOrSelf(home);
  if (inside(real, homeReal) || inside(given, home)) {
    throw new RangeError(
      `${given} is in claude-discord's state directory (${home}), which holds the bot token: send_file never reads there`,
    );
  }

  const listed = await Promise.all(access.allowed.map(async (p) => {
    const r = await realOrSelf(p);
    return { path: resolve(p), real: r, info: await statOrUndefined(r) };
  }));
  const explicit = listed.some((l) => l.info?.isFile && l.real === real);
  if (!explicit) {
    const roots = [
      ...await Promise.all(access.projectDirs.map(async (d) => {
        const r = await realOrSelf(d);
        return { path: resolve(d), real: r };
      })),
      ...listed.filter((l) => l.info?.isDirectory),
    ];
    const root = roots.find((r) => inside(real, r.real));
    if (root === undefined) throw outside(given, real, access);
    const givenRoot = roots.find((r) => inside(given, r.path));
    const secret = secretKind(relative(root.real, real)) ??
      (givenRoot ? secretKind(relative(givenRoot.path, given)) : secretKind(basename(given)));
    if (secret !== undefined) {
      throw new RangeError(
        `${given} looks like ${secret}, which send_file does not send: list its path in allowedFilePaths of ${home}/config.json if it is meant to be shared`,
      );
    }
  }

  let file: Deno.FsFile;
  try {
    file = await Deno.open(real, { read: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new RangeError(`No file at ${given}: pass an existing file`, { cause: err });
    }
    if (err instanceof Deno.errors.NotCapable) throw outside(given, real, access, err);
    throw new RangeError(`Cannot read ${given} (${describeError(err)}): pass a readable file`, {
      cause: err,
    });
  }
  try {
    const info = await file.stat();
    if (!info.isFile) {
      throw new RangeError(
        `${given} is not a regular file: pass a file (archive a directory first, e.g. tar czf)`,
      );
    }
    // What was opened must be what was checked: the real path still resolves to itself and
    // names the same file.
    const now = await realOrSelf(real);
    const named = await statOrUndefined(real);
    if (now !== real || named === undefined || !sameFile(info, named)) {
      throw new RangeError(`${given} changed while it was being opened: try again`);
    }
    const config = await statOrUndefined(`${home}/config.json`);
    if (config !== undefined && sameFile(info, config)) {
      throw new RangeError(
        `${given} is another name (a hard link) of ${home}/config.json, which holds the bot token: send_file never reads it`,
      );
    }
    return { file, realPath: real, info };
  } catch (err) {
    file.close();
    throw err;
  }
}

function outside(
  given: string,
  real: string | undefined,
  access: FileAccess,
  cause?: unknown,
): RangeError {
  const dirs = [...new Set(access.projectDirs.map((d) => resolve(d)))].join(", ");
  const link = real !== undefined && real !== given ? ` (a link to ${real})` : "";
  return new RangeError(
    `${given}${link} is outside the directories send_file may read (the project ${dirs}, and allowedFilePaths of ${
      resolve(access.home)
    }/config.json): copy the file into the project, or add its directory to allowedFilePaths and run \`deno task setup\` again`,
    cause === undefined ? undefined : { cause },
  );
}
