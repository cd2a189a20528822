/** Starts a bench's loopback server in a child process (bench/loopback-server.ts). */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Served, ServedKind } from "./loopback-server.js";

const SERVER_SCRIPT = new URL("./loopback-server.ts", import.meta.url);

/** A server of `kind`, listening in a process of its own until `close()`. */
export async function serve(kind: ServedKind): Promise<Served & { close(): Promise<void> }> {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(SERVER_SCRIPT), kind], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const [line] = await Promise.race([
    once(createInterface({ input: child.stdout }), "line") as Promise<string[]>,
    exited.then(() => {
      throw new Error(`The bench ${kind} server exited before it listened.`);
    }),
  ]);
  const served = JSON.parse(line as string) as Served;
  return {
    ...served,
    close: async () => {
      child.stdin.end();
      await exited;
    },
  };
}
