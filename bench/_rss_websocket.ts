// The baseline of bench/bridge_bench.ts "rss": a bare `deno run` script holding one WebSocket
// open to the gateway URL it is given, nothing imported. Run with the bridge's Deno and V8 flags.
const socket = new WebSocket(`${Deno.args[0]}/?v=10&encoding=json`);
socket.onmessage = () => {};
await new Promise(() => {});
