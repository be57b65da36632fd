// A small glob matcher for `watch.ignore`. Node's own, `path.matchesGlob`, came in 22.5 and
// 20.17, still experimental: on the 20.16 we support it does not exist, and where it does, its
// first call prints an ExperimentalWarning into the user's terminal. So the few forms a list of
// ignored files needs are here, compiled to one RegExp each.

import { escapeRegExp } from '../config/regexp.js';

/**
 * Compiles `pattern` into a test of a `/`-separated path:
 * - `*` matches any run of characters but `/` (a leading dot too: `*.log` covers `.npm.log`);
 * - `?` one character but `/`;
 * - `**` as a whole segment any number of segments, none included: `**\/x` matches `x` and `a/b/x`,
 *   `dist/**` matches `dist` and everything under it;
 * - `[abc]`, `[a-z]`, `[!abc]` (or `[^abc]`) one character of the set, or not of it;
 * - `{a,b}` one of the alternatives, inside one segment;
 * - `\` makes the next character itself; any other character is itself, and so is a `[` or `{`
 *   that is never closed: every text is a glob, none is malformed.
 *
 * @example
 * ```ts
 * globMatcher('**\/*.test.ts')('src/app.test.ts'); // true
 * globMatcher('dist/**')('dist'); // true
 * globMatcher('*.{js,map}')('app.js.map'); // true
 * ```
 */
export function globMatcher(pattern: string): (path: string) => boolean {
  const regExp = new RegExp(`^${globSource(pattern)}$`, 's');
  return (path) => regExp.test(path);
}

/** The RegExp source of a whole glob, segment by segment, so `**` is told apart from `*`. */
function globSource(pattern: string): string {
  // `a/**/**/b` is `a/**/b`: the collapse keeps each `**` next to a real segment.
  const segments = pattern.split('/').filter((segment, i, all) => !(segment === '**' && all[i - 1] === '**'));
  const last = segments.length - 1;
  let source = '';
  let separated = false; // whether the next segment needs a `/` before it
  segments.forEach((segment, i) => {
    if (segment !== '**') {
      source += (separated ? '/' : '') + segmentSource(segment);
      separated = true;
    } else if (i === 0) {
      source += i === last ? '.*' : '(?:.*/)?';
    } else {
      source += '(?:/.*)?';
    }
  });
  return source;
}

/** The RegExp source of one segment (no `/` in it). */
function segmentSource(segment: string): string {
  let source = '';
  for (let i = 0; i < segment.length; i++) {
    const char = segment.charAt(i);
    if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '\\' && i + 1 < segment.length) source += escapeRegExp(segment.charAt(++i));
    else if (char === '[' && segment.indexOf(']', i + 2) !== -1) {
      const close = segment.indexOf(']', i + 2); // `[]]` is the set of one `]`
      source += charClass(segment.slice(i + 1, close));
      i = close;
    } else if (char === '{' && segment.indexOf('}', i + 1) !== -1) {
      const close = segment.indexOf('}', i + 1);
      source += `(?:${segment.slice(i + 1, close).split(',').map(segmentSource).join('|')})`;
      i = close;
    } else source += escapeRegExp(char);
  }
  return source;
}

/** `[...]` with its content made safe for a RegExp class; a leading `!` or `^` negates it. Never matches `/`. */
function charClass(content: string): string {
  const negated = content.startsWith('!') || content.startsWith('^');
  const body = (negated ? content.slice(1) : content).replace(/[\\\]^[]/g, (special) => `\\${special}`);
  return negated ? `[^/${body}]` : `(?!/)[${body}]`;
}
