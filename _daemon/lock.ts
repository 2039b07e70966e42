// Private: the single-instance lock of the bridge (see daemon.ts).
import { StateError } from "../errors.ts";
import { ensurePrivateDir, removeIfExists, writePrivateFileAtomic } from "../_shared/fs.ts";
import { type BridgePaths, bridgePaths, readPid } from "./state.ts";
import { describeError } from "../log.ts";

/** The instance lock, held by the running bridge until released or the process ends. */
export interface InstanceLock extends Disposable {
  /** The pid written to the pid file. */
  readonly pid: number;
  /** The bridge's files. */
  readonly paths: BridgePaths;
  /** Removes the pid file (if still ours) and releases the lock. Idempotent. */
  release(): void;
}

/** The result of {@linkcode acquireInstanceLock}. */
export type AcquireResult =
  | { acquired: true; lock: InstanceLock }
  | { acquired: false; pid: number | undefined };

/** Options of {@linkcode acquireInstanceLock}. */
export interface AcquireOptions {
  /** The pid to record. Default `Deno.pid`. */
  pid?: number;
  /** Tries before giving up (a probe holds the lock for a moment). Default 6. */
  attempts?: number;
  /** Pause between tries in ms. Default 50. */
  intervalMs?: number;
}

/**
 * Takes the single-instance lock for `home` and writes the pid file.
 *
 * A lock left by a killed bridge does not exist (the kernel released it), so this only
 * fails while another bridge runs; it then reports that bridge's pid.
 *
 * @param home The state directory.
 * @param options Pid to record and retry pacing.
 * @returns The lock, or the pid of the bridge that holds it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { acquireInstanceLock } from "../daemon.ts";
 * const home = Deno.makeTempDirSync();
 * const first = await acquireInstanceLock(home);
 * const second = await acquireInstanceLock(home, { attempts: 1 });
 * assert(first.acquired && !second.acquired && second.pid === Deno.pid);
 * if (first.acquired) first.lock.release();
 * ```
 */
export async function acquireInstanceLock(
  home: string,
  options: AcquireOptions = {},
): Promise<AcquireResult> {
  const paths = bridgePaths(home);
  const pid = options.pid ?? Deno.pid;
  const attempts = Math.max(1, options.attempts ?? 6);
  const intervalMs = options.intervalMs ?? 50;
  ensurePrivateDir(home);
  ensurePrivateDir(paths.dir);
  for (let attempt = 1;; attempt++) {
    const file = Deno.openSync(paths.lock, {
      read: true,
      write: true,
      create: true,
      mode: 0o600,
    });
    let locked = false;
    try {
      locked = file.tryLockSync(true);
    } catch (err) {
      file.close();
      throw new StateError(`Cannot lock ${paths.lock}: ${describeError(err)}`, {
        cause: err,
      });
    }
    if (locked) {
      writePrivateFileAtomic(paths.pid, `${pid}\n`);
      return { acquired: true, lock: heldLock(file, paths, pid) };
    }
    file.close();
    if (attempt >= attempts) return { acquired: false, pid: await holderPid(paths, intervalMs) };
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * The pid of the lock's holder. It writes its pid file just after it takes the lock, so a
 * missing one is looked for again for up to a second (a loaded machine can be that slow).
 */
async function holderPid(paths: BridgePaths, intervalMs: number): Promise<number | undefined> {
  const deadline = Date.now() + 1_000;
  for (;;) {
    const pid = readPid(paths.pid);
    if (pid !== undefined || Date.now() >= deadline) return pid;
    await new Promise((resolve) => setTimeout(resolve, Math.max(10, intervalMs)));
  }
}

function heldLock(file: Deno.FsFile, paths: BridgePaths, pid: number): InstanceLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    try {
      if (readPid(paths.pid) === pid) removeIfExists(paths.pid);
    } finally {
      file.close(); // closing the descriptor releases the flock
    }
  };
  return { pid, paths, release, [Symbol.dispose]: release };
}
