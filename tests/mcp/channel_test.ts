// mcp.ts channel mode in this process: reading Claude Code's channel flags from a command
// line. The mailbox pushed as notifications: channel_process_test.ts.
import { assertEquals } from "../_assert.ts";
import { findChannelFlag } from "../../_mcp/channel.ts";

Deno.test("findChannelFlag reads both flags, with = or separate values", () => {
  const argv: Record<number, string[]> = {
    10: ["deno", "run", "mcp.ts"],
    20: ["node", "claude", "--dangerously-load-development-channels", "server:a", "server:b", "-p"],
    30: ["claude", "--channels=plugin:discord@market"],
  };
  assertEquals(findChannelFlag([10, 20, 30], (p) => argv[p]), {
    pid: 20,
    args: ["--dangerously-load-development-channels server:a server:b"],
  });
  assertEquals(findChannelFlag([10, 30], (p) => argv[p]), {
    pid: 30,
    args: ["--channels plugin:discord@market"],
  });
  assertEquals(findChannelFlag([10, 99], (p) => argv[p]), undefined);
});
