// The examples/ that run the preflight on the engines teams already have, validated offline with the tools made
// for each format: GitHub's own workflow parser, ansible-playbook --syntax-check, promtool. Each validator is also
// shown a broken file, so that a check that cannot fail is not mistaken for one that passed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { runPreflight } from './support/cli.js';
import { projectRoot } from './support/netns.js';

const examples = path.join(projectRoot, 'examples');
const read = (file: string) => readFileSync(path.join(examples, file), 'utf8');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'preflight-examples-'));

function workflowErrors(name: string, content: string): string[] {
  const result = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  return result.context.errors.getErrors().map((error) => error.message);
}

function run(command: string, args: readonly string[], cwd: string) {
  const child = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (child.error) throw child.error;
  return { status: child.status, output: `${child.stdout}${child.stderr}` };
}

describe('GitHub Actions workflow', () => {
  const file = 'github-actions/egress-preflight.yml';

  it('is valid against GitHub\'s workflow schema: a matrix over self-hosted runners, then a merge job', async () => {
    const content = read(file);
    expect(workflowErrors(file, content)).toEqual([]);
    const parsed = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
    const template = await convertWorkflowTemplate(parsed.context, parsed.value!);
    expect(template.errors ?? []).toEqual([]);
    expect(template.jobs.map((job) => job.id.value)).toEqual(['preflight', 'merge']);
    // The raw YAML for what the model keeps as expressions: the runners, JUnit published, JSON uploaded, merged.
    const yaml = parseYaml(content) as { jobs: Record<string, { 'runs-on': unknown; needs?: string; strategy?: { matrix: { runner: string[] } }; steps: Array<{ uses?: string; run?: string }> }> };
    const preflight = yaml.jobs['preflight']!;
    expect(preflight['runs-on']).toEqual(['self-hosted', '${{ matrix.runner }}']);
    expect(preflight.strategy?.matrix.runner.length).toBeGreaterThan(1);
    expect(preflight.steps.map((s) => s.uses ?? '')).toEqual(expect.arrayContaining(['mikepenz/action-junit-report@v5', 'actions/upload-artifact@v4']));
    expect(preflight.steps.find((s) => s.run?.includes(' run -c '))?.run).toMatch(/--junit preflight-\$\{\{ matrix\.runner \}\}\.xml --json preflight-\$\{\{ matrix\.runner \}\}\.json/);
    expect(yaml.jobs['merge']?.needs).toBe('preflight');
    expect(yaml.jobs['merge']?.steps.find((s) => s.run?.includes(' merge '))?.run).toMatch(/merge results\/\*\.json --json fleet\.json --junit fleet\.xml/);
  });

  it('the parser rejects a broken workflow (the check can fail)', () => {
    expect(workflowErrors('broken.yml', 'on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    stepz: []\n').length).toBeGreaterThan(0);
  });
});

describe('Azure Pipelines job (YAML parse and shape: no offline schema is published as a package)', () => {
  it('a job per agent of the pool, JUnit and JSON published, a merge job after', () => {
    const pipeline = parseYaml(read('azure-pipelines/egress-preflight.yml')) as {
      jobs: Array<{ job: string; dependsOn?: string; condition?: string; strategy?: { matrix: Record<string, { agentName: string }> }; pool: { name?: string; demands?: string[] }; steps: Array<Record<string, unknown>> }>;
    };
    expect(pipeline.jobs.map((job) => job.job)).toEqual(['preflight', 'merge']);
    const [preflight, merge] = pipeline.jobs;
    expect(Object.values(preflight!.strategy!.matrix).map((m) => m.agentName)).toEqual(['connector-01', 'connector-02', 'provisioning-agent-01']);
    expect(preflight!.pool.demands).toEqual(['Agent.Name -equals $(agentName)']);
    for (const step of pipeline.jobs.flatMap((job) => job.steps)) {
      // Every step is one of the pipeline's step kinds, and every task is pinned to a major version.
      expect(Object.keys(step).some((key) => ['task', 'script', 'checkout'].includes(key))).toBe(true);
      if ('task' in step) expect(step['task']).toMatch(/^[A-Za-z]+@\d+$/);
    }
    const published = preflight!.steps.find((s) => s['task'] === 'PublishTestResults@2') as { inputs: Record<string, string>; condition: string };
    expect(published.inputs['testResultsFormat']).toBe('JUnit');
    expect(published.condition).toBe('always()');
    expect(merge!.dependsOn).toBe('preflight');
    expect(merge!.steps.some((s) => typeof s['script'] === 'string' && / merge \$\(Pipeline\.Workspace\)\/results\/\*\/\*\.json/.test(s['script']))).toBe(true);
  });
});

describe('Ansible playbook', () => {
  it('passes ansible-playbook --syntax-check, with a Windows and a Linux task and a merge on the controller', () => {
    const checked = run('ansible-playbook', ['-i', 'inventory.yml', '--syntax-check', 'egress-preflight.yml'], path.join(examples, 'ansible'));
    expect(checked).toEqual({ status: 0, output: expect.stringContaining('playbook: egress-preflight.yml') });
    const plays = parseYaml(read('ansible/egress-preflight.yml')) as Array<{ hosts: string; tasks: Array<Record<string, unknown>> }>;
    expect(plays.map((play) => play.hosts)).toEqual(['connectors', 'localhost']);
    const modules = plays.map((play) => play.tasks.map((task) => Object.keys(task).find((key) => key.startsWith('ansible.builtin.'))));
    expect(modules).toEqual([
      ['ansible.builtin.command', 'ansible.builtin.raw', 'ansible.builtin.fetch'],
      ['ansible.builtin.find', 'ansible.builtin.command', 'ansible.builtin.debug', 'ansible.builtin.shell'],
    ]);
  });

  it('--syntax-check rejects a broken playbook (the check can fail)', () => {
    writeFileSync(path.join(scratch, 'broken.yml'), '- hosts: all\n  tasks:\n    - name: x\n      no.such.module: {}\n');
    expect(run('ansible-playbook', ['--syntax-check', 'broken.yml'], scratch).status).not.toBe(0);
  });
});

describe('node_exporter textfile alert rules', () => {
  const dir = path.join(examples, 'node-exporter');

  it('pass promtool check rules, and promtool test rules shows the regression alert firing only on a regression', () => {
    expect(run('promtool', ['check', 'rules', 'egress-preflight.rules.yml'], dir)).toEqual({ status: 0, output: expect.stringContaining('SUCCESS: 4 rules found') });
    expect(run('promtool', ['test', 'rules', 'egress-preflight.rules.test.yml'], dir)).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('promtool rejects a broken rule (the check can fail)', () => {
    writeFileSync(path.join(scratch, 'broken.rules.yml'), 'groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: egress_preflight_check_failed ==\n');
    expect(run('promtool', ['check', 'rules', 'broken.rules.yml'], scratch).status).not.toBe(0);
  });
});

describe('the command lines in the examples', () => {
  it('every option the pipelines and the playbook pass is one the preflight knows', async () => {
    const helps = await Promise.all(['run', 'merge', 'allowlist'].map((command) => runPreflight([command, '--help'], { cwd: scratch })));
    for (const help of helps) expect(help.code).toBe(0);
    const known = new Set(helps.flatMap((help) => help.stdout.match(/--[a-z][a-z-]*/g) ?? []));
    const examplesText = ['github-actions/egress-preflight.yml', 'azure-pipelines/egress-preflight.yml', 'ansible/egress-preflight.yml'].map(read).join('\n');
    // npm's own option is the only other command line in them.
    const given = new Set((examplesText.match(/--[a-z][a-z-]*/g) ?? []).filter((option) => option !== '--prefix'));
    expect([...given].sort()).toEqual(['--format', '--json', '--junit', '--profile', '--prometheus', '--var']);
    for (const option of given) expect(known).toContain(option);
  });
});
