/**
 * The search methods, all registered: what the rest of the project imports to
 * ask which methods exist and to get one by name.
 */
import "./methods/all.ts";
import {
  registeredMethod,
  registeredMethodNames,
  type SearchMethod,
} from "./method_registry.ts";

export type {
  DataShape,
  DeriveContext,
  MethodDefaults,
  SearchMethod,
  StepPosition,
} from "./method_registry.ts";

/** The names of every search method, in registration order. */
export const SEARCH_METHODS: readonly string[] = registeredMethodNames();

/** Whether `name` is a registered search method. */
export function isSearchMethod(name: string): boolean {
  return SEARCH_METHODS.includes(name);
}

/** The search method named `name`; throws naming the choices. */
export function searchMethod(name: string): SearchMethod {
  return registeredMethod(name);
}
