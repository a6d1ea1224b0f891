import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A `signpost <name>` command. Areas export their own; `main.ts` lists them all. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options?: ParseArgsConfig['options'];
  run(args: { values: Record<string, string | boolean | undefined>; positionals: string[] }): Promise<number | void>;
}

/** A problem the operator can fix; printed as one line without a stack. */
export class UsageError extends Error {}

export function parseCommandArgs(command: Command, argv: string[]) {
  try {
    const parsed = parseArgs({
      args: argv,
      options: { help: { type: 'boolean', short: 'h' }, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    return parsed as { values: Record<string, string | boolean | undefined>; positionals: string[] };
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${command.usage}`);
  }
}

/** The command's first argument (a file, folder or address); without one, its usage. */
export function firstArgument(positionals: string[], usage: string): string {
  const argument = positionals[0];
  if (!argument) throw new UsageError(usage);
  return argument;
}

/** Reads all of standard input (for passwords piped in, never passed as arguments). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
