import assert from "node:assert/strict";
import { initBackend } from "../backends/init.ts";
import { setMemoryLimit } from "../backends/memory_capacity.ts";
import { BUILTIN_GENOTYPES } from "./genotypes.ts";
import {
  checkTrainMemory,
  fitTrainingStep,
  type TrainStepShape,
} from "./train_memory.ts";

await initBackend("cpu");

const shape = (recomputeCells: boolean): TrainStepShape => ({
  config: {
    channels: 8,
    layers: 5,
    auxiliary: false,
    dropPath: 0.2,
    batchSize: 64,
    stem: "cifar",
    recomputeCells,
  },
  genotype: BUILTIN_GENOTYPES.PC_DARTS_cifar,
  imageSide: 16,
  numClasses: 10,
  inputChannels: 3,
});

Deno.test("a training run keeps its cells where the step fits, recomputes them where only that fits, and fits nothing past both", async () => {
  try {
    setMemoryLimit(null);
    const kept = await checkTrainMemory(shape(false), "cpu");
    const recomputed = await checkTrainMemory(shape(true), "cpu");
    assert.ok(
      recomputed.stepBytes < kept.stepBytes * 0.8,
      `recomputed ${recomputed.stepBytes}, kept ${kept.stepBytes}`,
    );
    const between = Math.sqrt(recomputed.stepBytes * kept.stepBytes) * 1.25;
    const cases: [number | null, boolean, boolean | null, number][] = [
      [null, false, false, 1],
      [between, false, true, 2],
      [between, true, null, 1],
      [recomputed.stepBytes, false, null, 2],
    ];
    for (const [limit, fixed, expected, tries] of cases) {
      setMemoryLimit(limit);
      const fit = await fitTrainingStep(shape(false), "cpu", fixed);
      assert.equal(
        fit.recomputeCells,
        expected,
        `limit ${limit}, fixed ${fixed}`,
      );
      assert.equal(fit.tried.length, tries, `limit ${limit}, fixed ${fixed}`);
    }
    // A run that asked for recomputation is checked with it, once.
    setMemoryLimit(between);
    const asked = await fitTrainingStep(shape(true), "cpu", false);
    assert.equal(asked.recomputeCells, true);
    assert.equal(asked.tried.length, 1);
  } finally {
    setMemoryLimit(null);
  }
});
