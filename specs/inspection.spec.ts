// inspection: on every resolved address of every TLS port, the presented chain anchors at an expected CA, not at an inspecting device.
import { describe } from 'vitest';
import { inspectionCheck } from './checks/inspection.js';
import { addressTargets } from './checks/tcp.js';
import { checkRun, checkTest } from './support.js';

const run = checkRun();
const targets = (await Promise.all(run.hosts.map((host) => addressTargets(run, host, host.tlsPorts)))).flat();

describe.concurrent('inspection', () => {
  for (const target of targets) checkTest(target.subject('inspection').id, () => inspectionCheck(run, target));
});
