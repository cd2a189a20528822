#!/usr/bin/env node
/**
 * The `credkit` bin. `credkit --version` (or `-V`) alone is answered before anything is loaded:
 * a version check in a script or an image build is run cold, and loading commander costs more
 * than Node's own start. Every other command line goes to `main.ts`.
 */
declare const __CREDKIT_VERSION__: string;

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  process.stdout.write(`${__CREDKIT_VERSION__}\n`);
} else {
  void import("./main.js").then(({ main }) => main(process.argv));
}
