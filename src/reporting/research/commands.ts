import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError, type Command } from '../../cli/command.ts';
import { withMigratedDatabase } from '../../cli/core-commands.ts';
import { findTenantByName } from '../../identity/service.ts';
import { InvalidInput } from '../../web/errors.ts';
import { findProjectForCommand, generateExtract } from './service.ts';

export const exportResearchCommand: Command = {
  name: 'export research',
  summary: 'Write a pseudonymised, k-anonymous research extract for a project into a folder',
  usage: [
    'Usage: signpost export research --project "<project name>" [--tenant "<tenant name or id>"] [--out <folder>]',
    '         [--from YYYY-MM] [--to YYYY-MM] [--practice "<ODS code or name>"] [--need <need code>]',
    '',
    'Writes referrals.csv, contacts.csv, outcome_measures.csv, onward_referrals.csv, the data dictionary (CSV and Markdown)',
    'and manifest.json for people with an active consent to research. The extract is stored and audited as if made',
    'on the research pages. --out defaults to ./research-extract-<date>. --tenant is needed only when more than one',
    'tenant has a project of that name. --from and --to keep referrals received in those months (either may be left',
    'open), --practice those of one practice and --need those naming that need; the manifest lists the filters.',
  ].join('\n'),
  options: {
    project: { type: 'string' },
    tenant: { type: 'string' },
    out: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    practice: { type: 'string' },
    need: { type: 'string' },
  },
  async run({ values }) {
    const name = String(values.project ?? '').trim();
    if (!name) throw new UsageError(`Give --project.\n\n${this.usage}`);
    const now = new Date();
    const out = path.resolve(
      typeof values.out === 'string' && values.out ? values.out : `research-extract-${now.toISOString().slice(0, 10)}`,
    );
    const extract = await withMigratedDatabase(async (database) => {
      const tenant = typeof values.tenant === 'string' ? await findTenantByName(database.pool, values.tenant) : undefined;
      if (typeof values.tenant === 'string' && !tenant) throw new UsageError(`No tenant called "${values.tenant}".`);
      const found = await findProjectForCommand(database.pool, name, tenant);
      if ('problem' in found) throw new UsageError(found.problem);
      const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
      const filter = { from: text(values.from), to: text(values.to), practice: text(values.practice), need: text(values.need) };
      try {
        return await generateExtract(database.pool, null, found.tenantId, found.projectId, now, {}, filter);
      } catch (error) {
        // The same checks as the page; their messages name the option to fix.
        if (error instanceof InvalidInput) throw new UsageError(error.errors.map((e) => `--${e.field}: ${e.message}.`).join('\n'));
        throw error;
      }
    });
    mkdirSync(out, { recursive: true });
    for (const file of extract.files) writeFileSync(path.join(out, file.name), file.content);
    const k = extract.manifest.kAnonymity;
    console.log(`Wrote ${extract.files.map((f) => f.name).join(', ')} to ${out}.`);
    const f = extract.manifest.filters;
    console.log(`Filters: received ${f.received_from} to ${f.received_to}; practice: ${f.practice}; need: ${f.need}.`);
    console.log(
      `${k.peopleReleased} of ${k.peopleWithConsent} people with consent released (${k.peopleGeneralised} generalised, ${k.peopleSuppressed} suppressed); rows: ${Object.entries(
        extract.manifest.rowCounts,
      )
        .map(([f, n]) => `${f} ${n}`)
        .join(', ')}.`,
    );
  },
};
