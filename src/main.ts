import { ConfigError } from './config.ts';
import { DataDirLocked } from './db/data-dir-lock.ts';
import { MigrationError } from './db/migrate.ts';
import { parseCommandArgs, UsageError, type Command } from './cli/command.ts';
import { migrateCommand, seedCommand, serveCommand } from './cli/core-commands.ts';
import { auditVerifyCommand, tenantAddCommand, tenantAddressCommand, userAddCommand } from './identity/commands.ts';
import { jobsCommand, workerCommand } from './jobs/commands.ts';
import { directoryCommands } from './directory/import/commands.ts';
import { BackupRefused } from './operations/backup.ts';
import { backupCommand, restoreCommand } from './operations/commands.ts';
import { exportResearchCommand } from './reporting/research/commands.ts';
import { citusDistributeCommand } from './db/commands.ts';

/** Every `signpost` command; areas add theirs here. */
const commands: Command[] = [serveCommand, migrateCommand, seedCommand];
commands.push(tenantAddCommand, tenantAddressCommand, userAddCommand, auditVerifyCommand);
commands.push(workerCommand, jobsCommand);
commands.push(...directoryCommands);
commands.push(backupCommand, restoreCommand);
commands.push(exportResearchCommand);
commands.push(citusDistributeCommand);

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    'Usage: signpost <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Run signpost <command> --help for details.',
  ].join('\n');
}

/** Finds the longest command name matching the arguments, so `user add` works beside `user`. */
function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  for (let words = Math.min(3, argv.length); words > 0; words--) {
    const name = argv.slice(0, words).join(' ');
    const command = commands.find((c) => c.name === name);
    if (command) return { command, rest: argv.slice(words) };
  }
  return undefined;
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    console.log(overview());
    return argv.length === 0 ? 1 : 0;
  }
  const found = findCommand(argv);
  if (!found) {
    console.error(`Unknown command "${argv.join(' ')}".\n\n${overview()}`);
    return 1;
  }
  const args = parseCommandArgs(found.command, found.rest);
  if (args.values.help) {
    console.log(`${found.command.summary}.\n\n${found.command.usage}`);
    return 0;
  }
  return (await found.command.run(args)) ?? 0;
}

/** One line for a refused data directory; a job worker cannot sit beside an embedded server at all. */
function lockRefusal(error: DataDirLocked, argv: string[]): string {
  if (argv[0] !== 'worker' || !error.owner || !error.sameHost) return error.message;
  return (
    `signpost worker cannot share the embedded database in ${error.dataDir} with process ${error.owner.pid} (${error.owner.command}): ` +
    'on PGlite the server runs its own job worker in-process (unless SIGNPOST_WORKER=false), so stop that process to run the worker alone, ' +
    'or move to a PostgreSQL server (DATABASE_URL) to run workers beside the web processes.'
  );
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  // Operator mistakes get one clear line; anything else is a bug and keeps its stack.
  if (error instanceof ConfigError) console.error(`Configuration error: ${error.message}`);
  else if (error instanceof DataDirLocked) console.error(lockRefusal(error, process.argv.slice(2)));
  else if (error instanceof UsageError || error instanceof MigrationError || error instanceof BackupRefused) console.error(error.message);
  else throw error;
  process.exitCode = 1;
}
