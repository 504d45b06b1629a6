/**
 * The viewer, one way in: what to serve (a scenario, the built-ins, or an
 * explorer trace), the scenario's steps and machines, and the 127.0.0.1 server.
 */
export type {
  PfnInspect,
  ScenarioSummary,
  ViewInfo,
  ViewOperation,
  ViewScenarioRef,
  ViewStep,
} from './api.js';
export { ViewContent, viewContentFor } from './content.js';
export {
  ASSETS,
  DEFAULT_ASSETS_DIR,
  HOST,
  startViewServer,
  type ViewServer,
  type ViewServerOptions,
} from './server.js';
export { type MapZoom, ScenarioView, type ScenarioViewOptions } from './state.js';
export { checkTrace, isTraceJson, syncTrace, TRACE_FORMAT } from './trace.js';
