// Codes about the run's own bookkeeping rather than the network: accepted failures and the exceptions behind them.
import type { CodeExplanation } from './explanation.js';
import { REQUIREMENT } from './requirements.js';

type RunCode = 'EXPECTED_FAILURE' | 'EXPECTED_FAILURE_UNUSED';

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
};
