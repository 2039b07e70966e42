// The local server's CDN: attachment bytes served under `/attachments/<channel>/<id>/<name>`
// behind signed, expiring URLs like Discord's (`?ex=<expiry>&is=<issued>&hm=<signature>`, the
// times as hex Unix seconds). A URL is good until `ex`; after that, or with a wrong or missing
// signature, the CDN answers 404 "This content is no longer available." as Discord's does, and a
// fresh URL comes with the message from REST (each REST answer signs its attachments anew).
// Every CDN request is recorded (whether it carried an Authorization header too: the CDN needs
// none), and faults can slow transfers down or fail the next requests.
import { createHmac } from "node:crypto";
import type { Attachment } from "./_types.ts";

/** Discord's attachment URLs stay valid for about a day. */
export const DEFAULT_URL_TTL_MS = 24 * 60 * 60 * 1000;

/** The answer of Discord's CDN to an expired or unsigned attachment URL. */
export const EXPIRED_TEXT = "This content is no longer available.";

/** One request to the CDN. */
export interface CdnRequestRecord {
  /** The path (no query). */
  path: string;
  /** The attachment id the path names. */
  attachmentId: string;
  /** HTTP status answered. */
  status: number;
  /** Whether the request carried an `Authorization` header (a CDN needs none). */
  authorized: boolean;
  /** ISO time received. */
  time: string;
}

/** A CDN fault: slow transfers, or the next `count` requests failing with `status`. */
export interface CdnFault {
  /** Serve bodies at about this many bytes per second (0 or absent: full speed). */
  bytesPerSecond?: number;
  /** Answer the next `count` requests with this status. */
  status?: 404 | 500;
  /** How many requests `status` applies to (default 1). */
  count?: number;
}

/** The attachment store and its signed URLs. */
export class Cdn {
  readonly #origin: string;
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #secret = crypto.getRandomValues(new Uint8Array(32));
  readonly #files: Map<string, Uint8Array>;
  readonly #types = new Map<string, string>();
  #bytesPerSecond = 0;
  #failStatus: 404 | 500 | undefined;
  #failCount = 0;
  /** Every request, oldest first. */
  requests: CdnRequestRecord[] = [];

  /**
   * @param origin `http://127.0.0.1:PORT`.
   * @param now The clock.
   * @param files The bytes by attachment id (the state's, which a saved world restores).
   * @param ttlMs How long a signed URL is good.
   */
  constructor(
    origin: string,
    now: () => number,
    files: Map<string, Uint8Array>,
    ttlMs = DEFAULT_URL_TTL_MS,
  ) {
    this.#origin = origin;
    this.#files = files;
    this.#now = now;
    this.#ttlMs = ttlMs;
  }

  /** Keeps `bytes` under `id`; returns the unsigned URL of the file. */
  store(
    channelId: string,
    id: string,
    filename: string,
    bytes: Uint8Array,
    contentType?: string,
  ): string {
    this.#files.set(id, bytes);
    if (contentType) this.#types.set(id, contentType);
    const safe = encodeURIComponent(filename.replaceAll("/", "_"));
    return `${this.#origin}/attachments/${channelId}/${id}/${safe}`;
  }

  /** `url` (signed or not) signed anew, valid for the configured time from now. */
  sign(url: string): string {
    const u = new URL(url);
    const issued = Math.floor(this.#now() / 1000);
    const expires = Math.floor((this.#now() + this.#ttlMs) / 1000);
    const ex = expires.toString(16);
    const is = issued.toString(16);
    u.search = `?ex=${ex}&is=${is}&hm=${this.#mac(u.pathname, ex, is)}&`;
    return u.href;
  }

  /** The attachment with freshly signed `url` and `proxy_url`. */
  fresh(a: Attachment): Attachment {
    const url = this.sign(a.url);
    return { ...a, url, proxy_url: url };
  }

  /** Applies a fault (see {@linkcode CdnFault}). */
  fault(f: CdnFault): void {
    if (f.bytesPerSecond !== undefined) {
      if (!(f.bytesPerSecond >= 0)) throw new RangeError("bytesPerSecond must be >= 0");
      this.#bytesPerSecond = f.bytesPerSecond;
    }
    if (f.status !== undefined) {
      this.#failStatus = f.status;
      this.#failCount = f.count ?? 1;
    }
  }

  /** Forgets types, records and faults (the state clears the files). */
  reset(): void {
    this.#types.clear();
    this.requests = [];
    this.#bytesPerSecond = 0;
    this.#failStatus = undefined;
    this.#failCount = 0;
  }

  /** Answers `GET /attachments/<channel>/<id>/<name>?ex=…&is=…&hm=…`. */
  serve(req: Request, url: URL): Response {
    const id = url.pathname.split("/")[3] ?? "";
    const record: CdnRequestRecord = {
      path: url.pathname,
      attachmentId: id,
      status: 200,
      authorized: req.headers.has("authorization"),
      time: new Date(this.#now()).toISOString(),
    };
    this.requests.push(record);
    const answer = (status: number, body: string) => {
      record.status = status;
      return new Response(body, { status, headers: { "Content-Type": "text/plain" } });
    };
    if (this.#failStatus !== undefined && this.#failCount > 0) {
      const status = this.#failStatus;
      if (--this.#failCount === 0) this.#failStatus = undefined;
      return answer(status, status === 404 ? EXPIRED_TEXT : "Internal Server Error");
    }
    const bytes = this.#files.get(id);
    if (!bytes) return answer(404, "Not Found");
    const ex = url.searchParams.get("ex") ?? "";
    const is = url.searchParams.get("is") ?? "";
    const hm = url.searchParams.get("hm") ?? "";
    const expires = parseInt(ex, 16) * 1000;
    if (hm !== this.#mac(url.pathname, ex, is) || !(expires > this.#now())) {
      return answer(404, EXPIRED_TEXT);
    }
    const headers = {
      "Content-Type": this.#types.get(id) ?? "application/octet-stream",
      "Content-Length": String(bytes.length),
    };
    if (this.#bytesPerSecond <= 0) {
      return new Response(bytes as Uint8Array<ArrayBuffer>, { headers });
    }
    return new Response(throttled(bytes, this.#bytesPerSecond), { headers });
  }

  #mac(path: string, ex: string, is: string): string {
    return createHmac("sha256", this.#secret).update(`${path}\n${ex}\n${is}`).digest("hex");
  }
}

/** `bytes` as a stream of 10 chunks a second at about `rate` bytes per second. */
function throttled(bytes: Uint8Array, rate: number): ReadableStream<Uint8Array> {
  const chunk = Math.max(1, Math.floor(rate / 10));
  let at = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      return new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          timer = undefined;
          const end = Math.min(bytes.length, at + chunk);
          controller.enqueue(bytes.slice(at, end));
          at = end;
          if (at >= bytes.length) controller.close();
          resolve();
        }, 100);
      });
    },
    cancel() {
      clearTimeout(timer);
    },
  });
}
