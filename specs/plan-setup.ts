// globalSetup of specs/vitest.config.ts: provides the plan the spec runs against. PREFLIGHT_CONFIG names a
// config file (checked with the system's resolvers); without it, the embedded lab network is started and the
// default profile is pointed at it, as `preflight lab` does. PREFLIGHT_ONLY and PREFLIGHT_TIMEOUT are --only
// and --timeout.
import type { TestProject } from 'vitest/node';
import { loadPlan } from '../config/load.js';
import { startLabRun } from '../lab/command.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const config = process.env['PREFLIGHT_CONFIG'];
  const only = process.env['PREFLIGHT_ONLY'];
  const timeout = process.env['PREFLIGHT_TIMEOUT'] ? Number(process.env['PREFLIGHT_TIMEOUT']) : undefined;
  if (config) {
    project.provide('plan', await loadPlan({ config, only, timeout }));
    return async () => {};
  }
  const { plan, network } = await startLabRun({ only, timeout });
  project.provide('plan', plan);
  return () => network.close();
}
