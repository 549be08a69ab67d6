// tcp: a connection opens to every resolved address of every host, on every port it names.
import { describe } from 'vitest';
import { addressTargets, tcpCheck, tcpPorts } from './checks/tcp.js';
import { checkRun, checkTest } from './support.js';

const run = checkRun();
const targets = (await Promise.all(run.hosts.map((host) => addressTargets(run, host, tcpPorts(run, host))))).flat();

describe.concurrent('tcp', () => {
  for (const target of targets) checkTest(target.subject('tcp').id, () => tcpCheck(run, target));
});
