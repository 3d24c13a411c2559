/**
 * Progress output for long runs: a bar per epoch with step, loss, accuracy and
 * ETA on a terminal (cli-progress), plain lines elsewhere (CI logs), nothing
 * with `quiet`. After the first steps it prints an estimate of the whole run.
 */
import cliProgress from "cli-progress";

/** Formats seconds as `1h 02m 03s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0
    ? `${h}h ${String(m).padStart(2, "0")}m ${String(rest).padStart(2, "0")}s`
    : m > 0
    ? `${m}m ${String(rest).padStart(2, "0")}s`
    : `${rest}s`;
}

/** Epoch and step progress of a training-like loop. */
export class EpochProgress {
  #bar: cliProgress.SingleBar | null = null;
  #started = 0;
  #epochStarted = 0;
  #stepsDone = 0;
  #estimated = false;
  #epochStartStep = 0;
  readonly #terminal: boolean;

  /** `totalSteps`: steps left in the whole run (for the first estimate). */
  constructor(
    readonly label: string,
    readonly totalSteps: number,
    readonly quiet = false,
  ) {
    this.#terminal = !quiet && Deno.stdout.isTerminal();
    this.#started = performance.now();
  }

  /** An epoch begins (at `startStep` when resumed inside it). */
  epochStart(
    epoch: number,
    epochs: number,
    steps: number,
    startStep = 0,
  ): void {
    this.#epochStarted = performance.now();
    this.#epochStartStep = startStep;
    if (this.quiet) return;
    if (this.#terminal) {
      this.#bar = new cliProgress.SingleBar({
        format: `${this.label} epoch ${
          epoch + 1
        }/${epochs} [{bar}] step {value}/{total} | loss {loss} | acc {acc} | ETA {eta_formatted}`,
        hideCursor: true,
      }, cliProgress.Presets.shades_classic);
      this.#bar.start(steps, startStep, { loss: "-", acc: "-" });
    } else {
      console.log(
        `${this.label} epoch ${epoch + 1}/${epochs}: ${steps} steps${
          startStep > 0 ? ` (resuming after step ${startStep})` : ""
        }`,
      );
    }
  }

  /** A step ended. */
  step(step: number, steps: number, loss: number, accuracy: number): void {
    this.#stepsDone++;
    if (this.quiet) return;
    const payload = { loss: loss.toFixed(4), acc: accuracy.toFixed(3) };
    if (this.#bar) {
      this.#bar.update(step + 1, payload);
    } else if (
      (step + 1) % Math.max(1, Math.floor(steps / 5)) === 0 ||
      step + 1 === steps
    ) {
      const elapsed = (performance.now() - this.#epochStarted) / 1000;
      const done = step + 1 - this.#epochStartStep;
      const eta = (elapsed / done) * (steps - step - 1);
      console.log(
        `  step ${
          step + 1
        }/${steps} loss ${payload.loss} acc ${payload.acc} ETA ${
          formatDuration(eta)
        }`,
      );
    }
    if (!this.#estimated && this.#stepsDone === Math.min(3, this.totalSteps)) {
      this.#estimated = true;
      const perStep = (performance.now() - this.#started) / 1000 /
        this.#stepsDone;
      const message = `${this.label}: about ${
        formatDuration(perStep * this.totalSteps)
      } in all (${
        perStep.toFixed(2)
      } s per step so far; steps after warm-up cost more)`;
      if (this.#bar) this.#bar.stop();
      console.log(message);
      if (this.#bar) this.#bar.start(steps, step + 1, payload);
    }
  }

  /** A line between the steps (a checkpoint, say). */
  note(line: string): void {
    if (this.quiet) return;
    if (this.#bar) {
      this.#bar.stop();
      console.log(line);
      this.#bar.start(
        this.#bar.getTotal(),
        this.#bar.getProgress() * this.#bar.getTotal(),
      );
    } else console.log(line);
  }

  /** An epoch ended; `summary` is printed after the bar. */
  epochEnd(summary: string): void {
    this.#bar?.stop();
    this.#bar = null;
    if (!this.quiet) console.log(summary);
  }

  /**
   * The callbacks a run loop (search or training) reports to: each epoch's
   * start, each step, and each finished row, printed as `line(row)`.
   */
  callbacks<Row>(line: (row: Row) => string): {
    onEpochStart(
      epoch: number,
      epochs: number,
      steps: number,
      startStep?: number,
    ): void;
    onStep(
      s: { step: number; steps: number; loss: number; accuracy: number },
    ): void;
    onEpochEnd(row: Row): void;
  } {
    return {
      onEpochStart: (epoch, epochs, steps, startStep) =>
        this.epochStart(epoch, epochs, steps, startStep),
      onStep: (s) => this.step(s.step, s.steps, s.loss, s.accuracy),
      onEpochEnd: (row) => this.epochEnd(line(row)),
    };
  }
}
