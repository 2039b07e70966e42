// Private: an exclusive advisory lock on a file (flock), held while a callback runs.
//
// The kernel releases the lock when the holder's descriptor is closed, including when the
// process is killed with SIGKILL, so a crashed holder never leaves a stale lock behind.
// flock locks belong to the open file description: two opens in the same process exclude
// each other too, so the same code serialises in-process callers and other processes.

/**
 * Runs `fn` while holding an exclusive lock on `path` (created 0600 if missing).
 *
 * @param path The lock file. Its contents are never read or written.
 * @param fn The critical section.
 * @returns What `fn` returns.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T> | T): Promise<T> {
  const file = Deno.openSync(path, { read: true, write: true, create: true, mode: 0o600 });
  try {
    // An uncontended lock is taken at once, on the event loop. Only a contended one waits,
    // on a worker thread (the async form), so in-process waiters do not block the loop.
    if (!file.tryLockSync(true)) await file.lock(true);
    return await fn();
  } finally {
    // Closing the descriptor releases the lock.
    file.close();
  }
}
