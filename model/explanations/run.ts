// Codes about the run's own bookkeeping rather than the network: accepted failures and the exceptions behind them,
// and the verdicts of the user's own spec files (--specs).
import type { CodeExplanation } from './explanation.js';
import { REQUIREMENT } from './requirements.js';

type RunCode = 'EXPECTED_FAILURE' | 'EXPECTED_FAILURE_UNUSED' | 'SPEC_OK' | 'SPEC_FAILED' | 'SPEC_SKIPPED';

export const RUN_EXPLANATIONS: Readonly<Record<RunCode, CodeExplanation>> = {
  EXPECTED_FAILURE: {
    title: 'a known failure, accepted until a date',
    meaning: 'The check failed, and an `expectedFailures` entry of the config accepts that failure until its `until` date: it is a warning that keeps the original code and message. From the day after the date it fails again.',
    causes: ['a firewall change that is planned but not yet made', 'an optional endpoint the organisation decided not to open'],
    change: 'Nothing before the date if the exception still holds; make the change it waits for, then remove the entry.',
    requirement: REQUIREMENT.none,
  },
  EXPECTED_FAILURE_UNUSED: {
    title: 'an accepted failure that no longer fails',
    meaning: 'An `expectedFailures` entry matched no failing check of this run: either no check has that id any more, or the checks it matches pass now.',
    causes: ['the change it waited for was made', 'the endpoint or its id changed (a typo in the pattern)'],
    change: 'Remove the entry from the config: exceptions that outlive their reason are how allow-lists rot.',
    requirement: REQUIREMENT.none,
  },
  SPEC_OK: {
    title: "your spec's test passed",
    meaning: 'A test of the spec files given with --specs passed: every assertion it made on the run\'s observations held.',
    causes: [],
    change: 'Nothing.',
    requirement: REQUIREMENT.none,
  },
  SPEC_FAILED: {
    title: "your spec's test failed",
    meaning: 'A test of the spec files given with --specs failed: an assertion did not hold, or the test threw. The message is the assertion\'s own, saying what was observed (the CNAME chain, the code, the presented issuer).',
    causes: ['what the test asserts is not so on this network (the reason it was written)', 'a test that throws for a reason of its own (a typo, a missing await)'],
    change: 'Read the message: it says what was observed. Change the network, or the spec if its expectation is out of date.',
    requirement: REQUIREMENT.none,
  },
  SPEC_SKIPPED: {
    title: "your spec's test was skipped",
    meaning: 'A test of the spec files given with --specs was skipped by the spec itself (test.skip, skipIf, todo). It is never shown as passed.',
    causes: ['the spec skips it on purpose, or on a condition of this machine'],
    change: 'Nothing, if the skip is meant; otherwise remove the skip from the spec.',
    requirement: REQUIREMENT.none,
  },
};
