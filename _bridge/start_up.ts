// Private: the bridge's start-up reads, before it connects: the chat channel (its guild) and the
// webhook (its channel is the STATUS channel, whose threads are watched too), each retried with
// backoff until Discord answers, a fatal answer ending the bridge.
import { DiscordApiError } from "../errors.ts";
import { describeError, type Logger } from "../log.ts";
import type { DiscordRest } from "../_discord/rest.ts";
import { backoffMs } from "./backoff.ts";
import { type ChannelMap, chatChannelProblem } from "./channels.ts";
import type { StatusBoard } from "./status.ts";

/**
 * Runs `fn` until it succeeds, backing off on errors `classify` does not settle. `classify`
 * may throw (fatal) or return a value to use instead. Resolves `undefined` when stopped.
 */
export type Retrying = <T, S>(
  what: string,
  fn: () => Promise<T>,
  classify: (err: unknown) => S | undefined,
) => Promise<T | S | undefined>;

/** What {@linkcode retrying} works with. */
export interface RetryDeps {
  /** Where each failed try is logged. */
  log: Logger;
  /** Set to "reconnecting" after each failed try. */
  status: Pick<StatusBoard, "setState">;
  /** Sleeps between tries (ends early when the bridge stops). */
  sleep: (ms: number) => Promise<void>;
  /** Randomness in [0, 1) (the jitter). Default `Math.random`. */
  random?: () => number;
  /** Whether the bridge is stopping (no further try then). */
  stopping: () => boolean;
}

/**
 * The bridge's retry loop: backoff from 500 ms up to 30 s with jitter, a warning per failed try.
 *
 * @param d The log, status board, sleeps, randomness and whether the bridge stops.
 * @returns A {@linkcode Retrying} bound to them.
 */
export function retrying(d: RetryDeps): Retrying {
  return async <T, S>(
    what: string,
    fn: () => Promise<T>,
    classify: (err: unknown) => S | undefined,
  ): Promise<T | S | undefined> => {
    for (let attempt = 1; !d.stopping(); attempt++) {
      try {
        return await fn();
      } catch (err) {
        const settled = classify(err);
        if (settled !== undefined) return settled;
        const ms = backoffMs(attempt, 500, 30_000, d.random ?? Math.random);
        d.log.warn(
          `cannot ${what} (attempt ${attempt}): ${describeError(err)}; retrying in ${ms} ms`,
        );
        d.status.setState("reconnecting");
        await d.sleep(ms);
      }
    }
    return undefined;
  };
}

/** What {@linkcode readChannels} works with. */
export interface StartUpDeps {
  /** The chat channel. */
  channelId: string;
  /** The STATUS webhook, when configured. */
  webhookUrl?: string;
  /** The bridge's REST client. */
  rest: Pick<DiscordRest, "getChannel" | "getWebhook">;
  /** Where a webhook that cannot be read is reported. */
  log: Logger;
  /** Told the chat channel's guild and the STATUS channel. */
  channels: Pick<ChannelMap, "guildId" | "notifyId">;
  /** The bridge's retry loop. */
  retrying: Retrying;
  /** Whether the bridge is stopping. */
  stopping: () => boolean;
}

/**
 * Reads the chat channel (its guild into `channels.guildId`) and, with a webhook, the webhook
 * (its channel into `channels.notifyId`; a webhook Discord refuses leaves it unset, with a
 * warning). Throws when the chat channel cannot be used (channels.ts `chatChannelProblem`).
 *
 * @param d The channel, webhook, REST client, channel map and retry loop.
 * @returns Whether start-up goes on: false when the bridge stopped meanwhile.
 */
export async function readChannels(d: StartUpDeps): Promise<boolean> {
  const chat = await d.retrying(
    "read the chat channel",
    () => d.rest.getChannel(d.channelId),
    (err) => chatChannelProblem(err, d.channelId),
  );
  if (chat === undefined) return false;
  d.channels.guildId = chat.guild_id ?? "";
  if (d.webhookUrl) {
    const webhookUrl = d.webhookUrl;
    const hook = await d.retrying(
      "read the webhook",
      () => d.rest.getWebhook(webhookUrl),
      (err) => {
        if (err instanceof DiscordApiError && err.status >= 400 && err.status < 500) {
          d.log.warn(
            `DISCORD_WEBHOOK_URL cannot be read (${err.message}): threads of the notification channel are not watched; run setup`,
          );
          return "skip";
        }
        return undefined;
      },
    );
    if (d.stopping()) return false;
    d.channels.notifyId = hook === "skip" ? undefined : hook?.channel_id;
  }
  return true;
}
