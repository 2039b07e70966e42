// Private: the bridge's gateway session (ARCHITECTURE.md, The gateway session): RESUME of the
// session an earlier process saved, else IDENTIFY within the budget (_daemon/identify.ts);
// the saved session kept current (resume.ts); a refused IDENTIFY halts the bridge with a
// status line and one notice in the chat channel.
import { DiscordApiError } from "../errors.ts";
import type { MachineIdentity } from "../machine.ts";
import { describeError, type Logger } from "../log.ts";
import { bridgePaths, IdentifyBudget, IdentifyBudgetError, type IdentifyHalt } from "../daemon.ts";
import { Gateway } from "../_discord/gateway.ts";
import type { RawGatewayBot } from "../_discord/raw.ts";
import type { DiscordRest } from "../_discord/rest.ts";
import { SessionStore } from "./resume.ts";
import type { StatusBoard } from "./status.ts";
import { tokenRejected } from "./channels.ts";

/** What {@linkcode Connection} works with. */
export interface ConnectionDeps {
  token: string;
  botId: string;
  home: string;
  chatId: string;
  machine: MachineIdentity;
  rest: DiscordRest;
  log: Logger;
  status: StatusBoard;
  identifyCap: number;
  now: () => number;
  random?: () => number;
  /** Runs `fn` until it succeeds (backoff; `classify` may throw a fatal error). */
  retrying: <T>(
    what: string,
    fn: () => Promise<T>,
    classify: (err: unknown) => undefined,
  ) => Promise<T | undefined>;
  /** Handles a dispatch; returns the work (mailbox writes) it started. */
  dispatch: (t: string, d: unknown) => readonly Promise<unknown>[];
  /** A fatal close or a refused IDENTIFY. */
  fail: (err: unknown) => void;
  /** Whether the bridge is stopping. */
  stopping: () => boolean;
  /** The session is about to (re)connect: live events may come before READY or RESUMED. */
  connecting: () => void;
}

/** How long the notice of a halt may take to post before the bridge exits anyway. */
const NOTICE_WITHIN_MS = 5000;

/** One gateway session of the bridge, across reconnects. */
export class Connection {
  readonly #d: ConnectionDeps;
  readonly #budget: IdentifyBudget;
  readonly #store: SessionStore;
  #gateway: Gateway | undefined;

  constructor(deps: ConnectionDeps) {
    this.#d = deps;
    this.#budget = new IdentifyBudget(deps.home, { cap: deps.identifyCap, now: deps.now });
    this.#store = new SessionStore(bridgePaths(deps.home).gateway, {
      botId: deps.botId,
      log: deps.log,
      now: deps.now,
    });
    deps.status.identify = () => this.#budget.summary();
  }

  /** Connects: RESUMEs the saved session when Discord may still keep it, else IDENTIFYs. */
  start(): void {
    const d = this.#d;
    const saved = this.#store.load();
    const gateway = new Gateway({
      token: d.token,
      log: d.log,
      random: d.random,
      beforeIdentify: () => this.#beforeIdentify(),
      onIdentify: () => {
        this.#budget.record();
        d.status.touch();
        d.log.info(`gateway: IDENTIFY (${this.#budget.summary().last24h} in 24 h)`);
      },
      onDispatch: (t, data, sequence) => this.#onDispatch(t, data, sequence),
      onInvalidSession: (resumable) => {
        d.log.warn(`gateway: session invalidated (${resumable ? "resumable" : "identifying"})`);
        if (!resumable) this.#store.invalidated();
      },
      onFatal: (err, code) =>
        d.fail(code === undefined ? err : new DiscordApiError(err.message, 0, code)),
      onBackoff: (ms, n) => d.log.warn(`gateway: attempt ${n} failed; retrying in ${ms} ms`),
      onClose: (code, reason) => {
        this.#store.disconnected();
        d.status.disconnects++;
        d.log.warn(`gateway closed (${code}${reason ? ` ${reason}` : ""}); reconnecting`);
        d.status.setState("reconnecting");
        d.connecting();
      },
    });
    this.#gateway = gateway;
    if (saved) {
      d.log.info(`gateway: resuming the saved session (sequence ${saved.sequence})`);
    }
    d.connecting();
    gateway.connect(saved);
  }

  /** Disconnects (the session stays resumable) and saves it. */
  async stop(): Promise<void> {
    try {
      await this.#gateway?.stop();
    } catch (err) {
      this.#d.log.warn(`gateway shutdown: ${describeError(err)}`);
    } finally {
      this.#store.close();
    }
  }

  #onDispatch(t: string, data: unknown, sequence: number | null): void {
    const d = this.#d;
    if (t === "READY") {
      const r = data as { session_id?: string; resume_gateway_url?: string };
      if (r.session_id && r.resume_gateway_url) {
        this.#store.ready(r.session_id, r.resume_gateway_url, sequence ?? 0);
      }
      d.status.connectedBy = "identify";
    } else if (t === "RESUMED") {
      this.#store.resumed(sequence ?? 0);
      d.status.connectedBy = "resume";
    }
    this.#store.dispatched(sequence, d.stopping() ? [] : d.dispatch(t, data));
  }

  /** The URL to IDENTIFY at, unless the budget refuses: then the bridge halts. */
  async #beforeIdentify(): Promise<string> {
    const d = this.#d;
    const early = this.#budget.refusal();
    if (early) throw await this.#halt(early);
    const info = await d.retrying<RawGatewayBot>(
      "read the gateway's address",
      () => d.rest.getGatewayBot(),
      (err) => {
        if (err instanceof DiscordApiError && err.status === 401) {
          throw tokenRejected(401, err.code);
        }
        return undefined;
      },
    );
    if (info === undefined) throw new DiscordApiError("The bridge stopped", 0);
    this.#budget.noteLimit(info.session_start_limit);
    d.status.touch();
    const refusal = this.#budget.refusal();
    if (refusal) throw await this.#halt(refusal);
    return info.url;
  }

  /** Records the halt, shows it in status.json, tells the chat channel once; the error to stop with. */
  async #halt(halt: IdentifyHalt): Promise<IdentifyBudgetError> {
    const d = this.#d;
    const known = this.#budget.currentHalt();
    const told = known?.notified === true; // a halt in effect was announced already
    this.#budget.halt({ ...halt, ...(told ? { notified: true } : {}) });
    d.log.error(`IDENTIFY budget: ${halt.reason}`);
    d.status.warning = halt.reason;
    d.status.setState("halted");
    if (!told) {
      const content = `⚠️ claude-discord on **${d.machine.label}** stopped connecting to ` +
        `Discord: ${halt.reason}.`;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        d.rest.createMessage(d.chatId, { content, allowed_mentions: { parse: [] } }).then(
          () => this.#budget.notified(),
          (err) => d.log.warn(`cannot post the IDENTIFY budget notice: ${describeError(err)}`),
        ),
        new Promise((resolve) => (timer = setTimeout(resolve, NOTICE_WITHIN_MS))),
      ]);
      clearTimeout(timer);
    }
    return new IdentifyBudgetError(halt);
  }
}
