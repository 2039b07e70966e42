// A loopback TCP relay: in front of the gateway, so a fault can cut a connection without a
// WebSocket close frame (the client then sees 1006, as on a dead link); and, shut, a stand-in
// for an unreachable Discord (tests/_gate.ts): each new connection is closed at once.

interface Pair {
  client: Deno.Conn;
  upstream: Deno.Conn;
  closed: boolean;
}

/** Relays 127.0.0.1:<port> to a target port and can cut any relayed connection. */
export class TcpRelay {
  readonly #listener: Deno.Listener<Deno.TcpConn, Deno.NetAddr>;
  readonly #target: number;
  readonly #byUpstreamPort = new Map<number, Pair>();
  #closed = false;
  /** Whether new connections are relayed; shut, each is closed at once. */
  accepting = true;
  readonly #loop: Promise<void>;
  readonly #relays = new Set<Promise<void>>();

  /** Relays to `targetPort`; listens on `port` when free, else on any free port. */
  constructor(targetPort: number, port = 0) {
    this.#target = targetPort;
    let listener: Deno.Listener<Deno.TcpConn, Deno.NetAddr> | undefined;
    if (port !== 0) {
      try {
        listener = Deno.listen({ hostname: "127.0.0.1", port });
      } catch (e) {
        if (!(e instanceof Deno.errors.AddrInUse)) throw e;
      }
    }
    this.#listener = listener ?? Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#loop = this.#accept();
  }

  /** The relay's own port. */
  get port(): number {
    return this.#listener.addr.port;
  }

  async #accept(): Promise<void> {
    for (;;) {
      let client: Deno.TcpConn;
      try {
        client = await this.#listener.accept();
      } catch {
        return; // any failure: the listener is closed
      }
      if (!this.accepting) {
        client.close();
        continue;
      }
      const p = this.#relay(client).catch(() => {});
      this.#relays.add(p);
      p.finally(() => this.#relays.delete(p));
    }
  }

  async #relay(client: Deno.TcpConn): Promise<void> {
    let upstream: Deno.TcpConn;
    try {
      upstream = await Deno.connect({ hostname: "127.0.0.1", port: this.#target });
    } catch {
      client.close();
      return;
    }
    // A relay must not add Nagle delays of its own: a small gateway frame held back until
    // the peer's delayed ACK (about 40 ms on Linux) is a stall that Discord does not have.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const pair: Pair = { client, upstream, closed: false };
    if (this.#closed) return this.#cut(pair);
    const port = (upstream.localAddr as Deno.NetAddr).port;
    this.#byUpstreamPort.set(port, pair);
    const pipe = async (from: Deno.Conn, to: Deno.Conn) => {
      const buf = new Uint8Array(64 * 1024);
      try {
        for (;;) {
          const n = await from.read(buf);
          if (n === null) break;
          let off = 0;
          while (off < n) off += await to.write(buf.subarray(off, n));
        }
      } catch {
        // Any failure: the connection was cut or reset.
      }
      this.#cut(pair);
    };
    await Promise.all([pipe(client, upstream), pipe(upstream, client)]);
    this.#byUpstreamPort.delete(port);
  }

  #cut(pair: Pair): void {
    if (pair.closed) return;
    pair.closed = true;
    for (const c of [pair.client, pair.upstream]) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
  }

  /** A function that cuts the relayed connection whose upstream side has this local port. */
  cutterFor(upstreamPort: number): (() => void) | undefined {
    const pair = this.#byUpstreamPort.get(upstreamPort);
    return pair ? () => this.#cut(pair) : undefined;
  }

  /** Cuts every connection relayed now (new ones are relayed while {@linkcode accepting}). */
  cutAll(): void {
    for (const pair of this.#byUpstreamPort.values()) this.#cut(pair);
  }

  /** Stops accepting and cuts every connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener.close();
    for (const pair of this.#byUpstreamPort.values()) this.#cut(pair);
    await this.#loop;
    await Promise.all([...this.#relays]);
  }
}
