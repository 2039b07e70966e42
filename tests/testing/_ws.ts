// A bare gateway client for the gateway tests: one WebSocket, every frame recorded, IDENTIFY
// and RESUME sent by hand, so a test sees exactly what the server answers (op 9, close codes)
// without a library's own retries and throttles in between.
import type { DiscordServer } from "../../testing/mod.ts";
import { waitFor } from "./_clients.ts";

/** One gateway frame. */
export interface Frame {
  op: number;
  d: unknown;
  s: number | null;
  t: string | null;
}

/** A raw gateway connection. */
export interface RawGateway extends AsyncDisposable {
  frames: Frame[];
  /** The close code, once closed. */
  closeCode(): number | undefined;
  send(frame: unknown): void;
  /** Sends IDENTIFY (token default the server's, intents default guilds + messages). */
  identify(opts?: { token?: string; intents?: number; shard?: [number, number] }): void;
  /** Waits for READY and returns its data. */
  ready(): Promise<Record<string, unknown>>;
  /** Dispatches of one type. */
  events(t: string): Record<string, unknown>[];
  /** Waits for a frame matching `match`. */
  next(what: string, match: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  close(code?: number): Promise<void>;
}

/** Guilds, guild messages, reactions, message content. */
export const RAW_INTENTS = 1 | (1 << 9) | (1 << 10) | (1 << 15);

/** Opens a connection to the server's gateway (at `url`, default the gateway URL). */
export async function rawGateway(server: DiscordServer, url?: string): Promise<RawGateway> {
  const ws = new WebSocket(`${url ?? server.gatewayUrl}/?v=10&encoding=json`);
  const frames: Frame[] = [];
  let code: number | undefined;
  const closed = new Promise<void>((resolve) => {
    ws.onclose = (ev) => {
      code = ev.code;
      resolve();
    };
  });
  ws.onmessage = (ev) => frames.push(JSON.parse(ev.data));
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error("the gateway connection failed"));
  });
  const next = (what: string, match: (f: Frame) => boolean, timeoutMs = 5000) =>
    waitFor(what, () => frames.find(match), timeoutMs);
  const close = async (c = 1000) => {
    if (ws.readyState === WebSocket.OPEN) ws.close(c);
    await closed;
  };
  return {
    frames,
    closeCode: () => code,
    send: (frame) => ws.send(JSON.stringify(frame)),
    identify(opts = {}) {
      const d: Record<string, unknown> = {
        token: opts.token ?? server.token,
        intents: opts.intents ?? RAW_INTENTS,
        properties: { os: "linux", browser: "test", device: "test" },
      };
      if (opts.shard) d.shard = opts.shard;
      ws.send(JSON.stringify({ op: 2, d }));
    },
    async ready() {
      return (await next("READY", (f) => f.t === "READY")).d as Record<string, unknown>;
    },
    events: (t) => frames.filter((f) => f.t === t).map((f) => f.d as Record<string, unknown>),
    next,
    close,
    [Symbol.asyncDispose]: () => close(),
  };
}
