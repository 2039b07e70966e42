// Fixtures shared by every test: the checkout's path; the one temp-directory fixture,
// `await using dir = await tempDir("posts-")`, which makes a fresh directory and removes it,
// with everything in it, when the scope ends (the test passed, failed or threw; temp
// directories made by the code under test are its own); and mailbox events.
import { fileURLToPath } from "node:url";
import type { InboxEvent } from "../inbox.ts";

/** The checkout (absolute, no trailing slash). */
export const ROOT: string = fileURLToPath(new URL("..", import.meta.url)).replace(/\/+$/, "");

/** A fresh temp directory, removed recursively on dispose. */
export interface TempDir extends AsyncDisposable {
  /** The directory: absolute, symlinks resolved (what `Deno.realPath` and child processes see). */
  readonly path: string;
}

/** Attempts to remove a directory a late writer (a process still exiting) refills meanwhile. */
const REMOVE_ATTEMPTS = 5;
const REMOVE_PAUSE_MS = 100;

/**
 * Makes a temp directory named `<prefix><random>` (mode 0700) under the system temp directory.
 *
 * Disposing it removes it recursively; a directory already gone is fine, any other failure
 * (after a few attempts, for a process that is still writing into it) throws, so a test that
 * leaves something undeletable behind fails instead of leaking it.
 */
export async function tempDir(prefix = "cd-test-"): Promise<TempDir> {
  const path = await Deno.realPath(await Deno.makeTempDir({ prefix }));
  return {
    path,
    async [Symbol.asyncDispose]() {
      for (let attempt = 1;; attempt++) {
        try {
          await Deno.remove(path, { recursive: true });
          return;
        } catch (err) {
          if (err instanceof Deno.errors.NotFound) return;
          if (attempt === REMOVE_ATTEMPTS) throw err;
          await new Promise((r) => setTimeout(r, REMOVE_PAUSE_MS));
        }
      }
    },
  };
}

/** Discord's epoch (2015-01-01), the zero of a snowflake's timestamp. */
const DISCORD_EPOCH_MS = 1420070400000;
let seq = 0n;

/** A fresh snowflake-like id (increasing). */
export function nextId(): string {
  seq += 1n;
  return String((BigInt(Date.now() - DISCORD_EPOCH_MS) << 22n) + seq);
}

/** A Discord message event from "ada" in the chat channel, now; `extra` overrides any field. */
export function message(
  content: string,
  extra: Partial<InboxEvent> = {},
): InboxEvent {
  return {
    id: nextId(),
    kind: "message",
    channelId: "1100000000000000002",
    author: { id: "1100000000000000003", name: "ada" },
    content,
    timestamp: new Date().toISOString(),
    attachments: [],
    ...extra,
  };
}
