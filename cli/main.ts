#!/usr/bin/env node
// The preflight command line: parse, plan, run the specs, write the reports, exit with the contract's code.
// No heap flag on the #! line: `env -S` (needed to pass one) is not understood by busybox's env (Alpine images),
// where the tool would not start at all. A large run's peak memory is mostly garbage V8 has not collected yet;
// NODE_OPTIONS=--max-old-space-size=1024 makes V8 grow its heap by a smaller factor (README, "Performance").
import { UsageError } from '../config/errors.js';
import { listProfiles } from '../config/profiles.js';
import { toolVersion } from '../runner/document.js';
import { EXIT_INTERNAL, executeRun } from './execute.js';
import { allowListOptions, mergeOptions, runOptions, toMergeOptions, toRunOptions } from './run-options.js';
import { fastRunOptions } from './fast-args.js';
import { exitWhenFlushed, tolerateClosedReaders } from './streams.js';

const EXIT_USAGE = 2;

/** Options whose value may be `-` (stdout), which yargs would otherwise take for an unknown positional. */
const STDOUT_CAPABLE = new Set(['--json', '--junit', '--html', '--prometheus']);

/** `--json -` → `--json=-`, so that `-` stays the option's value. */
function bindDashValues(argv: readonly string[]): string[] {
  const bound: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (STDOUT_CAPABLE.has(arg) && argv[i + 1] === '-') {
      bound.push(`${arg}=-`);
      i++;
    } else {
      bound.push(arg);
    }
  }
  return bound;
}

export async function main(argv: string[]): Promise<number> {
  // The common `run` line without loading yargs (cli/fast-args.ts); anything else is yargs' to read.
  const fast = fastRunOptions(argv);
  if (fast !== null) return executeRun(fast);
  const { default: yargs } = await import('yargs');
  let exitCode = 0;
  const setExit = (code: number) => {
    exitCode = code;
  };
  const parser = yargs(bindDashValues(argv))
    .scriptName('preflight')
    .usage('$0 [run] [options]\n\nFrom this machine, through this firewall and proxy, will the Entra agent work?')
    .command(['run', '$0'], 'run the checks of a profile or config and write the reports', (y) => runOptions(y), async (args) => {
      setExit(await executeRun(toRunOptions(args)));
    })
    .command('lab', 'start the embedded lab network and run the default profile against it (no internet needed)', (y) => runOptions(y), async (args) => {
      const { runLab } = await import('../lab/command.js');
      setExit(await runLab(toRunOptions(args)));
    })
    .command('diff <old> <new>', 'compare two --json results: regressions, fixes, unchanged failures, new and gone checks; exit 1 on a regression', (y) => y
      .positional('old', { type: 'string', demandOption: true, describe: 'the earlier --json result (before the change)' })
      .positional('new', { type: 'string', demandOption: true, describe: 'the later --json result (after the change)' })
      .option('json', { type: 'string', describe: 'write NEW with its comparison block here (- for stdout)' })
      .option('junit', { type: 'string', describe: 'write JUnit XML here (- for stdout): regressions fail, other failures stay visible' })
      .option('html', { type: 'string', describe: 'write the comparison as a self-contained HTML page here (- for stdout): regressions first' }), async (args) => {
      const { executeDiff } = await import('./diff.js');
      setExit(await executeDiff({ old: args.old, new: args.new, json: args.json, junit: args.junit, html: args.html }));
    })
    .command('watch', 'during a change window: run again and again against --baseline, print each change as it appears', (y) => runOptions(y)
      .option('interval', { type: 'string', describe: 'time between round starts: 30s, 2m, 1h or plain seconds (default 30s, at least 1s)' })
      .option('until', { type: 'string', describe: 'stop at HH:MM[:SS] (local time) or an ISO 8601 date and time; default: Ctrl-C' }), async (args) => {
      const { executeWatch } = await import('./watch.js');
      setExit(await executeWatch({ ...toRunOptions({ ...args, 'fail-on': undefined }), interval: args.interval, until: args.until, failOnGiven: args['fail-on'] !== undefined }));
    })
    .command('merge <files..>', 'join the results of many runners (--json files) into one report: a runner × endpoint matrix', (y) => mergeOptions(y), async (args) => {
      const { executeMerge } = await import('./merge.js');
      setExit(await executeMerge(toMergeOptions(args)));
    })
    .command('allowlist <files..>', 'the firewall allow-list the runs observed: every name of every CNAME chain, suffixes, addresses, ports', (y) => allowListOptions(y), async (args) => {
      const { executeAllowList } = await import('./allowlist.js');
      setExit(executeAllowList({ files: args.files, format: args.format, serviceTags: args['service-tags'] }));
    })
    .command('profiles', 'list the built-in profiles and their endpoints', () => {}, () => {
      process.stdout.write(formatProfiles());
    })
    .command('explain [code]', 'what a result code means, how it is usually caused and what to change (no code: list them all)', (y) => y.positional('code', { type: 'string', describe: 'a result code, e.g. TLS_INSPECTED' }), async (args) => {
      const { explain } = await import('./explain.js');
      process.stdout.write(explain(args.code, process.stdout.isTTY ? process.stdout.columns : undefined));
    })
    .example('$0', 'check the default profile (entra-cloud-sync) with the system resolvers')
    .example('$0 -p entra-private-network-connector --var tenant=contoso --junit preflight.xml', 'connector endpoints, JUnit for CI')
    .example('$0 -c corp.yaml --resolver 10.0.0.53 --json result.json', 'a config file that extends a profile, through a given resolver')
    .example('$0 lab --junit out.xml', 'see the tool work against the embedded lab network')
    .example('$0 explain TLS_INSPECTED', 'what a code means and what to change')
    .example('$0 diff before.json after.json', 'what a change broke (exit 1) and what it fixed')
    .example('$0 watch -c corp.yaml --baseline before.json --interval 30s', 'watch a firewall change as it is applied')
    .example('$0 merge runner-*.json --junit fleet.xml', 'one report for many connector servers')
    .example('$0 allowlist result.json > allow.txt', 'the FQDNs a DNS-based firewall must allow')
    // `--no-proxy` is an option of its own, not the negation of --proxy.
    .parserConfiguration({ 'boolean-negation': false })
    .strict()
    .help()
    // Our own package.json, wherever the package is installed (yargs would look above the working directory).
    .version(toolVersion())
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message, error) => {
      throw error instanceof UsageError ? error : new UsageError(message ?? error?.message ?? 'invalid command line');
    });
  await parser.parseAsync();
  return exitCode;
}

function formatProfiles(): string {
  return listProfiles().map((profile) => {
    const lines = profile.endpoints.map((e) => `    ${e}`);
    return [`${profile.name}${profile.isDefault ? ' (default)' : ''}: ${profile.description}`, ...lines].join('\n');
  }).join('\n\n') + '\n';
}

/** One line on stderr, never a stack: the contract's exit codes 2 (usage) and 3 (internal). */
export function reportFatal(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`preflight: ${error.message}\n`);
    return EXIT_USAGE;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`preflight: internal error: ${message.split('\n')[0]}\n`);
  if (process.env['PREFLIGHT_DEBUG'] && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return EXIT_INTERNAL;
}

tolerateClosedReaders();
// Not process.exit() at once: a report still in the pipe to a slow reader would be cut off.
// As yargs' hideBin: the arguments after node and the script.
main(process.argv.slice(2)).then(
  (code) => exitWhenFlushed(code),
  (error: unknown) => exitWhenFlushed(reportFatal(error)),
);
