// Starts every check the plan asks for, each as soon as its targets are known (a tcp check once its host's DNS
// answers). The spec then only awaits results that are already on their way.
import type { CheckRun } from './check-run.js';
import { kindsOf, plannedGroups } from './registry.js';

/** Resolves once every check has been started (not finished); a kind whose targets cannot be found rejects. */
export async function startAllChecks(run: CheckRun): Promise<void> {
  const started = kindsOf(run).map(async (kind) => {
    const groups = await plannedGroups(run, kind);
    await Promise.all(groups.map(async (group) => {
      // Each result is also kept by the run (CheckRun.once); a check that throws is reported by its test.
      for (const check of await group) check.result().catch(() => {});
    }));
  });
  await Promise.all(started);
}
