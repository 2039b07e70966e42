// The sandbox page in a real headless browser (Debian chromium via playwright-core),
// and the sandbox starting the bridge with the right environment.
import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { startSandbox } from "../../testing/sandbox.ts";
import { tempDir } from "../_fixture.ts";
import { waitFor } from "./_clients.ts";

const CHROMIUM = "/usr/bin/chromium";

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

Deno.test({
  name:
    "sandbox page (headless chromium): type a message, see it in the state; see webhook and bot posts live; click a button",
  // playwright-core keeps pipes and timers of the browser process past close().
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    try {
      Deno.statSync(CHROMIUM);
    } catch {
      throw new Error(
        `${CHROMIUM} is missing: install it with "apt-get install -y chromium" (.ci/run does)`,
      );
    }
    const { chromium } = await import("playwright-core");
    await using sandbox = await startSandbox({ port: 0, bridge: false });
    const server = sandbox.server;
    await using profile = await tempDir("sandbox-chromium-");
    const context = await chromium.launchPersistentContext(profile.path, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: 20_000,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    try {
      const page = context.pages()[0] ?? await context.newPage();
      page.setDefaultTimeout(10_000);
      await page.goto(sandbox.pageUrl);
      await page.waitForSelector("body[data-ready=true]");

      await page.fill("#text", "hello from the browser");
      await page.press("#text", "Enter");
      const typed = await waitFor(
        "the typed message in the state",
        () => server.state().messages.find((m) => m.content === "hello from the browser"),
      );
      assertEquals(typed.author.id, server.ownerId);
      assertEquals(typed.channel_id, server.channelId);
      await page.waitForSelector(`.msg[data-id="${typed.id}"]`);

      const hooked =
        await (await fetch(`${server.textWebhookUrl.replace("/api/", "/api/v10/")}?wait=true`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ content: "webhook says hi", username: "Status" }),
        })).json();
      const row = await page.waitForSelector(`.msg[data-id="${hooked.id}"]`);
      assertMatch(await row.innerText(), /WEBHOOK\s*Status\s*webhook says hi/);

      const clicks: string[] = [];
      server.onEvent((t, d) => {
        if (t === "INTERACTION_CREATE") clicks.push((d.data as { custom_id: string }).custom_id);
      });
      const prompt =
        await (await fetch(`${server.apiUrl}/v10/channels/${server.channelId}/messages`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bot ${server.token}` },
          body: JSON.stringify({
            content: "Allow Bash?",
            components: [{
              type: 1,
              components: [{ type: 2, style: 3, label: "Allow", custom_id: "allow" }],
            }],
          }),
        })).json();
      await page.click(`.msg[data-id="${prompt.id}"] button[data-custom-id="allow"]`);
      await waitFor("the click", () => clicks.includes("allow"));

      // a webhook post into a new forum thread shows up in the sidebar and can be opened
      const post =
        await (await fetch(`${server.webhookUrl.replace("/api/", "/api/v10/")}?wait=true`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ content: "session status", thread_name: "session-1" }),
        })).json();
      await page.click(`nav div[data-channel="${post.channel_id}"]`);
      await page.waitForSelector(`.msg[data-id="${post.id}"]`);
      await page.fill("#text", "reply in thread");
      await page.press("#text", "Enter");
      await waitFor(
        "the thread reply",
        () => server.messages(post.channel_id).some((m) => m.content === "reply in thread"),
      );
    } finally {
      await context.close();
    }
  },
});
