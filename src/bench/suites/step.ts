/**
 * The step suite: one fixed step configuration's time, memory, kernels, CPU
 * use and arithmetic rate.
 */
import { registerBenchSuite, type SuiteSettings } from "../suite_registry.ts";
import { STEP_CONFIGS, stepSuite, type SuiteRow } from "../suites.ts";
import { networkContext } from "./network_context.ts";

/** What a step row says, in lines for the terminal. */
function stepLines(s: SuiteSettings, r: SuiteRow): string[] {
  const lines = [
    `peak tensor bytes: ${r.peak_bytes} (${r.peak_buffer_bytes} in buffers, each once); kernels per step: ${r.kernels_per_step}; recomputed cells: ${r.recompute_cells}`,
  ];
  if (r.gpu_dispatches_per_step !== "") {
    lines.push(
      `GPU dispatches per step: ${r.gpu_dispatches_per_step}; host (main thread) ${r.host_ms_per_step} ms per step`,
    );
  }
  if (r.process_cpu_ms_per_step !== "") {
    const busy = Number(r.process_cpu_ms_per_step) / Number(r.median_ms);
    lines.push(
      `CPU of all threads: ${r.process_cpu_ms_per_step} ms per step, ${
        busy.toFixed(2)
      } cores busy`,
    );
  }
  lines.push(
    `step: ${s.stepConfig} ${s.backend.name} ${r.median_ms} ms/step, ${
      (Number(r.flops_per_step) / 1e9).toFixed(2)
    } GFLOP/step, ${r.gflops} GFLOP/s`,
  );
  return lines;
}

registerBenchSuite({
  name: "step",
  inAll: false,
  check(s) {
    if (!(s.stepConfig in STEP_CONFIGS)) {
      throw new Error(
        `unknown step config "${s.stepConfig}"; choose ${
          Object.keys(STEP_CONFIGS).join(", ")
        }`,
      );
    }
    return Promise.resolve();
  },
  async run(s) {
    const config = s.stepConfig as keyof typeof STEP_CONFIGS;
    const rows = await stepSuite(config, s.steps, s.recomputeCells);
    const spec = STEP_CONFIGS[config];
    return {
      files: [{
        name: `step-${config}`,
        schema: "step suite",
        rows,
        context: {
          ...networkContext(s.size),
          image_size: spec.imageSize,
          channels: spec.channels,
          layers: spec.layers,
        },
      }],
      lines: stepLines(s, rows[0]),
    };
  },
});
