/**
 * Line numbers for JSON files people edit by hand: where a syntax error is (Node's JSON.parse
 * does not say), and on which line each field starts, so a problem found by field path
 * ("model.layers[3].params must be an object") can say where to look.
 */

export class JsonSyntaxError extends Error {
  constructor(message: string, readonly line: number, readonly column: number) {
    super(`${message} at line ${line}, column ${column}`);
  }
}

const LITERAL = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

/**
 * Checks that `text` is JSON and returns the line where each value starts, by field path as
 * parseProject writes them (`model.layers[3].params`). Throws a JsonSyntaxError otherwise.
 */
export function jsonFieldLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const fail = (message: string): never => {
    throw new JsonSyntaxError(message, line, i - lineStart + 1);
  };
  const found = () => (i >= text.length ? 'the file ends' : `found ${JSON.stringify(text[i])}`);
  const skipSpace = () => {
    for (; i < text.length; i++) {
      const c = text[i];
      if (c === '\n') {
        line++;
        lineStart = i + 1;
      } else if (c !== ' ' && c !== '\t' && c !== '\r') return;
    }
  };
  const string = (): string => {
    const start = i++;
    while (text[i] !== '"') {
      if (i >= text.length) fail('a string is not closed');
      if (text[i] < ' ') fail('a string holds a line break or control character (write it as \\n, \\t, ...)');
      i += text[i] === '\\' ? 2 : 1;
    }
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      i = start;
      return fail('a string has an invalid escape sequence');
    }
  };
  const value = (path: string): void => {
    skipSpace();
    lines.set(path, line);
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      skipSpace();
      if (text[i] === close) {
        i++;
        return;
      }
      for (let n = 0; ; n++) {
        if (c === '{') {
          skipSpace();
          if (text[i] !== '"') fail(`expected a field name in double quotes, ${found()}`);
          const key = string();
          skipSpace();
          if (text[i] !== ':') fail(`expected ':' after "${key}", ${found()}`);
          i++;
          value(path ? `${path}.${key}` : key);
        } else {
          value(`${path}[${n}]`);
        }
        skipSpace();
        if (text[i] === close) {
          i++;
          return;
        }
        if (text[i] !== ',') fail(`expected ',' or '${close}', ${found()}`);
        i++;
      }
    }
    if (c === '"') {
      string();
      return;
    }
    LITERAL.lastIndex = i;
    const literal = LITERAL.exec(text);
    if (!literal) fail(`expected a value, ${found()}`);
    i += literal![0].length;
  };
  value('');
  skipSpace();
  if (i < text.length) fail(`expected the end of the file, ${found()}`);
  return lines;
}

/** Adds " (line N)" to a problem that starts with a field path, using the nearest field that is in the file. */
export function withLine(problem: string, lines: Map<string, number>): string {
  for (let path = problem.split(' ', 1)[0]; ;) {
    const line = lines.get(path);
    if (line !== undefined) return `${problem} (line ${line})`;
    const parent = path.replace(/(\.[^.[\]]*|\[\d+\])$/, '');
    if (parent === path || parent === '') return problem;
    path = parent;
  }
}
