// A reference point of bench/bridge_bench.ts "rss": the baseline script plus the one library the
// bridge's gateway needs, `@discordeno/gateway`, loaded (what importing it costs, before any use).
import * as gateway from "@discordeno/gateway";

(globalThis as { keep?: unknown }).keep = gateway;
const socket = new WebSocket(`${Deno.args[0]}/?v=10&encoding=json`);
socket.onmessage = () => {};
await new Promise(() => {});
