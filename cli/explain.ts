// `preflight explain [CODE]`: the catalogue's text for one code, or every code by check kind. The same text the
// HTML report embeds for each failing code (model/code-catalogue.ts).
import { UsageError } from '../config/errors.js';
import { canonicalCode, closestCode, CODE_CATALOGUE, explanationOf } from '../model/code-catalogue.js';
import {
  ANY_CODES, CLOCK_CODES, CRL_CODES, DNS_CODES, HOST_CODES, HTTP_CODES, INSPECTION_CODES, OCSP_CODES, PROXY_CODES, SPEC_CODES, TCP_CODES, TLS_CODES, type Code,
} from '../model/codes.js';
import { oneLine, terminalSafe } from '../reporters/text.js';
import { DEFAULT_WIDTH, wrap } from '../reporters/wrap.js';

/** The codes by the check kind that carries them, in the contract's order ("any": codes every check may carry). */
const CODES_BY_KIND: ReadonlyArray<readonly [string, readonly Code[]]> = [
  ['dns', DNS_CODES], ['tcp', TCP_CODES], ['tls', TLS_CODES], ['inspection', INSPECTION_CODES], ['http', HTTP_CODES],
  ['crl', CRL_CODES], ['ocsp', OCSP_CODES], ['proxy', PROXY_CODES], ['clock', CLOCK_CODES], ['host', HOST_CODES], ['spec', SPEC_CODES], ['any', ANY_CODES],
];

/** The text `preflight explain` prints; a code it does not know is a UsageError (exit 2) naming the closest one. */
export function explain(code: string | undefined, width = DEFAULT_WIDTH): string {
  return code === undefined ? listCodes(width) : explainCode(code, width);
}

function explainCode(given: string, width: number): string {
  const code = canonicalCode(given);
  const explanation = explanationOf(code);
  if (explanation === undefined) {
    const shown = terminalSafe(oneLine(given, 60));
    throw new UsageError(`explain: unknown code "${shown}"; did you mean ${closestCode(given)}? (\`preflight explain\` lists every code)`);
  }
  const kind = CODES_BY_KIND.find(([, codes]) => codes.includes(code as Code))?.[0] ?? 'any';
  const section = (heading: string, text: string) => [heading, ...wrap(text, width, '  ')];
  const lines = [
    `${code} (${kind} check): ${explanation.title}`,
    '',
    ...section('What it means', explanation.meaning),
    ...(explanation.causes.length > 0 ? ['Usual causes', ...explanation.causes.flatMap((cause) => wrap(`- ${cause}`, width, '  ', '    '))] : []),
    ...section('What to change', explanation.change),
    ...section('Microsoft requirement', explanation.requirement),
  ];
  return `${lines.join('\n')}\n`;
}

function listCodes(width: number): string {
  const codeWidth = Math.max(...Object.keys(CODE_CATALOGUE).map((code) => code.length));
  const blocks = CODES_BY_KIND.map(([kind, codes]) => [
    kind,
    ...codes.flatMap((code) => wrap(`${code.padEnd(codeWidth)}  ${CODE_CATALOGUE[code].title}`, width, '  ', ' '.repeat(codeWidth + 4))),
  ].join('\n'));
  return `${blocks.join('\n\n')}\n\n\`preflight explain CODE\` says what one code means, how it is usually caused and what to change.\n`;
}
