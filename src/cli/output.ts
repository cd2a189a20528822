/**
 * What the `credkit` command prints. Results go to stdout, as JSON with `--json` or as lines for
 * people; notes, warnings and progress go to stderr so a script reading stdout sees only data.
 * Nothing here reveals a value: callers hand in masked views unless the user asked (`--reveal`).
 */

/** The global options every command sees. */
export interface GlobalOptions {
  /** Backend name or alias (as `VAULT_TYPE`). */
  backend?: string;
  /** Print results as JSON. */
  json?: boolean;
}

/** Prints one command's result. */
export class Output {
  readonly json: boolean;

  constructor(options: GlobalOptions) {
    this.json = options.json === true;
  }

  /** The result: `data` as JSON with `--json`, else the lines `human` returns. */
  result(data: unknown, human: () => string | readonly string[]): void {
    if (this.json) {
      process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
      return;
    }
    const lines = human();
    const text = typeof lines === "string" ? lines : lines.join("\n");
    if (text !== "") process.stdout.write(`${text}\n`);
  }

  /** A warning for people, on stderr (also in JSON mode: scripts read stdout). */
  warn(message: string): void {
    process.stderr.write(`warning: ${message}\n`);
  }

  /** A note for people on stderr; silent with `--json`. */
  note(message: string): void {
    if (!this.json) process.stderr.write(`${message}\n`);
  }
}

/** Formats rows as aligned columns. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
