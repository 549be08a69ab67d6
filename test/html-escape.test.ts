// The one escaping function of the HTML report, against the strings a server can send to break it.
import { describe, expect, it } from 'vitest';
import { anchorId, escapeHtml, html, Html, TEXT_MAX } from '../reporters/html/escape.js';

describe('escapeHtml: server text is inert in element content and in attribute values', () => {
  it('a script element becomes text', () => {
    expect(escapeHtml('<script>alert(1)</script>')).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('an attribute breakout ("\'><img onerror>) cannot close a quoted attribute of either kind', () => {
    const escaped = escapeHtml(`"'><img src=x onerror=alert(1)>`);
    expect(escaped).toBe('&quot;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(escaped).not.toMatch(/["'<>]/);
  });

  it('</style> and </title> cannot end the raw-text elements of the page', () => {
    expect(escapeHtml('</style></title>')).toBe('&lt;/style&gt;&lt;/title&gt;');
  });

  it('an ampersand cannot start a character reference', () => {
    expect(escapeHtml('&lt;b&gt; &amp; &#60;')).toBe('&amp;lt;b&amp;gt; &amp;amp; &amp;#60;');
  });

  it('control characters are shown as escapes; tab, LF and CR are a space', () => {
    expect(escapeHtml('a\x1b[31mb\x00c\x7fd\x9be')).toBe('a\\x1b[31mb\\x00c\\x7fd\\x9be');
    expect(escapeHtml('line\none\ttab\rcr')).toBe('line one tab cr');
  });

  it('bidi overrides, isolates and marks are shown, not obeyed ("Trojan Source")', () => {
    expect(escapeHtml('invoice\u202Efdp.exe')).toBe('invoice\\u202efdp.exe');
    expect(escapeHtml('\u2066a\u2069\u200F\u061C')).toBe('\\u2066a\\u2069\\u200f\\u061c');
    expect(escapeHtml('x\u2028y\u2029z')).toBe('x\\u2028y\\u2029z');
  });

  it('a lone surrogate is shown as an escape; an emoji (a surrogate pair) and other scripts stay', () => {
    expect(escapeHtml('a\uD800b')).toBe('a\\ud800b');
    expect(escapeHtml('🔒 Zürich 東京 مرحبا')).toBe('🔒 Zürich 東京 مرحبا');
  });

  it('a very long string is cut with an ellipsis, by code point, before it is escaped', () => {
    const long = `${'<'.repeat(TEXT_MAX + 500)}`;
    const escaped = escapeHtml(long);
    expect(escaped.endsWith('…')).toBe(true);
    expect(escaped.split('&lt;').length - 1).toBe(TEXT_MAX - 1);
    const emoji = '😀'.repeat(TEXT_MAX + 1);
    expect(Array.from(escapeHtml(emoji))).toHaveLength(TEXT_MAX);
    // With the u flag the class matches only a surrogate that is not half of a pair.
    expect(/[\uD800-\uDFFF]/u.test(escapeHtml(emoji))).toBe(false);
  });

  it('plain text is unchanged', () => {
    expect(escapeHtml('login.microsoftonline.com resolves through 2 CNAME hops')).toBe('login.microsoftonline.com resolves through 2 CNAME hops');
  });
});

describe('the html template: interpolated values are escaped unless they are markup built by the template', () => {
  it('escapes strings, passes markup, drops nothing-values, joins lists', () => {
    const name = '<b>x</b>';
    const inner = html`<em>${name}</em>`;
    expect(html`<p title="${name}">${inner}${null}${undefined}${false}${[1, ' & ', html`<br>`]}</p>`.markup)
      .toBe('<p title="&lt;b&gt;x&lt;/b&gt;"><em>&lt;b&gt;x&lt;/b&gt;</em>1 &amp; <br></p>');
  });

  it('a string that looks like markup is still text: only an Html instance is markup', () => {
    expect(html`${'<br>'}`.markup).toBe('&lt;br&gt;');
    expect(html`${new Html('<br>')}`.markup).toBe('<br>');
  });

  it('non-finite numbers render as nothing', () => {
    expect(html`${Number.NaN}${Number.POSITIVE_INFINITY}${2.5}`.markup).toBe('2.5');
  });
});

describe('anchorId: any text becomes a fragment id of [A-Za-z0-9_-]', () => {
  it('keeps codes readable and encodes everything else', () => {
    expect(anchorId('code', 'TLS_INSPECTED')).toBe('code-TLS_INSPECTED');
    expect(anchorId('host', 'a.b')).toBe('host-a_2eb');
    expect(anchorId('host', '"><script>')).toMatch(/^host-[A-Za-z0-9_-]+$/);
  });
});
