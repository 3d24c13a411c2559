/**
 * The columns a timed step's row and its kernel kinds share, whether the step
 * is the search's or the training's: times, memory, CPU use, arithmetic rate
 * and the roofline, each rounded as the CSVs keep it.
 */
import type { MachinePeak, StepRoofline } from "./roofline.ts";
import type { SuiteRow } from "./suite_measurements.ts";

/** What a timed step measured (the search's and the training's alike). */
export interface TimedStep {
  medianMs: number;
  allMs: number[];
  peakBytes: number;
  peakBufferBytes: number;
  kernels: number;
  processCpuMs: number;
  roofline?: StepRoofline;
}

/** A step's kernel kinds against their bounds, one row each. */
export function kernelKindRows(
  config: string,
  batchSize: number,
  roofline: StepRoofline,
): SuiteRow[] {
  return roofline.kinds.map((k) => ({
    config,
    batch_size: batchSize,
    kind: k.kind,
    calls: k.calls,
    flops: k.flops,
    min_bytes: k.bytes,
    bound_ms: +k.boundMs.toFixed(3),
    measured_ms: +k.measuredMs.toFixed(3),
    above_bound_ms: +(k.measuredMs - k.boundMs).toFixed(3),
  }));
}

/**
 * The timing, memory, rate and roofline columns of a step that did `flops` a
 * step on a machine of `peak`; `extra` columns (the search's GPU dispatches)
 * go after the CPU time.
 */
export function timedStepColumns(
  m: TimedStep & { roofline: StepRoofline },
  flops: number,
  peak: MachinePeak,
  extra: SuiteRow = {},
): SuiteRow {
  const medianMs = +m.medianMs.toFixed(1);
  const boundMs = +m.roofline.boundMs.toFixed(2);
  return {
    median_ms: medianMs,
    min_ms: +Math.min(...m.allMs).toFixed(1),
    max_ms: +Math.max(...m.allMs).toFixed(1),
    steps: m.allMs.length,
    peak_bytes: m.peakBytes,
    peak_buffer_bytes: m.peakBufferBytes,
    kernels_per_step: m.kernels,
    ...extra,
    process_cpu_ms_per_step: Number.isFinite(m.processCpuMs)
      ? +m.processCpuMs.toFixed(1)
      : "",
    flops_per_step: flops,
    gflops: +(flops / m.medianMs / 1e6).toFixed(2),
    peak_gflops: +(peak.flopsPerSecond / 1e9).toFixed(2),
    peak_gb_per_s: +(peak.bytesPerSecond / 1e9).toFixed(2),
    roofline_ms: boundMs,
    // From the row's own rounded figures, so that it reads off them exactly.
    roofline_fraction: +(boundMs / medianMs).toFixed(4),
    kernel_ms_per_step: +m.roofline.kernelMs.toFixed(1),
  };
}
