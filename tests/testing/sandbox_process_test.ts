// The sandbox starting the bridge with the right environment. The page in a browser:
// sandbox_page_process_test.ts.
import { assert, assertEquals } from "../_assert.ts";
import { startSandbox } from "../../testing/sandbox.ts";
import { tempDir } from "../_fixture.ts";
import { waitFor } from "./_clients.ts";

Deno.test("sandbox: starts the bridge module with DISCORD_* env pointing at the server", async () => {
  await using dir = await tempDir("sandbox-test-");
  const home = dir.path;
  const lines: string[] = [];
  await using sandbox = await startSandbox({
    port: 0,
    home,
    bridgePath: new URL("../testdata/sandbox_bridge_probe.ts", import.meta.url).pathname,
    log: (l) => lines.push(l),
  });
  assert(sandbox.bridge, "bridge started");
  const env = await waitFor("the probe's env file", () => {
    try {
      return JSON.parse(Deno.readTextFileSync(`${home}/probe-env.json`));
    } catch {
      return undefined;
    }
  }, 15_000);
  assertEquals(env.DISCORD_API_URL, sandbox.server.apiUrl);
  assertEquals(env.DISCORD_BOT_TOKEN, sandbox.server.token);
  assertEquals(env.DISCORD_CHANNEL_ID, sandbox.server.channelId);
  assertEquals(env.DISCORD_WEBHOOK_URL, sandbox.server.webhookUrl);
  assertEquals(env.DISCORD_ALLOWED_USERS, sandbox.server.ownerId);
  assertEquals(env.CLAUDE_DISCORD_HOME, home);
  await sandbox.close();
  assert(lines.includes("probe started"));
});
