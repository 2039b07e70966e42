// Intentionally empty: the baseline of bench/inbox_bench.ts (start-up cost of `deno run`).
