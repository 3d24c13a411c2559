/**
 * `deno task bench:fixture [--backend NAME] [FILE]`: median wall time of one
 * forward+backward of a parity fixture's search network (default: the shared
 * `network_pcdarts.safetensors`) after a warm-up, with the reference weights.
 */
import {
  BACKEND_CHOICES_TEXT,
  DEFAULT_BACKEND,
} from "../src/backends/backend_table.ts";
import { type CommandSpec, parseCommand } from "../src/cli/command_spec.ts";
import * as tf from "../src/tf.ts";
import { initBackend } from "../src/backends/init.ts";
import { readSafetensors } from "../src/io/safetensors.ts";
import { networkConfigFromFixture } from "../src/parity/check_network.ts";
import { crossEntropy, SearchNetwork } from "../src/space/search_network.ts";
import { importTorchWeights } from "../src/space/weight_import.ts";
import { nchwToNhwc } from "../src/parity/nchw_layout.ts";

const COMMAND = {
  name: "bench:fixture",
  synopsis: ["[--backend NAME] [--repeats N] [FILE]"],
  positionals: true,
  flags: {
    backend: {
      type: "string",
      value: "NAME",
      default: DEFAULT_BACKEND,
      help: BACKEND_CHOICES_TEXT,
    },
    repeats: {
      type: "string",
      value: "N",
      default: "5",
      help: "timed repeats after the warm-up",
    },
  },
} as const satisfies CommandSpec;
const parsed = parseCommand(COMMAND, Deno.args);
if (typeof parsed === "number") Deno.exit(parsed);
const { values, positionals } = parsed;
const path = positionals[0] ??
  new URL(
    "../../shared/fixtures/parity/network_pcdarts.safetensors",
    import.meta.url,
  ).pathname;
const backend = await initBackend(values.backend!);
const file = await readSafetensors(path);
const network = new SearchNetwork(networkConfigFromFixture(file));
importTorchWeights(network.weights, file.tensors, "param.");
importTorchWeights(network.architectureStore, file.tensors, "arch.");
const input = nchwToNhwc(file.tensors.get("input")!) as tf.Tensor4D;
const target = tf.tensor1d(file.tensors.get("target")!.data, "int32");
const variables = [
  ...network.weightVariables(),
  ...network.architectureVariables(),
];
const once = async () => {
  const started = performance.now();
  const { value, grads } = tf.variableGrads(
    () => crossEntropy(network.forward(input, { training: true }), target),
    variables,
  );
  await Promise.all(Object.values(grads).map((g) => g.data()));
  tf.dispose([value, ...Object.values(grads)]);
  return performance.now() - started;
};
await once();
const times: number[] = [];
for (let i = 0; i < Number(values.repeats); i++) times.push(await once());
times.sort((a, b) => a - b);
console.log(
  `fixture ${
    path.split("/").pop()
  } forward+backward on ${backend.name}: median ${
    times[Math.floor(times.length / 2)].toFixed(1)
  } ms of ${times.length} (${times.map((t) => t.toFixed(0)).join(", ")})`,
);
