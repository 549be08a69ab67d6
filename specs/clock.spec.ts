// clock: this machine's clock agrees with the Date headers of the servers that answered the run's HTTP requests.
import { describe } from 'vitest';
import { clockCheck } from './checks/clock.js';
import { checkRun, checkTest } from './support.js';

const run = checkRun();

describe('clock', () => {
  checkTest('clock', () => clockCheck(run));
});
