// Test helpers for setup: a temp world (state directory, project, HOME), the flags of a run
// against the local Discord server, captured output, and an "owner" who replies to the
// "connected" message the way a person would in Discord.
import type { DiscordServer } from "../../testing/mod.ts";
import type { SetupFlags, SetupIo } from "../../_setup/flow.ts";
import { stopBridge } from "../../daemon.ts";
import { tempDir } from "../_fixture.ts";

/** A temp state directory, project and HOME; stops any bridge and removes all on dispose. */
export interface SetupWorld extends AsyncDisposable {
  /** Root of everything. */
  root: string;
  /** The state directory. */
  home: string;
  /** A project directory. */
  project: string;
  /** A HOME for `--user`. */
  userHome: string;
}

/** Creates a {@linkcode SetupWorld}. */
export async function setupWorld(): Promise<SetupWorld> {
  const dir = await tempDir("cd-setup-");
  const root = dir.path;
  const world = {
    root,
    home: `${root}/state`,
    project: `${root}/project`,
    userHome: `${root}/user`,
  };
  for (const dir of [world.project, world.userHome]) await Deno.mkdir(dir, { recursive: true });
  return {
    ...world,
    async [Symbol.asyncDispose]() {
      try {
        await stopBridge(world.home, { timeoutMs: 3000 }).catch(() => {});
      } finally {
        await dir[Symbol.asyncDispose]();
      }
    },
  };
}

/** Whether a path exists. */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The flags of a non-interactive setup against `server`, without the live test. */
export function flagsFor(
  server: DiscordServer,
  world: SetupWorld,
  extra: Partial<SetupFlags> = {},
): SetupFlags {
  return {
    token: server.token,
    channel: server.channelId,
    apiUrl: server.apiUrl,
    home: world.home,
    user: false,
    projectDir: world.project,
    homeDir: world.userHome,
    install: true,
    dryRun: false,
    liveTest: false,
    liveTimeoutSeconds: 20,
    ...extra,
  };
}

/** Output captured from a run. */
export interface Captured {
  /** The io to pass. */
  io: SetupIo;
  /** Every line said. */
  lines: string[];
}

/** An io that records what setup says (empty env: nothing leaks in from the test runner). */
export function capture(extra: Partial<SetupIo> = {}): Captured {
  const lines: string[] = [];
  return { io: { say: (l) => lines.push(l), env: {}, ...extra }, lines };
}

/**
 * Replies as `userId` to the bot's "connected" message once it appears (polls the server's
 * state, as a person watching the channel would). Resolves with the reply's id, or
 * `undefined` when stopped first.
 */
export async function replyWhenConnected(
  server: DiscordServer,
  options: { userId?: string; content?: string; signal: AbortSignal; reply?: boolean },
): Promise<string | undefined> {
  while (!options.signal.aborted) {
    const connected = server.messages(server.channelId).find((m) =>
      m.author.id === server.botId && m.content.includes("is connected")
    );
    if (connected) {
      const m = await server.postAsUser({
        channelId: server.channelId,
        userId: options.userId ?? server.ownerId,
        content: options.content ?? "hello from Discord",
        ...(options.reply === false ? {} : { messageReference: { message_id: connected.id } }),
      });
      return m.id;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return undefined;
}
