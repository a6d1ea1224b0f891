import { UsageError, type Command } from '../cli/command.ts';
import { loadConfig } from '../config.ts';
import { openPostgres } from '../db/database.ts';
import { backupPglite, backupServer, restorePglite, restoreServer } from './backup.ts';

const megabytes = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;

function fileArgument(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new UsageError(usage);
  return positionals[0]!;
}

const BACKUP_USAGE = `Usage: signpost backup <file> [--force]

Embedded database (PGLITE_DIR): a gzipped copy of the data directory, taken while no other process
has it open (stop signpost serve first). PostgreSQL server (DATABASE_URL): pg_dump's custom format,
which needs pg_dump of at least the server's major version. --force overwrites an existing file.`;

export const backupCommand: Command = {
  name: 'backup',
  summary: 'Back up the database to a file (pg_dump on a server; a data directory copy when embedded)',
  usage: BACKUP_USAGE,
  options: { force: { type: 'boolean' } },
  async run({ values, positionals }) {
    const file = fileArgument(positionals, BACKUP_USAGE);
    const config = loadConfig();
    const force = values.force === true;
    if (config.databaseUrl) {
      const database = openPostgres(config.databaseUrl, 1);
      try {
        const result = await backupServer(database, config.databaseUrl, file, { force });
        console.log(
          `Backed up the PostgreSQL ${result.server} database to ${file} (${megabytes(result.bytes)}, pg_dump ${result.pgDump} custom format).`,
        );
      } finally {
        await database.close();
      }
    } else {
      const result = await backupPglite(config.pgliteDir, file, { force });
      console.log(`Backed up the embedded database in ${config.pgliteDir} to ${file} (${megabytes(result.bytes)}).`);
    }
    return 0;
  },
};

const RESTORE_USAGE = `Usage: signpost restore <file> [--force]

Checks the file first (a damaged or cut-short file changes nothing), restores it, then runs any
migrations the backup predates. Refuses a target that already holds a database unless --force:
embedded, the old data directory is kept beside it as <PGLITE_DIR>.replaced-<time>; on a server,
the backup's tables replace the existing ones in one transaction.`;

export const restoreCommand: Command = {
  name: 'restore',
  summary: 'Restore a backup made by signpost backup, then migrate',
  usage: RESTORE_USAGE,
  options: { force: { type: 'boolean' } },
  async run({ values, positionals }) {
    const file = fileArgument(positionals, RESTORE_USAGE);
    const config = loadConfig();
    const force = values.force === true;
    let migrations: string[];
    if (config.databaseUrl) {
      const database = openPostgres(config.databaseUrl, 1);
      try {
        ({ migrations } = await restoreServer(database, config.databaseUrl, file, { force }));
      } finally {
        await database.close();
      }
      console.log(`Restored ${file} into the PostgreSQL database.`);
    } else {
      const result = await restorePglite(config.pgliteDir, file, { force });
      migrations = result.migrations;
      console.log(
        `Restored ${file} into ${config.pgliteDir}.${result.replacedTo ? ` The database it replaced is in ${result.replacedTo}.` : ''}`,
      );
    }
    console.log(
      migrations.length
        ? `Applied ${migrations.length} migration(s) the backup predates: ${migrations.join(', ')}`
        : 'The restored database is up to date.',
    );
    return 0;
  },
};
