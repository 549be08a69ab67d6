// `--specs DIR`: the user's own vitest spec files, found and compiled before the run, so that a file that does not
// compile is a usage error (exit 2, naming the file and line) before any probe is sent. Each file is bundled with
// rolldown (TypeScript included, its own relative imports and packages inlined) into one ES module in a temporary
// directory, with two imports pointed at this process's own modules: `vitest`, so that its tests register with
// the runner that runs them, and `egress-preflight/spec`, so that its helpers read the current run.
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UsageError } from '../config/errors.js';

/** One spec file, compiled. */
export interface CompiledSpec {
  /** The file as the user wrote it (absolute). */
  source: string;
  /** Its path relative to the --specs directory: how reports name it. */
  display: string;
  /** The compiled module (absolute path in the temporary directory). */
  compiled: string;
}

export interface UserSpecs {
  dir: string;
  files: CompiledSpec[];
  /** Removes the compiled modules. */
  dispose(): Promise<void>;
}

/** What vitest itself picks up as test files. */
const SPEC_FILE = /\.(spec|test)\.[cm]?[jt]sx?$/;

/** The public API module the user's specs import, in this very installation. */
const SPEC_API = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'spec', 'index.js');

/** Finds and compiles every spec file under `dir`; a UsageError names what is wrong (the file and line for a syntax error). */
export async function compileUserSpecs(dir: string): Promise<UserSpecs> {
  const root = path.resolve(dir);
  const sources = await findSpecFiles(dir, root);
  const { rolldown } = await import('rolldown');
  const vitestUrl = import.meta.resolve('vitest');
  const apiUrl = pathToFileURL(SPEC_API).href;
  const out = await mkdtemp(path.join(os.tmpdir(), 'preflight-specs-'));
  const dispose = () => rm(out, { recursive: true, force: true });
  try {
    const files: CompiledSpec[] = [];
    for (const [i, source] of sources.entries()) {
      const display = path.relative(root, source).split(path.sep).join('/');
      let code: string;
      try {
        const bundle = await rolldown({
          input: source,
          platform: 'node',
          logLevel: 'silent',
          // The spec runs as written: nothing it imports is dropped (a side-effect import registers matchers).
          treeshake: false,
          plugins: [{
            name: 'preflight-shared-modules',
            resolveId(id: string) {
              if (id === 'vitest') return { id: vitestUrl, external: 'absolute' as const };
              if (id === 'egress-preflight/spec') return { id: apiUrl, external: 'absolute' as const };
              return null;
            },
          }],
        });
        const { output } = await bundle.generate({ format: 'esm' });
        await bundle.close();
        code = output[0].code;
      } catch (error) {
        throw new UsageError(`--specs: ${compileError(error, source, dir)}`);
      }
      const compiled = path.join(out, `${i}-${path.basename(source).replace(/\.[^.]+$/, '')}.mjs`);
      await writeFile(compiled, code, 'utf8');
      files.push({ source, display, compiled });
    }
    return { dir: root, files, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

async function findSpecFiles(dir: string, root: string): Promise<string[]> {
  const info = await stat(root).catch(() => null);
  if (!info) throw new UsageError(`--specs ${dir}: no such directory`);
  if (!info.isDirectory()) throw new UsageError(`--specs ${dir}: not a directory`);
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile() && SPEC_FILE.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => !path.relative(root, file).split(path.sep).includes('node_modules'))
    .sort();
  if (files.length === 0) throw new UsageError(`--specs ${dir}: no spec files there (*.spec.ts, *.test.ts, *.spec.js, …)`);
  return files;
}

interface BundleError {
  message?: string;
  id?: string;
  loc?: { line: number; column: number; file?: string };
}

/** "examples/specs/x.spec.ts:3:9: Unexpected token": the file as the user named it, the line, what is wrong. */
function compileError(error: unknown, source: string, dir: string): string {
  const first = (error as { errors?: BundleError[] }).errors?.[0];
  const file = first?.loc?.file ?? first?.id ?? source;
  const shownFile = path.join(dir, path.relative(path.resolve(dir), file));
  const where = first?.loc ? `${shownFile}:${first.loc.line}:${first.loc.column + 1}` : shownFile;
  const text = first?.message ?? (error instanceof Error ? error.message : String(error));
  // rolldown's message is coloured and framed; its first line says what is wrong ("[PARSE_ERROR] Unexpected token").
  const headline = (text.replace(/\x1b\[[0-9;]*m/g, '').split('\n').find((line) => line.trim() !== '') ?? 'does not compile')
    .replace(/^Build failed with \d+ errors?:?\s*/, '').replace(/^\[[A-Z_]+\]\s*/, '').trim();
  return `${where}: does not compile: ${headline}`;
}
