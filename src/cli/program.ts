/**
 * The `credkit` command line: every command, its options and its `--help` examples. Command
 * implementations are imported only when their command runs, so `credkit --version` and
 * `--help` load nothing but this file and commander.
 */
import { Command, Option } from "commander";
import type { GlobalOptions } from "./output.js";

declare const __CREDKIT_VERSION__: string;

/** Adds an "Examples:" block to a command's help. */
function examples(command: Command, lines: readonly string[]): Command {
  return command.addHelpText("after", `\nExamples:\n${lines.map((line) => `  $ ${line}`).join("\n")}\n`);
}

/** The command's own options merged with the global ones (`--backend`, `--json`). */
function optionsOf<T>(command: Command): T & GlobalOptions {
  return command.optsWithGlobals() as T & GlobalOptions;
}

function writeOptions(command: Command): Command {
  return command
    .option("--field <name>", "field the value is stored in", "apiKey")
    .option("--fields-json", "the input is a JSON object of field names to values")
    .option(
      "--type <type>",
      "credential type (api_key, bearer_token, http_basic, ssh, db_dsn, service_account, oauth, custom)",
    )
    .option(
      "--value <value>",
      "the value on the command line (lands in shell history: prefer stdin or the prompt)",
    )
    .option("--expires-at <iso>", "when the credential stops being valid (ISO 8601)")
    .option("--if-version <n>", "write only if the current version is n (0: only if absent)")
    .option("--actor <name>", "who writes, for createdBy and the audit trail", "credkit-cli");
}

function credentialCommands(program: Command): void {
  examples(
    writeOptions(program.command("put").description("store a credential (a new one, or a new version)"))
      .argument("<tenant>", "tenant id")
      .argument("<connection>", "connection id (credential name)")
      .action(async (tenantId: string, connectionId: string, _options, command: Command) => {
        const { writeCommand } = await import("./commands/write.js");
        await writeCommand(tenantId, connectionId, optionsOf(command), false);
      }),
    [
      "credkit put acme openai                       # hidden prompt for apiKey",
      'printf %s "$OPENAI_API_KEY" | credkit put acme openai --type api_key',
      "credkit put acme db --fields-json < fields.json",
    ],
  );
  examples(
    writeOptions(
      program.command("rotate").description("replace an existing credential's values (a new version)"),
    )
      .argument("<tenant>", "tenant id")
      .argument("<connection>", "connection id")
      .action(async (tenantId: string, connectionId: string, _options, command: Command) => {
        const { writeCommand } = await import("./commands/write.js");
        await writeCommand(tenantId, connectionId, optionsOf(command), true);
      }),
    ["credkit rotate acme openai", "credkit rotate acme openai --if-version 3 < new-key.txt"],
  );
  examples(
    program
      .command("get")
      .description("show a credential's fields, masked unless --reveal")
      .argument("<tenant>", "tenant id")
      .argument("<connection>", "connection id")
      .option("--reveal", "print the values themselves")
      .option("--field <name>", "only this field (with --reveal: its bare value, for pipes)")
      .option("--at-version <n>", "read this older version")
      .action(async (tenantId: string, connectionId: string, _options, command: Command) => {
        const { getCommand } = await import("./commands/read.js");
        await getCommand(tenantId, connectionId, optionsOf(command));
      }),
    ["credkit get acme openai", "credkit get acme openai --reveal --field apiKey | pbcopy"],
  );
  examples(
    program
      .command("list")
      .description("list a tenant's credentials (metadata only)")
      .argument("<tenant>", "tenant id")
      .option("--include-deleted", "also show soft-deleted credentials")
      .action(async (tenantId: string, _options, command: Command) => {
        const { listCommand } = await import("./commands/read.js");
        await listCommand(tenantId, optionsOf(command));
      }),
    ["credkit list acme", "credkit list acme --include-deleted --json"],
  );
  examples(
    program
      .command("describe")
      .description("a credential's metadata, status, fingerprints and masked forms")
      .argument("<tenant>", "tenant id")
      .argument("<connection>", "connection id")
      .action(async (tenantId: string, connectionId: string, _options, command: Command) => {
        const { describeCommand } = await import("./commands/read.js");
        await describeCommand(tenantId, connectionId, optionsOf(command));
      }),
    ["credkit describe acme openai"],
  );
  examples(
    program
      .command("versions")
      .description("every version of a credential, oldest first (metadata only)")
      .argument("<tenant>", "tenant id")
      .argument("<connection>", "connection id")
      .action(async (tenantId: string, connectionId: string, _options, command: Command) => {
        const { versionsCommand } = await import("./commands/read.js");
        await versionsCommand(tenantId, connectionId, optionsOf(command));
      }),
    ["credkit versions acme openai --json"],
  );
  for (const [action, description] of [
    ["delete", "delete a credential (recoverable where the backend keeps deleted ones)"],
    ["restore", "undo a soft delete"],
    ["purge", "remove a credential and every version for good (needs --yes)"],
  ] as const) {
    const command = program
      .command(action)
      .description(description)
      .argument("<tenant>", "tenant id")
      .argument("<connection>", "connection id")
      .option("--actor <name>", "who acts, for the audit trail", "credkit-cli");
    if (action === "purge") command.option("--yes", "confirm that nothing can bring it back");
    command.action(async (tenantId: string, connectionId: string, _options, self: Command) => {
      const { removeCommand } = await import("./commands/remove.js");
      await removeCommand(action, tenantId, connectionId, optionsOf(self));
    });
    examples(command, [`credkit ${action} acme openai${action === "purge" ? " --yes" : ""}`]);
  }
}

function setupCommands(program: Command): void {
  examples(
    program
      .command("keygen")
      .description("print a new 32-byte key for CREDENTIAL_ENCRYPTION_KEY")
      .option("--hex", "64 hex characters instead of base64")
      .action(async (_options, command: Command) => {
        const { keygenCommand } = await import("./commands/keygen.js");
        keygenCommand(optionsOf(command));
      }),
    ["credkit keygen", "export CREDENTIAL_ENCRYPTION_KEY=$(credkit keygen)"],
  );
  examples(
    program
      .command("doctor")
      .description(
        "check configuration, SDKs, connectivity, a round trip and the keys; non-zero exit on failure",
      )
      .action(async (_options, command: Command) => {
        const { doctorCommand } = await import("./commands/doctor.js");
        await doctorCommand(optionsOf(command));
      }),
    ["npx credkit doctor", "VAULT_TYPE=postgres DATABASE_URL=postgres://... credkit doctor --json"],
  );
}

function integrationCommands(program: Command): void {
  const integrations = examples(
    program.command("integrations").description("a tenant's connections (the connector service)"),
    ["credkit integrations list acme", "credkit integrations test acme conn_123"],
  );
  const allowHost = new Option(
    "--allow-host <host...>",
    "let a connection's URL reach this private or loopback host (egress allowHosts)",
  );
  examples(
    integrations
      .command("list")
      .description("every connection of a tenant, credentials masked")
      .argument("<tenant>", "tenant id")
      .action(async (tenantId: string, _options, command: Command) => {
        const { listIntegrations } = await import("./commands/integrations.js");
        await listIntegrations(tenantId, optionsOf(command));
      }),
    ["credkit integrations list acme --json"],
  );
  examples(
    integrations
      .command("test")
      .description("test a connection against its provider; exit 1 when refused")
      .argument("<tenant>", "tenant id")
      .argument("<id>", "connection id")
      .addOption(allowHost)
      .action(async (tenantId: string, id: string, _options, command: Command) => {
        const { testIntegration } = await import("./commands/integrations.js");
        await testIntegration(tenantId, id, optionsOf(command));
      }),
    [
      "credkit integrations test acme conn_123",
      "credkit integrations test acme conn_123 --allow-host llm.internal",
    ],
  );
  for (const [action, description] of [
    ["disable", "disable a connection: no connector is built for it until enabled"],
    ["enable", "enable a disabled connection (pending until its next test)"],
  ] as const) {
    const command = integrations
      .command(action)
      .description(description)
      .argument("<tenant>", "tenant id")
      .argument("<id>", "connection id");
    if (action === "disable") command.option("--message <text>", "why (shown in the connection's status)");
    command.action(async (tenantId: string, id: string, _options, self: Command) => {
      const { setIntegrationEnabled } = await import("./commands/integrations.js");
      await setIntegrationEnabled(tenantId, id, action === "enable", optionsOf(self));
    });
    examples(command, [`credkit integrations ${action} acme conn_123`]);
  }
}

function storeCommands(program: Command): void {
  examples(
    program
      .command("migrate")
      .description(
        "copy every tenant, credential and version from one backend to another, verified; run again to resume",
      )
      .requiredOption("--from <backend>", "source backend (name or alias, as VAULT_TYPE)")
      .requiredOption("--to <backend>", "target backend")
      .option("--tenant <id>", "only this tenant")
      .option("--checkpoint <text>", "continue from a checkpoint an earlier run reported")
      .action(async (_options, command: Command) => {
        const { migrateCommand } = await import("./commands/migrate.js");
        await migrateCommand(optionsOf(command));
      }),
    [
      "CREDKIT_FILE_DIR=./.credkit DATABASE_URL=postgres://... credkit migrate --from file --to postgres",
      "credkit migrate --from postgres --to vault --tenant acme --json",
    ],
  );
}

function transferCommands(program: Command): void {
  examples(
    program
      .command("import")
      .description("import credentials from JSON, NDJSON, .env or an encrypted bundle; resumable")
      .argument("<file>", "input file (format from its name, or --format)")
      .option("--format <format>", "json (an array), ndjson or env")
      .option("--tenant <id>", "tenant of .env input")
      .option("--dry-run", "report what would be created, updated or left unchanged; write nothing")
      .option("--checkpoint <path>", "checkpoint file (default: <file>.credkit-import.json)")
      .option("--batch-size <n>", "records read and written per batch (1-1000)", "200")
      .action(async (file: string, _options, command: Command) => {
        const { importCommand } = await import("./commands/import.js");
        await importCommand(file, optionsOf(command));
      }),
    [
      "credkit import credentials.ndjson",
      "credkit import .env --tenant acme --dry-run",
      "CREDKIT_BUNDLE_PASSPHRASE=... credkit import backup.credkit.json --json",
    ],
  );
  examples(
    program
      .command("export")
      .description(
        "export the latest values (or every version) as JSON, NDJSON or .env, optionally as an encrypted bundle",
      )
      .option("-o, --output <file>", "file to write (created 0600), or - for stdout; required")
      .option("--format <format>", "json, ndjson or env (default: from the file name)")
      .option("--tenant <id>", "only this tenant")
      .option(
        "--encrypt",
        "seal into a passphrase-encrypted bundle with every version (CREDKIT_BUNDLE_PASSPHRASE or a prompt)",
      )
      .option("--all-versions", "every version, oldest first, not only the latest (json, ndjson)")
      .action(async (_options, command: Command) => {
        const { exportCommand } = await import("./commands/export.js");
        await exportCommand(optionsOf(command));
      }),
    [
      "credkit export --output backup.ndjson",
      "credkit export --tenant acme --output .env.acme --format env",
      "credkit export --encrypt --output backup.credkit.json",
    ],
  );
}

function runCommandDefinition(program: Command): void {
  examples(
    program
      .command("run")
      .description(
        "run a command with a credential's values as environment variables, redacted from its output",
      )
      .requiredOption("--tenant <id>", "tenant id")
      .requiredOption(
        "--connection <id>",
        "connection id (a connector-service connection, else a credential name)",
      )
      .option("--prefix <text>", "prefix of the variable names (apiKey → <prefix>API_KEY)", "")
      .argument("<command...>", "the command and its arguments, after --")
      .action(async (command: string[], _options, self: Command) => {
        const { runCommand } = await import("./commands/run.js");
        await runCommand(command, optionsOf(self));
      }),
    [
      "credkit run --tenant acme --connection openai -- node app.js      # API_KEY=... in the env",
      "credkit run --tenant acme --connection db --prefix PG_ -- psql    # PG_USER, PG_PASSWORD",
    ],
  );
}

function keyCommands(program: Command): void {
  examples(
    program
      .command("rewrap")
      .description(
        "re-encrypt every version under the current key (after rotating CREDENTIAL_ENCRYPTION_KEY)",
      )
      .option("--tenant <id>", "only this tenant")
      .option("--checkpoint <text>", "continue from a checkpoint an earlier run reported")
      .action(async (_options, command: Command) => {
        const { rewrapCommand } = await import("./commands/keys.js");
        await rewrapCommand(optionsOf(command));
      }),
    ["CREDENTIAL_ENCRYPTION_KEY=$NEW CREDENTIAL_ENCRYPTION_KEY_PREVIOUS=$OLD credkit rewrap"],
  );
  examples(
    program
      .command("verify-keys")
      .description("check that the keyring opens every stored version; exit 1 naming what it cannot")
      .option("--tenant <id>", "only this tenant")
      .option("--latest-only", "only the latest version of each credential")
      .option("--key-ids-only", "only check the keyring holds each key id (no decryption)")
      .action(async (_options, command: Command) => {
        const { verifyKeysCommand } = await import("./commands/keys.js");
        await verifyKeysCommand(optionsOf(command));
      }),
    ["credkit verify-keys", "credkit verify-keys --tenant acme --json"],
  );
  const audit = examples(
    program
      .command("audit")
      .description(
        "read the audit trail: the PostgreSQL audit sink (CREDKIT_AUDIT_DATABASE_URL), else the JSON-lines file (CREDKIT_AUDIT_FILE)",
      ),
    [
      "credkit audit tail --file audit.jsonl",
      "credkit audit query --tenant acme --action read --since 2026-01-01",
    ],
  );
  const file = new Option(
    "--file <path>",
    "read this JSON-lines file (default: the database, else $CREDKIT_AUDIT_FILE)",
  );
  examples(
    audit
      .command("tail")
      .description("the latest events; --follow to keep printing new ones")
      .addOption(file)
      .option("-n, --lines <n>", "how many", "20")
      .option("-f, --follow", "keep printing events as they are written")
      .action(async (_options, command: Command) => {
        const { auditTail } = await import("./commands/audit.js");
        await auditTail(optionsOf(command));
      }),
    ["credkit audit tail -n 50", "credkit audit tail --follow --json"],
  );
  examples(
    audit
      .command("query")
      .description("the newest --limit events matching every filter given, oldest first")
      .addOption(
        new Option(
          "--file <path>",
          "read this JSON-lines file (default: the database, else $CREDKIT_AUDIT_FILE)",
        ),
      )
      .option("--tenant <id>", "tenant")
      .option("--connection <id>", "credential name")
      .option(
        "--action <action>",
        "read, write, rotate, delete, restore, purge, describe, list, rewrap, test",
      )
      .option("--outcome <outcome>", "success or failure")
      .option("--since <iso>", "from this time")
      .option("--until <iso>", "up to this time")
      .option("--limit <n>", "at most this many", "1000")
      .action(async (_options, command: Command) => {
        const { auditQuery } = await import("./commands/audit.js");
        await auditQuery(optionsOf(command));
      }),
    ["credkit audit query --tenant acme --outcome failure --json"],
  );
}

/** The whole command line. */
export function createProgram(): Command {
  const program = new Command("credkit")
    .description(
      "Manage credkit credentials, keys and integrations. Configured like the library: VAULT_TYPE and each backend's variables, CREDENTIAL_ENCRYPTION_KEY.",
    )
    .version(__CREDKIT_VERSION__, "-V, --version")
    .addOption(
      new Option(
        "--backend <name>",
        "backend name or alias, as VAULT_TYPE (default: $VAULT_TYPE, else file)",
      ),
    )
    .option("--json", "print results as JSON (for scripts)")
    .showHelpAfterError("(add --help for usage and examples)")
    .exitOverride();
  program.configureOutput({ outputError: (text, write) => write(text) });
  setupCommands(program);
  credentialCommands(program);
  integrationCommands(program);
  storeCommands(program);
  transferCommands(program);
  runCommandDefinition(program);
  keyCommands(program);
  examples(program, [
    "credkit keygen",
    "credkit doctor",
    'printf %s "$KEY" | credkit put acme openai',
    "credkit get acme openai",
    "credkit --backend postgres list acme --json",
  ]);
  const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
  for (const command of all(program)) command.exitOverride();
  return program;
}
