import { UsageError, type Command } from '../cli/command.ts';
import { loadConfig } from '../config.ts';
import { openPostgres, type Database } from '../db/database.ts';
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

/**
 * A command on one backup file, against whichever database this process would open: the
 * PostgreSQL server (DATABASE_URL, through a pool of one) or the embedded data directory.
 */
function backupFileCommand(command: {
  name: string;
  summary: string;
  usage: string;
  server: (database: Database, databaseUrl: string, file: string, options: { force: boolean }) => Promise<void>;
  embedded: (pgliteDir: string, file: string, options: { force: boolean }) => Promise<void>;
}): Command {
  return {
    name: command.name,
    summary: command.summary,
    usage: command.usage,
    options: { force: { type: 'boolean' } },
    async run({ values, positionals }) {
      const file = fileArgument(positionals, command.usage);
      const config = loadConfig();
      const options = { force: values.force === true };
      if (config.databaseUrl) {
        const database = openPostgres(config.databaseUrl, 1);
        try {
          await command.server(database, config.databaseUrl, file, options);
        } finally {
          await database.close();
        }
      } else {
        await command.embedded(config.pgliteDir, file, options);
      }
      return 0;
    },
  };
}

export const backupCommand = backupFileCommand({
  name: 'backup',
  summary: 'Back up the database to a file (pg_dump on a server; a data directory copy when embedded)',
  usage: BACKUP_USAGE,
  async server(database, databaseUrl, file, options) {
    const result = await backupServer(database, databaseUrl, file, options);
    console.log(
      `Backed up the PostgreSQL ${result.server} database to ${file} (${megabytes(result.bytes)}, pg_dump ${result.pgDump} custom format).`,
    );
  },
  async embedded(pgliteDir, file, options) {
    const result = await backupPglite(pgliteDir, file, options);
    console.log(`Backed up the embedded database in ${pgliteDir} to ${file} (${megabytes(result.bytes)}).`);
  },
});

const RESTORE_USAGE = `Usage: signpost restore <file> [--force]

Checks the file first (a damaged or cut-short file changes nothing), restores it, then runs any
migrations the backup predates. Refuses a target that already holds a database unless --force:
embedded, the old data directory is kept beside it as <PGLITE_DIR>.replaced-<time>; on a server,
the backup's tables replace the existing ones in one transaction.`;

const reportMigrationsApplied = (migrations: string[]) =>
  console.log(
    migrations.length
      ? `Applied ${migrations.length} migration(s) the backup predates: ${migrations.join(', ')}`
      : 'The restored database is up to date.',
  );

export const restoreCommand = backupFileCommand({
  name: 'restore',
  summary: 'Restore a backup made by signpost backup, then migrate',
  usage: RESTORE_USAGE,
  async server(database, databaseUrl, file, options) {
    const { migrations } = await restoreServer(database, databaseUrl, file, options);
    console.log(`Restored ${file} into the PostgreSQL database.`);
    reportMigrationsApplied(migrations);
  },
  async embedded(pgliteDir, file, options) {
    const result = await restorePglite(pgliteDir, file, options);
    console.log(`Restored ${file} into ${pgliteDir}.${result.replacedTo ? ` The database it replaced is in ${result.replacedTo}.` : ''}`);
    reportMigrationsApplied(result.migrations);
  },
});
