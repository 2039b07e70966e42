// A loopback TCP gate in front of the local Discord server's REST port: open, it relays; shut,
// it takes each connection and closes it at once, so REST calls through it fail as when Discord
// cannot be reached. Tests point DISCORD_API_URL at `apiUrl` to take Discord down and back up.
import { TcpRelay } from "../testing/_tcp_proxy.ts";

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
  const relay = new TcpRelay(targetPort);
  relay.accepting = open;
  return {
    apiUrl: `http://127.0.0.1:${relay.port}/api`,
    get isOpen() {
      return relay.accepting;
    },
    open() {
      relay.accepting = true;
    },
    shut() {
      relay.accepting = false;
      relay.cutAll();
    },
    async [Symbol.asyncDispose]() {
      await relay.close();
    },
  };
}
