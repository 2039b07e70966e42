// Private: where the MCP server may post. Only the configured chat channel, the threads
// under it, and the threads of the notification channel (the STATUS webhook's channel) are
// allowed; any other channel id is refused before a message is sent.
import { isSnowflake } from "../config.ts";
import { DiscordApiError } from "../errors.ts";
import type { DiscordRest } from "../_discord/rest.ts";
import { THREAD_TYPES } from "../_discord/raw.ts";

/** A channel the server may post in. */
export interface Target {
  /** Channel or thread id. */
  id: string;
  /** For messages: `the main channel`, `thread "name"`. */
  label: string;
  /** Whether it is a thread. */
  thread: boolean;
}

interface ChannelInfo {
  id: string;
  type: number;
  name?: string;
  parent_id?: string | null;
}

/** Checks channel ids against the allowed set and remembers the answers. */
export class ChannelGuard {
  readonly #rest: DiscordRest;
  readonly #channelId: string;
  readonly #webhookUrl?: string;
  readonly #allowed = new Map<string, Target>();
  readonly #outside = new Map<string, string>();
  #notifyChannel?: Promise<string | undefined>;

  constructor(options: { rest: DiscordRest; channelId: string; webhookUrl?: string }) {
    this.#rest = options.rest;
    this.#channelId = options.channelId;
    this.#webhookUrl = options.webhookUrl;
    this.#allowed.set(options.channelId, {
      id: options.channelId,
      label: `the main channel (${options.channelId})`,
      thread: false,
    });
  }

  /** The configured chat channel. */
  get main(): Target {
    return this.#allowed.get(this.#channelId)!;
  }

  /**
   * Returns the target for `id`, or throws one sentence saying why it is refused.
   *
   * @param id A channel or thread id (unchecked input from a tool call).
   * @param field The argument name, for the message.
   */
  async check(id: string, field = "channel_id"): Promise<Target> {
    if (!isSnowflake(id)) {
      throw new TypeError(
        `${field} "${
          String(id).slice(0, 40)
        }" is not a Discord id: pass the numeric id of the chat channel or one of its threads, or leave it out`,
      );
    }
    const known = this.#allowed.get(id);
    if (known) return known;
    const refused = this.#outside.get(id);
    if (refused) throw new RangeError(refused);
    let info: ChannelInfo;
    try {
      info = await this.#rest.request<ChannelInfo>("GET", `/channels/${id}`, {
        what: `look up channel ${id}`,
      });
    } catch (err) {
      if (err instanceof DiscordApiError && (err.status === 404 || err.status === 403)) {
        throw new RangeError(
          `Channel ${id} is unknown or not visible to the bot: pass the chat channel ${this.#channelId}, one of its threads, or leave ${field} out`,
          { cause: err },
        );
      }
      throw err;
    }
    const parent = info.parent_id ?? undefined;
    const isThread = THREAD_TYPES.has(info.type);
    const notify = isThread && parent !== this.#channelId
      ? await this.notifyChannelId()
      : undefined;
    if (isThread && parent !== undefined && (parent === this.#channelId || parent === notify)) {
      const target: Target = {
        id,
        label: `thread "${info.name ?? id}" (${id})`,
        thread: true,
      };
      this.#allowed.set(id, target);
      return target;
    }
    const reason =
      `Channel ${id} is outside the chat channel ${this.#channelId} and its threads, so this server does not post there: leave ${field} out to use your session's thread, or pass ${this.#channelId}`;
    this.#outside.set(id, reason);
    throw new RangeError(reason);
  }

  /** The channel of the STATUS webhook (its threads are allowed), looked up once. */
  notifyChannelId(): Promise<string | undefined> {
    this.#notifyChannel ??= (async () => {
      if (!this.#webhookUrl) return undefined;
      const m = this.#webhookUrl.match(/\/webhooks\/([0-9]+)\/([^/?#]+)/);
      if (!m) return undefined;
      try {
        const hook = await this.#rest.request<{ channel_id?: string }>(
          "GET",
          `/webhooks/${m[1]}/${m[2]}`,
          { what: "look up the STATUS webhook's channel", auth: false },
        );
        return hook?.channel_id ?? undefined;
      } catch (err) {
        if (!(err instanceof DiscordApiError)) throw err;
        this.#notifyChannel = undefined; // try again next time
        return undefined;
      }
    })();
    return this.#notifyChannel;
  }
}
