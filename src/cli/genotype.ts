/**
 * `deno task genotype FILE.json [--out DIR]`: prints the cell in the reference's
 * text form and writes `<name>.normal.svg` and `<name>.reduce.svg` beside the
 * file (or into DIR).
 */
import { genotypeToReferenceText, parseGenotype } from "../space/genotype.ts";
import { drawGenotype } from "../space/genotype_drawing.ts";
import { writeFileAtomic } from "../io/atomic_write.ts";
import { type CommandSpec, parseCommand, usageOf } from "./command_spec.ts";

/** The genotype command's flags. */
export const GENOTYPE_COMMAND = {
  name: "genotype",
  synopsis: ["FILE.json... [--out DIR]"],
  about: `Prints each cell in the reference's text form and draws it as
<name>.normal.svg and <name>.reduce.svg beside the file.`,
  positionals: true,
  flags: {
    out: {
      type: "string",
      value: "DIR",
      help: "write the drawings into DIR instead",
    },
  },
} as const satisfies CommandSpec;

const USAGE = usageOf(GENOTYPE_COMMAND);

/** Runs the genotype command; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(GENOTYPE_COMMAND, args);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (positionals.length === 0) {
    console.error(`genotype: name a genotype.json\n\n${USAGE}`);
    return 2;
  }
  for (const path of positionals) {
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      console.error(`cannot read ${path}: ${(error as Error).message}`);
      return 1;
    }
    const genotype = parseGenotype(text, path);
    const { normal, reduce } = await drawGenotype(genotype);
    const base = path.replace(/\.json$/, "").split("/").pop()!;
    const dir = values.out ??
      (path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".");
    await Deno.mkdir(dir, { recursive: true });
    await writeFileAtomic(`${dir}/${base}.normal.svg`, normal);
    await writeFileAtomic(`${dir}/${base}.reduce.svg`, reduce);
    console.log(genotypeToReferenceText(genotype));
    console.log(
      `wrote ${dir}/${base}.normal.svg and ${dir}/${base}.reduce.svg`,
    );
  }
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`genotype: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
