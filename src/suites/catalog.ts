/**
 * The benchmark suites, all registered: what `deno task bench` imports to ask
 * which suites exist and to get one by name.
 */
import "./all.ts";
import { type BenchSuite, registeredSuites } from "../bench/suite_registry.ts";

export type {
  BenchSuite,
  SuiteFile,
  SuiteSettings,
} from "../bench/suite_registry.ts";

/** The names of every suite, in registration order. */
export const BENCH_SUITES: readonly string[] = registeredSuites().map((s) =>
  s.name
);

/** The suites `--suite all` runs. */
export const DEFAULT_SUITES: readonly string[] = registeredSuites()
  .filter((s) => s.inAll).map((s) => s.name);

/** The suite named `name`; throws naming the choices. */
export function benchSuite(name: string): BenchSuite {
  const suite = registeredSuites().find((s) => s.name === name);
  if (suite === undefined) {
    throw new Error(
      `unknown suite "${name}"; choose ${BENCH_SUITES.join(", ")} or all`,
    );
  }
  return suite;
}
