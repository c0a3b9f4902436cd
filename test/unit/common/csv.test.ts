import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../../common/formats/csv.js';

describe('CSV', () => {
  it('parses a header, rows, quotes and blank lines', () => {
    expect(parseCsv('a,b\r\n1,"x, ""y"""\n\n2,z\n')).toEqual({ header: ['a', 'b'], rows: [['1', 'x, "y"'], ['2', 'z']] });
  });

  it('names the line of a ragged row or an open quote', () => {
    expect(() => parseCsv('a,b\n1,2\n3\n')).toThrow('line 3: expected 2 cells like the header, found 1');
    expect(() => parseCsv('a\n"open\n')).toThrow('line 2: a quoted cell is not closed');
    expect(() => parseCsv('\n\n')).toThrow(/empty/);
  });
});
