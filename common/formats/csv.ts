/** A parsed CSV table: header names and rows of raw cell strings. */
export interface CsvTable {
  header: string[];
  rows: string[][];
}

/** Where a CSV problem is, in the user's terms. */
export class CsvError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** Splits one line into cells, honouring double quotes ("a,b" and "" escapes). */
function splitLine(line: string, lineNo: number): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c === '"' && cell.length === 0) {
      quoted = true;
    } else if (c === ',') {
      cells.push(cell.trim());
      cell = '';
    } else {
      cell += c;
    }
  }
  if (quoted) throw new CsvError(lineNo, 'a quoted cell is not closed');
  cells.push(cell.trim());
  return cells;
}

/** Parses CSV text with a header row. Blank lines are skipped; every row must have the header's width. */
export function parseCsv(text: string): CsvTable {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let header: string[] | undefined;
  const rows: string[][] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const cells = splitLine(line, i + 1);
    if (!header) {
      header = cells;
    } else if (cells.length !== header.length) {
      throw new CsvError(i + 1, `expected ${header.length} cells like the header, found ${cells.length}`);
    } else {
      rows.push(cells);
    }
  });
  if (!header) throw new CsvError(1, 'the file is empty: it needs a header row');
  return { header, rows };
}
