// Private: the permission hook's small files under `$home/hooks/perm/<sid>/`.
//
// - `<requestId>.json`: an open prompt ({messageId, until, channelId}); written before the
//   prompt is posted (messageId "" until then), removed when settled. A prompt of a killed
//   hook expires by its `until`.
// - `candidates.jsonl`: text answers (`allow`, `deny`, …) the delivery hooks took from the
//   session's mailbox while a prompt was open, so the permission hook still sees them.
import type { InboxEvent } from "../inbox.ts";
import {
  ensurePrivateDir,
  readJsonState,
  readTextIfExists,
  removeIfExists,
  statIfExists,
  writePrivateFileAtomic,
} from "../_shared/fs.ts";
import { hookPaths } from "./_context.ts";
import { textDecision } from "./_perm_text.ts";
import { parseJson } from "../_shared/json.ts";

const REQUEST = /^[A-Za-z0-9]{1,64}$/;

function sessionDir(home: string, sid: string): string {
  return `${hookPaths(home).permDir}/${sid}`;
}

/** An open prompt. */
export interface OpenPrompt {
  /** The prompt message; "" while it is being posted. */
  messageId: string;
  /** Ms time after which it no longer counts. */
  until: number;
  /** Where it was posted. */
  channelId: string;
}

/** The open prompts of one session. */
export function openPrompts(home: string, sid: string): {
  add(requestId: string, prompt: OpenPrompt): void;
  remove(requestId: string): void;
  count(now: number): number;
  list(now: number): OpenPrompt[];
} {
  const dir = sessionDir(home, sid);
  const read = (now: number): [string, OpenPrompt][] => {
    let names: string[];
    try {
      names = [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".json"))
        .map((e) => e.name.slice(0, -5)).filter((n) => REQUEST.test(n));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return []; // no prompt opened yet
      throw err;
    }
    const out: [string, OpenPrompt][] = [];
    for (const n of names) {
      // A damaged prompt file is moved aside (_shared/fs.ts) and counts as closed, like one
      // removed meanwhile.
      const p = readJsonState(`${dir}/${n}.json`, (value) => {
        const v = value as OpenPrompt | null;
        return typeof v?.until === "number" ? v : undefined;
      }, undefined).value;
      if (p !== undefined && p.until > now) out.push([n, p]);
    }
    return out;
  };
  const list = (now: number): string[] => read(now).map(([n]) => n);
  return {
    add(requestId, prompt) {
      ensurePrivateDir(dir);
      writePrivateFileAtomic(`${dir}/${requestId}.json`, JSON.stringify(prompt));
    },
    remove(requestId) {
      removeIfExists(`${dir}/${requestId}.json`);
      if (list(0).length === 0) removeIfExists(`${dir}/candidates.jsonl`);
    },
    count: (now) => list(now).length,
    list: (now) => read(now).map(([, p]) => p),
  };
}

/** Whether a session has a prompt open now (a cheap directory test first). */
export function hasOpenPrompt(home: string, sid: string, now: number): boolean {
  if (statIfExists(sessionDir(home, sid)) === undefined) return false;
  return openPrompts(home, sid).count(now) > 0;
}

/**
 * Keeps text answers seen by a delivery hook while a prompt is open.
 *
 * @param home The state directory.
 * @param sid The session.
 * @param events Events the delivery hook took.
 * @param now Clock.
 */
export function keepCandidates(
  home: string,
  sid: string,
  events: readonly InboxEvent[],
  now: number,
): void {
  const answers = events.filter((e) => e.kind === "message" && textDecision(e.content ?? ""));
  if (answers.length === 0 || !hasOpenPrompt(home, sid, now)) return;
  const path = `${sessionDir(home, sid)}/candidates.jsonl`;
  const old = readTextIfExists(path) ?? "";
  writePrivateFileAtomic(path, old + answers.map((e) => JSON.stringify(e)).join("\n") + "\n");
}

/** Text answers kept by the delivery hooks for a session. */
export function readCandidates(home: string, sid: string): InboxEvent[] {
  const text = readTextIfExists(`${sessionDir(home, sid)}/candidates.jsonl`) ?? "";
  const out: InboxEvent[] = [];
  for (const line of text.split("\n")) {
    const event = line.trim() ? parseJson(line) : undefined; // a torn line: none
    if (event !== undefined) out.push(event as InboxEvent);
  }
  return out;
}
