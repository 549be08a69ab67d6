// Reading evidence for display. A document may come from a file written by another version, or edited by hand:
// every field is read defensively, and a field of the wrong shape reads as absent rather than breaking the report.
import type { Evidence, JsonValue } from '../../model/result.js';

export function text(value: JsonValue | undefined): string | null {
  return typeof value === 'string' ? value : null;
}

export function num(value: JsonValue | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function obj(value: JsonValue | undefined): Evidence | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : null;
}

export function list(value: JsonValue | undefined): JsonValue[] {
  return Array.isArray(value) ? value : [];
}

export function texts(value: JsonValue | undefined): string[] {
  return list(value).filter((item): item is string => typeof item === 'string');
}

export function objects(value: JsonValue | undefined): Evidence[] {
  return list(value).flatMap((item) => {
    const o = obj(item);
    return o === null ? [] : [o];
  });
}

/** "12.3 ms", "2.4 s": durations as a person compares them. */
export function ms(value: number): string {
  if (value >= 1000) return `${(value / 1000).toFixed(value >= 10_000 ? 0 : 1)} s`;
  return `${value >= 100 ? Math.round(value) : Math.round(value * 10) / 10} ms`;
}
