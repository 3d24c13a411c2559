/**
 * A long search's soak table, from its `epochs.csv`: per epoch the wall and
 * CPU minutes, the seconds a step (wall), the cores kept busy, the process's
 * resident memory at the epoch's end, the peak tensor memory and the commit
 * that ran it; and the growth of the resident memory from the second epoch to
 * the last.
 */
import { parse } from "csv-parse/sync";
import { formatMarkdownTable } from "../io/text_table.ts";

/** The table in markdown, and a line on its memory growth. */
export function soakTableMarkdown(
  epochsCsv: string,
  stepsPerEpoch: number,
): string {
  const rows = parse(epochsCsv, { columns: true }) as Record<string, string>[];
  if (rows.length === 0) return "(no epoch has ended yet)";
  const gib = (bytes: string) =>
    bytes === "" || bytes === undefined
      ? "—"
      : (Number(bytes) / 2 ** 30).toFixed(2);
  const table = formatMarkdownTable(
    [
      "epoch",
      "wall (min)",
      "CPU (min)",
      "s a step",
      "cores busy",
      "RSS (GiB)",
      "peak buffers (GiB)",
      "commit",
    ],
    rows.map((r) => {
      const wall = Number(r.seconds);
      const cpu = Number(r.cpu_seconds);
      return [
        String(Number(r.epoch) + 1),
        (wall / 60).toFixed(1),
        Number.isFinite(cpu) ? (cpu / 60).toFixed(1) : "—",
        (wall / stepsPerEpoch).toFixed(2),
        Number.isFinite(cpu) ? (cpu / wall).toFixed(2) : "—",
        gib(r.rss_bytes),
        gib(r.peak_buffer_bytes),
        (r.git_commit ?? "").slice(0, 7) || "—",
      ];
    }),
  );
  const rss = rows.map((r) => Number(r.rss_bytes)).filter((v) => v > 0);
  const growth = rss.length >= 3
    ? `RSS from epoch 2 to epoch ${rows.length}: ${
      ((rss.at(-1)! / rss[1] - 1) * 100).toFixed(1)
    } %.`
    : "RSS growth: from epoch 2 on, once three epochs have ended.";
  return `${table}\n\n${growth}`;
}
