/** A decode worker for tests that throws on its first request. */
import { parentPort } from "node:worker_threads";

parentPort!.on("message", () => {
  throw new Error("a planted failure on the first batch");
});
