import assert from "node:assert/strict";
import { loadCifar10 } from "../data/cifar10.ts";
import { PC_DARTS_cifar } from "./genotypes.ts";
import { resolveTrainConfig } from "./train_config.ts";
import { runTraining } from "./train.ts";
import {
  chainBars,
  referenceChain,
  writeChainFile,
} from "../parity/reference_chain.ts";
import { twinPython } from "../parity/parity_net.ts";
import { initBackend } from "../backends/init.ts";
import { onEachBackend } from "../testing/backends.ts";

const dataDir = Deno.env.get("PCDARTS_DATA_DIR");
const python = await twinPython();
const STEPS = 3;

/** Stops a run after the steps a test needs. */
class Enough extends Error {}

Deno.test({
  name:
    "training at the smoke size: the first three losses on every backend meet the twin's float64 chain",
  ignore: !dataDir || !python,
  async fn(t) {
    const trainData = await loadCifar10(dataDir!, "train", { verify: false });
    const testData = await loadCifar10(dataDir!, "test", { verify: false });
    const config = resolveTrainConfig("smoke", "PC_DARTS_cifar", { seed: 3 });
    const work = await Deno.makeTempDir({ prefix: "train-chain-" });
    try {
      const chainFile = `${work}/chain.safetensors`;
      await initBackend("cpu");
      await writeChainFile(chainFile, {
        config,
        genotype: PC_DARTS_cifar,
        trainData,
        steps: STEPS,
      });
      const reference = await referenceChain(chainFile, python!);
      const bars = chainBars(reference);
      const losses = new Map<string, number[]>();
      await onEachBackend(t, async (backend) => {
        const outDir = `${work}/${backend}`;
        const seen: number[] = [];
        try {
          await runTraining({
            config,
            genotype: PC_DARTS_cifar,
            trainData,
            testData,
            outDir,
            callbacks: {
              onStep: ({ loss }) => {
                seen.push(loss);
                if (seen.length === STEPS) throw new Enough();
              },
            },
          });
          assert.fail("the run ended before its third step");
        } catch (error) {
          if (!(error instanceof Enough)) throw error;
        }
        losses.set(backend, seen);
      });
      const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
      const report = [...losses].map(([backend, values]) =>
        `${backend}: ${
          values.map((v, s) =>
            relative(v, reference.float64[s]).toExponential(1)
          ).join(", ")
        }`
      );
      console.log(
        `float64 losses ${reference.float64.join(", ")}; twin float32 spread ${
          reference.float32_error.map((e) => e.toExponential(1)).join(", ")
        }; bars ${bars.map((b) => b.toExponential(1)).join(", ")}\n${
          report.join("\n")
        }`,
      );
      for (const [backend, values] of losses) {
        values.forEach((loss, step) => {
          const error = relative(loss, reference.float64[step]);
          assert.ok(
            error < bars[step],
            `${backend} step ${step}: loss ${loss} against float64's ${
              reference.float64[step]
            } (${error.toExponential(2)} relative; bar ${
              bars[step].toExponential(1)
            })`,
          );
        });
      }
      // Where the chain is well-conditioned the backends agree with cpu's
      // losses within 1e-4 as well.
      const cpu = losses.get("cpu");
      for (const [backend, values] of cpu ? losses : []) {
        values.forEach((loss, step) => {
          if (bars[step] > 1e-4) return;
          assert.ok(
            relative(loss, cpu![step]) < 1e-4,
            `${backend} step ${step}: ${loss} against cpu's ${cpu![step]}`,
          );
        });
      }
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
});
