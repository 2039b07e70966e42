// Faults of the local server: gateway faults applied to the live connections, and HTTP
// faults (the next N matching REST requests answer 429 or 500).
import type { Gateway } from "./_gateway.ts";
import { tooManyRequests } from "./_ratelimit.ts";
import { json } from "./_router.ts";
import type { Fault } from "./_server_types.ts";

/**
 * Applies a gateway fault.
 *
 * @returns How many connections it touched, or `undefined` when `f` is not a gateway fault.
 */
export function gatewayFault(gateway: Gateway, f: Fault): number | undefined {
  switch (f.kind) {
    case "close":
      return gateway.closeAll(f.code ?? 4000, "Fault injected by the local server.");
    case "drop":
      return gateway.dropAll();
    case "reconnect":
      return gateway.requestReconnect();
    case "invalidSession":
      return gateway.invalidateSessions(f.resumable);
    case "stopAcks":
      return gateway.stopAcks();
    case "expireSessions":
      return gateway.expireSessions();
    default:
      return undefined;
  }
}

interface HttpFault {
  status: 429 | 500;
  remaining: number;
  route?: string;
  retryAfter: number;
}

/** Queued HTTP faults, taken by matching requests. */
export class HttpFaults {
  #faults: HttpFault[] = [];

  /** Queues a fault for the next `count` requests whose path (or `METHOD path`) matches `route`. */
  add(f: { status: 429 | 500; count: number; route?: string; retryAfter?: number }): void {
    if (!(f.count > 0) || (f.status !== 429 && f.status !== 500)) {
      throw new RangeError("http fault needs status 429 or 500 and a positive count");
    }
    this.#faults.push({
      status: f.status,
      remaining: f.count,
      route: f.route,
      retryAfter: f.retryAfter ?? 1,
    });
  }

  /** Forgets every queued fault. */
  reset(): void {
    this.#faults = [];
  }

  /** The fault answer for this request, if a fault matches (and is used up by one). */
  take(method: string, path: string): Response | undefined {
    const f = this.#faults.find((x) =>
      x.remaining > 0 &&
      (!x.route || path.includes(x.route) || `${method} ${path}`.startsWith(x.route))
    );
    if (!f) return undefined;
    f.remaining--;
    this.#faults = this.#faults.filter((x) => x.remaining > 0);
    if (f.status === 500) return json({ message: "500: Internal Server Error", code: 0 }, 500);
    return tooManyRequests({ retryAfter: f.retryAfter, global: false, scope: "user" }, {
      "X-RateLimit-Limit": "1",
      "X-RateLimit-Remaining": "0",
      "X-RateLimit-Reset": ((Date.now() + f.retryAfter * 1000) / 1000).toFixed(3),
      "X-RateLimit-Reset-After": f.retryAfter.toFixed(3),
      "X-RateLimit-Bucket": "fault",
    });
  }
}
