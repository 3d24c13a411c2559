/**
 * DARTS, first order (Liu et al., 2019): K=1, no edge normalization, batch 64,
 * lr 0.025 cosine to 0.001, architecture lr 3e-4, no warm-up.
 */
import {
  DARTS_DEFAULTS,
  differentiableMethod,
} from "../differentiable_method.ts";
import { registerSearchMethod } from "../method_registry.ts";

registerSearchMethod(differentiableMethod(
  "darts1",
  "DARTS, first-order architecture steps",
  DARTS_DEFAULTS,
));
