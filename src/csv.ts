/** Splits one CSV record into fields (RFC 4180 quoting, as ONS and HSDS CSVs use). */
export function parseCsvLine(line: string): string[] {
  return csvRecords(line)[0] ?? [''];
}

/** Parses a whole CSV text, allowing quoted fields that span lines; the first row is the header. */
export function parseCsv(text: string): Array<Record<string, string>> {
  const [header, ...rest] = csvRecords(text.replace(/^\uFEFF/, ''));
  if (!header) return [];
  return rest.map((values) => Object.fromEntries(header.map((name, i) => [name.trim(), values[i] ?? ''])));
}

/** The records of CSV text, each a list of fields; a quoted field may span lines, and blank lines are skipped. */
function csvRecords(text: string): string[][] {
  const records: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.length > 1 || row[0] !== '') records.push(row);
      row = [];
    } else field += ch;
  }
  if (field !== '' || row.length) {
    row.push(field);
    records.push(row);
  }
  return records;
}

/** Quotes a value for CSV output when it needs it. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
