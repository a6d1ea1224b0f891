import { writeFileSync } from 'node:fs';
import { withMigratedDatabase } from '../../cli/core-commands.ts';
import { firstArgument, UsageError, type Command } from '../../cli/command.ts';
import { importPostcodes } from '../../geo/import.ts';
import { exportHsdsCsv, exportOruk } from '../oruk/export.ts';
import { ImportSourceError, importServices, readHsdsCsv, readOrukFeed, type OrukFeed, type ImportReport } from './service.ts';

function printReport(report: ImportReport): number {
  const prefix = report.dryRun ? 'Dry run (nothing was saved): would have ' : '';
  console.log(
    `${prefix}${report.dryRun ? 'added' : 'Added'} ${report.added.length}, changed ${report.changed.length}, unchanged ${report.unchanged.length}, invalid ${report.invalid.length}.`,
  );
  for (const id of report.added) console.log(`  added      ${id}`);
  for (const id of report.changed) console.log(`  changed    ${id}`);
  for (const problem of report.invalid) console.log(`  invalid    ${problem.id}: ${problem.reason}`);
  for (const problem of report.problems) console.log(`  repaired   ${problem.id}: ${problem.field} ${problem.problem}`);
  for (const duplicate of report.duplicates) console.log(`  duplicate  ${duplicate.id}: given ${duplicate.count} times`);
  for (const note of report.notes) console.log(`Note: ${note}`);
  if (report.problems.length)
    console.log(`${report.problems.length} values were repaired or left out; the services they belong to were imported.`);
  // 2 tells scripts that some records were skipped even though the rest were imported.
  return report.invalid.length ? 2 : 0;
}

async function runImport(read: () => Promise<OrukFeed> | OrukFeed, sourceFeed: string, dryRun: boolean): Promise<number> {
  try {
    const feed = await read();
    const report = await withMigratedDatabase(async (database) => {
      return importServices(database.pool, feed.records, { sourceFeed, dryRun, notes: feed.notes, unread: feed.unread });
    });
    return printReport(report);
  } catch (error) {
    if (error instanceof ImportSourceError) throw new UsageError(error.message);
    throw error;
  }
}

/** `signpost import <what> <source> [--dry-run]`: `load` is given the source and whether to save nothing. */
function importCommand(
  command: Pick<Command, 'name' | 'summary' | 'usage'>,
  load: (source: string, dryRun: boolean) => Promise<number | void>,
): Command {
  return {
    ...command,
    options: { 'dry-run': { type: 'boolean' } },
    run: ({ values, positionals }) => load(firstArgument(positionals, command.usage), values['dry-run'] === true),
  };
}

export const importOrukCommand = importCommand(
  {
    name: 'import oruk',
    summary: 'Import services from an Open Referral UK feed (API URL, JSON file or folder)',
    usage:
      'Usage: signpost import oruk <url | file.json | folder> [--dry-run]\n\nReads services, organisations (with or without their services) and service_at_locations with their service. Re-running with the same feed changes nothing. Reports added, changed, unchanged and invalid records, each value repaired or left out (with the record id), ids given twice, and a total_items that disagrees with the rows received; exits 2 when any record was invalid. Only a record without an id, name, status or organisation is refused. Re-importing an unchanged feed writes nothing.',
  },
  (source, dryRun) =>
    runImport(() => readOrukFeed(source, (line) => console.log(line)), source.startsWith('http') ? source : `file:${source}`, dryRun),
);

export const importHsdsCsvCommand = importCommand(
  {
    name: 'import hsds-csv',
    summary: 'Import services from a folder of HSDS CSV files',
    usage:
      'Usage: signpost import hsds-csv <folder> [--dry-run]\n\nHSDS 3.0 CSV; a folder of HSDS 1.x or 2.0 CSV is refused, naming the version found. Reports added, changed, unchanged and invalid records and each value repaired; exits 2 when any record was invalid.',
  },
  (folder, dryRun) => runImport(() => ({ records: readHsdsCsv(folder), notes: [], unread: [] }), `csv:${folder}`, dryRun),
);

export const importPostcodesCommand = importCommand(
  {
    name: 'import postcodes',
    summary: 'Load the ONS Postcode Directory or NSPL CSV for exact distances and deprivation',
    usage:
      'Usage: signpost import postcodes <file.csv | file.csv.gz> [--dry-run]\n\nNeeds the pcds (or pcd), lat and long columns, and lsoa21 and/or lsoa11. Streams the file; re-running changes nothing.',
  },
  async (file, dryRun) => {
    const started = Date.now();
    const report = await withMigratedDatabase(async (database) => {
      try {
        return await importPostcodes(database.pool, file, { dryRun });
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
    });
    console.log(
      `${dryRun ? 'Dry run (nothing was saved): ' : ''}Read ${report.read} rows in ${((Date.now() - started) / 1000).toFixed(1)} s: loaded ${report.loaded}, unchanged ${report.unchanged}, rejected ${report.rejected}.`,
    );
    for (const example of report.examples) console.log(`  line ${example.line}: ${example.reason}`);
  },
);

export const exportOrukCommand: Command = {
  name: 'export oruk',
  summary: 'Export every directory service as Open Referral UK JSON',
  usage:
    'Usage: signpost export oruk [--out file.json]\n\nWrites one page with every service fully nested (standard output without --out).',
  options: { out: { type: 'string' } },
  async run({ values }) {
    const page = await withMigratedDatabase(async (database) => {
      return exportOruk(database.pool);
    });
    const json = JSON.stringify(page, null, 2);
    if (typeof values.out === 'string') {
      writeFileSync(values.out, `${json}\n`);
      console.log(`Wrote ${page.total_items} services to ${values.out}.`);
    } else process.stdout.write(`${json}\n`);
  },
};

export const exportHsdsCsvCommand: Command = {
  name: 'export hsds-csv',
  summary: 'Export the directory as HSDS CSV files into a folder',
  usage: 'Usage: signpost export hsds-csv <folder>\n\nWrites every HSDS table, organisations without services included.',
  async run({ positionals }) {
    const folder = firstArgument(positionals, this.usage);
    const counts = await withMigratedDatabase(async (database) => {
      return exportHsdsCsv(database.pool, folder);
    });
    console.log(
      `Wrote ${Object.entries(counts)
        .map(([file, n]) => `${file} (${n})`)
        .join(', ')} to ${folder}.`,
    );
  },
};

export const directoryCommands = [importOrukCommand, importHsdsCsvCommand, importPostcodesCommand, exportOrukCommand, exportHsdsCsvCommand];
