// What the gateway exposes of its connections and sessions (the state snapshot's records).

/** A connection's record, as exposed in the state. */
export interface ConnectionRecord {
  /** Sequential id. */
  id: number;
  /** Path and query the client connected to (`/resume…` after READY). */
  path: string;
  /** ISO time opened. */
  openedAt: string;
  /** ISO time closed. */
  closedAt?: string;
  /** The close code. */
  closeCode?: number;
  /** Who ended it: a client close, a server close, or a TCP drop. */
  closedBy?: "client" | "server" | "drop";
  /** The session it carried. */
  sessionId?: string;
  /** Whether it identified. */
  identified: boolean;
  /** Whether it resumed. */
  resumed: boolean;
  /** Heartbeats received. */
  heartbeats: number;
}

/** A gateway session, as exposed in the state. */
export interface SessionRecord {
  /** The session id sent in READY. */
  sessionId: string;
  /** Intents given at IDENTIFY. */
  intents: number;
  /** `[shard_id, num_shards]` given at IDENTIFY (`[0, 1]` without one). */
  shard: [number, number];
  /** Last sequence number. */
  seq: number;
  /** Whether a connection carries it now. */
  connected: boolean;
  /** Whether it can no longer be resumed. */
  invalidated: boolean;
  /** IDENTIFYs that created it (1). */
  identifies: number;
  /** Successful RESUMEs. */
  resumes: number;
  /** Events replayed on RESUMEs. */
  replayed: number;
  /** Names of the last 200 events dispatched to it. */
  bufferedEvents: string[];
}
