/**
 * The project's source files and the imports between them, read as text: what
 * the layout tests check (no folder imports one that imports it back, and no
 * file outside `src/backends/` names a backend).
 */
import { dirname, join, normalize, relative } from "node:path";

/** The `src/` folder. */
export const SRC = normalize(new URL("..", import.meta.url).pathname);

/** Every non-test TypeScript file under `dir`, as paths relative to it. */
export function sourceFiles(dir = SRC): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const entry of Deno.readDirSync(join(dir, at))) {
      const path = at === "" ? entry.name : `${at}/${entry.name}`;
      if (entry.isDirectory) walk(path);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
        out.push(path);
      }
    }
  };
  walk("");
  return out.sort();
}

const IMPORT = /(?:\bfrom|\bimport)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g;

/** The files (relative to `dir`) that `file` imports by relative path. */
export function relativeImports(file: string, dir = SRC): string[] {
  const text = Deno.readTextFileSync(join(dir, file));
  return [...text.matchAll(IMPORT)].map((m) =>
    relative(dir, normalize(join(dir, dirname(file), m[1])))
  );
}

/** A file's top folder under `src/`, or "(root)" for the files directly in it. */
export function folderOf(file: string): string {
  const at = file.indexOf("/");
  return at < 0 ? "(root)" : file.slice(0, at);
}

/** One import that crosses folders, as evidence for an edge. */
export interface FolderEdge {
  from: string;
  to: string;
  /** A file in `from` that imports `via` in `to`. */
  file: string;
  via: string;
}

/** The imports between top folders; imports leaving `src/` go to "(outside)". */
export function folderEdges(dir = SRC): FolderEdge[] {
  const edges = new Map<string, FolderEdge>();
  for (const file of sourceFiles(dir)) {
    for (const target of relativeImports(file, dir)) {
      const to = target.startsWith("..") ? "(outside)" : folderOf(target);
      const from = folderOf(file);
      if (from === to) continue;
      const key = `${from}>${to}`;
      if (!edges.has(key)) edges.set(key, { from, to, file, via: target });
    }
  }
  return [...edges.values()];
}

/**
 * The cycles among folders: each strongly connected group of two or more
 * folders, with the edges inside it. Empty when the folders form layers.
 */
export function folderCycles(edges: FolderEdge[]): FolderEdge[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const nodes = [...new Set(edges.flatMap((e) => [e.from, e.to]))];
  // Tarjan's strongly connected components.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  let counter = 0;
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) groups.push(group);
    }
  };
  for (const v of nodes) if (!index.has(v)) visit(v);
  return groups.map((g) =>
    edges.filter((e) => g.includes(e.from) && g.includes(e.to))
  );
}
