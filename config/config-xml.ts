// A reader for the XML of .NET config files: elements and attributes only. Comments, CDATA, processing
// instructions and text are skipped; a DOCTYPE is refused, so no entity can be defined, and only XML's five
// predefined entities and character references are decoded.

export interface XmlElement {
  name: string;
  attributes: Map<string, string>;
  children: XmlElement[];
  line: number;
}

export class XmlSyntaxError extends Error {
  constructor(readonly line: number, reason: string) {
    super(reason);
  }
}

const MAX_XML_DEPTH = 64;
const XML_NAME = /[A-Za-z_:][A-Za-z0-9_.:-]*/y;
const PREDEFINED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function parseXml(source: string): XmlElement {
  const text = source.startsWith('\uFEFF') ? source.slice(1) : source;
  const open: XmlElement[] = [];
  let root: XmlElement | undefined;
  let pos = 0;
  const fail: (reason: string, at?: number) => never = (reason, at = pos) => {
    throw new XmlSyntaxError(text.slice(0, at).split('\n').length, reason);
  };
  const skipPast = (terminator: string, what: string) => {
    const end = text.indexOf(terminator, pos);
    if (end === -1) fail(`${what} is never closed`);
    pos = end + terminator.length;
  };
  const readName = (): string => {
    XML_NAME.lastIndex = pos;
    const match = XML_NAME.exec(text);
    if (!match) return fail('expected an element or attribute name');
    pos += match[0].length;
    return match[0];
  };
  const skipSpace = () => {
    while (/\s/.test(text[pos] ?? '')) pos += 1;
  };

  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    const between = text.slice(pos, lt === -1 ? text.length : lt);
    if (open.length === 0 && between.trim() !== '') fail('text outside the root element');
    if (lt === -1) break;
    pos = lt;
    if (text.startsWith('<!--', pos)) skipPast('-->', 'a comment');
    else if (text.startsWith('<![CDATA[', pos)) {
      if (open.length === 0) fail('CDATA outside the root element');
      skipPast(']]>', 'a CDATA section');
    } else if (text.startsWith('<?', pos)) skipPast('?>', 'a processing instruction');
    else if (text.startsWith('<!', pos)) fail('a DOCTYPE or other declaration: refused, since it could define entities');
    else if (text.startsWith('</', pos)) {
      pos += 2;
      const name = readName();
      skipSpace();
      if (text[pos] !== '>') fail(`</${name} is not closed with >`);
      pos += 1;
      const element = open.pop();
      if (!element) fail(`</${name}> closes nothing`);
      else if (element.name !== name) fail(`</${name}> closes <${element.name}>`);
    } else {
      pos += 1;
      const element: XmlElement = { name: readName(), attributes: new Map(), children: [], line: text.slice(0, lt).split('\n').length };
      let selfClosing = false;
      for (;;) {
        skipSpace();
        if (text.startsWith('/>', pos)) {
          selfClosing = true;
          pos += 2;
          break;
        }
        if (text[pos] === '>') {
          pos += 1;
          break;
        }
        if (pos >= text.length) fail(`<${element.name}> is never closed`);
        const attribute = readName();
        skipSpace();
        if (text[pos] !== '=') fail(`attribute ${attribute} has no value`);
        pos += 1;
        skipSpace();
        const quote = text[pos];
        if (quote !== '"' && quote !== "'") fail(`the value of ${attribute} is not quoted`);
        const end = text.indexOf(quote!, pos + 1);
        if (end === -1) fail(`the value of ${attribute} is never closed`);
        const raw = text.slice(pos + 1, end);
        if (raw.includes('<')) fail(`the value of ${attribute} contains <`);
        if (element.attributes.has(attribute)) fail(`attribute ${attribute} appears twice`);
        element.attributes.set(attribute, decodeEntities(raw, () => fail(`the value of ${attribute} has a bad & reference`)));
        pos = end + 1;
      }
      const parent = open[open.length - 1];
      if (parent) parent.children.push(element);
      else if (root) fail('a second root element');
      else root = element;
      if (!selfClosing) open.push(element);
      if (open.length > MAX_XML_DEPTH) fail(`elements nested deeper than ${MAX_XML_DEPTH}`);
    }
  }
  const unclosed = open[open.length - 1];
  if (unclosed) fail(`<${unclosed.name}> is never closed`, text.length);
  if (!root) return fail('no root element');
  return root;
}

function decodeEntities(raw: string, onBad: () => never): string {
  return raw.replace(/&([^;]{0,10});?/g, (match, body: string) => {
    if (!match.endsWith(';')) return onBad();
    const predefined = PREDEFINED_ENTITIES[body];
    if (predefined) return predefined;
    const code = /^#x[0-9a-f]{1,6}$/i.test(body) ? parseInt(body.slice(2), 16) : /^#\d{1,7}$/.test(body) ? Number(body.slice(1)) : NaN;
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : onBad();
  });
}
