// Private: questions in a terminal for setup. A secret (the token) is read with echo off.

/** Asks the user things. */
export interface Prompter {
  /** Asks a question; Enter alone gives `default` (or ""). */
  ask(question: string, options?: { default?: string; secret?: boolean }): Promise<string>;
  /** Waits for Enter. */
  pause(message: string): Promise<void>;
}

/** Thrown when the user presses Ctrl-C or stdin ends during a question. */
export class PromptAborted extends Error {
  constructor() {
    super("Setup was interrupted: nothing more was changed");
    this.name = "PromptAborted";
  }
}

/**
 * A prompter on the process's terminal (stdin for answers, stdout for questions).
 *
 * @returns The prompter.
 */
export function terminalPrompter(): Prompter {
  const encoder = new TextEncoder();
  const write = (text: string) => Deno.stdout.writeSync(encoder.encode(text));
  const pending: number[] = [];
  const buf = new Uint8Array(256);

  async function readByte(): Promise<number | null> {
    if (pending.length === 0) {
      const n = await Deno.stdin.read(buf);
      if (n === null) return null;
      for (let i = 0; i < n; i++) pending.push(buf[i]);
    }
    return pending.shift() ?? null;
  }

  async function readLine(secret: boolean): Promise<string> {
    const bytes: number[] = [];
    if (secret) Deno.stdin.setRaw(true);
    try {
      for (;;) {
        const b = await readByte();
        if (b === null) {
          if (bytes.length === 0) throw new PromptAborted();
          break;
        }
        if (b === 0x03) throw new PromptAborted(); // Ctrl-C in raw mode
        if (b === 0x0d || b === 0x0a) {
          // A CR LF pair counts once.
          if (b === 0x0d && pending[0] === 0x0a) pending.shift();
          break;
        }
        if (secret && (b === 0x7f || b === 0x08)) {
          if (bytes.length > 0) {
            bytes.pop();
            write("\b \b");
          }
          continue;
        }
        bytes.push(b);
        if (secret) write("*");
      }
    } finally {
      if (secret) {
        Deno.stdin.setRaw(false);
        write("\n");
      }
    }
    return new TextDecoder().decode(new Uint8Array(bytes)).trim();
  }

  return {
    async ask(question, options = {}) {
      const hint = options.default ? ` [${options.default}]` : "";
      write(`${question}${hint}: `);
      const answer = await readLine(options.secret ?? false);
      return answer === "" ? options.default ?? "" : answer;
    },
    async pause(message) {
      write(`${message} `);
      await readLine(false);
    },
  };
}

/**
 * A prompter that answers from a list (tests), then aborts.
 *
 * @param answers The answers, in order.
 * @returns The prompter; `asked` records the questions.
 */
export function scriptedPrompter(answers: string[]): Prompter & { asked: string[] } {
  const asked: string[] = [];
  const next = () => {
    const a = answers.shift();
    if (a === undefined) throw new PromptAborted();
    return a;
  };
  return {
    asked,
    ask(question, options = {}) {
      asked.push(question);
      const a = next();
      return Promise.resolve(a === "" ? options.default ?? "" : a);
    },
    pause(message) {
      asked.push(message);
      next();
      return Promise.resolve();
    },
  };
}
