// A throwaway network namespace for tests that need a firewall: its own loopback and nftables ruleset, so
// drop and reject rules never touch this machine's own network. Needs root (as CI and developers have).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

export const projectRoot = path.resolve(import.meta.dirname, '..', '..');

export interface NetNamespace {
  name: string;
  /** Runs `node` with `args` inside the namespace; resolves with its exit code and output. */
  node(args: string[], options?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Starts a long-lived process inside the namespace (a lab server); killed by remove(). */
  spawn(command: string, args: string[]): import('node:child_process').ChildProcess;
  remove(): void;
}

export function createNetNamespace(nftRuleset: string): NetNamespace {
  const name = `pf-${randomBytes(4).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', name]);
  const children: import('node:child_process').ChildProcess[] = [];
  try {
    execFileSync('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
    if (nftRuleset) execFileSync('ip', ['netns', 'exec', name, 'nft', '-f', '-'], { input: nftRuleset });
  } catch (error) {
    execFileSync('ip', ['netns', 'del', name]);
    throw error;
  }
  return {
    name,
    node: (args, options = {}) => new Promise((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', name, process.execPath, ...args], { cwd: projectRoot, env: options.env ?? process.env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    }),
    spawn: (command, args) => {
      const child = spawn('ip', ['netns', 'exec', name, command, ...args], { cwd: projectRoot, stdio: 'ignore' });
      children.push(child);
      return child;
    },
    remove: () => {
      for (const child of children) child.kill('SIGKILL');
      execFileSync('ip', ['netns', 'del', name]);
    },
  };
}
