// tls: on every resolved address of every TLS port, a TLS 1.2+ handshake with a trusted, in-date certificate for the host.
import { describe } from 'vitest';
import { addressTargets } from './checks/tcp.js';
import { tlsCheck } from './checks/tls.js';
import { checkRun, checkTest } from './support.js';

const run = checkRun();
const targets = (await Promise.all(run.hosts.map((host) => addressTargets(run, host, host.tlsPorts)))).flat();

describe.concurrent('tls', () => {
  for (const target of targets) checkTest(target.subject('tls').id, () => tlsCheck(run, target));
});
