/** A decode worker for tests that takes requests and never answers. */
import { parentPort } from "node:worker_threads";

parentPort!.on("message", () => {});
