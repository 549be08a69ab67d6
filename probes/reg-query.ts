// Reading the Windows registry without PowerShell: `reg query KEY` (reg.exe ships with every Windows), run with
// execFile (no shell) under a deadline, its text output parsed by a pure function so that tests use fixtures of
// real outputs. A key that does not exist is null, not an error: absent often means "the default".
import { execFile } from 'node:child_process';

export interface RegistryValue {
  /** REG_SZ, REG_DWORD, REG_BINARY, REG_MULTI_SZ, REG_EXPAND_SZ, REG_QWORD… */
  type: string;
  /** As reg.exe prints it: REG_DWORD as 0x…, REG_BINARY as hex digits, REG_MULTI_SZ joined with \0. */
  data: string;
}

/** Value name (lower case; "(default)" for the unnamed one) → value. */
export type RegistryKey = ReadonlyMap<string, RegistryValue>;

/** The values of one key, or null when the key does not exist. Rejects when reg.exe itself cannot be run. */
export type RegistryReader = (key: string) => Promise<RegistryKey | null>;

const VALUE_LINE = /^ {4}(.+?) {4}(REG_[A-Z0-9_]+)(?: {4}(.*))?$/;

/** Every key block of `reg query` output, by its path as printed (HKEY_LOCAL_MACHINE\…). */
export function parseRegQuery(text: string): Map<string, Map<string, RegistryValue>> {
  const keys = new Map<string, Map<string, RegistryValue>>();
  let current: Map<string, RegistryValue> | undefined;
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    if (/^HKEY_/i.test(line)) {
      current = new Map();
      keys.set(line.trim(), current);
      continue;
    }
    const match = VALUE_LINE.exec(line.replace(/\s+$/, ''));
    if (match && current) current.set((match[1] ?? '').trim().toLowerCase(), { type: match[2] ?? '', data: match[3] ?? '' });
  }
  return keys;
}

/** The values of the first key block: what `reg query KEY` (without /s) prints. */
export function firstKey(text: string): RegistryKey {
  return parseRegQuery(text).values().next().value ?? new Map();
}

/** A REG_DWORD's number (reg.exe prints 0x1f), or null when the value is absent or not a DWORD. */
export function regDword(key: RegistryKey | null, name: string): number | null {
  const value = key?.get(name.toLowerCase());
  if (!value || value.type !== 'REG_DWORD' || !/^0x[0-9a-f]{1,8}$/i.test(value.data.trim())) return null;
  return parseInt(value.data.trim().slice(2), 16);
}

/** A REG_SZ / REG_EXPAND_SZ string, or null. */
export function regString(key: RegistryKey | null, name: string): string | null {
  const value = key?.get(name.toLowerCase());
  return value && (value.type === 'REG_SZ' || value.type === 'REG_EXPAND_SZ') ? value.data : null;
}

/** Reads keys with reg.exe; each query under `timeoutMs`. */
export function systemRegistryReader(timeoutMs: number): RegistryReader {
  return (key) => new Promise((resolve, reject) => {
    execFile('reg', ['query', key], { timeout: timeoutMs, windowsHide: true, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve(firstKey(stdout));
      // Exit code 1 with "ERROR: The system was unable to find the specified registry key or value." (localised).
      const code = (error as NodeJS.ErrnoException & { code?: unknown }).code;
      if (typeof code === 'number' && code === 1 && !(error as { killed?: boolean }).killed) return resolve(null);
      reject(new Error(`reg query ${key}: ${(error as { killed?: boolean }).killed ? `no answer within ${timeoutMs} ms` : (String(stderr).trim().split(/\r?\n/)[0] || error.message)}`));
    });
  });
}
