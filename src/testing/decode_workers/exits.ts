/** A decode worker for tests that exits with code 3 on its first request. */
import process from "node:process";
import { parentPort } from "node:worker_threads";

parentPort!.on("message", () => process.exit(3));
