// Private: the routing view of the bridge, backed by the session registry and the posts
// index. The registry is re-read at most every `maxAgeMs` (a burst of messages costs one
// directory read per interval, not one per message); a lookup that misses (unknown thread or
// name, no live session) re-reads it at once when the registry directory changed since, so a
// session that registered or got its thread a moment ago is never routed past. The posts
// index is checked per lookup (one stat when unchanged). A name may carry this machine's label
// (`api-3f2a@laptop`, sessions.ts `qualifiedName`): it names the session `api-3f2a` here.
import type { PostIndex } from "../posts.ts";
import type { RoutedSession, RoutingView } from "../routing.ts";
import { qualifiedName, type SessionRecord, type SessionRegistry } from "../sessions.ts";
import { statIfExists } from "../_shared/fs.ts";

/** A {@linkcode RoutingView} over the registry and the posts index. */
export class CachedRoutingView implements RoutingView {
  readonly #registry: SessionRegistry;
  readonly #posts: PostIndex;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  /** `@<this machine's label>`, as names carry it; unset: names carry none. */
  readonly #labelSuffix: string | undefined;
  #at = -Infinity;
  #dirStamp: number | undefined;
  #readAt = 0;
  #all: SessionRecord[] = [];
  #live: SessionRecord[] = [];

  constructor(
    registry: SessionRegistry,
    posts: PostIndex,
    options: { maxAgeMs?: number; now?: () => number; machineLabel?: string } = {},
  ) {
    this.#registry = registry;
    this.#posts = posts;
    this.#maxAgeMs = options.maxAgeMs ?? 100;
    this.#now = options.now ?? performance.now.bind(performance);
    this.#labelSuffix = options.machineLabel === undefined
      ? undefined
      : qualifiedName("", options.machineLabel);
  }

  /** Forgets the cached registry (the next lookup re-reads it). */
  invalidate(): void {
    this.#at = -Infinity;
  }

  liveSessions(): readonly RoutedSession[] {
    return this.#lookup(() => this.#live.length > 0 ? this.#live : undefined) ?? this.#live;
  }

  /** The live session that started last (fresh view on a miss), or `undefined`. */
  newestLiveSession(): SessionRecord | undefined {
    this.liveSessions();
    let newest: SessionRecord | undefined;
    for (const r of this.#live) if (!newest || r.started > newest.started) newest = r;
    return newest;
  }

  sessionByThread(threadId: string): RoutedSession | undefined {
    return this.#lookup(() => {
      let best: SessionRecord | undefined;
      for (const r of this.#all) {
        if (r.threadId === threadId && (!best || r.lastSeen > best.lastSeen)) best = r;
      }
      return best;
    });
  }

  sessionByName(name: string): RoutedSession | undefined {
    const wanted = name.replace(/^@/, "").toLowerCase();
    const suffix = this.#labelSuffix;
    // `name@<this machine's label>` names this machine's `name` too.
    const short = suffix !== undefined && wanted.endsWith(suffix) && wanted.length > suffix.length
      ? wanted.slice(0, -suffix.length)
      : undefined;
    return this.#lookup(() =>
      this.#live.find((r) => {
        const n = r.name.toLowerCase();
        return n === wanted || n === short;
      })
    );
  }

  postOwner(messageId: string): string | undefined {
    return this.#posts.ownerOf(messageId);
  }

  /** Runs `find` on the cached view; on a miss, once more on a fresh one if the registry changed. */
  #lookup<T>(find: () => T | undefined): T | undefined {
    this.#refresh(false);
    const hit = find();
    if (hit !== undefined || !this.#refresh(true)) return hit;
    return find();
  }

  /** Re-reads the registry when the cache is old, or (forced) when its directory changed. */
  #refresh(force: boolean): boolean {
    const now = this.#now();
    const fresh = now - this.#at < this.#maxAgeMs;
    if (fresh && !force) return false;
    const stamp = this.#stamp();
    // Modification times have millisecond precision: a change in the millisecond of the last
    // read could hide behind an equal stamp, so such a stamp counts as changed.
    const unchanged = stamp !== undefined && stamp === this.#dirStamp && stamp < this.#readAt - 1;
    if (fresh && unchanged) return false;
    this.#readAt = Date.now();
    this.#all = this.#registry.list();
    this.#live = this.#all.filter((r) => this.#registry.isLive(r));
    this.#at = now;
    this.#dirStamp = stamp;
    return true;
  }

  #stamp(): number | undefined {
    return statIfExists(this.#registry.directory)?.mtime?.getTime();
  }
}
