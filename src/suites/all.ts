/**
 * Every benchmark suite: importing a suite's file registers it. The order is
 * the order `--suite all` runs them in.
 */
import "./memory.ts";
import "./batch.ts";
import "./cost.ts";
import "./error.ts";
import "./step.ts";
import "./memory_imagenet.ts";
import "./train_step.ts";
