// The CLI's yargs-free reading of the common `run` line (cli/fast-args.ts): the same RunOptions as yargs gives,
// and yargs' turn (null) for anything it cannot read exactly as yargs would.
import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import type { RunOptions } from '../cli/execute.js';
import { fastRunOptions } from '../cli/fast-args.js';
import { runOptions, toRunOptions } from '../cli/run-options.js';

/** What the CLI's yargs parser (cli/main.ts, run command) makes of `argv`. */
async function viaYargs(argv: string[]): Promise<RunOptions> {
  let options: RunOptions | undefined;
  await yargs(argv)
    .command(['run', '$0'], 'run', (y) => runOptions(y), (args) => {
      options = toRunOptions(args);
    })
    .parserConfiguration({ 'boolean-negation': false })
    .strict()
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new Error(message);
    })
    .parseAsync();
  if (options === undefined) throw new Error('yargs ran no command');
  return options;
}

describe('the command line read without yargs', () => {
  const lines: string[][] = [
    [],
    ['run'],
    ['--config', 'bench.json', '--resolver', '127.0.0.1:5353', '--port-map', '443=8443', '--ca-file', 'root.pem', '--only', 'dns,tcp,tls,inspection', '--no-proxy', '--json', 'out.json'],
    ['run', '-p', 'entra-private-network-connector', '--var', 'tenant=contoso', '--junit', 'preflight.xml'],
    ['-c', 'corp.yaml', '--resolver=10.0.0.53', '--timeout', '3000', '--concurrency', '64', '--ip-family', '4'],
    ['--fail-on', 'warning,skip', '--hosts-file', '/tmp/hosts', '--agent-config', 'agent.config', '--proxy', 'http://proxy:3128'],
  ];
  for (const line of lines) {
    it(`reads ${JSON.stringify(line)} as yargs does`, async () => {
      const fast = fastRunOptions(line);
      expect(fast).not.toBeNull();
      expect(fast).toEqual(await viaYargs(line));
    });
  }

  it('leaves to yargs what it cannot read exactly as yargs would', () => {
    for (const line of [
      ['--help'], ['--version'], ['profiles'], ['lab'], ['run', 'extra'],
      ['--json', '-'], ['--resolver', '10.0.0.1', '10.0.0.2'], ['--resolver', 'a', '--resolver', 'b'], ['--json', 'a', '--json', 'b'],
      ['--timeout', '3e3'], ['--timeout', '-1'], ['--timeout'], ['--no-proxy', 'true'], ['--no-proxy=true'], ['--unknown', 'x'], ['-pprofile'], ['--config='],
    ]) {
      expect(fastRunOptions(line), JSON.stringify(line)).toBeNull();
    }
  });

  it('refuses a bad --fail-on as the yargs path does, with the same message', async () => {
    const line = ['--fail-on', 'sometimes'];
    const expected = await viaYargs(line).then(() => 'no error', (error: Error) => error.message);
    expect(() => fastRunOptions(line)).toThrow(expected);
    expect(expected).toContain('--fail-on: unknown value "sometimes"');
  });
});
