/**
 * DARTS, second order (Liu et al., 2019): as first-order DARTS, with the
 * unrolled architecture step (a virtual weight step, then finite differences).
 */
import {
  DARTS_DEFAULTS,
  differentiableMethod,
} from "../differentiable_method.ts";
import { registerSearchMethod } from "../method_registry.ts";

registerSearchMethod(differentiableMethod(
  "darts2",
  "DARTS, second-order (unrolled) architecture steps",
  { ...DARTS_DEFAULTS, secondOrder: true },
));
