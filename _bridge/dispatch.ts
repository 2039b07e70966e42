// Private: where each gateway dispatch goes: READY and RESUMED to the control room and the
// bridge (a catch-up), channel and thread events to the channel map, messages to the bridge's
// live path, clicks to the control room first and then the click desk, reactions to the desk.
import type { RawChannel, RawInteraction, RawMessage, RawReaction } from "../_discord/raw.ts";
import type { ChannelMap } from "./channels.ts";
import type { ControlRoom } from "./control.ts";
import { type ClickDesk, onInteraction, onReaction } from "./interactions.ts";

/** The handlers of {@linkcode dispatchEvent}. */
export interface DispatchTargets {
  /** Stop and the slash commands: told of READY and RESUMED, offered every click first. */
  control: Pick<ControlRoom, "onConnected" | "onInteraction">;
  /** The channels and threads the bridge knows. */
  channels: Pick<ChannelMap, "learnGuild" | "learn" | "forget">;
  /** Clicks and reactions delivered to sessions. */
  desk: ClickDesk;
  /** The gateway connected (READY) or resumed (RESUMED). */
  connected: (t: "READY" | "RESUMED") => void;
  /** A live message. */
  message: (m: RawMessage) => void;
}

/**
 * Hands one gateway dispatch to its handler; other dispatches are ignored.
 *
 * @param t The dispatch's name (`t`).
 * @param d Its data (`d`).
 * @param to The handlers.
 */
export function dispatchEvent(t: string, d: unknown, to: DispatchTargets): void {
  if (t === "READY" || t === "RESUMED") to.control.onConnected(t, d);
  switch (t) {
    case "READY":
    case "RESUMED":
      return to.connected(t);
    case "GUILD_CREATE":
      return to.channels.learnGuild(d as { id: string; channels?: RawChannel[] });
    case "THREAD_CREATE":
    case "THREAD_UPDATE":
    case "CHANNEL_CREATE":
    case "CHANNEL_UPDATE":
      return to.channels.learn(d as RawChannel);
    case "THREAD_DELETE":
      return to.channels.forget((d as { id: string }).id);
    case "THREAD_LIST_SYNC":
      for (const th of (d as { threads?: RawChannel[] }).threads ?? []) to.channels.learn(th);
      return;
    case "MESSAGE_CREATE":
      return to.message(d as RawMessage);
    case "INTERACTION_CREATE":
      to.desk.uploadLimit.learn(d as RawInteraction); // every kind carries it
      if (to.control.onInteraction(d as RawInteraction)) return;
      return onInteraction(d as RawInteraction, to.desk);
    case "MESSAGE_REACTION_ADD":
      return onReaction(d as RawReaction, to.desk);
  }
}
