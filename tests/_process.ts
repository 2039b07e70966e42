// Running another program from a test: bounded in time, output collected, no timer left behind;
// and the Deno cache a child Deno with another HOME must be pointed at.

/**
 * Runs a command to completion, `stdin` written to it (none when `undefined`), killed after
 * `timeoutMs`; no timer is left behind.
 */
export async function runBounded(
  command: string,
  options: Omit<Deno.CommandOptions, "stdin" | "stdout" | "stderr">,
  timeoutMs: number,
  stdin?: string,
): Promise<{ out: Deno.CommandOutput; timedOut: boolean }> {
  const child = new Deno.Command(command, {
    ...options,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, timeoutMs);
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin)).catch(() => {});
    await writer.close().catch(() => {});
  }
  const out = await child.output().finally(() => clearTimeout(timer));
  return { out, timedOut };
}

let cachedDenoDir: string | undefined;

/**
 * This Deno's module cache (`DENO_DIR` or its default): a child Deno run with another HOME
 * (a sandbox, a temp user) is given it, so it compiles against the cached npm packages
 * instead of an empty cache.
 */
export function denoDir(): string {
  if (cachedDenoDir !== undefined) return cachedDenoDir;
  const out = new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).outputSync();
  cachedDenoDir = JSON.parse(new TextDecoder().decode(out.stdout)).denoDir as string;
  return cachedDenoDir;
}
