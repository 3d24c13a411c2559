import assert from "node:assert/strict";
import { initBackend } from "../backends/init.ts";
import { EvalNetwork } from "./eval_network.ts";
import { PC_DARTS_cifar, PC_DARTS_image } from "./genotypes.ts";
import { randomGenotype } from "./genotypes.ts";
import { evalNetworkCost } from "./network_cost.ts";

Deno.test("NetworkImageNet(48, 1000 classes, 14 layers) with PC_DARTS_image: 5,342,464 parameters and 581,627,328 multiply-adds at 224x224, the reference's own counts", () => {
  const cost = evalNetworkCost({
    genotype: PC_DARTS_image,
    channels: 48,
    layers: 14,
    numClasses: 1000,
    stem: "imagenet",
    imageSize: 224,
  });
  assert.deepEqual(cost, { parameters: 5_342_464, multiplyAdds: 581_627_328 });
});

Deno.test("the counted parameters equal the built network's, CIFAR and ImageNet stems, several cells", async () => {
  await initBackend("cpu");
  const cases = [
    { genotype: PC_DARTS_cifar, stem: "cifar" as const, imageSize: 32 },
    { genotype: PC_DARTS_image, stem: "imagenet" as const, imageSize: 224 },
    { genotype: randomGenotype(3), stem: "cifar" as const, imageSize: 16 },
    { genotype: randomGenotype(4), stem: "imagenet" as const, imageSize: 64 },
  ];
  for (const c of cases) {
    for (const layers of [3, 5, 8]) {
      const config = {
        genotype: c.genotype,
        channels: 8,
        layers,
        numClasses: 10,
        auxiliary: true,
        stem: c.stem,
      };
      const network = new EvalNetwork(config);
      try {
        assert.equal(
          evalNetworkCost({ ...config, imageSize: c.imageSize }).parameters,
          network.countParameters(),
          `${c.stem}, ${layers} layers`,
        );
      } finally {
        network.dispose();
      }
    }
  }
});

Deno.test("multiply-adds grow with the image area and do not depend on the class count beyond the classifier", () => {
  const base = {
    genotype: PC_DARTS_cifar,
    channels: 16,
    layers: 8,
    numClasses: 10,
    stem: "cifar" as const,
  };
  const at32 = evalNetworkCost({ ...base, imageSize: 32 }).multiplyAdds;
  const at64 = evalNetworkCost({ ...base, imageSize: 64 }).multiplyAdds;
  const classifier = 4 * 64 * 10; // last cell: 4 nodes x 4C channels
  assert.equal(at64 - classifier, 4 * (at32 - classifier));
  const more = evalNetworkCost({ ...base, imageSize: 32, numClasses: 100 });
  assert.equal(more.multiplyAdds - at32, 4 * 64 * 90);
});
