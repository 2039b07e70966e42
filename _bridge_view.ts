// Private: the routing view of the bridge, backed by the session registry and the posts
// index. The registry is re-read at most every `maxAgeMs` (a burst of messages costs one
// directory read per interval, not one per message); the posts index is checked per lookup
// (one stat when unchanged).
import type { PostIndex } from "./posts.ts";
import type { RoutedSession, RoutingView } from "./routing.ts";
import type { SessionRecord, SessionRegistry } from "./sessions.ts";

/** A {@linkcode RoutingView} over the registry and the posts index. */
export class CachedRoutingView implements RoutingView {
  readonly #registry: SessionRegistry;
  readonly #posts: PostIndex;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #at = -Infinity;
  #all: SessionRecord[] = [];
  #live: SessionRecord[] = [];

  constructor(
    registry: SessionRegistry,
    posts: PostIndex,
    options: { maxAgeMs?: number; now?: () => number } = {},
  ) {
    this.#registry = registry;
    this.#posts = posts;
    this.#maxAgeMs = options.maxAgeMs ?? 100;
    this.#now = options.now ?? performance.now.bind(performance);
  }

  /** Forgets the cached registry (the next lookup re-reads it). */
  invalidate(): void {
    this.#at = -Infinity;
  }

  liveSessions(): readonly RoutedSession[] {
    this.#refresh();
    return this.#live;
  }

  sessionByThread(threadId: string): RoutedSession | undefined {
    this.#refresh();
    let best: SessionRecord | undefined;
    for (const r of this.#all) {
      if (r.threadId === threadId && (!best || r.lastSeen > best.lastSeen)) best = r;
    }
    return best;
  }

  sessionByName(name: string): RoutedSession | undefined {
    this.#refresh();
    const wanted = name.replace(/^@/, "").toLowerCase();
    return this.#live.find((r) => r.name.toLowerCase() === wanted);
  }

  postOwner(messageId: string): string | undefined {
    return this.#posts.ownerOf(messageId);
  }

  #refresh(): void {
    const now = this.#now();
    if (now - this.#at < this.#maxAgeMs) return;
    this.#all = this.#registry.list();
    this.#live = this.#all.filter((r) => this.#registry.isLive(r));
    this.#at = now;
  }
}

// The registry's default liveness, re-exported for the modules that import it from here.
export { pidAlive } from "./_procs.ts";
