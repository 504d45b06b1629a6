/**
 * pfnlab's public API, exported by name.
 */

export { memoryBlockSizeBytes, x86MemoryBlockSize } from './arch/block-size.js';
export type { Geometry, GeometryParams, KernelVersion } from './arch/geometry.js';
export { deriveGeometry, GeometryError, STRUCT_PAGE_SIZE, SUBSECTION_SHIFT } from './arch/geometry.js';
export type { PfnLocation } from './arch/pfn.js';
export { locatePfn, pfnToSectionNr, sectionNrToPfn, subsectionMapIndex } from './arch/pfn.js';
export { geometryFor, PRESET_NAMES, PRESETS } from './arch/presets.js';
export type { CompareOptions, CompareResult, PfnAnswers, StepResult } from './compare/index.js';
export { compareScenario, designAnswers } from './compare/index.js';
export type { Answers, Category } from './compare/judge.js';
export { CATEGORIES, CATEGORY_MEANINGS } from './compare/judge.js';
export type { DemoOptions, DemoResult, RaceVerdict } from './demo/index.js';
export { runDemo } from './demo/index.js';
export type {
  BoundDesign,
  Design,
  DesignContext,
  DesignRunOptions,
  DesignStep,
  DesignWriteSide,
  Lookup,
  ReaderProtection,
} from './designs/index.js';
export { DESIGNS, designByName, FAULT_DESIGNS, loadDesign, runWithDesigns } from './designs/index.js';
export type { Errno } from './errors.js';
export { HotplugError, InputError, isPfnlabError, PfnlabError } from './errors.js';
export type { AuditCell, AuditResult, AuditRow } from './explore/audit.js';
export { audit } from './explore/audit.js';
export type { ExploreOptions, ExploreTrace, WalkerSpec } from './explore/index.js';
export { explore, parseWalkerSpec, replaySchedule, scenarioWalkers } from './explore/index.js';
export type { CaptureOptions, CaptureResult } from './io/capture.js';
export { captureMachine } from './io/capture.js';
export type { ExportFormat, ExportOptions } from './io/export/index.js';
export {
  EXPORT_FORMATS,
  exportMachine,
  iomemText,
  lsmemJson,
  sysfsEntries,
  zoneinfoText,
} from './io/export/index.js';
export type { ImportOptions, ImportReport, ImportResult, ImportSources } from './io/import/index.js';
export { importMachine, readMachineFacts } from './io/import/index.js';
export type { MachineManifest } from './io/machine-dir.js';
export { MACHINE_FILES } from './io/machine-dir.js';
export { builtinScenarioNames, loadScenario } from './io/scenario.js';
export type {
  DesignAccesses,
  LitmusOutcome,
  LitmusResult,
  LitmusTest,
  MemoryModel,
  ProtocolDeclaration,
  ProtocolVerdict,
} from './lkmm/index.js';
export {
  checkLitmus,
  decideLitmus,
  designProtocolVerdicts,
  LitmusSyntaxError,
  parseLitmus,
  protocolTest,
} from './lkmm/index.js';
export { checkInvariants } from './model/invariants.js';
export { NO_PAGE, pfnToOnlinePage54, pfnToOnlinePage619, pfnValid54, pfnValid619 } from './model/lookup.js';
export type { KernelView, MachineOptions, Reclaimer } from './model/machine.js';
export { Machine } from './model/machine.js';
export type { PageValue } from './model/memmap.js';
export { pageAddress } from './model/memmap.js';
export type { MemoryHandle, MemoryOptions } from './model/memory.js';
export { Memory } from './model/memory.js';
export type { Pgmap, PgmapType } from './model/pgmap.js';
export { getDevPagemap } from './model/pgmap.js';
export type { Words } from './model/sections.js';
export type { Truth, TruthState } from './model/truth.js';
export { TRUTH_STATES } from './model/truth.js';
export type { BootRange, KernelStep, OperationPlan, OpSpec, StepArgs, WriteSide } from './ops/index.js';
export { applyOperation, planBootOperation, planOperation, runPlan } from './ops/index.js';
export type { OperationLog, RunOptions, ScenarioResult } from './ops/scenario-run.js';
export { bootScenario, runScenario, ScenarioStepError } from './ops/scenario-run.js';
export type { RcuMode, RcuReader, RcuStall, SharedRcuHandle, WaitOptions } from './rcu/index.js';
export { SharedRcu } from './rcu/index.js';
export { brokenScenarios, demoJson, renderDemoHtml, renderDemoText } from './report/demo.js';
export { renderImportReport } from './report/import.js';
export type { LayoutReport, PfnReport } from './report/layout.js';
export { layoutReport, pfnReport, renderLayout, renderPfn } from './report/layout.js';
export { renderVerify } from './report/verify.js';
export type { Scenario } from './scenario/index.js';
export { SCENARIO_SCHEMA_PATH, scenarioFromJson } from './scenario/index.js';
export type { StressExample, StressOptions, StressResult } from './stress/index.js';
export { runStress, WorkerPool } from './stress/index.js';
export type { StepResult as VerifyStepResult, VerifyOptions, VerifyResult } from './verify/index.js';
export { runVerify } from './verify/index.js';
export type { ViewServer, ViewServerOptions } from './view/server.js';
export { startViewServer } from './view/server.js';
