/**
 * The kernels' signatures as each side writes them: the WebAssembly text's
 * exported functions (`(param $name type)` in order) and TypeScript's
 * `KernelExports` declaration, whose parameters take the same names. The
 * arguments are all numbers to both type checkers, so only the names can say
 * that TypeScript passes `out` where the kernel reads `out`: a test compares
 * the two lists, name by name and in order.
 */

/** One kernel's parameter names in order, and whether it returns a value. */
export interface KernelSignature {
  params: string[];
  returns: boolean;
}

/** The exported functions of a module's text and their parameters. */
export function watSignatures(text: string): Map<string, KernelSignature> {
  const out = new Map<string, KernelSignature>();
  const header =
    /\(func \$[\w.]+ \(export "(\w+)"\)((?:\s*\(param \$\w+ \w+\))*)\s*(\(result \w+\))?/g;
  for (const m of text.matchAll(header)) {
    const params = [...m[2].matchAll(/\(param \$(\w+) \w+\)/g)].map((p) =>
      p[1]
    );
    out.set(m[1], { params, returns: m[3] !== undefined });
  }
  return out;
}

/** The items of a comma-separated list, brackets and angle brackets kept whole. */
function splitTopLevel(list: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of list) {
    if ("([<".includes(ch)) depth++;
    if (")]>".includes(ch) && !(ch === ">" && current.endsWith("="))) depth--;
    if (ch === "," && depth === 0) {
      items.push(current);
      current = "";
    } else current += ch;
  }
  items.push(current);
  return items.map((i) => i.trim()).filter((i) => i !== "");
}

/**
 * The declared kernels of TypeScript source holding `interface KernelExports`
 * and the type aliases its members name: function types `(a: number, ...) =>
 * R`, tuple types `[a: number, ...]`, spreads of either (`...w: Window`,
 * `...args: [...Parameters<F>, lda: number]`).
 */
export function typeScriptSignatures(
  text: string,
): Map<string, KernelSignature> {
  const source = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  const functions = new Map<string, { list: string; result: string }>();
  for (
    const m of source.matchAll(
      /type (\w+) = \(([\s\S]*?)\) => (\w+);/g,
    )
  ) functions.set(m[1], { list: m[2], result: m[3] });
  const tuples = new Map<string, string>();
  for (const m of source.matchAll(/type (\w+) = \[([\s\S]*?)\];/g)) {
    tuples.set(m[1], m[2]);
  }
  const namesOfTuple = (tuple: string): string[] =>
    splitTopLevel(tuple).flatMap((item) => {
      const parameters = /^\.\.\.Parameters<(\w+)>$/.exec(item);
      if (parameters) return namesOf(parameters[1]);
      return [paramName(item)];
    });
  const paramName = (item: string): string => {
    const m = /^(\w+)\??:\s*number$/.exec(item);
    if (!m) throw new Error(`cannot read the kernel parameter "${item}"`);
    return m[1];
  };
  const namesOfList = (list: string): string[] =>
    splitTopLevel(list).flatMap((item) => {
      const spread = /^\.\.\.\w+:\s*([\s\S]+)$/.exec(item);
      if (!spread) return [paramName(item)];
      const type = spread[1].trim();
      if (type.startsWith("[")) return namesOfTuple(type.slice(1, -1));
      const tuple = tuples.get(type);
      if (tuple === undefined) {
        throw new Error(`cannot expand the spread "${item}"`);
      }
      return namesOfTuple(tuple);
    });
  const namesOf = (alias: string): string[] => {
    const f = functions.get(alias);
    if (!f) throw new Error(`no function type ${alias}`);
    return namesOfList(f.list);
  };
  const body = /interface KernelExports \{([\s\S]*?)\n\}/.exec(source);
  if (!body) throw new Error("no interface KernelExports in the source");
  const out = new Map<string, KernelSignature>();
  const members = body[1];
  for (const m of members.matchAll(/(\w+)\(([^)]*)\):\s*(\w+);/g)) {
    out.set(m[1], { params: namesOfList(m[2]), returns: m[3] !== "void" });
  }
  for (const m of members.matchAll(/(\w+):\s*(\w+);/g)) {
    const f = functions.get(m[2]);
    if (!f) throw new Error(`${m[1]}: no function type ${m[2]}`);
    out.set(m[1], { params: namesOf(m[2]), returns: f.result !== "void" });
  }
  return out;
}

/** Every difference between two sides' signatures, one line each. */
export function signatureMismatches(
  wat: Map<string, KernelSignature>,
  declared: Map<string, KernelSignature>,
): string[] {
  const problems: string[] = [];
  for (const [name, w] of wat) {
    const d = declared.get(name);
    if (!d) {
      problems.push(`${name}: exported but not declared in KernelExports`);
      continue;
    }
    if (d.params.join(",") !== w.params.join(",")) {
      problems.push(
        `${name}: the text takes (${
          w.params.join(", ")
        }), TypeScript declares (${d.params.join(", ")})`,
      );
    }
    if (d.returns !== w.returns) {
      problems.push(
        `${name}: the text ${
          w.returns ? "returns a value" : "returns nothing"
        }, TypeScript says otherwise`,
      );
    }
  }
  for (const name of declared.keys()) {
    if (!wat.has(name)) {
      problems.push(`${name}: declared in KernelExports but not exported`);
    }
  }
  return problems;
}
