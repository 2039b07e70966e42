// Fixture for tests/testing/sandbox_process_test.ts: stands in for bridge.ts to record the
// environment the sandbox starts the bridge with, then stays alive until killed.
const keys = [
  "DISCORD_API_URL",
  "DISCORD_BOT_TOKEN",
  "DISCORD_CHANNEL_ID",
  "DISCORD_WEBHOOK_URL",
  "DISCORD_ALLOWED_USERS",
  "CLAUDE_DISCORD_HOME",
];
const env = Object.fromEntries(keys.map((k) => [k, Deno.env.get(k) ?? null]));
Deno.writeTextFileSync(`${env.CLAUDE_DISCORD_HOME}/probe-env.json`, JSON.stringify(env));
console.log("probe started");
setInterval(() => {}, 1000);
