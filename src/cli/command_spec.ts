/**
 * A command's flags declared once (type, default, value name, help): the
 * parseArgs options, the `--help` text and docs/cli.md all come from the same
 * declaration, so they cannot disagree.
 */
import { parseArgs } from "node:util";
import { parseCommandLine } from "./flags.ts";

/** One flag. */
export interface FlagSpec {
  /** parseArgs type. */
  readonly type: "string" | "boolean";
  /** What the value is called in the help (`N`, `DIR`, `a|b`). */
  readonly value?: string;
  /** Default value (shown in the help). */
  readonly default?: string | boolean;
  /** One-letter alias. */
  readonly short?: string;
  /** May be given more than once. */
  readonly multiple?: boolean;
  /** What it does; `\n` starts a new help line. */
  readonly help: string;
}

/** One command. */
export interface CommandSpec {
  /** The task name (`deno task <name>`). */
  readonly name: string;
  /** How it is run, when not `deno task <name>`. */
  readonly invocation?: string;
  /** Usage lines, each after the invocation. */
  readonly synopsis: readonly string[];
  /** Paragraphs after the usage lines. */
  readonly about?: string;
  /** Whether positional arguments are taken. */
  readonly positionals?: boolean;
  /** The flags, by long name. */
  readonly flags: Readonly<Record<string, FlagSpec>>;
}

function flagLabel(name: string, flag: FlagSpec): string {
  const short = flag.short ? `-${flag.short}, ` : "";
  return `${short}--${name}${flag.value ? ` ${flag.value}` : ""}`;
}

function helpText(flag: FlagSpec): string {
  const shown = flag.default !== undefined && flag.default !== false &&
    flag.type === "string";
  return `${flag.help}${shown ? ` (default ${flag.default})` : ""}`;
}

/** The `--help` text. */
export function usageOf(spec: CommandSpec): string {
  const run = spec.invocation ?? `deno task ${spec.name}`;
  const lines = spec.synopsis.map((s, i) =>
    `${i === 0 ? "usage: " : "       "}${run} ${s}`
  );
  if (spec.about) lines.push("", spec.about);
  const entries = Object.entries(spec.flags);
  if (entries.length > 0) {
    const width = Math.min(
      28,
      Math.max(...entries.map(([n, f]) => flagLabel(n, f).length)) + 2,
    );
    lines.push("");
    for (const [name, flag] of entries) {
      const label = flagLabel(name, flag);
      const [first, ...rest] = helpText(flag).split("\n");
      if (label.length + 2 > width) {
        lines.push(`  ${label}`, `  ${" ".repeat(width)}${first}`);
      } else lines.push(`  ${label.padEnd(width)}${first}`);
      for (const more of rest) lines.push(`  ${" ".repeat(width)}${more}`);
    }
  }
  return lines.join("\n");
}

/** The parseArgs options of a spec. */
export function optionsOf<S extends CommandSpec>(spec: S): S["flags"] {
  return Object.fromEntries(
    Object.entries(spec.flags).map(([name, f]) => [
      name,
      {
        type: f.type,
        ...(f.short ? { short: f.short } : {}),
        ...(f.multiple ? { multiple: true } : {}),
        ...(f.default !== undefined ? { default: f.default } : {}),
      },
    ]),
  ) as S["flags"];
}

/**
 * Parses `args` by the spec (with `--help`/`-h`): the flags, or the exit status
 * when there is nothing to run (0 after the help, 2 after a usage error).
 */
export function parseCommand<S extends CommandSpec>(
  spec: S,
  args: string[],
):
  | ReturnType<
    typeof parseArgs<
      { args: string[]; allowPositionals: boolean; options: S["flags"] }
    >
  >
  | number {
  return parseCommandLine(spec.name, usageOf(spec), {
    args,
    allowPositionals: spec.positionals ?? false,
    options: optionsOf(spec),
  });
}

/** docs/cli.md: each command's usage and a table of its flags. */
export function commandsMarkdown(specs: readonly CommandSpec[]): string {
  const lines = [
    "# Commands",
    "",
    "Generated from each command's flag declarations by `deno task docs`; do not",
    "edit. `--help` prints the same. Exit status: 0 done, 1 a data or run",
    "failure (the message names the file), 2 a usage error (the message names",
    "the flag).",
  ];
  for (const spec of specs) {
    lines.push("", `## deno task ${spec.name}`, "", "```");
    for (const s of spec.synopsis) lines.push(`deno task ${spec.name} ${s}`);
    lines.push("```");
    if (spec.about) lines.push("", spec.about.replace(/\n(?!\n)/g, " "));
    const entries = Object.entries(spec.flags);
    if (entries.length > 0) {
      lines.push(
        "",
        "| flag | default | what it does |",
        "| ---- | ------- | ------------ |",
      );
      for (const [name, flag] of entries) {
        const def = flag.default === undefined || flag.default === false
          ? ""
          : `\`${flag.default}\``;
        lines.push(
          `| \`${flagLabel(name, flag).replaceAll("|", "\\|")}\` | ${def} | ${
            flag.help.replaceAll("\n", " ").replaceAll("|", "\\|")
          } |`,
        );
      }
    }
  }
  return lines.join("\n") + "\n";
}
