/** Tables with aligned columns: plain text for terminals, Markdown for docs. */

/** Each column's width: its widest cell, header included. */
function columnWidths(header: string[], rows: string[][]): number[] {
  return header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length))
  );
}

/** Formats rows as left-aligned columns under a header. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = columnWidths(header, rows);
  const line = (cells: string[]) =>
    cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
  ].join("\n");
}

/** A Markdown table with its cells padded to their column's width, as `deno fmt` aligns one. */
export function formatMarkdownTable(
  header: string[],
  rows: string[][],
): string {
  const widths = columnWidths(header, rows);
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
  ].join("\n");
}
