/**
 * The one tfjs import of the project. `@tensorflow/tfjs-core` alone registers no
 * gradients under Deno (its gradient registrations ship as extensionless ES
 * modules that Deno cannot resolve), so the union package, whose Node bundle
 * registers them on the same shared engine, is loaded for that side effect.
 */
import "@tensorflow/tfjs";
export * from "@tensorflow/tfjs-core";
