/**
 * The error suite: every method searched and its cell trained on CIFAR-10,
 * beside the published and random cells, at each seed.
 */
import { checkCifar10, loadCifar10 } from "../../data/cifar10.ts";
import { errorSuite } from "../error_suite.ts";
import { registerBenchSuite } from "../suite_registry.ts";

const CONTEXT = {
  dataset: "cifar10",
  image_size: 32,
  channels: "per size",
  layers: "per size",
  seed: "per row",
};

registerBenchSuite({
  name: "error",
  inAll: true,
  async check(s) {
    await checkCifar10(s.dataDir, "train");
    await checkCifar10(s.dataDir, "test");
  },
  async run(s) {
    // Checked (md5) by `check` already.
    const data = {
      train: await loadCifar10(s.dataDir, "train", { verify: false }),
      test: await loadCifar10(s.dataDir, "test", { verify: false }),
    };
    const result = await errorSuite(
      s.size,
      s.seeds,
      data,
      `${s.outDir}/runs`,
      s.log,
    );
    return {
      files: [
        {
          name: "error",
          schema: "error suite and grid rows",
          rows: result.rows,
          context: CONTEXT,
        },
        {
          name: "error_summary",
          schema: "error summary",
          rows: result.summary,
          context: CONTEXT,
        },
      ],
    };
  },
});
