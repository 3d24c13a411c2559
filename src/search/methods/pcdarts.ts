/**
 * PC-DARTS (Xu et al., 2020): partial channel connections (K=4) and edge
 * normalization; batch 256, SGD lr 0.1 cosine to 0, architecture Adam lr 6e-4,
 * 15 warm-up epochs of 50, first order.
 */
import { differentiableMethod } from "../differentiable_method.ts";
import { registerSearchMethod } from "../method_registry.ts";

registerSearchMethod(differentiableMethod(
  "pcdarts",
  "PC-DARTS: partial channels (K=4), edge normalization, first order",
  {
    partialChannels: 4,
    edgeNormalization: true,
    batchSize: 256,
    epochs: 50,
    warmupEpochs: 15,
    learningRate: 0.1,
    learningRateMin: 0,
    archLearningRate: 6e-4,
    secondOrder: false,
  },
));
