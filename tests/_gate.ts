// A loopback TCP gate in front of the local Discord server's REST port: open, it relays; shut,
// it takes each connection and closes it at once, so REST calls through it fail as when Discord
// cannot be reached. Tests point DISCORD_API_URL at `apiUrl` to take Discord down and back up.

/** The gate; dispose it to stop listening and cut what it relays. */
export interface Gate extends AsyncDisposable {
  /** `http://127.0.0.1:<gate port>/api`. */
  readonly apiUrl: string;
  /** Whether it relays now. */
  readonly isOpen: boolean;
  /** Starts relaying. */
  open(): void;
  /** Stops relaying new connections (and cuts the open ones). */
  shut(): void;
}

/**
 * A gate to `127.0.0.1:<targetPort>`, shut at first unless `open` is true.
 *
 * @param targetPort The server's port.
 * @param open Whether it relays from the start.
 * @returns The gate.
 */
export function tcpGate(targetPort: number, open = false): Gate {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const live = new Set<Deno.Conn>();
  let isOpen = open;
  const close = (c: Deno.Conn) => {
    live.delete(c);
    try {
      c.close();
    } catch (err) {
      if (!(err instanceof Deno.errors.BadResource)) throw err;
    }
  };
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
      // cut or reset: the other side is closed below
    }
    close(from);
    close(to);
  };
  const relay = async (client: Deno.Conn) => {
    let upstream: Deno.Conn;
    try {
      upstream = await Deno.connect({ hostname: "127.0.0.1", port: targetPort });
    } catch {
      return close(client); // any failure: the server is gone, so is Discord for the client
    }
    live.add(client);
    live.add(upstream);
    await Promise.all([pipe(client, upstream), pipe(upstream, client)]);
  };
  const accepting = (async () => {
    for (;;) {
      let client: Deno.Conn;
      try {
        client = await listener.accept();
      } catch {
        return; // any failure: the listener is closed
      }
      if (isOpen) void relay(client);
      else close(client);
    }
  })();
  return {
    apiUrl: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/api`,
    get isOpen() {
      return isOpen;
    },
    open() {
      isOpen = true;
    },
    shut() {
      isOpen = false;
      for (const c of [...live]) close(c);
    },
    async [Symbol.asyncDispose]() {
      isOpen = false;
      listener.close();
      for (const c of [...live]) close(c);
      await accepting;
    },
  };
}
