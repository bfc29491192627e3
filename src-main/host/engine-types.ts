/**
 * What a face sees of the engine: the types of the reports the host hands back, and the plan's
 * totals. Faces import the host only (lint refuses the engine below it); this is the engine's
 * vocabulary as the host passes it on.
 */
export type { Action, Plan, PlanTables, TableToCreate } from '../engine/plan.js'
export type { Project } from '../engine/project.js'
export type { DeploymentInfo, EnvironmentInfo } from '../engine/remote.js'
export type { RunReport, StatusReport, TablesFound } from '../engine/sync-engine.js'
export { planTotals } from '../engine/plan.js'
